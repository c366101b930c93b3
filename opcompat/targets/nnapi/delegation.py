"""What `Interpreter::ModifyGraphWithDelegate` does with the NNAPI delegate, subgraph by subgraph
(the loop over subgraphs, common to every delegate, is `opcompat.tflite.interpreter`).

Per subgraph (tflite/core/subgraph.cc, `Subgraph::ModifyGraphWithDelegateImpl`): refuse graphs
with dynamic tensors (kTfLiteApplicationError), then run the delegate's prepare,
`StatefulNnApiDelegate::DoPrepare` (tflite/delegates/nnapi/nnapi_delegate.cc):

1. Validate every node of the plan, or take the fp16 path (`opcompat.tflite.fp16`);
2. preview the partitioning of the supported nodes;
3. on API >= 29 with target devices (the default), build an NNAPI model per previewed partition
   (`GetNodesSupportedByAccelerator`) -- a failure fails the delegate; the best-case device
   accepts every operation, so no node is filtered out;
4. apply `max_number_delegated_partitions` (`LimitDelegatedPartitions`);
5. replace the remaining nodes with delegate kernels (`ReplaceNodeSubsetsWithDelegateKernels`,
   which partitions again); each kernel builds its NNAPI model -- a failure fails the delegate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opcompat.model.graph import Model, Operator, Subgraph
from opcompat.report import Reason
from opcompat.targets.nnapi.levels import SDK_NNAPI12, SDK_NNAPI13, Target
from opcompat.targets.nnapi.rules import graph_checks
from opcompat.tflite import interpreter
from opcompat.tflite.fp16 import has_const_fp16_dequantize, select_fp16
from opcompat.tflite.interpreter import (  # noqa: F401  (this module's vocabulary, re-exported)
    APPLICATION_ERROR,
    DELEGATE_ERROR,
    LOAD_ERROR,
    NOT_APPLIED,
    OK,
    VALIDATION_SUBGRAPH_PREFIX,
    ModelDelegation,
    SubgraphDelegation,
    is_validation_subgraph,
)
from opcompat.tflite.partition import (
    GraphInfo,
    NodeSubset,
    PartitionError,
    largest_first,
    partition_graph,
)

ValidateFn = Callable[[Subgraph, Operator], tuple[Reason, ...]]


def do_prepare(
    model: Model,
    subgraph: Subgraph,
    target: Target,
    plain: list[tuple[Reason, ...]],
    validate: ValidateFn,
    max_partitions: int,
    cache: dict[Any, Any] | None = None,
) -> SubgraphDelegation:
    """`StatefulNnApiDelegate::DoPrepare` on one subgraph (the dynamic-tensor gate is not here).

    `cache`: a dict kept by the caller across calls on the same model (at several levels); the
    partitioning of a node set does not depend on the level, so it is done once per set."""
    if cache is None:
        cache = {}  # still shared by this call's preview, cap and plan
    result = SubgraphDelegation(subgraph.index, OK, plain)
    if _memo(cache, "fp16", subgraph, lambda: has_const_fp16_dequantize(subgraph)):
        sel = select_fp16(model, subgraph, plain, lambda op: validate(subgraph, op))
        result.fp16 = sel
        result.supported_nodes = sel.supported_nodes
        result.rewired_inputs = sel.rewired_inputs
    else:
        result.supported_nodes = [i for i, r in enumerate(plain) if not r]
    if not result.supported_nodes:
        return result

    rewired = result.rewired_inputs or None
    info_key = (subgraph.index, tuple(sorted(rewired.items())) if rewired else None)

    def subsets(nodes: list[int]) -> list[NodeSubset]:
        """Every node subset of the partitioning of `nodes` (Preview keeps the delegated)."""
        key = (info_key, tuple(nodes))
        got = cache.get(key)
        if got is None or got[0] is not subgraph:
            info = cache.get(info_key)
            if info is None or info[0] is not subgraph:
                info = cache[info_key] = (subgraph, GraphInfo.of(subgraph, rewired))
            got = cache[key] = (subgraph, partition_graph(info[1], nodes))
        return got[1]

    def preview(nodes: list[int]) -> list[NodeSubset]:
        """`Subgraph::PreviewDelegatePartitioning`: the delegated subsets, in order."""
        return [s for s in subsets(nodes) if s.delegated] if nodes else []

    try:
        previewed = preview(result.supported_nodes)
    except PartitionError:
        result.status = DELEGATE_ERROR  # PreviewDelegatePartitioning fails: DoPrepare fails
        result.refusal = graph_checks.build_refusal(
            subgraph, graph_checks.BuildFailure("the graph cannot be partitioned")
        )
        return result
    result.previewed = previewed

    built: set[tuple[int, ...]] = set()
    # What building a partition depends on beyond its nodes: the graph (info_key) and, of the
    # level, only whether the builder's feature level reaches NNAPI 1.3, and that only for a
    # graph with an LSTM (graph_checks._added_inputs: the full LSTM's intermediates).
    build_level = graph_checks.builder_level(target) >= SDK_NNAPI13 if _has_lstm(
        subgraph, cache) else None

    def build(p: NodeSubset) -> bool:
        key = tuple(p.nodes)
        if key in built:
            return True
        memo_key = ("build", info_key, key, build_level)
        got = cache.get(memo_key)
        if got is not None and got[0] is subgraph:
            failure = got[1]
        else:
            failure = graph_checks.nnapi_build_failure(
                subgraph,
                p.nodes,
                p.input_tensors,
                p.output_tensors,
                target,
                result.rewired_inputs or None,
            )
            cache[memo_key] = (subgraph, failure)
        if failure is not None:
            result.status = DELEGATE_ERROR
            result.refusal = graph_checks.build_refusal(subgraph, failure)
            return False
        built.add(key)
        return True

    nodes_to_delegate = list(result.supported_nodes)
    if target.is_accelerator_specified and target.api_level >= SDK_NNAPI12:
        # GetNodesSupportedByAccelerator builds every previewed partition before the cap.
        for p in previewed:
            if not build(p):
                return result
    # The cap depends on the previewed partitions alone: the same node set at another level
    # keeps the same partitions.
    cap_key = ("cap", info_key, tuple(nodes_to_delegate), max_partitions)
    capped = cache.get(cap_key)
    final_subsets: list[NodeSubset] | None
    if capped is not None and capped[0] is subgraph:
        final, final_subsets = capped[1], capped[2]
    else:
        kept_nodes = limit_delegated_partitions(max_partitions, previewed, nodes_to_delegate)
        if kept_nodes is nodes_to_delegate:
            final = previewed  # the same nodes partition the same way: no need to walk again
            final_subsets = subsets(nodes_to_delegate)
        else:
            try:
                final = preview(kept_nodes)
                final_subsets = subsets(kept_nodes) if kept_nodes else None
            except PartitionError:
                final, final_subsets = [], None
        cache[cap_key] = (subgraph, final, final_subsets)
    for p in final:
        if not build(p):
            return result
    result.partitions = final
    # ReplaceNodeSubsetsWithDelegateKernels partitions the same nodes again: keep the result.
    result.plan_subsets = final_subsets
    kept = {n for p in final for n in p.nodes}
    result.dropped = [p for p in previewed if not kept.intersection(p.nodes)]
    return result


def _has_lstm(subgraph: Subgraph, cache: dict[Any, Any]) -> bool:
    return _memo(cache, "lstm", subgraph, lambda: any(op.op == "LSTM" for op in subgraph.operators))


def _memo(cache: dict[Any, Any], kind: str, subgraph: Subgraph, work: Callable[[], bool]) -> bool:
    """A per-subgraph fact kept in `cache` (it holds the subgraph, so a reused id never
    answers for another)."""
    key = (kind, subgraph.index)
    got = cache.get(key)
    if got is None or got[0] is not subgraph:
        got = cache[key] = (subgraph, work())
    return bool(got[1])


def modify_graph_with_delegate(
    model: Model,
    target: Target,
    plain_by_subgraph: Sequence[list[tuple[Reason, ...]]],
    validate: ValidateFn,
    max_partitions: int,
    cache: dict[Any, Any] | None = None,
) -> ModelDelegation:
    """`Interpreter::ModifyGraphWithDelegate` with the NNAPI delegate (`cache`: see
    `do_prepare`)."""
    return interpreter.modify_graph_with_delegate(
        model,
        plain_by_subgraph,
        lambda sg, plain: do_prepare(model, sg, target, plain, validate, max_partitions, cache),
        "NNAPI",
    )


def limit_delegated_partitions(
    max_partitions: int, partitions: Sequence[NodeSubset], nodes_to_delegate: list[int]
) -> list[int]:
    """The nodes left to delegate once the partition cap is applied: above
    `max_number_delegated_partitions` (default 3; 0 or less: no limit) the partitions are sorted
    by node count, largest first, and only the first `max` are kept.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc,
    StatefulNnApiDelegate::LimitDelegatedPartitions.
    """
    if max_partitions <= 0 or len(partitions) <= max_partitions:
        return nodes_to_delegate
    wanted = set(nodes_to_delegate)
    delegated = sum(1 for p in partitions if p.nodes and p.nodes[0] in wanted)
    if delegated <= max_partitions:
        return nodes_to_delegate
    kept: list[int] = []
    for p in largest_first(partitions)[:max_partitions]:
        kept.extend(p.nodes)
    return kept
