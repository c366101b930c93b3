"""Which change gains the most: model changes (make the operators of one cause delegable) and
app-side changes (a higher minSdk, another partition cap, the target's other options), each
simulated with the target's own partitioner at the same options (`engine.simulate`).

Ranked by MACs gained, then by operators gained. Target-neutral: it names no target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opcompat.model.graph import Model
from opcompat.reasons import DELEGATION_REFUSED, PARTITION_DROPPED, SUBGRAPH_NOT_DELEGATED
from opcompat.report import AppFix, Fix, ModelReport, OperatorResult
from opcompat.targets.base import Simulation, TargetEngine

MAX_CAUSES = 50
"""Causes simulated at most (the most frequent first): each costs one partitioning."""
_NOT_A_CAUSE = frozenset({PARTITION_DROPPED, DELEGATION_REFUSED, SUBGRAPH_NOT_DELEGATED})
"""Reasons of operators the delegate accepts: no change to the operator can help them."""

Macs = dict[tuple[int, int], int | None]


def causes(report: ModelReport) -> dict[tuple[str, str], list[OperatorResult]]:
    """The operators on the CPU the delegate refuses, by (op, first reason code)."""
    out: dict[tuple[str, str], list[OperatorResult]] = {}
    for o in report.operators:
        if o.delegated or o.supported or not o.reasons or o.reasons[0].code in _NOT_A_CAUSE:
            continue
        out.setdefault((o.op, o.reasons[0].code), []).append(o)
    return out


def _macs_of(sim: Simulation, macs: Macs) -> int | None:
    total = 0
    for key in sim.delegated:
        m = macs.get(key)
        if m is None:
            return None
        total += m
    return total


def _delegated_macs(report: ModelReport, macs: Macs) -> int | None:
    """The MACs of the operators the report delegates (None when one is unknown)."""
    taken = frozenset((o.subgraph, o.index) for o in report.operators if o.delegated)
    return _macs_of(Simulation(taken, 0), macs)


def _rank_key(before_ops: int, before_macs: int | None) -> Callable[[Any], tuple[int, int]]:
    def key(f: Any) -> tuple[int, int]:
        gained = (f.macs_delegated_after - before_macs
                  if f.macs_delegated_after is not None and before_macs is not None else 0)
        return (-gained, -(f.delegated_ops_after - before_ops))
    return key


def model_fixes(
    model: Model, report: ModelReport, engine: TargetEngine, prepared: Any, macs: Macs,
    remedy: Callable[[OperatorResult], str],
) -> tuple[Fix, ...]:
    """Every cause whose operators, made delegable, let the delegate take more, best first."""
    found = causes(report)
    if not found:
        return ()
    before = report.delegated_count
    before_macs = _delegated_macs(report, macs)
    cache: dict[Any, Any] = {}
    fixes: list[Fix] = []
    ordered = sorted(found.items(), key=lambda kv: -len(kv[1]))[:MAX_CAUSES]
    for (op, _), ops in ordered:
        accept = frozenset((o.subgraph, o.index) for o in ops)
        sim = engine.simulate(model, prepared, accept, cache)
        if len(sim.delegated) <= before:
            continue
        codes = tuple(dict.fromkeys(r.code for o in ops for r in o.reasons))
        fixes.append(Fix(tuple(sorted(accept)), op, codes, remedy(ops[0]), len(sim.delegated),
                         _macs_of(sim, macs), sim.partitions))
    return tuple(sorted(fixes, key=_rank_key(before, before_macs)))


def app_fixes(
    model: Model, report: ModelReport, engine: TargetEngine, prepared: Any, macs: Macs
) -> tuple[AppFix, ...]:
    """The app-side changes that let the delegate take more, best first; of changes with the
    same outcome, the first listed (the lowest minSdk) is kept."""
    if report.fully_delegated:
        return ()
    before = report.delegated_count
    cache: dict[Any, Any] = {}
    seen: set[frozenset[tuple[int, int]]] = set()
    out: list[AppFix] = []
    for text, changed in engine.app_changes(prepared):
        sim = engine.simulate(model, changed, frozenset(), cache)
        if len(sim.delegated) <= before or sim.delegated in seen:
            continue
        seen.add(sim.delegated)
        out.append(AppFix(text, len(sim.delegated), _macs_of(sim, macs), sim.partitions))
    before_macs = _delegated_macs(report, macs)
    return tuple(sorted(out, key=_rank_key(before, before_macs)))
