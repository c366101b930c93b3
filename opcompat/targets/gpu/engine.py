"""The GPU target's check of one model: the node-support verdicts, `GetOpsToReplace`'s fp16
partition helper and partition cap, the delegate kernels and their graph build, and the results.

Sources: tflite/delegates/gpu/delegate.cc (Delegate::Delegate, DelegatePrepare, the kernel's
Init), tflite/delegates/gpu/common/model_builder.cc (GetOpsToReplace, BuildFinalModel),
tflite/delegates/utils.cc (FP16GraphPartitionHelper), tflite/core/subgraph.cc
(ReplaceNodeSubsetsWithDelegateKernels).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from opcompat.model.graph import Model, Operator, Subgraph
from opcompat.reasons import (
    PARTITION_DROPPED,
)
from opcompat.report import CheckOptions, OperatorResult, Reason, Refusal, SubgraphResult
from opcompat.targets.base import (
    Simulation,
    TargetResult,
    execution_plan,
    not_delegated_reasons,
    partition_cap,
    partition_result,
)
from opcompat.targets.gpu import DEFAULT_MAX_PARTITIONS
from opcompat.targets.gpu import reasons as codes
from opcompat.targets.gpu.parsers import NodeContext, node_verdict
from opcompat.targets.gpu.table import parser_for
from opcompat.tflite.fp16 import is_dequantize_const_fp16, rewire
from opcompat.tflite.interpreter import (
    DELEGATE_ERROR,
    LOAD_ERROR,
    OK,
    SubgraphDelegation,
    modify_graph_with_delegate,
)
from opcompat.tflite.partition import (
    GraphInfo,
    NodeSubset,
    PartitionError,
    largest_first,
    partition_graph,
    preview_partitioning,
)

UNLIMITED = 2**31 - 1
"""The cap opcompat's `--max-partitions 0` stands for (the delegate itself turns 0 into 1)."""
DELEGATE_SOURCE = "tflite/delegates/gpu/delegate.cc"
HELPER_SOURCE = "tflite/delegates/utils.cc, FP16GraphPartitionHelper"
CONST_FP16_TEXT = ("constant fp16 weights: taken along only when the rest of the subgraph is "
                   "delegated (the delegate gives no text)")


class GpuOptions(NamedTuple):
    """The GPU target's options, checked (`prepare`)."""

    allow_quant_ops: bool
    opencl: bool
    max_partitions: int
    """As given: 0 means no limit."""

    @property
    def limit(self) -> int:
        return self.max_partitions or UNLIMITED


def prepare(options: Mapping[str, Any]) -> GpuOptions:
    """The options of a check (`gpu_no_quant`, `gpu_no_opencl`, `max_partitions`), checked
    before any model is read; UsageError for bad values. Other targets' options are ignored."""
    max_partitions = partition_cap(options, DEFAULT_MAX_PARTITIONS)
    return GpuOptions(
        allow_quant_ops=not options.get("gpu_no_quant", False),
        opencl=not options.get("gpu_no_opencl", False),
        max_partitions=max_partitions,
    )


def check_model(model: Model, options: GpuOptions) -> TargetResult:
    """The GPU delegate's verdicts, partitions and refusal for `model` (read already)."""
    verdicts = [_verdicts(model, sg, options) for sg in model.subgraphs]
    delegation = modify_graph_with_delegate(
        model, verdicts, lambda sg, plain: _delegate_prepare(model, sg, plain, options), "GPU"
    )
    refused = delegation.status in (DELEGATE_ERROR, LOAD_ERROR)
    operators: list[OperatorResult] = []
    subgraphs: list[SubgraphResult] = []
    for sg, d in zip(model.subgraphs, delegation.subgraphs, strict=True):
        subgraphs.append(_subgraph_result(sg, d, refused, operators))
    return TargetResult(
        options=CheckOptions(
            None, None, None, None, False, options.max_partitions,
            target_options=(("allow_quant_ops", options.allow_quant_ops),
                            ("opencl", options.opencl)),
        ),
        operators=tuple(operators),
        subgraphs=tuple(subgraphs),
        refusal=delegation.refusal,
        status=delegation.status,
    )


def _verdicts(model: Model, sg: Subgraph, options: GpuOptions) -> list[tuple[Reason, ...]]:
    """Per node, in plan order, what `FP16GraphPartitionHelper::IsNodeSupported` decides: a
    constant fp16 DEQUANTIZE is refused without asking the node-support function; any other
    node is asked with its inputs remapped to the fp16 constants met so far."""
    ctx = NodeContext(model, sg, options.allow_quant_ops, options.opencl)
    dequantized: dict[int, int] = {}  # constant_dequant_map_: DEQUANTIZE output -> fp16 input
    out: list[tuple[Reason, ...]] = []
    for op in sg.operators:
        if is_dequantize_const_fp16(sg, op):
            if op.outputs:
                dequantized[op.outputs[0]] = op.inputs[0]
            out.append((Reason(codes.CONST_FP16_DEQUANTIZE, CONST_FP16_TEXT,
                               f"{HELPER_SOURCE}::IsNodeSupported"),))
            continue
        remapped = rewire(op, dequantized) if dequantized else None
        out.append(node_verdict(ctx, op, (remapped or op).inputs))
    return out


def _delegate_prepare(
    model: Model, sg: Subgraph, plain: list[tuple[Reason, ...]], options: GpuOptions,
    assume_built: frozenset[tuple[int, int]] = frozenset(),
) -> SubgraphDelegation:
    """`DelegatePrepare` on one subgraph: `GetOpsToReplace`, then the kernels that
    `ReplaceNodeSubsetsWithDelegateKernels` creates, each built by its Init (a kernel holding
    an operator of `assume_built` is taken as built: see `simulate`)."""
    result = SubgraphDelegation(sg.index, OK, plain)
    dequant_nodes = [op.index for op in sg.operators if is_dequantize_const_fp16(sg, op)]
    supported = [i for i, r in enumerate(plain) if not r]
    result.supported_nodes = supported
    try:
        previewed = preview_partitioning(GraphInfo.of(sg), supported)
    except PartitionError:
        return result  # Partition fails: GetOpsToReplace returns no node
    result.previewed = previewed
    if len(supported) + len(dequant_nodes) == len(sg.operators):
        ops_to_replace = list(range(len(sg.operators)))  # Scenario 1: full delegation
    else:
        kept = largest_first(previewed)[: options.limit]
        ops_to_replace = [n for p in kept for n in p.nodes]
    if not ops_to_replace:
        return result
    result.rewired_inputs = _remap_fp16_inputs(sg, ops_to_replace)
    try:
        # ReplaceNodeSubsetsWithDelegateKernels: the kernels, and the plan they leave.
        subsets = partition_graph(GraphInfo.of(sg, result.rewired_inputs or None), ops_to_replace)
    except PartitionError:
        subsets = []
    kernels = [k for k in subsets if k.delegated]
    to_build = [k for k in kernels if not any((sg.index, n) in assume_built for n in k.nodes)]
    refusal = _build_kernels(model, sg, to_build, options, result.rewired_inputs)
    if refusal is not None:
        result.status, result.refusal = DELEGATE_ERROR, refusal
        return result
    result.partitions = kernels
    result.plan_subsets = subsets or None
    taken = {n for p in kernels for n in p.nodes}
    result.dropped = [p for p in previewed if not taken.intersection(p.nodes)]
    return result


def _remap_fp16_inputs(sg: Subgraph, nodes: list[int]) -> dict[int, tuple[int, ...]]:
    """`RemapFp16InputTensors(ops_to_replace)`: the selected nodes read the fp16 constants
    instead of the DEQUANTIZE outputs, from then on."""
    mapping = {
        op.outputs[0]: op.inputs[0]
        for op in sg.operators
        if op.outputs and is_dequantize_const_fp16(sg, op)
    }
    if not mapping:
        return {}
    rewired: dict[int, tuple[int, ...]] = {}
    for n in nodes:
        r = rewire(sg.operators[n], mapping)
        if r is not None:
            rewired[n] = r.inputs
    return rewired


def _build_kernels(
    model: Model,
    sg: Subgraph,
    kernels: list[NodeSubset],
    options: GpuOptions,
    rewired: dict[int, tuple[int, ...]],
) -> Refusal | None:
    """Every kernel's Init runs `BuildFinalModel`; a failed Init leaves the kernel
    uninitialised and its Prepare fails (kTfLiteDelegateError), while a crash ends the app.
    Init runs for every kernel, so a crash in a later kernel wins over an earlier failure."""
    from opcompat.targets.gpu.graph_build import build_final_model

    first_failure: Refusal | None = None
    for k in kernels:
        outcome = build_final_model(
            model, sg, k.nodes, k.input_tensors, k.output_tensors, options.allow_quant_ops,
            rewired or None,
        )
        if outcome.status == "crash":
            return Refusal(codes.CRASH, f"crash: {outcome.message} ({outcome.source})")
        if outcome.status != "ok" and first_failure is None:
            first_failure = Refusal(
                codes.GRAPH_BUILD_FAILS,
                f"TfLiteGpuDelegate Init: {outcome.message} (subgraph {sg.index}, "
                f"{outcome.source}): the delegate fails and nothing runs on the GPU",
            )
    return first_failure


def _subgraph_result(
    sg: Subgraph, d: SubgraphDelegation, refused: bool, operators: list[OperatorResult]
) -> SubgraphResult:
    """One subgraph's result; its operators' results go to `operators`."""
    ok = d.status == OK and not refused
    parts = [partition_result(sg, p) for p in d.partitions] if ok else []
    dropped = [partition_result(sg, p) for p in d.dropped]
    part_of = {n: k for k, p in enumerate(parts) for n in p.nodes}
    dropped_nodes = {n for p in dropped for n in p.nodes}
    for op in sg.operators:
        reasons = d.plain[op.index]
        supported = not reasons
        if supported and op.index not in part_of:
            reasons = not_delegated_reasons(d.status, refused, op.index in dropped_nodes, DROPPED)
        operators.append(OperatorResult(
            subgraph=sg.index,
            index=op.index,
            op=op.display_name,
            version=op.version,
            operations=_operations(op),
            supported=supported,
            delegated=op.index in part_of,
            reasons=reasons,
            partition=part_of.get(op.index),
        ))
    plan = execution_plan(sg, parts, d.rewired_inputs, d.plan_subsets if parts else None)
    return SubgraphResult(sg.index, sg.name, tuple(parts), tuple(dropped), status=d.status,
                          execution_plan=plan)


def _operations(op: Operator) -> tuple[str, ...]:
    """The GPU graph operation its parser creates (OperationType's name), or the parser's name
    where that depends on the node (FULLY_CONNECTED, CONV_2D, ...)."""
    entry = parser_for(op.op, op.custom_code)
    if entry is None:
        return ()
    return (entry.operation or entry.parser.removesuffix("OperationParser") + " parser",)


DROPPED = Reason(PARTITION_DROPPED, "Supported, but its partition was dropped by "
                 "max_delegated_partitions (only the largest partitions are delegated).",
                 f"{HELPER_SOURCE}::GetNodesOfFirstNLargestPartitionsImpl; {DELEGATE_SOURCE}, "
                 "DelegatePrepare")


def simulate(
    model: Model, options: GpuOptions, accept: frozenset[tuple[int, int]],
    cache: dict[Any, Any],
) -> Simulation:
    """What the delegate would take at `options` if the node-support function accepted the
    operators `accept` ((subgraph, index) pairs) as well. `cache`: one dict per model."""
    key = ("verdicts", options.allow_quant_ops, options.opencl)
    verdicts = cache.get(key)
    if verdicts is None or cache.get("model") is not model:
        cache["model"] = model
        verdicts = cache[key] = [_verdicts(model, sg, options) for sg in model.subgraphs]
    plain = [[() if (sg.index, i) in accept else v for i, v in enumerate(verdicts[sg.index])]
             for sg in model.subgraphs]
    # The accepted operators would be rewritten in the model, so how their kernel builds is
    # not known: a kernel that holds one is taken as built.
    delegation = modify_graph_with_delegate(
        model, plain, lambda sg, p: _delegate_prepare(model, sg, p, options, accept), "GPU"
    )
    return Simulation.of(delegation)


def app_changes(options: GpuOptions) -> list[tuple[str, GpuOptions]]:
    """App-side changes with their options: every partition, and quantized ops allowed."""
    changes: list[tuple[str, GpuOptions]] = []
    if options.max_partitions != 0:
        changes.append((f"max_delegated_partitions = {UNLIMITED} (every partition)",
                        options._replace(max_partitions=0)))
    if not options.allow_quant_ops:
        changes.append(("allow quantized ops (TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT)",
                        options._replace(allow_quant_ops=True)))
    return changes
