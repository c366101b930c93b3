"""What changed between two checks of a model: operators and partitions.

Operators of each subgraph are aligned by op name in execution order (difflib's longest matching
blocks), so an operator inserted or removed does not make everything after it look changed.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from opcompat.names import model_name, plural
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


def _codes(op: OperatorResult) -> tuple[str, ...]:
    return tuple(r.code for r in op.reasons)


def _differs(a: OperatorResult, b: OperatorResult) -> bool:
    """A change in what the delegate does with the operator (a new op version alone is not)."""
    return a.delegated != b.delegated or a.supported != b.supported or _codes(a) != _codes(b)


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


def _where(op: OperatorResult | None) -> str:
    if op is None:
        return "-"
    if op.delegated:
        return "NNAPI" if op.partition is None else f"NNAPI p{op.partition}"
    codes = ", ".join(_codes(op))
    return f"CPU ({codes})" if codes else "CPU"


def _sizes(d: dict[int, list[int]]) -> str:
    return (
        "; ".join(
            f"subgraph {k}: {len(v)} [{', '.join(map(str, v))}]" for k, v in sorted(d.items()) if v
        )
        or "none"
    )


def _side(label: str, m: ModelReport) -> str:
    return (
        f"{label}: {m.path} ({m.delegated_count}/{len(m.operators)} ops on NNAPI, "
        f"{plural(m.partition_count, 'partition')}, "
        + (
            "never fully delegated"
            if m.min_api_level is None
            else f"full delegation from API {m.min_api_level}"
        )
        + ")"
    )


def summary_lines(d: ModelDiff) -> list[str]:
    o, n = d.old, d.new
    lines = [
        _side("old", o),
        _side("new", n),
        f"partitions: {_sizes(d.partition_sizes('old'))} → {_sizes(d.partition_sizes('new'))}",
    ]
    if (o.refusal is None) != (n.refusal is None):
        lines.append(
            f"refusal: {o.refusal.code if o.refusal else 'none'} → "
            f"{n.refusal.code if n.refusal else 'none'}"
        )
    lines.append(
        f"new fallbacks: {len(d.new_fallbacks)}; fixed: {len(d.fixed)}; "
        f"operator changes: {len(d.changes)}"
        + (
            f" (and {plural(d.version_only, 'operator')} with only a new op version)"
            if d.version_only
            else ""
        )
    )
    return lines


def _label(op: OperatorResult | None) -> str:
    return "-" if op is None else f"{op.subgraph}:{op.index} {op.op} v{op.version}"


def render_text(d: ModelDiff) -> str:
    from tabulate import tabulate

    lines = summary_lines(d)
    if d.changes:
        rows = [
            (
                c.kind + (" (new fallback)" if c.new_fallback else " (fixed)" if c.fixed else ""),
                _label(c.old),
                _where(c.old),
                _label(c.new),
                _where(c.new),
            )
            for c in d.changes
        ]
        lines += [
            "",
            tabulate(
                rows,
                headers=("change", "old op", "old verdict", "new op", "new verdict"),
                disable_numparse=True,
            ),
        ]
    else:
        lines += ["", "no operator changed"]
    return "\n".join(lines) + "\n"


def render_markdown(d: ModelDiff) -> str:
    from opcompat.formats.markdown import cell, code

    status = "❌" if d.new_fallbacks else "✅"
    lines = [
        f"## {status} opcompat diff: "
        f"{code(model_name(d.old.path))} → {code(model_name(d.new.path))}",
        "",
    ]
    lines += [f"- {cell(x)}" for x in summary_lines(d)]
    if d.changes:
        lines += [
            "",
            "| change | old op | old verdict | new op | new verdict |",
            "|---|---|---|---|---|",
        ]
        for c in d.changes:
            tag = " **new fallback**" if c.new_fallback else " (fixed)" if c.fixed else ""
            lines.append(
                f"| {c.kind}{tag} | {cell(_label(c.old))} | {cell(_where(c.old))} "
                f"| {cell(_label(c.new))} | {cell(_where(c.new))} |"
            )
    return "\n".join(lines) + "\n"


def _op_dict(op: OperatorResult | None) -> dict[str, Any] | None:
    if op is None:
        return None
    return {
        "subgraph": op.subgraph,
        "index": op.index,
        "op": op.op,
        "version": op.version,
        "delegated": op.delegated,
        "supported": op.supported,
        "partition": op.partition,
        "reasons": [{"code": r.code, "message": r.message} for r in op.reasons],
    }


def to_dict(d: ModelDiff) -> dict[str, Any]:
    def side(m: ModelReport) -> dict[str, Any]:
        return {
            "path": m.path,
            "sha256": m.sha256,
            "delegated": m.delegated_count,
            "operators": len(m.operators),
            "partitions": m.partition_count,
            "min_api_level": m.min_api_level,
            "refusal": None if m.refusal is None else m.refusal.code,
        }

    return {
        "diff_version": 1,
        "api_level": d.new.options.api_level,
        "old": side(d.old),
        "new": side(d.new),
        "partition_sizes": {"old": d.partition_sizes("old"), "new": d.partition_sizes("new")},
        "changes": [
            {
                "kind": c.kind,
                "new_fallback": c.new_fallback,
                "fixed": c.fixed,
                "old": _op_dict(c.old),
                "new": _op_dict(c.new),
            }
            for c in d.changes
        ],
        "version_only_changes": d.version_only,
    }


def render_json(d: ModelDiff) -> str:
    return json.dumps(to_dict(d), indent=2) + "\n"
