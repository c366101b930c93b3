"""What every delegate target provides to `opcompat.analysis` (the interface).

A target package `opcompat.targets.<name>` defines `TARGET` (its `TargetInfo`), a `cli` module
with `add_arguments(parser)` (its own flags) and `options(args) -> dict` (their values, keyword
arguments of `opcompat.analysis.check`), and an `engine` module with:

* `prepare(options: Mapping[str, Any]) -> Prepared`: the check's options, validated before any
  model is read (UsageError for a bad value);
* `check_model(model: Model, prepared) -> TargetResult`: the delegate's per-operator verdicts,
  partitions and refusals for a model already read;
* `simulate(model, prepared, accept, cache) -> Simulation`: what it would delegate if the
  operators `accept` were supported too (the fixes' "what if"; `cache`: one dict per model);
* `app_changes(prepared) -> [(text, prepared)]`: changes an app can make without changing the
  model (a higher minSdk, another partition cap, the target's other options);

and an `opinfo` module (`TargetOpinfo`: `ops_listing`, `explain_text`) for `opcompat ops` and
`opcompat explain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from opcompat.model.graph import Model, Subgraph
from opcompat.report import (
    CheckOptions,
    LevelResult,
    OperatorResult,
    Partition,
    PlanEntry,
    Reason,
    Refusal,
    SubgraphResult,
)
from opcompat.tflite.interpreter import DELEGATE_ERROR, LOAD_ERROR, NOT_APPLIED, OK
from opcompat.tflite.partition import GraphInfo, NodeSubset, PartitionError, partition_graph


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
    levels: tuple[LevelResult, ...] = ()


class Simulation(NamedTuple):
    """What a delegate would take in a "what if" run (`engine.simulate`)."""

    delegated: frozenset[tuple[int, int]]
    """(subgraph, index) of every delegated operator."""
    partitions: int

    @staticmethod
    def of(delegation: Any) -> Simulation:
        """From a `tflite.interpreter.ModelDelegation` (nothing when the delegate failed)."""
        if delegation.status in (DELEGATE_ERROR, LOAD_ERROR):
            return Simulation(frozenset(), 0)
        taken = frozenset((d.index, n) for d in delegation.subgraphs if d.status == OK
                          for p in d.partitions for n in p.nodes)
        count = sum(len(d.partitions) for d in delegation.subgraphs if d.status == OK)
        return Simulation(taken, count)


class OpsListing(NamedTuple):
    """`opcompat ops --target T`: a table, its JSON form and a summary line."""

    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    data: Any
    """What `--format json` prints."""
    summary: str
    """The line printed to stderr."""
    align: str = ""
    """The markdown separator row (`|---|---:|`); empty: every column left-aligned."""


class TargetOpinfo(Protocol):
    """The `opinfo` module of a target package: what it does with each op (`ops`, `explain`)."""

    def ops_listing(self, never: bool, api_level: int | None) -> OpsListing: ...

    def explain_text(self, name: str) -> str: ...


class TargetCli(Protocol):
    """The `cli` module of a target package (standard library only at module level)."""

    def add_arguments(self, parser: Any) -> None: ...

    def options(self, args: Any) -> dict[str, Any]: ...


class TargetEngine(Protocol):
    """The engine module of a target package."""

    def prepare(self, options: Mapping[str, Any]) -> Any: ...

    def check_model(self, model: Model, prepared: Any) -> TargetResult: ...

    def simulate(
        self, model: Model, prepared: Any, accept: frozenset[tuple[int, int]],
        cache: dict[Any, Any],
    ) -> Simulation: ...

    def app_changes(self, prepared: Any) -> list[tuple[str, Any]]: ...


def partition_result(subgraph: Subgraph, subset: NodeSubset) -> Partition:
    """The report's `Partition` of a delegated node subset: its nodes sorted, its boundary
    tensors without the model's constants."""
    tensors = subgraph.tensors

    def boundary(ts: list[int]) -> tuple[int, ...]:
        return tuple(t for t in ts if 0 <= t < len(tensors) and not tensors[t].is_constant)

    return Partition(subgraph.index, tuple(sorted(subset.nodes)),
                     boundary(subset.input_tensors), boundary(subset.output_tensors))


def execution_plan(
    subgraph: Subgraph,
    partitions: Sequence[Partition],
    inputs_override: Mapping[int, tuple[int, ...]] | None = None,
    subsets: Sequence[NodeSubset] | None = None,
) -> tuple[PlanEntry, ...]:
    """The interpreter's plan after `ReplaceNodeSubsetsWithDelegateKernels` replaced each of
    `partitions` by one kernel: the node subsets in the order the partitioner found them, a
    CPU subset's nodes one by one. `inputs_override`: the nodes the fp16 helper rewired;
    `subsets`: the partitioner's result for exactly these partitions' nodes, when the caller
    has it (else it is worked out again).

    Source: tflite/core/subgraph.cc, Subgraph::ReplaceNodeSubsetsWithDelegateKernels;
    tflite/graph_info.cc, PartitionGraphIntoIndependentNodeSubsets.
    """
    if not partitions:
        return tuple(PlanEntry(node=op.index) for op in subgraph.operators)
    index = {p.nodes: k for k, p in enumerate(partitions)}
    if subsets is None:
        delegated = [n for p in partitions for n in p.nodes]
        try:
            subsets = partition_graph(
                GraphInfo.of(subgraph, dict(inputs_override or {})), delegated
            )
        except PartitionError:
            return ()
    plan: list[PlanEntry] = []
    for s in subsets:
        if s.delegated:
            key = tuple(sorted(s.nodes))
            plan.append(PlanEntry(partition=index.get(key), nodes=key))
        else:
            plan.extend(PlanEntry(node=n) for n in s.nodes)
    return tuple(plan)


def partition_cap(options: Mapping[str, Any], default: int) -> int:
    """The `max_partitions` option (0: no limit; the target's `default` when not given);
    UsageError for a negative one."""
    from opcompat.errors import UsageError

    cap = options.get("max_partitions", default)
    if cap < 0:
        raise UsageError(f"--max-partitions must be 0 (no limit) or more, got {cap}")
    return int(cap)


def not_delegated_reasons(
    status: str, refused: bool, in_dropped: bool, dropped: Reason
) -> tuple[Reason, ...]:
    """Why an operator the delegate accepts is not delegated: the whole delegation failed,
    the interpreter never applied the delegate to its subgraph, or the partition cap dropped
    its partition (`dropped`, the target's own wording); none when it is not known.

    Source: tflite/core/subgraph.cc, Subgraph::ModifyGraphWithDelegateImpl;
    tflite/core/interpreter.cc, Interpreter::ModifyGraphWithDelegateImpl.
    """
    from opcompat.reasons import DELEGATION_REFUSED, SUBGRAPH_NOT_DELEGATED, reason

    if refused or (status != OK and status != NOT_APPLIED):
        return (reason(DELEGATION_REFUSED, "tflite/core/subgraph.cc, ModifyGraphWithDelegateImpl"),)
    if status == NOT_APPLIED:
        return (reason(SUBGRAPH_NOT_DELEGATED,
                       "tflite/core/interpreter.cc, ModifyGraphWithDelegateImpl"),)
    return (dropped,) if in_dropped else ()
