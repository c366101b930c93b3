"""The test target's engine (the interface of opcompat/targets/base.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opcompat.model.graph import Model
from opcompat.report import CheckOptions, OperatorResult, Partition, Reason, SubgraphResult
from opcompat.targets.base import Simulation, TargetResult
from opcompat.tflite.partition import GraphInfo, largest_first, preview_partitioning

REFUSED = Reason("kUnsupportedOperator", "Only ADD is supported.", "tests/targets/addonly")


def prepare(options: Mapping[str, Any]) -> int:
    from targets.addonly import TARGET

    return int(options.get("max_partitions", TARGET.default_max_partitions)) or 1_000_000


def check_model(model: Model, max_partitions: int) -> TargetResult:
    operators: list[OperatorResult] = []
    subgraphs: list[SubgraphResult] = []
    for sg in model.subgraphs:
        accepted = [op.index for op in sg.operators if op.op == "ADD"]
        found = preview_partitioning(GraphInfo.of(sg, None), accepted)
        kept = sorted(largest_first(found)[:max_partitions], key=lambda p: p.nodes[0])
        parts = tuple(
            Partition(sg.index, tuple(p.nodes), tuple(p.input_tensors), tuple(p.output_tensors))
            for p in kept
        )
        part_of = {n: k for k, p in enumerate(parts) for n in p.nodes}
        for op in sg.operators:
            ok = op.op == "ADD"
            operators.append(OperatorResult(
                sg.index, op.index, op.display_name, op.version, ("add",) if ok else (), ok,
                op.index in part_of, () if ok else (REFUSED,), part_of.get(op.index),
            ))
        subgraphs.append(SubgraphResult(sg.index, sg.name, parts, status="kTfLiteOk"))
    options = CheckOptions(33, 8, 1000008, True, False, max_partitions)
    return TargetResult(options, tuple(operators), tuple(subgraphs), status="kTfLiteOk")


def simulate(
    model: Model, max_partitions: int, accept: frozenset[tuple[int, int]], cache: dict[Any, Any]
) -> Simulation:
    taken: set[tuple[int, int]] = set()
    count = 0
    for sg in model.subgraphs:
        ok = [op.index for op in sg.operators if op.op == "ADD" or (sg.index, op.index) in accept]
        found = preview_partitioning(GraphInfo.of(sg, None), ok)
        for p in largest_first(found)[:max_partitions]:
            taken.update((sg.index, n) for n in p.nodes)
            count += 1
    return Simulation(frozenset(taken), count)


def app_changes(max_partitions: int) -> list[tuple[str, int]]:
    return [] if max_partitions >= 1_000_000 else [("no partition cap", 1_000_000)]
