"""What every human-facing format says about a model: counts, causes, segments.

Derived from the frozen result objects only, so table, markdown, HTML and the CLI's stderr
summary agree word for word.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from opcompat.names import display_names, model_name, plural  # noqa: F401  (formats use s.*)
from opcompat.report import (
    ModelError,
    ModelReport,
    OperatorResult,
    PlanEntry,
    Reason,
    Report,
    SubgraphResult,
)

NO_REASON = "(no reason recorded)"


def cause(op: OperatorResult, model: ModelReport) -> str:
    """The reason code an operator on the CPU is filed under: its first reason, else the refusal."""
    if op.reasons:
        return op.reasons[0].code
    if model.refusal is not None:
        return model.refusal.code
    return NO_REASON


def target_label(model: ModelReport) -> str:
    """How the reports name the model's target (`NNAPI`)."""
    from opcompat.targets import label

    return label(model.target)


def report_label(report: Report) -> str:
    """How a whole report names its targets: `NNAPI`, or `NNAPI + GPU` for several."""
    from opcompat.targets import DEFAULT_TARGET, TargetChoice, label

    present = {m.target for m in report.models if isinstance(m, ModelReport)}
    names = [t.value for t in TargetChoice if t.value in present] or [DEFAULT_TARGET.value]
    return " + ".join(label(n) for n in names)


def verdict(op: OperatorResult, model: ModelReport) -> str:
    """The target's label (`NNAPI`), `CPU`, `CPU (supported)` for an op the target accepts but
    that stays on the CPU, or `CPU (one-time)` for an op that runs once (see `spec_note`)."""
    if op.delegated:
        return target_label(model)
    if op.one_time:
        return "CPU (one-time)"
    return "CPU (supported)" if op.supported else "CPU"


def spec_note(op: OperatorResult) -> str:
    """` (spec finding)` after the verdict of a delegated op that the spec cross-check says the
    runtime rejects, so the verdict and the finding do not contradict each other."""
    return " (spec finding)" if spec_findings_of(op) else ""


def spec_findings_of(op: OperatorResult) -> list[Reason]:
    """The spec cross-check's findings on a delegated operator (`reasons.SPEC_CODES`)."""
    if not (op.delegated and op.warnings):  # the usual case, asked of every row
        return []
    from opcompat.reasons import SPEC_CODES

    return [w for w in op.warnings if w.code in SPEC_CODES]


def level_ranges(levels: Iterable[int]) -> str:
    """`27-28, 33-35` for the API levels 27, 28, 33, 34, 35; `never` for none."""
    return _ranges(tuple(sorted(levels)))


@functools.lru_cache(maxsize=256)
def _ranges(levels: tuple[int, ...]) -> str:
    """`level_ranges` of sorted levels (a few distinct sets, asked once per operator)."""
    runs: list[list[int]] = []
    for api in levels:
        if runs and api == runs[-1][-1] + 1:
            runs[-1].append(api)
        else:
            runs.append([api])
    if not runs:
        return "never"
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def level_matrix_text(model: ModelReport) -> str | None:
    """Ops on the target and partitions at every API level, equal neighbours merged:
    `API 27-28: 106/108 ops in 2 partitions; API 29-35: 108/108 in 1`. None without levels."""
    if not model.levels:
        return None
    total = len(model.operators)
    groups: list[tuple[list[int], str]] = []
    for r in model.levels:
        text = ("refused" if r.refused
                else f"{r.delegated}/{total} ops in {plural(r.partitions, 'partition')}")
        if groups and groups[-1][1] == text:
            groups[-1][0].append(r.api_level)
        else:
            groups.append(([r.api_level], text))
    return "; ".join(f"API {level_ranges(apis)}: {text}" for apis, text in groups)


def one_time_count(model: ModelReport) -> int:
    """Operators on the CPU that run once (DEQUANTIZE of a constant), not per inference."""
    return sum(1 for o in model.operators if o.one_time and not o.delegated)


def one_reason(r: Reason) -> str:
    """`code: message`, and the message in plain words beside it where it quotes raw level or
    type constants (`opcompat.plain_words`)."""
    from opcompat.plain_words import plain_words

    if not r.message:
        return r.code
    plain = plain_words(r.message)
    return f"{r.code}: {r.message} ({plain})" if plain else f"{r.code}: {r.message}"


def reason_text(op: OperatorResult) -> str:
    """Every reason of an operator (`one_reason`), joined by `; `."""
    return "; ".join(one_reason(r) for r in op.reasons)


def shown_reason(op: OperatorResult, model: ModelReport) -> str:
    """The reason column of an operator: its reasons, else its cause when it is on the CPU,
    else the spec cross-check's findings on a delegated op. A delegated op that the rules
    refuse as it stands says first why it is delegated (`delegated_although_refused`)."""
    if op.delegated and op.reasons:
        return delegated_although_refused(op)
    return reason_text(op) or (spec_text(op) if op.delegated else cause(op, model))


def delegated_although_refused(op: OperatorResult) -> str:
    """A delegated operator with reasons: a delegate helper took it into a partition although
    the rules refuse it as it stands (NNAPI's fp16 weight remapping takes a constant fp16
    DEQUANTIZE with its consumers). Its warnings, which say why, come first and the refusal's
    codes after them, so the row does not read as a fallback; the spec findings, if any, last."""
    from opcompat.reasons import SPEC_CODES

    why = [one_reason(w) for w in op.warnings if w.code not in SPEC_CODES]
    head = "; ".join(why) or "delegated, although the rules refuse it as it stands"
    text = f"{head} (as it stands: {', '.join(r.code for r in op.reasons)})"
    spec = spec_text(op)
    return f"{text}; {spec}" if spec else text


def spec_text(op: OperatorResult) -> str:
    """The spec findings of a delegated operator, as the reason column shows them."""
    return "; ".join(one_reason(w) for w in spec_findings_of(op))


def levels_cell(op: OperatorResult, model: ModelReport) -> str:
    """The API levels an operator is delegated at, as ranges (`27-28, 33-35`); `never`."""
    return level_ranges(op.delegated_levels) if has_levels(model) else "-"


def causes(model: ModelReport) -> dict[str, list[OperatorResult]]:
    """Operators on the CPU grouped by cause, largest group first, then by code."""
    groups: dict[str, list[OperatorResult]] = {}
    for op in model.fallbacks:
        groups.setdefault(cause(op, model), []).append(op)
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


def op_names(ops: Iterable[OperatorResult]) -> str:
    """`CONV_2D x3, ADD` style list of the op names in a group, most frequent first."""
    counts: dict[str, int] = {}
    for o in ops:
        counts[o.op] = counts.get(o.op, 0) + 1
    parts = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{name} x{n}" if n > 1 else name for name, n in parts)


def has_levels(model: ModelReport) -> bool:
    """The target checks a device API level (its options carry one)."""
    return model.options.api_level is not None


def checked_at(model: ModelReport) -> str:
    """What the check was run for: the API level, or the target's own options."""
    o = model.options
    if has_levels(model):
        return f"API level {o.api_level} (feature level {o.feature_level})"
    shown = [f"{name}={'yes' if v is True else 'no' if v is False else v}"
             for name, v in o.target_options]
    cap = "no limit" if o.max_partitions == 0 else str(o.max_partitions)
    return ", ".join(["options: " + (", ".join(shown) if shown else "defaults"),
                      f"max partitions {cap}"])


def full_delegation_text(model: ModelReport) -> str:
    """The lowest API level where the whole model is delegated, in words (for a target
    without levels: whether it is, with these options)."""
    if not has_levels(model):
        return "yes, with these options" if model.fully_delegated else "no, with these options"
    if model.min_api_level is None:
        return "never (at any API level 27-35)"
    return f"API {model.min_api_level}"


def summary_lines(model: ModelReport) -> list[str]:
    """The summary of one model as short lines (no model name)."""
    lines = [
        checked_at(model),
        f"ops on {target_label(model)}: {model.delegated_count}/{len(model.operators)}"
        f" in {plural(model.partition_count, 'partition')}",
    ]
    groups = causes(model)
    if groups:
        once = one_time_count(model)
        lines.append(f"ops on CPU: {len(model.fallbacks)}" + (
            f" ({once} one-time: DEQUANTIZE of constant weights, run once and kept; per "
            f"inference {len(model.fallbacks) - once}, delegated ratio "
            f"{model.per_inference_ratio:.2f})" if once else ""))
        for code, ops in groups.items():
            lines.append(f"  {code}: {len(ops)} ({op_names(ops)})")
    spec = [(o, w) for o in model.operators for w in spec_findings_of(o)]
    if spec:
        o, w = spec[0]
        lines.append(f"spec findings on delegated ops: {len(spec)}, the {target_label(model)} "
                     f"runtime may reject the model (first: {o.op} at subgraph {o.subgraph}, "
                     f"index {o.index}: {w.code}: {w.message})")
    if model.refusal is not None:
        lines.append(f"whole model refused: {model.refusal.code}: {model.refusal.message}")
    lines.extend(f"warning: {w.code}: {w.message}" for w in model.warnings)
    lines.append(f"full delegation: {full_delegation_text(model)}" if not has_levels(model)
                 else f"full delegation from: {full_delegation_text(model)}")
    matrix = level_matrix_text(model)
    if matrix:
        lines.append(f"by API level: {matrix}")
    return lines


def one_line(entry: ModelReport | ModelError, name: str | None = None) -> str:
    """One line per model, for stderr and CI logs (`name`: from `display_names`)."""
    name = name or model_name(entry.path)
    if isinstance(entry, ModelError):
        error = entry.error
        if error.startswith(entry.path + ": "):  # the reader's messages often start with the path
            error = error[len(entry.path) + 2 :]
        # The full path: the user must find the file among many.
        return f"{entry.path}: unreadable: {error}"
    total = len(entry.operators)
    where = f" at API {entry.options.api_level}" if has_levels(entry) else ""
    parts = [
        f"{name}: {entry.delegated_count}/{total} ops on {target_label(entry)}{where}",
        f"{plural(entry.partition_count, 'partition')}",
    ]
    if entry.refusal is not None:
        parts.append(f"whole model refused ({entry.refusal.code})")
    parts.append(full_delegation_phrase(entry))
    return ", ".join(parts)


def full_delegation_phrase(model: ModelReport, never: str = " (API 27-35)") -> str:
    """`full delegation from API 29`, `never fully delegated` followed by `never`, or for a
    target without levels `fully delegated` / `not fully delegated`."""
    if not has_levels(model):
        return "fully delegated" if model.fully_delegated else "not fully delegated"
    if model.min_api_level is None:
        return f"never fully delegated{never}"
    return f"full delegation from API {model.min_api_level}"


def span(ops: tuple[OperatorResult, ...] | list[OperatorResult]) -> str:
    """`op 4`, `ops 4-9`, or `ops 4..9, interleaved` when other operators fall in between."""
    first, last = ops[0].index, ops[-1].index
    if first == last:
        return f"op {first}"
    if last - first + 1 == len(ops):
        return f"ops {first}-{last}"
    return f"ops {first}..{last}, interleaved"


class Segment(NamedTuple):
    """A run of operators in execution order that runs in one place.

    `partition` is the delegated partition's index in its subgraph, or None for a run of
    operators left on the CPU.
    """

    subgraph: int
    partition: int | None
    ops: tuple[OperatorResult, ...]

    @property
    def delegated(self) -> bool:
        return self.partition is not None


def segments(model: ModelReport, subgraph: int) -> list[Segment]:
    """The subgraph's operators cut into delegated partitions and CPU runs, in the order the
    interpreter runs them: its execution plan after delegation (`SubgraphResult.
    execution_plan`). Without a plan (a report built by hand), each partition is placed at
    its first operator."""
    ops = ops_in_subgraph(model, subgraph)
    result = subgraph_result(model, subgraph)
    plan = result.execution_plan if result is not None else ()
    by_index = {o.index: o for o in ops}
    if plan and all(e.node is None or e.node in by_index for e in plan):
        return _plan_segments(subgraph, plan, by_index)
    return _index_order_segments(subgraph, ops)


def _plan_segments(
    subgraph: int, plan: Sequence[PlanEntry], by_index: dict[int, OperatorResult]
) -> list[Segment]:
    out: list[Segment] = []
    cpu_run: list[OperatorResult] = []
    for e in plan:
        if e.node is not None:
            cpu_run.append(by_index[e.node])
            continue
        if cpu_run:
            out.append(Segment(subgraph, None, tuple(cpu_run)))
            cpu_run = []
        out.append(Segment(subgraph, e.partition,
                           tuple(by_index[n] for n in e.nodes if n in by_index)))
    if cpu_run:
        out.append(Segment(subgraph, None, tuple(cpu_run)))
    return out


def _index_order_segments(subgraph: int, ops: Sequence[OperatorResult]) -> list[Segment]:
    by_partition: dict[int, list[OperatorResult]] = {}
    for o in ops:
        if o.delegated and o.partition is not None:
            by_partition.setdefault(o.partition, []).append(o)
    out: list[Segment] = []
    cpu_run: list[OperatorResult] = []
    placed: set[int] = set()
    for o in ops:
        if o.delegated and o.partition is not None:
            if o.partition in placed:
                continue
            if cpu_run:
                out.append(Segment(subgraph, None, tuple(cpu_run)))
                cpu_run = []
            placed.add(o.partition)
            out.append(Segment(subgraph, o.partition, tuple(by_partition[o.partition])))
        else:
            cpu_run.append(o)
    if cpu_run:
        out.append(Segment(subgraph, None, tuple(cpu_run)))
    return out


def subgraph_indices(model: ModelReport) -> list[int]:
    """Subgraphs that have operators, in index order."""
    return sorted({o.subgraph for o in model.operators})


def subgraph_name(model: ModelReport, index: int) -> str:
    return _by_subgraph(model)[1].get(index, "")


_ByModel = tuple[dict[int, list[OperatorResult]], dict[int, str], dict[int, SubgraphResult]]
_BY_SUBGRAPH: list[tuple[ModelReport, _ByModel]] = []


def _by_subgraph(model: ModelReport) -> _ByModel:
    """The model's operators by subgraph (in index order), its subgraph names and results,
    built once per model: scanning every operator (or subgraph) for each subgraph was
    quadratic (a hostile file with 8000 one-operator subgraphs took 9 s to render)."""
    for cached, found in _BY_SUBGRAPH:
        if cached is model:
            return found
    by_sg: dict[int, list[OperatorResult]] = {}
    for o in model.operators:
        by_sg.setdefault(o.subgraph, []).append(o)
    for group in by_sg.values():
        group.sort(key=lambda o: o.index)
    names: dict[int, str] = {}
    results: dict[int, SubgraphResult] = {}
    for sg in model.subgraphs:
        if sg.name and sg.index not in names:
            names[sg.index] = sg.name
        results.setdefault(sg.index, sg)
    found = (by_sg, names, results)
    _BY_SUBGRAPH[:] = [(model, found), *_BY_SUBGRAPH[:3]]
    return found


def subgraph_result(model: ModelReport, subgraph: int) -> SubgraphResult | None:
    """The model's SubgraphResult of that index (from the per-model index)."""
    return _by_subgraph(model)[2].get(subgraph)


def ops_in_subgraph(model: ModelReport, subgraph: int) -> list[OperatorResult]:
    """The operators of one subgraph, in index order (do not modify the list)."""
    return _by_subgraph(model)[0].get(subgraph, [])


def totals(report: Report) -> tuple[int, int, int]:
    """(models checked, models unreadable, models fully delegated)."""
    ok = [m for m in report.models if isinstance(m, ModelReport)]
    full = sum(1 for m in ok if m.fully_delegated)
    return len(report.models), len(report.models) - len(ok), full


def checked_text(report: Report, sep: str = ", ", verb: str = " checked") -> str:
    """`3 models checked, 2 fully delegated`; with several targets per model, `1 model checked
    for 2 targets, 0 of 2 checks fully delegated`."""
    checked, unreadable, full = totals(report)
    groups = by_model(report)
    if groups:
        targets = {m.target for _, ms in groups for m in ms}
        models = len({m.path for m in report.models})
        text = (f"{plural(models, 'model')}{verb} for {plural(len(targets), 'target')}{sep}"
                f"{full} of {checked} checks fully delegated")
    else:
        text = f"{plural(checked, 'model')}{verb}{sep}{full} fully delegated"
    return text + (f"{sep}{unreadable} unreadable" if unreadable else "")


def target_line(model: ModelReport) -> str:
    """One target's result for a model, for the side-by-side view of `--target all`."""
    full = (f"full delegation from: {full_delegation_text(model)}" if has_levels(model)
            else f"full delegation: {'yes' if model.fully_delegated else 'no'} "
            f"({checked_at(model)})")
    refused = f", whole model refused ({model.refusal.code})" if model.refusal else ""
    return (f"{target_label(model)}: {model.delegated_count}/{len(model.operators)} ops in "
            f"{plural(model.partition_count, 'partition')}{refused}, {full}")


def entry_names(report: Report) -> list[str]:
    """`display_names` of the report's entries; with several targets per model, each name
    carries its target (`model.tflite [GPU]`)."""
    names = display_names([m.path for m in report.models])
    if not by_model(report):
        return names
    return [f"{n} [{target_label(m)}]" if isinstance(m, ModelReport) else n
            for n, m in zip(names, report.models, strict=True)]


def by_model(report: Report) -> list[tuple[str, list[ModelReport]]]:
    """The reports of each model path checked for several targets, in report order; empty when
    every model was checked for one target only."""
    groups: dict[str, list[ModelReport]] = {}
    for m in report.models:
        if isinstance(m, ModelReport):
            groups.setdefault(m.path, []).append(m)
    return [(path, g) for path, g in groups.items() if len(g) > 1]
