"""Baseline files: the CPU fallbacks a team has accepted, so a gate fails only on new ones.

Format (versioned JSON, written by `opcompat baseline`)::

    {"baseline_version": 1, "tool": "opcompat 0.1.0", "api_level": 30,
     "models": [{"file": "m.tflite", "sha256": "<hex>", "target": "nnapi",
                 "fallbacks": [{"subgraph": 0, "index": 12, "op": "CONV_2D",
                                "reasons": ["kUnsupportedOperatorVersion"]}]}]}

A checked model finds its entry by sha256, else by file name (a retrained model keeps its name
but not its hash); models that share a file name are recorded with as many trailing path parts
as tell them apart (`speech/model.tflite`). Operators match first on (subgraph, index, op,
reasons), then, for what is left, on (subgraph, op, reasons) with the nearest index: inserting
or removing an operator shifts the indices after it, and those fallbacks must still count as
known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from opcompat.errors import UsageError
from opcompat.names import display_names
from opcompat.report import ModelReport, OperatorResult, Report
from opcompat.targets import DEFAULT_TARGET

BASELINE_VERSION = 1
DEFAULT_TARGET_NAME = DEFAULT_TARGET.value
"""The target of a baseline entry without one (files written before targets existed)."""


class Fallback(NamedTuple):
    """One accepted operator on the CPU."""

    subgraph: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    op: str
    reasons: tuple[str, ...]
    """Its reason codes, sorted and without repeats."""

    def key(self) -> tuple[int, str, tuple[str, ...]]:
        """What must match when indices shift."""
        return (self.subgraph, self.op, self.reasons)


class ModelBaseline(NamedTuple):
    file: str
    sha256: str
    fallbacks: tuple[Fallback, ...]
    target: str = DEFAULT_TARGET_NAME
    """The delegate target these fallbacks were recorded for (absent in older files: NNAPI)."""


class Baseline(NamedTuple):
    models: tuple[ModelBaseline, ...]
    api_level: int | None = None
    tool: str = ""

    def for_model(
        self, path: str, sha256: str, target: str = DEFAULT_TARGET_NAME
    ) -> ModelBaseline | None:
        """The entry of a model for `target`: same sha256, else the entry whose `file` ends its
        path (a file name, or trailing path parts where models share a file name), the longest
        first."""
        entries = [m for m in self.models if m.target == target]
        for m in entries:
            if sha256 and m.sha256 == sha256:
                return m
        parts = [x for x in path.replace("\\", "/").split("/") if x not in ("", ".")]
        best: ModelBaseline | None = None
        for m in entries:
            file_parts = [x for x in m.file.split("/") if x]
            if file_parts and parts[-len(file_parts):] == file_parts:
                if best is None or len(file_parts) > len(best.file.split("/")):
                    best = m
        return best


def fallback_of(op: OperatorResult, model: ModelReport) -> Fallback:
    """The baseline record of an operator on the CPU."""
    codes = {r.code for r in op.reasons}
    if not codes and model.refusal is not None:
        codes = {model.refusal.code}
    return Fallback(op.subgraph, op.index, op.op, tuple(sorted(codes)))


def model_fallbacks(model: ModelReport) -> tuple[Fallback, ...]:
    return tuple(
        fallback_of(o, model)
        for o in sorted(model.operators, key=lambda o: (o.subgraph, o.index))
        if not o.delegated
    )


def from_report(report: Report, tool: str = "") -> Baseline:
    """A baseline accepting every fallback of every readable model of `report`."""
    names = display_names([m.path for m in report.models])
    models = tuple(
        ModelBaseline(name, m.sha256, model_fallbacks(m), m.target)
        for m, name in zip(report.models, names, strict=True)
        if isinstance(m, ModelReport)
    )
    levels = {
        m.options.api_level
        for m in report.models
        if isinstance(m, ModelReport) and m.options.api_level is not None
    }
    return Baseline(models, levels.pop() if len(levels) == 1 else None, tool)


def to_dict(baseline: Baseline) -> dict[str, Any]:
    return {
        "baseline_version": BASELINE_VERSION,
        "tool": baseline.tool,
        "api_level": baseline.api_level,
        "models": [
            {
                "file": m.file,
                "sha256": m.sha256,
                "target": m.target,
                "fallbacks": [
                    {
                        "subgraph": f.subgraph,
                        "index": f.index,
                        "op": f.op,
                        "reasons": list(f.reasons),
                    }
                    for f in m.fallbacks
                ],
            }
            for m in baseline.models
        ],
    }


def dumps(baseline: Baseline) -> str:
    return json.dumps(to_dict(baseline), indent=2) + "\n"


def _fail(where: str, what: str) -> UsageError:
    return UsageError(f"--baseline {where}: {what}")


def _int(value: Any, where: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(where, f"{field} must be a non-negative integer")
    return value


def _str(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"{field} must be a string")
    return value


def parse(data: Any, where: str = "<baseline>") -> Baseline:
    """Check and convert a parsed baseline file; UsageError names the bad field."""
    if not isinstance(data, dict):
        raise _fail(where, "not a JSON object")
    version = data.get("baseline_version")
    if version != BASELINE_VERSION:
        raise _fail(
            where,
            f"unsupported baseline_version {version!r} (this opcompat reads {BASELINE_VERSION})",
        )
    raw_models = data.get("models")
    if not isinstance(raw_models, list):
        raise _fail(where, "models must be a list")
    models = []
    for i, m in enumerate(raw_models):
        at = f"models[{i}]"
        if not isinstance(m, dict):
            raise _fail(where, f"{at} must be an object")
        raw_fb = m.get("fallbacks")
        if not isinstance(raw_fb, list):
            raise _fail(where, f"{at}.fallbacks must be a list")
        fbs = []
        for j, f in enumerate(raw_fb):
            fat = f"{at}.fallbacks[{j}]"
            if not isinstance(f, dict):
                raise _fail(where, f"{fat} must be an object")
            reasons = f.get("reasons", [])
            if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
                raise _fail(where, f"{fat}.reasons must be a list of strings")
            fbs.append(
                Fallback(
                    _int(f.get("subgraph"), where, f"{fat}.subgraph"),
                    _int(f.get("index"), where, f"{fat}.index"),
                    _str(f.get("op"), where, f"{fat}.op"),
                    tuple(sorted(set(reasons))),
                )
            )
        models.append(
            ModelBaseline(
                _str(m.get("file"), where, f"{at}.file"),
                _str(m.get("sha256", ""), where, f"{at}.sha256"),
                tuple(fbs),
                _str(m.get("target", DEFAULT_TARGET_NAME), where, f"{at}.target"),
            )
        )
    level = data.get("api_level")
    if level is not None:
        level = _int(level, where, "api_level")
    return Baseline(tuple(models), level, str(data.get("tool", "")))


def load(path: str | Path) -> Baseline:
    """Read a baseline file; UsageError when it is missing or malformed."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise _fail(str(path), "no such file") from None
    except OSError as exc:
        raise _fail(str(path), f"cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _fail(str(path), f"not valid JSON: {exc}") from None
    except RecursionError:  # json.loads recurses per nesting level; a hostile file nests deep
        raise _fail(str(path), "not valid JSON: nested too deeply") from None
    return parse(data, str(path))


class Comparison(NamedTuple):
    """A model's fallbacks against its baseline entry."""

    new: tuple[OperatorResult, ...]
    """On the CPU now, not accepted by the baseline."""
    known: tuple[OperatorResult, ...]
    fixed: tuple[Fallback, ...]
    """Accepted in the baseline, no longer on the CPU."""


def compare(model: ModelReport, entry: ModelBaseline | None) -> Comparison:
    """Match a model's fallbacks to its baseline entry (exact, then with shifted indices)."""
    current = [
        (o, fallback_of(o, model))
        for o in sorted(model.operators, key=lambda o: (o.subgraph, o.index))
        if not o.delegated
    ]
    if entry is None:
        return Comparison(tuple(o for o, _ in current), (), ())
    pool = list(entry.fallbacks)
    known: list[OperatorResult] = []
    left: list[tuple[OperatorResult, Fallback]] = []
    for op, fb in current:
        if fb in pool:
            pool.remove(fb)
            known.append(op)
        else:
            left.append((op, fb))
    new: list[OperatorResult] = []
    for op, fb in left:
        same = [b for b in pool if b.key() == fb.key()]
        if same:
            best = min(same, key=lambda b: abs(b.index - fb.index))
            pool.remove(best)
            known.append(op)
        else:
            new.append(op)
    known.sort(key=lambda o: (o.subgraph, o.index))
    return Comparison(tuple(new), tuple(known), tuple(pool))
