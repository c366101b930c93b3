"""How TFLite cuts a subgraph into delegated partitions (the delegate's cap is its own policy:
`opcompat.targets.nnapi.delegation.limit_delegated_partitions` for NNAPI).

Two pieces of upstream code, reproduced with their names, and a helper every cap uses:

* `partition_graph`: `PartitionGraphIntoIndependentNodeSubsets` (tflite/graph_info.cc), the greedy
  epoch walk behind `Subgraph::PreviewDelegatePartitioning` and
  `Subgraph::ReplaceNodeSubsetsWithDelegateKernels` (tflite/core/subgraph.cc). Nodes with side
  effects (a resource tensor among their inputs or outputs; IF, WHILE, CALL_ONCE:
  `Subgraph::OpMightHaveSideEffect`) are chained by control edges.
* `cxx_sort`: the sort the delegates' caps rely on is `std::sort`, which is not stable; ties
  between equally large partitions are broken as libstdc++'s introsort breaks them.
* `largest_first`: the partitions by node count, largest first, as the caps of the NNAPI
  delegate (`LimitDelegatedPartitions`) and of `delegates/utils.cc`
  (`GetNodesOfFirstNLargestPartitions`) sort them.

The walk is written as a work-list over ready nodes rather than as repeated scans of the whole
plan: both assign the same nodes to the same epochs (each epoch takes the closure of ready nodes
of the kind of the first ready node in plan order), and the work-list is linear in the graph.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, TypeVar

from opcompat.model.graph import Subgraph, TensorType

GRAPH_INFO_SOURCE = "tflite/graph_info.cc, PartitionGraphIntoIndependentNodeSubsets"
LIMIT_SOURCE = (
    "tflite/delegates/nnapi/nnapi_delegate.cc, StatefulNnApiDelegate::LimitDelegatedPartitions"
)

# Builtin ops that `Subgraph::OpMightHaveSideEffect` treats as having side effects.
SIDE_EFFECT_OPS = frozenset({"IF", "WHILE", "CALL_ONCE"})


class PartitionError(Exception):
    """The graph cannot be partitioned (a cycle, or a tensor nobody produces in time)."""


class GraphNode(NamedTuple):
    """What the partitioner reads of one node (`TfLiteNode` inputs, outputs, side effects)."""

    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    might_have_side_effect: bool = False


class GraphInfo(NamedTuple):
    """The partitioner's view of one subgraph (`InterpreterInfo` in subgraph.cc)."""

    num_tensors: int
    nodes: tuple[GraphNode, ...]
    outputs: tuple[int, ...]

    @staticmethod
    def of(
        subgraph: Subgraph, inputs_override: dict[int, tuple[int, ...]] | None = None
    ) -> GraphInfo:
        """The view of a model subgraph; `inputs_override` replaces some nodes' inputs
        (the fp16 remapping rewires consumers of fp16 DEQUANTIZE nodes)."""
        tensors = subgraph.tensors
        n = len(tensors)
        # Indices of resource tensors, found once (most models have none).
        resource = {i for i, t in enumerate(tensors) if t.dtype == TensorType.RESOURCE}

        nodes = []
        for op in subgraph.operators:
            inputs = op.inputs
            if inputs_override is not None and op.index in inputs_override:
                inputs = inputs_override[op.index]
            side = op.op in SIDE_EFFECT_OPS or bool(
                resource
                and (
                    any(i in resource for i in op.inputs)
                    or any(i in resource for i in op.outputs)
                )
            )
            nodes.append(GraphNode(tuple(inputs), tuple(op.outputs), side))
        return GraphInfo(n, tuple(nodes), tuple(subgraph.outputs))


class NodeSubset:
    """`NodeSubset` of graph_info.h: nodes of one kind, and the tensors crossing its border.

    `delegated`: kTfPartition (True) or kTfNonPartition (False)."""

    __slots__ = ("delegated", "nodes", "input_tensors", "output_tensors")

    def __init__(
        self,
        delegated: bool,
        nodes: list[int] | None = None,
        input_tensors: list[int] | None = None,
        output_tensors: list[int] | None = None,
    ) -> None:
        self.delegated = delegated
        self.nodes = [] if nodes is None else nodes
        self.input_tensors = [] if input_tensors is None else input_tensors
        self.output_tensors = [] if output_tensors is None else output_tensors

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeSubset):
            return NotImplemented
        return (self.delegated, self.nodes, self.input_tensors, self.output_tensors) == (
            other.delegated, other.nodes, other.input_tensors, other.output_tensors)

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (f"NodeSubset(delegated={self.delegated}, nodes={self.nodes}, "
                f"input_tensors={self.input_tensors}, output_tensors={self.output_tensors})")


_NOT_READY = -1
_ALWAYS_READY = -2


def partition_graph(info: GraphInfo, nodes_to_partition: Iterable[int]) -> list[NodeSubset]:
    """All node subsets, delegated or not, in epoch order (greedy clustering, node fusion on).

    Source: tflite/graph_info.cc, PartitionGraphIntoIndependentNodeSubsets and
    PartitionGraphIntoIndependentNodeSubsetsImpl::Partition / BuildNodeSubset / UpdateNode.
    """
    num_nodes = len(info.nodes)
    kind = [False] * num_nodes
    for n in nodes_to_partition:
        if not 0 <= n < num_nodes:
            raise PartitionError(f"node {n} is not in the graph")
        kind[n] = True

    nt = info.num_tensors  # a valid tensor index t: 0 <= t < nt (OPTIONAL_TENSOR is -1)

    # Tensors produced by a node are not ready until their producer is placed.
    produced = [False] * info.num_tensors
    for node in info.nodes:
        for t in node.outputs:
            if 0 <= t < nt:
                produced[t] = True

    # Dependencies: distinct not-ready input tensors, plus the control edge from the previous node
    # with side effects (graph_info.cc chains them when greedily partitioning).
    pending = [0] * num_nodes
    consumers: list[list[int]] = [[] for _ in range(info.num_tensors)]
    control_next: list[int] = [-1] * num_nodes
    last_side_effect = -1
    for idx, node in enumerate(info.nodes):
        seen: set[int] = set()
        for t in node.inputs:
            if 0 <= t < nt and produced[t] and t not in seen:
                seen.add(t)
                consumers[t].append(idx)
                pending[idx] += 1
        if node.might_have_side_effect:
            if last_side_effect != -1:
                control_next[last_side_effect] = idx
                pending[idx] += 1
            last_side_effect = idx

    tensor_epoch = [_NOT_READY if p else _ALWAYS_READY for p in produced]
    node_epoch = [_NOT_READY] * num_nodes
    ready: tuple[list[int], list[int]] = ([], [])
    for idx in range(num_nodes):
        if pending[idx] == 0:
            ready[kind[idx]].append(idx)
    heapq.heapify(ready[0])
    heapq.heapify(ready[1])

    subsets: list[NodeSubset] = []
    placed = 0
    while ready[0] or ready[1]:
        # The first ready node in plan order decides the kind of the epoch.
        if not ready[1] or (ready[0] and ready[0][0] < ready[1][0]):
            epoch_kind = False
        else:
            epoch_kind = True
        epoch = len(subsets)
        subset = NodeSubset(epoch_kind)
        subsets.append(subset)
        work = ready[epoch_kind]
        while work:
            idx = heapq.heappop(work)
            node_epoch[idx] = epoch
            subset.nodes.append(idx)
            placed += 1
            node = info.nodes[idx]
            for t in node.outputs:
                if 0 <= t < nt:
                    tensor_epoch[t] = epoch
            for t in node.inputs:
                if not 0 <= t < nt:
                    continue
                te = tensor_epoch[t]
                if te != epoch:
                    subset.input_tensors.append(t)
                    if te >= 0:
                        subsets[te].output_tensors.append(t)
            released: list[int] = []
            for t in node.outputs:
                if 0 <= t < nt:
                    released.extend(consumers[t])
            if control_next[idx] != -1:
                released.append(control_next[idx])
            for c in released:
                pending[c] -= 1
                if pending[c] == 0:
                    heapq.heappush(ready[kind[c]], c)
    if placed != num_nodes:
        raise PartitionError(
            "some nodes can never run: the graph has a cycle or a missing producer"
        )

    for t in info.outputs:
        if not 0 <= t < nt:
            continue
        te = tensor_epoch[t]
        if te == _ALWAYS_READY:
            continue  # a graph input that is also a graph output
        if te < 0:
            raise PartitionError(f"graph output {t} is never produced")
        subsets[te].output_tensors.append(t)
    for s in subsets:
        s.nodes.sort()
        s.input_tensors = sorted(set(s.input_tensors))
        s.output_tensors = sorted(set(s.output_tensors))
    return subsets


def preview_partitioning(info: GraphInfo, nodes_to_replace: Sequence[int]) -> list[NodeSubset]:
    """The delegated subsets only, in order (`Subgraph::PreviewDelegatePartitioning`)."""
    if not nodes_to_replace:
        return []
    return [s for s in partition_graph(info, nodes_to_replace) if s.delegated]


T = TypeVar("T")


def cxx_sort(items: Sequence[T], less: Callable[[T, T], bool]) -> list[T]:
    """`std::sort` as libstdc++ implements it (introsort, then insertion sort), tie order included.

    The delegate sorts partitions by size only, so which of two equally large partitions comes
    first depends on the algorithm; below 17 elements it is a plain (stable) insertion sort.
    """
    a = list(items)
    n = len(a)
    if n < 2:
        return a
    threshold = 16

    def insertion_sort(first: int, last: int) -> None:
        for i in range(first + 1, last):
            val = a[i]
            if less(val, a[first]):
                a[first + 1 : i + 1] = a[first:i]
                a[first] = val
            else:
                unguarded_linear_insert(i)

    def unguarded_linear_insert(i: int) -> None:
        val = a[i]
        j = i - 1
        while less(val, a[j]):
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = val

    def move_median_to_first(result: int, x: int, y: int, z: int) -> None:
        if less(a[x], a[y]):
            if less(a[y], a[z]):
                a[result], a[y] = a[y], a[result]
            elif less(a[x], a[z]):
                a[result], a[z] = a[z], a[result]
            else:
                a[result], a[x] = a[x], a[result]
        elif less(a[x], a[z]):
            a[result], a[x] = a[x], a[result]
        elif less(a[y], a[z]):
            a[result], a[z] = a[z], a[result]
        else:
            a[result], a[y] = a[y], a[result]

    def unguarded_partition(first: int, last: int, pivot: int) -> int:
        while True:
            while less(a[first], a[pivot]):
                first += 1
            last -= 1
            while less(a[pivot], a[last]):
                last -= 1
            if not first < last:
                return first
            a[first], a[last] = a[last], a[first]
            first += 1

    def adjust_heap(first: int, hole: int, length: int, value: T) -> None:
        top = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if (length & 1) == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and less(a[first + parent], value):
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = value

    def heap_sort(first: int, last: int) -> None:
        length = last - first
        if length >= 2:
            parent = (length - 2) // 2
            while True:
                adjust_heap(first, parent, length, a[first + parent])
                if parent == 0:
                    break
                parent -= 1
        while last - first > 1:
            last -= 1
            value = a[last]
            a[last] = a[first]
            adjust_heap(first, 0, last - first, value)

    def introsort_loop(first: int, last: int, depth: int) -> None:
        while last - first > threshold:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            mid = first + (last - first) // 2
            move_median_to_first(first, first + 1, mid, last - 1)
            cut = unguarded_partition(first + 1, last, first)
            introsort_loop(cut, last, depth)
            last = cut

    introsort_loop(0, n, 2 * (n.bit_length() - 1))
    if n > threshold:
        insertion_sort(0, threshold)
        for i in range(threshold, n):
            unguarded_linear_insert(i)
    else:
        insertion_sort(0, n)
    return a


def largest_first(partitions: Sequence[NodeSubset]) -> list[NodeSubset]:
    """Partitions sorted by node count, largest first, as the delegate's `std::sort` leaves them."""
    return cxx_sort(partitions, lambda x, y: len(x.nodes) > len(y.nodes))
