"""The cost view and the ranked fixes in words, shared by every format: human numbers, the MACs
and traffic lines, one line per fix, and the remedy of a reason.

Derived from the frozen result objects only (`ModelReport.cost`, `.fixes`, `.app_fixes`).
Target-neutral: the target is named by `summary.target_label(model)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from opcompat.formats.summary import target_label
from opcompat.names import plural
from opcompat.report import AppFix, Fix, ModelReport, OperatorResult, Reason

TOP = 5
"""Fixes shown per kind (model changes, app-side changes); JSON lists all of them."""
MODEL_CHANGES = "Model changes"
APP_CHANGES = "App-side changes"

_COUNT_UNITS = ("", " k", " M", " G", " T", " P")
_BYTE_UNITS = (" B", " kB", " MB", " GB", " TB", " PB")

T = TypeVar("T")


def _scaled(n: int, units: Sequence[str]) -> str:
    """`n` in steps of 1000 with one decimal (`296.1 M`); below 1000 as it is."""
    if abs(n) < 1000:
        return f"{n}{units[0]}"
    value, unit = float(n), 0
    while abs(value) >= 999.95 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    return f"{value:.1f}{units[unit]}"


def human(n: int | None) -> str:
    """A count in human units: `512`, `14.0 k`, `296.1 M`; `?` when unknown."""
    return "?" if n is None else _scaled(n, _COUNT_UNITS)


def human_bytes(n: int | None) -> str:
    """Bytes in decimal units: `240 B`, `110.6 kB`, `1.2 MB`; `unknown` when unknown."""
    return "unknown" if n is None else _scaled(n, _BYTE_UNITS)


def macs_cell(op: OperatorResult) -> str:
    """An operator's MACs for a table cell: `-` for none, `?` when unknown."""
    if op.macs is None:
        return "?"
    return "-" if op.macs == 0 else human(op.macs)


def macs_share(op: OperatorResult, model: ModelReport) -> float | None:
    """The operator's MACs / the model's MACs; None when either is unknown or the model has
    no MACs."""
    total = model.cost.macs if model.cost is not None else None
    if op.macs is None or not total:
        return None
    return op.macs / total


def percent(part: float, whole: float) -> str:
    """`98.4 %`."""
    return f"{100 * part / whole:.1f} %"


def macs_line(model: ModelReport) -> str | None:
    """`MACs on NNAPI: 296.1 M of 300.8 M (98.4 %)`, or `MACs: unknown (N ops with unknown
    shapes)`; None without a cost view."""
    c = model.cost
    if c is None:
        return None
    if c.macs is None or c.macs_delegated is None:
        return f"MACs: unknown ({plural(c.unknown_ops, 'op')} with unknown shapes)"
    share = f" ({percent(c.macs_delegated, c.macs)})" if c.macs else ""
    return f"MACs on {target_label(model)}: {human(c.macs_delegated)} of {human(c.macs)}{share}"


def traffic_line(model: ModelReport) -> str | None:
    """`CPU↔NNAPI traffic per inference: 1.2 MB over 5 boundary tensors`; None without a cost
    view."""
    c = model.cost
    if c is None:
        return None
    head = f"CPU↔{target_label(model)} traffic per inference: "
    if not c.boundary_tensors:
        return head + "none (no boundary tensors)"
    tensors = plural(c.boundary_tensors, "boundary tensor")
    return f"{head}{human_bytes(c.boundary_bytes)} over {tensors}"


def io_line(model: ModelReport) -> str | None:
    """`model inputs/outputs read or written by NNAPI: 110.6 kB`; None when no partition
    touches them (or without a cost view)."""
    c = model.cost
    if c is None or not c.io_tensors:
        return None
    label = target_label(model)
    return f"model inputs/outputs read or written by {label}: {human_bytes(c.io_bytes)}"


def cost_lines(model: ModelReport) -> list[str]:
    """The cost view as short lines: MACs, boundary traffic, the model's own inputs/outputs."""
    lines = (macs_line(model), traffic_line(model), io_line(model))
    return [line for line in lines if line is not None]


def fix_change(fix: Fix, name: Callable[[str], str] = str) -> str:
    """`make the 4 GATHER_ND delegable`, or `make the PACK (op 149) delegable` for one op
    (`name` formats the op name, e.g. as inline code)."""
    if len(fix.operators) == 1:
        sg, index = fix.operators[0]
        where = f"op {index}" if sg == 0 else f"subgraph {sg}, op {index}"
        return f"make the {name(fix.op)} ({where}) delegable"
    return f"make the {len(fix.operators)} {name(fix.op)} delegable"


class Effect(NamedTuple):
    """What a change gains, in words: `+31 ops`, `+0.2 % of MACs`, `3→2 partitions`."""

    ops: str
    macs: str
    partitions: str

    def __str__(self) -> str:
        return f"{self.ops}, {self.macs}, {self.partitions}"


def _signed(value: float, text: str) -> str:
    return f"{'-' if value < 0 else '+'}{text}"


def effect(model: ModelReport, change: Fix | AppFix) -> Effect:
    """The change's gain over the model as checked: operators, share of MACs, partitions."""
    gained = change.delegated_ops_after - model.delegated_count
    ops = _signed(gained, plural(abs(gained), "op"))
    c = model.cost
    if c is None or c.macs is None or c.macs_delegated is None \
            or change.macs_delegated_after is None:
        macs = "MACs unknown"
    elif not c.macs:
        macs = "+0 MACs"
    else:
        diff = change.macs_delegated_after - c.macs_delegated
        macs = _signed(diff, f"{percent(abs(diff), c.macs)} of MACs")
    parts = f"{model.partition_count}→{change.partitions_after} partitions"
    return Effect(ops, macs, parts)


def fix_line(model: ModelReport, fix: Fix) -> str:
    """`make the 4 GATHER_ND delegable: +31 ops, +0.2 % of MACs, 3→2 partitions — <remedy>`."""
    head = f"{fix_change(fix)}: {effect(model, fix)}"
    return f"{head} — {fix.remedy}" if fix.remedy else head


def app_fix_line(model: ModelReport, fix: AppFix) -> str:
    """`raise minSdk to 30: +12 ops, +1.0 % of MACs, 3→3 partitions`."""
    return f"{fix.change}: {effect(model, fix)}"


def top(items: Sequence[T]) -> tuple[list[T], int]:
    """The first `TOP` items and how many more there are."""
    return list(items[:TOP]), max(0, len(items) - TOP)


def more_text(hidden: int) -> str:
    """`2 more (all in --format json)`."""
    return f"{hidden} more (all in --format json)"


class FixSection(NamedTuple):
    """One kind of change, its top lines and how many are not shown."""

    title: str
    lines: list[str]
    hidden: int


def fix_sections(model: ModelReport) -> list[FixSection]:
    """`Model changes`, then `App-side changes`, each with its top five lines; only the kinds
    that have any (none at all: an empty list)."""
    out = []
    fixes, hidden = top(model.fixes)
    if fixes:
        out.append(FixSection(MODEL_CHANGES, [fix_line(model, f) for f in fixes], hidden))
    apps, hidden = top(model.app_fixes)
    if apps:
        out.append(FixSection(APP_CHANGES, [app_fix_line(model, f) for f in apps], hidden))
    return out


@functools.lru_cache(maxsize=1024)
def _remedy(code: str, op: str, message: str, target: str) -> str:
    from opcompat.remedies import remedy_for

    return remedy_for(code, op, message, target).text


def remedy(op: OperatorResult, reason: Reason, model: ModelReport) -> str:
    """What to change so the operator runs on the model's target, for one of its reasons."""
    return _remedy(reason.code, op.op, reason.message, model.target)
