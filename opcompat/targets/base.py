"""What every delegate target provides to `opcompat.analysis` (the interface).

A target package `opcompat.targets.<name>` defines `TARGET` (its `TargetInfo`), a `cli` module
with `add_arguments(parser)` (its own flags) and `options(args) -> dict` (their values, keyword
arguments of `opcompat.analysis.check`), and an `engine` module with:

* `prepare(options: Mapping[str, Any]) -> Prepared`: the check's options, validated before any
  model is read (UsageError for a bad value);
* `check_model(model: Model, prepared) -> TargetResult`: the delegate's per-operator verdicts,
  partitions and refusals for a model already read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

from opcompat.model.graph import Model, Subgraph
from opcompat.report import (
    CheckOptions,
    OperatorResult,
    Partition,
    Reason,
    Refusal,
    SubgraphResult,
)
from opcompat.tflite.partition import NodeSubset


class TargetResult(NamedTuple):
    """A target's findings for one model: the `ModelReport` fields after `path` and `digest`,
    in their order."""

    options: CheckOptions
    operators: tuple[OperatorResult, ...]
    subgraphs: tuple[SubgraphResult, ...]
    refusal: Refusal | None = None
    min_api_level: int | None = None
    warnings: tuple[Reason, ...] = ()
    status: str = ""


class TargetCli(Protocol):
    """The `cli` module of a target package (standard library only at module level)."""

    def add_arguments(self, parser: Any) -> None: ...

    def options(self, args: Any) -> dict[str, Any]: ...


class TargetEngine(Protocol):
    """The engine module of a target package."""

    def prepare(self, options: Mapping[str, Any]) -> Any: ...

    def check_model(self, model: Model, prepared: Any) -> TargetResult: ...


def partition_result(subgraph: Subgraph, subset: NodeSubset) -> Partition:
    """The report's `Partition` of a delegated node subset: its nodes sorted, its boundary
    tensors without the model's constants."""
    tensors = subgraph.tensors

    def boundary(ts: list[int]) -> tuple[int, ...]:
        return tuple(t for t in ts if 0 <= t < len(tensors) and not tensors[t].is_constant)

    return Partition(subgraph.index, tuple(sorted(subset.nodes)),
                     boundary(subset.input_tensors), boundary(subset.output_tensors))
