"""Partitioning as TFLite does it (graph_info.cc) and the delegate's partition cap."""

from __future__ import annotations

import random

import pytest
from engine_graphs import G, chain

from opcompat.model.graph import TensorType
from opcompat.targets.nnapi.delegation import limit_delegated_partitions
from opcompat.tflite.partition import (
    GraphInfo,
    GraphNode,
    NodeSubset,
    PartitionError,
    cxx_sort,
    largest_first,
    partition_graph,
    preview_partitioning,
)


def info(
    nodes: list[tuple[tuple[int, ...], tuple[int, ...]]],
    n_tensors: int,
    outputs: tuple[int, ...],
    side: set[int] = frozenset(),
) -> GraphInfo:  # type: ignore[assignment]
    return GraphInfo(
        n_tensors, tuple(GraphNode(i, o, k in side) for k, (i, o) in enumerate(nodes)), outputs
    )


def scan_reference(gi: GraphInfo, wanted: set[int]) -> list[tuple[bool, list[int]]]:
    """The upstream algorithm literally: repeated scans per epoch (slow, for comparison)."""
    produced = {t for n in gi.nodes for t in n.outputs if t >= 0}
    tensor_epoch = dict.fromkeys(produced, -1)
    node_epoch = [-1] * len(gi.nodes)
    edges: list[tuple[int, int]] = []
    last = -1
    for k, n in enumerate(gi.nodes):
        if n.might_have_side_effect:
            if last != -1:
                edges.append((last, k))
            last = k
    incoming = [0] * len(gi.nodes)
    for _, b in edges:
        incoming[b] += 1
    subsets: list[tuple[bool | None, list[int]]] = []
    while True:
        kind: bool | None = None
        nodes: list[int] = []
        epoch = len(subsets)
        while True:
            did = False
            for k, n in enumerate(gi.nodes):
                if node_epoch[k] != -1:
                    continue
                if any(t >= 0 and tensor_epoch.get(t, -2) == -1 for t in n.inputs):
                    continue
                if incoming[k]:
                    continue
                if kind is None:
                    kind = k in wanted
                if kind != (k in wanted):
                    continue
                node_epoch[k] = epoch
                nodes.append(k)
                for t in n.outputs:
                    if t >= 0:
                        tensor_epoch[t] = epoch
                for a, b in edges:
                    if a == k:
                        incoming[b] -= 1
                did = True
            if not did:
                break
        if not nodes:
            break
        subsets.append((kind, sorted(nodes)))
    return [(bool(k), n) for k, n in subsets]


def test_chain_alternating_kinds_gives_one_subset_per_run() -> None:
    g = chain("SSUSSU")
    subsets = partition_graph(GraphInfo.of(g.subgraph()), [0, 1, 3, 4])
    assert [(s.delegated, s.nodes) for s in subsets] == [
        (True, [0, 1]),
        (False, [2]),
        (True, [3, 4]),
        (False, [5]),
    ]


def test_boundary_tensors_are_inputs_and_outputs_crossing_the_border() -> None:
    g = chain("SSUS")
    subsets = partition_graph(GraphInfo.of(g.subgraph()), [0, 1, 3])
    first, cpu, last = subsets
    assert first.input_tensors == [0] and first.output_tensors == [2]
    assert cpu.input_tensors == [2] and cpu.output_tensors == [3]
    assert last.input_tensors == [3] and last.output_tensors == [4]  # graph output


def test_greedy_epoch_pulls_independent_nodes_forward() -> None:
    # Two branches from the input: a: S U S, b: S. The second S of branch a waits for U, but
    # branch b's S joins the first delegated epoch although it comes later in the plan.
    gi = info([((0,), (1,)), ((1,), (2,)), ((2,), (3,)), ((0,), (4,))], 5, (3, 4))
    subsets = partition_graph(gi, [0, 2, 3])
    assert [(s.delegated, s.nodes) for s in subsets] == [(True, [0, 3]), (False, [1]), (True, [2])]


def test_side_effect_nodes_are_chained_by_control_edges() -> None:
    # 0, 2 and 3 have side effects: 3 must wait for 2 (control edge 2->3) although its data is
    # ready at the start, so it cannot join node 0's epoch.
    nodes = [((0,), (1,)), ((1,), (2,)), ((2,), (3,)), ((0,), (4,))]
    chained = partition_graph(info(nodes, 5, (3, 4), side={0, 2, 3}), [1])
    assert [(s.delegated, s.nodes) for s in chained] == [(False, [0]), (True, [1]), (False, [2, 3])]
    free = partition_graph(info(nodes, 5, (3, 4)), [1])
    assert [(s.delegated, s.nodes) for s in free] == [(False, [0, 3]), (True, [1]), (False, [2])]


def test_resource_tensors_and_control_flow_mark_side_effects() -> None:
    g = G()
    r = g.t(TensorType.RESOURCE)
    x = g.t()
    y = g.t()
    g.op("VAR_HANDLE", [], [r])
    g.op("RELU", [x], [y])
    g.op("WHILE", [y], [g.t()])
    gi = GraphInfo.of(g.subgraph())
    assert [n.might_have_side_effect for n in gi.nodes] == [True, False, True]


def test_optional_inputs_and_constants_are_always_ready() -> None:
    gi = info([((0, -1, 5), (1,)), ((1,), (2,))], 6, (2,))
    subsets = partition_graph(gi, [0, 1])
    assert len(subsets) == 1 and subsets[0].input_tensors == [0, 5]


def test_cycle_is_an_error() -> None:
    gi = info([((1,), (0,)), ((0,), (1,))], 2, ())
    with pytest.raises(PartitionError):
        partition_graph(gi, [0])


def test_preview_keeps_only_delegated_subsets_and_empty_request_gives_none() -> None:
    g = chain("SUS")
    gi = GraphInfo.of(g.subgraph())
    assert [s.nodes for s in preview_partitioning(gi, [0, 2])] == [[0], [2]]
    assert preview_partitioning(gi, []) == []


def test_worklist_equals_the_scanning_algorithm_on_random_dags() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 25)
        nodes = []
        for k in range(n):
            # inputs: graph input 0, or outputs of earlier nodes (tensor k+1 is node k's output)
            ins = tuple(sorted({rng.randint(0, k) for _ in range(rng.randint(1, 3))}))
            nodes.append((ins, (k + 1,)))
        side = {k for k in range(n) if rng.random() < 0.1}
        gi = info(nodes, n + 1, (n,), side)
        wanted = {k for k in range(n) if rng.random() < 0.6}
        got = [(s.delegated, s.nodes) for s in partition_graph(gi, wanted)]
        assert got == scan_reference(gi, wanted)


def sub(size: int, tag: int) -> NodeSubset:
    return NodeSubset(True, list(range(tag * 100, tag * 100 + size)))


def test_limit_keeps_the_largest_partitions() -> None:
    parts = [sub(1, 0), sub(5, 1), sub(2, 2), sub(4, 3)]
    nodes = [n for p in parts for n in p.nodes]
    kept = limit_delegated_partitions(2, parts, nodes)
    assert sorted(kept) == sorted(parts[1].nodes + parts[3].nodes)


def test_limit_zero_or_enough_room_changes_nothing() -> None:
    parts = [sub(1, 0), sub(5, 1), sub(2, 2), sub(4, 3)]
    nodes = [n for p in parts for n in p.nodes]
    assert limit_delegated_partitions(0, parts, nodes) == nodes
    assert limit_delegated_partitions(4, parts, nodes) == nodes


def test_ties_below_17_keep_plan_order() -> None:
    parts = [sub(2, k) for k in range(6)]
    assert [p.nodes[0] for p in largest_first(parts)] == [0, 100, 200, 300, 400, 500]
    kept = limit_delegated_partitions(3, parts, [n for p in parts for n in p.nodes])
    assert sorted(kept) == [0, 1, 100, 101, 200, 201]


# std::sort(greater-by-size) on these sizes, as g++ 13 / libstdc++ (-O2) orders them (element
# indices); produced by a 12-line C++ program sorting {size, index} structs by size only.
LIBSTDCXX_ORDERS = [
    ([1] * 17, [8, 16, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1]),
    (
        [3, 2, 3, 2, 3, 3, 3, 3, 1, 2, 1, 3, 1, 1, 1, 2, 2, 1, 2, 3, 1, 3, 1, 1, 3, 1, 2, 2, 1, 2],
        [
            2,
            4,
            5,
            6,
            7,
            24,
            21,
            11,
            19,
            0,
            15,
            29,
            27,
            26,
            18,
            16,
            9,
            3,
            1,
            14,
            17,
            13,
            12,
            20,
            10,
            22,
            23,
            25,
            8,
            28,
        ],
    ),
    (
        [
            2,
            1,
            2,
            4,
            2,
            2,
            1,
            1,
            2,
            2,
            2,
            2,
            3,
            3,
            2,
            2,
            2,
            2,
            4,
            3,
            1,
            3,
            4,
            2,
            2,
            3,
            1,
            3,
            3,
            1,
            3,
            1,
            3,
            3,
            3,
            4,
            3,
            2,
            4,
            4,
            2,
            1,
            3,
            1,
            3,
            4,
            1,
            4,
            3,
            4,
            1,
            4,
            1,
            2,
            2,
            1,
            2,
            4,
            3,
            3,
            3,
            4,
            1,
            3,
            3,
            1,
            4,
            1,
            2,
            3,
        ],
        [
            66,
            22,
            35,
            38,
            18,
            39,
            45,
            47,
            49,
            51,
            57,
            61,
            3,
            28,
            30,
            32,
            33,
            34,
            69,
            64,
            36,
            63,
            42,
            44,
            60,
            59,
            48,
            58,
            13,
            12,
            27,
            25,
            21,
            19,
            9,
            10,
            53,
            54,
            56,
            11,
            8,
            5,
            4,
            2,
            68,
            0,
            14,
            15,
            16,
            40,
            17,
            37,
            24,
            23,
            29,
            46,
            26,
            67,
            1,
            65,
            31,
            62,
            6,
            7,
            20,
            55,
            41,
            52,
            50,
            43,
        ],
    ),
]


@pytest.mark.parametrize(("sizes", "expected"), LIBSTDCXX_ORDERS)
def test_cxx_sort_breaks_ties_like_libstdcxx(sizes: list[int], expected: list[int]) -> None:
    items = [(size, k) for k, size in enumerate(sizes)]
    assert [k for _, k in cxx_sort(items, lambda a, b: a[0] > b[0])] == expected


def test_cxx_sort_sorts_and_is_deterministic() -> None:
    rng = random.Random(3)
    for n in (0, 1, 2, 5, 16, 17, 40, 200):
        items = [(rng.randint(0, 5), k) for k in range(n)]
        out = cxx_sort(items, lambda a, b: a[0] > b[0])
        assert sorted(out) == sorted(items)
        assert [a for a, _ in out] == sorted((a for a, _ in items), reverse=True)
        assert out == cxx_sort(items, lambda a, b: a[0] > b[0])


def test_cxx_sort_is_not_stable_above_16_elements() -> None:
    # 17 equal-sized partitions: libstdc++'s median-of-three partition step moves element 8
    # (the middle) to the front, so the first partition kept is not the first in plan order.
    items = [(1, k) for k in range(17)]
    out = cxx_sort(items, lambda a, b: a[0] > b[0])
    assert [k for _, k in out][:3] != [0, 1, 2]
    assert sorted(out) == items
