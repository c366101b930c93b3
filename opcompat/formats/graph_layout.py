"""A layered (Sugiyama-style) layout of an operator graph, in grid units (no pixels, no HTML).

Columns are layers: the longest path from the inputs, in run order (linear); an operator with
at least as many consumers as producers (one that reads only constants, a SPLIT) then moves
right to just before its first consumer. Within a column,
two barycenter sweeps order the operators, then a forward and a backward placement pass give
each one a row (neighbours at least 1 apart) that lines it up with its producers, or with its
consumers when it has no producer. Every step is linear in nodes and edges, or n log n (one
sort per column per sweep); there are no dummy nodes, so a long edge costs nothing.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import NamedTuple


class Layout(NamedTuple):
    """Where each node goes: `column[n]` (0-based layer), `row[n]` (float, 0 at the top)."""

    column: dict[int, int]
    row: dict[int, float]
    columns: int
    """Number of columns (0 for no nodes)."""
    rows: float
    """Highest row + 1 (0 for no nodes)."""
    edges: tuple[tuple[int, int], ...]
    """The edges between known nodes, deduplicated, self-loops removed, in input order."""


class Span(NamedTuple):
    """A group's extent in one column: rows `top` to `bottom` (both node rows)."""

    column: int
    top: float
    bottom: float


class Outline(NamedTuple):
    """A group's nodes over consecutive columns: one span per column, left to right."""

    key: Hashable
    spans: tuple[Span, ...]


def _clean_edges(
    nodes: Sequence[int], edges: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    known = set(nodes)
    seen: set[tuple[int, int]] = set()
    out = []
    for p, c in edges:
        if p != c and p in known and c in known and (p, c) not in seen:
            seen.add((p, c))
            out.append((p, c))
    return tuple(out)


def _layers(
    nodes: Sequence[int], preds: dict[int, list[int]], succs: dict[int, list[int]]
) -> dict[int, int]:
    """Longest path from the sources over forward edges; then, from the sinks back, each node
    with at least as many consumers as producers (a constant's DEQUANTIZE, a SPLIT; a
    producer that is itself a source does not count) moved right to just before its first
    consumer: that does not lengthen its edges in total, and keeps every producer left of its
    consumers."""
    column: dict[int, int] = {}
    for n in nodes:
        column[n] = max((column[p] + 1 for p in preds[n]), default=0)
    for n in reversed(nodes):
        fed = sum(1 for p in preds[n] if preds[p])
        if succs[n] and len(succs[n]) >= fed:
            column[n] = min(column[s] for s in succs[n]) - 1
    return column


def _sweep(layers: list[list[int]], rank: dict[int, float], adj: dict[int, list[int]],
           backward: bool) -> None:
    """One barycenter pass: each column re-sorted by the mean rank of its neighbours in
    `adj` (nodes without any keep their rank). Updates `layers` and `rank`."""
    order = range(len(layers) - 1, -1, -1) if backward else range(len(layers))
    for k in order:
        layer = layers[k]

        def key(n: int) -> tuple[float, float]:
            near = adj[n]
            return (sum(rank[m] for m in near) / len(near) if near else rank[n], rank[n])

        layer.sort(key=key)
        for i, n in enumerate(layer):
            rank[n] = float(i)


def _place(layer: list[int], desired: list[float]) -> list[float]:
    """Rows for one column in its order: as near `desired` as keeps neighbours >= 1 apart
    (the mean of pushing down from the top and pushing up from the bottom)."""
    down: list[float] = []
    for d in desired:
        down.append(d if not down else max(d, down[-1] + 1))
    up = [0.0] * len(desired)
    for i in range(len(desired) - 1, -1, -1):
        up[i] = desired[i] if i == len(desired) - 1 else min(desired[i], up[i + 1] - 1)
    return [(a + b) / 2 for a, b in zip(down, up, strict=True)]


def _assign_rows(layers: list[list[int]], preds: dict[int, list[int]],
                 succs: dict[int, list[int]]) -> dict[int, float]:
    """Forward: each node at the mean row of its producers; backward: a node without
    producers at the mean row of its consumers."""
    row: dict[int, float] = {}
    for layer in layers:
        desired: list[float] = []
        for n in layer:
            near = preds[n]
            if near:
                desired.append(sum(row[m] for m in near) / len(near))
            else:
                desired.append(desired[-1] + 1 if desired else 0.0)
        row.update(zip(layer, _place(layer, desired), strict=True))
    for layer in reversed(layers):
        desired = [sum(row[m] for m in succs[n]) / len(succs[n]) if not preds[n] and succs[n]
                   else row[n] for n in layer]
        row.update(zip(layer, _place(layer, desired), strict=True))
    return row


def layout(nodes: Sequence[int], edges: Sequence[tuple[int, int]]) -> Layout:
    """Lay out `nodes` (in run order, a topological order of the dataflow) joined by
    (producer, consumer) `edges`. An edge against the run order (a cycle in a broken file)
    is kept in `Layout.edges` but does not constrain the layers."""
    kept = _clean_edges(nodes, edges)
    pos = {n: i for i, n in enumerate(nodes)}
    preds: dict[int, list[int]] = {n: [] for n in nodes}
    succs: dict[int, list[int]] = {n: [] for n in nodes}
    for p, c in kept:
        if pos[p] < pos[c]:
            preds[c].append(p)
            succs[p].append(c)
    column = _layers(nodes, preds, succs)
    columns = max(column.values(), default=-1) + 1
    layers: list[list[int]] = [[] for _ in range(columns)]
    for n in nodes:
        layers[column[n]].append(n)
    rank = {n: float(i) for layer in layers for i, n in enumerate(layer)}
    _sweep(layers, rank, preds, backward=False)
    _sweep(layers, rank, succs, backward=True)
    _sweep(layers, rank, preds, backward=False)
    row = _assign_rows(layers, preds, succs)
    top = min(row.values(), default=0.0)
    row = {n: r - top for n, r in row.items()}
    rows = max(row.values(), default=-1.0) + 1
    return Layout(column, row, columns, rows, kept)


def outlines(lay: Layout, group: Mapping[int, Hashable | None]) -> list[Outline]:
    """Each group's nodes (`group[n]`, None: in no group) as runs of consecutive columns,
    with the group's top and bottom row in each column; by group, then left to right."""
    ext: dict[Hashable, dict[int, list[float]]] = {}
    for n, key in group.items():
        if key is None or n not in lay.column:
            continue
        c, r = lay.column[n], lay.row[n]
        span = ext.setdefault(key, {}).get(c)
        if span is None:
            ext[key][c] = [r, r]
        else:
            span[0], span[1] = min(span[0], r), max(span[1], r)
    out: list[Outline] = []
    for key, cols in ext.items():
        run: list[Span] = []
        for c in sorted(cols):
            if run and c != run[-1].column + 1:
                out.append(Outline(key, tuple(run)))
                run = []
            run.append(Span(c, cols[c][0], cols[c][1]))
        out.append(Outline(key, tuple(run)))
    return out
