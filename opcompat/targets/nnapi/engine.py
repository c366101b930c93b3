"""The NNAPI target's check of one model: Validate at every API level, the delegate's
partitioning and refusals at the checked level, the spec cross-check, and the results.

Sources: tflite/delegates/nnapi/nnapi_delegate.cc (NNAPIDelegateKernel::Validate,
StatefulNnApiDelegate::DoPrepare), tflite/core/subgraph.cc (ModifyGraphWithDelegate).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

from opcompat.model.graph import Model, Operator, Subgraph
from opcompat.reasons import PARTITION_DROPPED, reason
from opcompat.report import CheckOptions, LevelResult, OperatorResult, Reason, SubgraphResult
from opcompat.signature import operator_signature
from opcompat.targets.base import (
    Simulation,
    TargetResult,
    execution_plan,
    not_delegated_reasons,
    partition_cap,
    partition_result,
)
from opcompat.targets.nnapi import DEFAULT_API_LEVEL, DEFAULT_MAX_PARTITIONS
from opcompat.targets.nnapi.levels import API_LEVELS, Target, make_target
from opcompat.targets.nnapi.reasons import FP16_DELEGATED_WITH_WEIGHTS, FP16_REWIRED_ON_CPU
from opcompat.tflite.interpreter import DELEGATE_ERROR, LOAD_ERROR, OK


def check_model(model: Model, options: NnapiOptions) -> TargetResult:
    """The NNAPI delegate's verdicts, partitions and refusals for `model` (read already), and
    the lowest API level that delegates every operator."""
    from opcompat.targets.nnapi.rules.spec_check import SpecChecker

    target, nnapi_cpu, max_partitions = options.target, options.nnapi_cpu, options.max_partitions
    validator = _Validator(model)
    level_masks, levels = _level_matrix(model, validator, max_partitions, target)

    plain, delegation = _delegation(model, validator, target, max_partitions)
    spec = SpecChecker(
        model, target, lambda sg, op: validator.plain(sg, op, target), validator.shape_signature
    )
    ctx = _ResultContext(model, target, validator, spec, plain, {}, level_masks)
    operators: list[OperatorResult] = []
    subgraph_results: list[SubgraphResult] = []
    model_warnings: list[Reason] = []
    # Nothing is delegated anywhere: the delegate failed, or TFLite could not load the model.
    refused = delegation.status in (DELEGATE_ERROR, LOAD_ERROR)
    try:
        for sg, d in zip(model.subgraphs, delegation.subgraphs, strict=True):
            result, warnings = _subgraph_result(ctx, sg, d, refused, operators)
            subgraph_results.append(result)
            model_warnings.extend(warnings)
    finally:
        spec.close()  # its module caches would keep the model alive

    return TargetResult(
        options=CheckOptions(
            target.api_level,
            target.feature_level,
            target.validate_level,
            target.is_accelerator_specified,
            nnapi_cpu,
            max_partitions,
        ),
        operators=tuple(operators),
        subgraphs=tuple(subgraph_results),
        refusal=delegation.refusal,
        min_api_level=_min_api_level(model, levels),
        warnings=tuple(model_warnings),
        status=delegation.status,
        levels=levels,
    )


class NnapiOptions(NamedTuple):
    """The NNAPI target's options, checked (`prepare`)."""

    target: Target
    nnapi_cpu: bool
    max_partitions: int


def prepare(options: Mapping[str, Any]) -> NnapiOptions:
    """The options of a check (`api_level`, `feature_level`, `nnapi_cpu`, `max_partitions`),
    checked before any model is read; UsageError for bad values."""
    max_partitions = partition_cap(options, DEFAULT_MAX_PARTITIONS)
    nnapi_cpu = bool(options.get("nnapi_cpu", False))
    target = make_target(
        options.get("api_level", DEFAULT_API_LEVEL), options.get("feature_level"), nnapi_cpu
    )
    return NnapiOptions(target, nnapi_cpu, max_partitions)


_READS_DATA: tuple[Reason, ...] = (Reason("", ""),)
"""A memo entry: this shape key's verdict depends on constant data (look up the data key)."""


class _Validator:
    """Validate with a memo keyed by the operator's signature and what Validate receives of the
    target (large models repeat the same operator many times). A verdict reached without reading
    constant data is shared by operators whose constants differ only in value."""

    def __init__(self, model: Model) -> None:
        from opcompat.targets.nnapi.rules import engine

        self.model = model
        self._engine = engine
        # Per subgraph, per operator index: asked several times per operator, a list slot is
        # cheaper than a dict keyed by a new (subgraph, operator) tuple.
        self._sigs: dict[int, list[tuple[Hashable, Hashable]]] = {}
        self._ids: dict[Hashable, int] = {}  # signature -> small int: cheap to hash again
        self._tensor_keys: dict[int, list[Hashable]] = {}  # per subgraph, see operator_signature
        self._memo: dict[Hashable, tuple[Reason, ...]] = {}  # or _READS_DATA, see _plain
        self.partitions: dict[Any, Any] = {}  # delegation's cache across levels
        self.delegations: dict[tuple[int, bool, int, int], Any] = {}  # _delegation's, per level

    def signature(self, subgraph: Subgraph, op: Operator) -> Hashable:
        """The data-free key of an operator (used to share per-level verdicts)."""
        return self._keys(subgraph, op)[1]

    def shape_signature(self, subgraph: Subgraph, op: Operator) -> Hashable:
        """The key of everything but constant data (spec_check's per-signature memo)."""
        return self._keys(subgraph, op)[0]

    def _keys(self, subgraph: Subgraph, op: Operator) -> tuple[Hashable, Hashable]:
        """(shape key, data key) of an operator: small ints, one pair per operator index,
        worked out for a whole subgraph at its first use (this is asked for hundreds of
        thousands of times on a large graph, so the usual path is two subscripts)."""
        if op.index >= 0:  # a negative index would read another operator's slot
            try:
                return self._sigs[subgraph.index][op.index]
            except (KeyError, IndexError):
                pass
        if subgraph.index not in self._sigs:
            self._sigs[subgraph.index] = [self._key_of(subgraph, o) for o in subgraph.operators]
            if 0 <= op.index < len(subgraph.operators):
                return self._sigs[subgraph.index][op.index]
        return self._key_of(subgraph, op)  # an index outside the subgraph: not kept

    def _key_of(self, subgraph: Subgraph, op: Operator) -> tuple[Hashable, Hashable]:
        key = (subgraph.index, op.index)
        tkeys = self._tensor_keys.get(subgraph.index)
        if tkeys is None:
            tkeys = self._tensor_keys[subgraph.index] = [None] * len(subgraph.tensors)
        sig = operator_signature(subgraph, op, tkeys, self._ids)
        if sig is None:
            return (key, key)
        # The data key holds the shape key: intern that first, then key the data by its
        # number (hashing the whole shape key again costs more than the rest).
        ids = self._ids
        shape_key, data_key = sig
        try:
            shape_id = ids.setdefault(shape_key, len(ids))
        except TypeError:  # unhashable options: this operator shares no verdict
            return (key, key)
        data = (shape_id, *data_key[1:])  # type: ignore[index]
        return (shape_id, ids.setdefault(data, len(ids)))

    def plain(self, subgraph: Subgraph, op: Operator, target: Target) -> tuple[Reason, ...]:
        """Validate's failures for `op` at `target`, from the memo when it can be."""
        return self._plain(self._keys(subgraph, op), subgraph, op, target)

    def plain_subgraph(self, subgraph: Subgraph, target: Target) -> list[tuple[Reason, ...]]:
        """`plain` for every operator of `subgraph`, in order: operators with equal keys share
        one lookup (the level matrix asks this for every operator at every level)."""
        ops = subgraph.operators
        if not ops:
            return []
        self._keys(subgraph, ops[0])  # works out the whole subgraph's keys
        keys = self._sigs.get(subgraph.index)
        if keys is None or len(keys) != len(ops):
            return [self.plain(subgraph, op, target) for op in ops]
        seen: dict[tuple[Hashable, Hashable], tuple[Reason, ...]] = {}
        out: list[tuple[Reason, ...]] = []
        for key, op in zip(keys, ops, strict=True):
            got = seen.get(key)
            if got is None:
                got = seen[key] = self._plain(key, subgraph, op, target)
            out.append(got)
        return out

    def _plain(
        self,
        keys: tuple[Hashable, Hashable],
        subgraph: Subgraph,
        op: Operator,
        target: Target,
    ) -> tuple[Reason, ...]:
        level = (target.validate_level, target.is_accelerator_specified)
        light = (keys[0], level)
        got = self._memo.get(light)
        if got is not None and got is not _READS_DATA:
            return got
        if got is _READS_DATA:
            full = (keys[1], level)
            got = self._memo.get(full)
            if got is not None:
                return got
        got, read_data = self._engine.validate_tracked(self.model, subgraph, op, target)
        if read_data:
            # Operators with this shape key differ in verdict by their constants: key by data.
            self._memo[light] = _READS_DATA
            self._memo[(keys[1], level)] = got
        else:
            self._memo[light] = got
        return got

    def rewired(self, subgraph: Subgraph, op: Operator, target: Target) -> tuple[Reason, ...]:
        return self._engine.validate(self.model, subgraph, op, target)


def _targets() -> dict[int, Target]:
    from opcompat.targets.nnapi.rules.engine import default_targets

    return default_targets()


def _delegation_key(target: Target, max_partitions: int) -> tuple[int, bool, int, int]:
    """What the delegation reads of the target: Validate's level, whether an accelerator is
    named (which implies API 29+) and the graph builder's feature level; and the cap."""
    return (target.validate_level, target.is_accelerator_specified, target.feature_level,
            max_partitions)


def _delegation(model: Model, validator: _Validator, target: Target, max_partitions: int):  # type: ignore[no-untyped-def]
    """Validate's verdicts and the delegate's result at `target`, once per check and level
    (the first delegated levels and the lowest full level ask for the same levels again)."""
    from opcompat.targets.nnapi.delegation import modify_graph_with_delegate

    key = _delegation_key(target, max_partitions)
    got = validator.delegations.get(key)
    if got is not None:
        return got
    plain = [validator.plain_subgraph(sg, target) for sg in model.subgraphs]
    got = validator.delegations[key] = (
        plain,
        modify_graph_with_delegate(
            model,
            target,
            plain,
            lambda sg, op: validator.rewired(sg, op, target),
            max_partitions,
            validator.partitions,
        ),
    )
    return got


LevelMasks = list[list[int]]
"""Per subgraph, per operator: bit k set when it is delegated at API_LEVELS[k] (one small int
per operator rather than a set of operators per level)."""


def _mark_delegated(delegation: Any, masks: LevelMasks, bit: int) -> int:
    """Set `bit` in the mask of every node that runs on NNAPI after partitioning and refusals;
    the number of such nodes."""
    if delegation.status in (DELEGATE_ERROR, LOAD_ERROR):
        return 0
    count = 0
    for d, row in zip(delegation.subgraphs, masks, strict=True):
        if d.status != OK:
            continue
        for p in d.partitions:
            for n in p.nodes:
                row[n] |= bit
            count += len(p.nodes)
    return count


def _level_matrix(
    model: Model, validator: _Validator, max_partitions: int, checked: Target
) -> tuple[LevelMasks, tuple[LevelResult, ...]]:
    """Which operators are delegated at every API level (default feature levels), and each
    level's counts. Levels that hand Validate and DoPrepare the same arguments share one
    delegation (the validator's cache)."""
    targets = _targets()
    masks: LevelMasks = [[0] * len(sg.operators) for sg in model.subgraphs]
    rows: list[LevelResult] = []
    keep = _delegation_key(checked, max_partitions)
    previous: tuple[int, bool, int, int] | None = None
    for k, api in enumerate(API_LEVELS):
        level_key = _delegation_key(targets[api], max_partitions)
        if previous is not None and level_key != previous and previous != keep:
            # Only the counts are kept: each level's verdicts and partitions cost as much
            # memory as the model's operators (the checked level's are needed again; equal
            # keys are neighbours, so a level is dropped once no later level shares it).
            validator.delegations.pop(previous, None)
        previous = level_key
        _, delegation = _delegation(model, validator, targets[api], max_partitions)
        delegated = _mark_delegated(delegation, masks, 1 << k)
        refused = delegation.refusal is not None
        parts = 0 if refused else sum(len(d.partitions) for d in delegation.subgraphs
                                      if d.status == OK)
        rows.append(LevelResult(api, delegated, parts, refused))
    if previous is not None and previous != keep:
        validator.delegations.pop(previous, None)
    return masks, tuple(rows)


_LEVELS_OF: dict[int, tuple[int, ...]] = {}


def _levels_of(mask: int) -> tuple[int, ...]:
    """The API levels of a mask (one shared tuple per mask)."""
    got = _LEVELS_OF.get(mask)
    if got is None:
        got = _LEVELS_OF[mask] = tuple(api for k, api in enumerate(API_LEVELS) if mask >> k & 1)
    return got


def _min_api_level(model: Model, levels: tuple[LevelResult, ...]) -> int | None:
    """Lowest API level (default feature levels) at which every operator is delegated."""
    total = sum(len(sg.operators) for sg in model.subgraphs)
    if not total:
        return None
    return next((r.api_level for r in levels if r.delegated == total), None)


class _ResultContext(NamedTuple):
    """What turning the delegate's work into results needs, for one model at one target."""

    model: Model
    target: Target
    validator: _Validator
    spec: Any  # SpecChecker
    plain: list[list[tuple[Reason, ...]]]
    nn_ops: dict[Hashable, tuple[str, ...]]
    """NNAPI operations per (shape key, taken): equal operators emit the same operations."""
    level_masks: LevelMasks
    """The levels each operator is delegated at (`_level_matrix`)."""


def _subgraph_result(
    ctx: _ResultContext, sg: Subgraph, d: Any, refused: bool, operators: list[OperatorResult]
) -> tuple[SubgraphResult, list[Reason]]:
    """One subgraph's result and model warnings; its operators' results go to `operators`."""
    from opcompat.targets.nnapi.rules.graph_checks import (
        fp16_conversion_hazard,
        fp16_weights_revalidated,
    )

    parts = [partition_result(sg, p) for p in d.partitions]
    dropped = [partition_result(sg, p) for p in d.dropped]
    part_of = {n: k for k, p in enumerate(parts) for n in p.nodes}
    dropped_nodes = {n for p in dropped for n in p.nodes}
    fp16_selected = set(d.fp16.supported_nodes) if d.fp16 else set()
    for op in sg.operators:
        delegated = op.index in part_of and d.status == OK
        operators.append(
            _operator_result(ctx, sg, op, d, delegated, part_of.get(op.index) if delegated
                             else None, refused, op.index in dropped_nodes,
                             op.index in fp16_selected)
        )
    warnings: list[Reason] = []
    if d.fp16 is not None:
        warnings.append(fp16_weights_revalidated(sg, d.fp16.dequantize_nodes))
    if d.status == OK and not refused:
        hazard = fp16_conversion_hazard(sg, (n for p in parts for n in p.nodes), d.rewired_inputs)
        if hazard is not None:
            warnings.append(hazard)
    else:
        parts = []
    plan = execution_plan(sg, parts, d.rewired_inputs, d.plan_subsets if parts else None)
    result = SubgraphResult(sg.index, sg.name, tuple(parts), tuple(dropped), status=d.status,
                            execution_plan=plan)
    return result, warnings


def _operator_result(
    ctx: _ResultContext,
    sg: Subgraph,
    op: Operator,
    d: Any,
    delegated: bool,
    partition: int | None,
    refused: bool,
    in_dropped: bool,
    fp16_selected: bool,
) -> OperatorResult:
    from opcompat.targets.nnapi.rules.nnapi_ops import nnapi_operations_for

    reasons = ctx.plain[sg.index][op.index]
    supported = not reasons
    row = ctx.level_masks[sg.index]
    levels = _levels_of(row[op.index] if 0 <= op.index < len(row) else 0)
    extra: list[Reason] = []
    if d.fp16 is not None and supported and d.fp16.remapped_reasons.get(op.index):
        extra.extend(
            Reason(r.code, f"with fp16 weights remapped: {r.message}", r.source)
            for r in d.fp16.remapped_reasons[op.index]
        )
    warnings = _operator_warnings(
        ctx, sg, op, supported, delegated, fp16_selected and bool(d.rewired_inputs.get(op.index))
    )
    if supported and not delegated and not extra:
        extra.extend(not_delegated_reasons(d.status, refused, in_dropped, DROPPED))
    taken = supported or delegated  # the fp16 path delegates what Validate refuses
    nn_key = (ctx.validator._keys(sg, op)[0], taken)  # data-free: no constant is read
    nn_ops = ctx.nn_ops.get(nn_key)
    if nn_ops is None:
        nn_ops = ctx.nn_ops[nn_key] = nnapi_operations_for(
            ctx.model, sg, op, ctx.target, supported=taken
        )
    return OperatorResult(
        subgraph=sg.index,
        index=op.index,
        op=op.display_name,
        version=op.version,
        operations=nn_ops,
        supported=supported,
        delegated=delegated,
        reasons=tuple(reasons) + tuple(extra) if extra else tuple(reasons),
        partition=partition,
        first_api_level=levels[0] if levels else None,
        delegated_levels=levels,
        warnings=warnings,
    )


def _operator_warnings(
    ctx: _ResultContext,
    sg: Subgraph,
    op: Operator,
    supported: bool,
    delegated: bool,
    rewired_on_cpu_candidate: bool,
) -> tuple[Reason, ...]:
    warnings: list[Reason] = []
    if delegated and not supported:
        warnings.append(reason(FP16_DELEGATED_WITH_WEIGHTS,
                               "tflite/delegates/utils.cc, FP16GraphPartitionHelper"))
    if not delegated and rewired_on_cpu_candidate:
        warnings.append(reason(FP16_REWIRED_ON_CPU,
                               "tflite/delegates/utils.cc, RemapFp16InputTensors"))
    if supported:
        warnings.extend(ctx.spec.warnings(sg, op))
    return tuple(warnings)


DROPPED = Reason(PARTITION_DROPPED, "Supported, but its partition was dropped by "
                 "max_number_delegated_partitions.", "tflite/delegates/nnapi/nnapi_delegate.cc, "
                 "StatefulNnApiDelegate::LimitDelegatedPartitions")


def simulate(
    model: Model, options: NnapiOptions, accept: frozenset[tuple[int, int]],
    cache: dict[Any, Any],
) -> Simulation:
    """What the delegate would take at `options` if Validate accepted the operators `accept`
    ((subgraph, index) pairs) as well: the fixes' "what if". `cache` is kept by the caller
    across calls on one model (it holds the validator and its memo)."""
    from opcompat.targets.nnapi.delegation import modify_graph_with_delegate

    validator = cache.get("validator")
    if validator is None or validator.model is not model:
        validator = cache["validator"] = _Validator(model)
    target = options.target
    plain = [[() if (sg.index, op.index) in accept else validator.plain(sg, op, target)
              for op in sg.operators] for sg in model.subgraphs]

    def rewired(sg: Subgraph, op: Operator) -> tuple[Reason, ...]:
        return () if (sg.index, op.index) in accept else validator.rewired(sg, op, target)

    delegation = modify_graph_with_delegate(
        model, target, plain, rewired, options.max_partitions, validator.partitions
    )
    return Simulation.of(delegation)


def app_changes(options: NnapiOptions) -> list[tuple[str, NnapiOptions]]:
    """App-side changes with their options: each higher minSdk (default feature levels), and
    no partition cap."""
    changes: list[tuple[str, NnapiOptions]] = []
    t = options.target
    for api in API_LEVELS:
        if api > t.api_level:
            changes.append((f"raise minSdk to {api}", options._replace(
                target=make_target(api, None, options.nnapi_cpu))))
    if options.max_partitions != 0:
        changes.append(("max_number_delegated_partitions = 0 (no limit)",
                        options._replace(max_partitions=0)))
    return changes
