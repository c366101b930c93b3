"""The dataflow of a subgraph: which operator feeds which, through the tensors they share."""

from __future__ import annotations

from opcompat.model.graph import Subgraph


def dataflow_edges(subgraph: Subgraph) -> tuple[tuple[int, int], ...]:
    """(producer, consumer) operator index pairs, one per pair that shares a tensor, sorted.
    Linear in the operators' inputs and outputs."""
    producer: dict[int, int] = {}
    for op in subgraph.operators:
        for t in op.outputs:
            producer.setdefault(t, op.index)
    edges: set[tuple[int, int]] = set()
    for op in subgraph.operators:
        for t in op.inputs:
            p = producer.get(t)
            if p is not None and p != op.index:
                edges.add((p, op.index))
    return tuple(sorted(edges))
