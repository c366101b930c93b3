"""What changed between two checks of a model: operators and partitions.

Operators of each subgraph are aligned by op name in execution order (difflib's longest matching
blocks), so an operator inserted or removed does not make everything after it look changed.
How a diff is shown is `opcompat.formats.diff`'s.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from opcompat.report import ModelReport, OperatorResult


@dataclass(frozen=True, slots=True)
class OpChange:
    kind: str
    """`added`, `removed`, or `changed` (same op, other verdict or reasons)."""
    old: OperatorResult | None
    new: OperatorResult | None

    @property
    def new_fallback(self) -> bool:
        """On the CPU in NEW, and not in OLD."""
        if self.new is None or self.new.delegated:
            return False
        return self.old is None or self.old.delegated

    @property
    def fixed(self) -> bool:
        """On the CPU in OLD, delegated (or gone) in NEW."""
        if self.old is None or self.old.delegated:
            return False
        return self.new is None or self.new.delegated


@dataclass(frozen=True, slots=True)
class ModelDiff:
    old: ModelReport
    new: ModelReport
    changes: tuple[OpChange, ...]
    version_only: int = 0
    """Aligned operators whose op version changed and nothing else (same verdict, reasons)."""

    @property
    def new_fallbacks(self) -> tuple[OpChange, ...]:
        return tuple(c for c in self.changes if c.new_fallback)

    @property
    def fixed(self) -> tuple[OpChange, ...]:
        return tuple(c for c in self.changes if c.fixed)

    def partition_sizes(self, which: str) -> dict[int, list[int]]:
        model = self.old if which == "old" else self.new
        return {sg.index: [len(p.nodes) for p in sg.partitions] for sg in model.subgraphs}


def reason_codes(op: OperatorResult) -> tuple[str, ...]:
    return tuple(r.code for r in op.reasons)


def _differs(a: OperatorResult, b: OperatorResult) -> bool:
    """A change in what the delegate does with the operator (a new op version alone is not)."""
    return (a.delegated != b.delegated or a.supported != b.supported
            or reason_codes(a) != reason_codes(b))


def diff_models(old: ModelReport, new: ModelReport) -> ModelDiff:
    changes: list[OpChange] = []
    version_only = 0
    subgraphs = sorted({o.subgraph for o in old.operators} | {o.subgraph for o in new.operators})
    for sg in subgraphs:
        a = sorted((o for o in old.operators if o.subgraph == sg), key=lambda o: o.index)
        b = sorted((o for o in new.operators if o.subgraph == sg), key=lambda o: o.index)
        matcher = difflib.SequenceMatcher(
            None, [o.op for o in a], [o.op for o in b], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                    if _differs(x, y):
                        changes.append(OpChange("changed", x, y))
                    elif x.version != y.version:
                        version_only += 1
            else:
                changes.extend(OpChange("removed", x, None) for x in a[i1:i2])
                changes.extend(OpChange("added", None, y) for y in b[j1:j2])
    return ModelDiff(old, new, tuple(changes), version_only)
