"""Frozen result objects: the contract between the engine, library users and the formats.

`opcompat.analysis` builds them; `opcompat.formats` only renders them. They are NamedTuples
(see `opcompat.model.graph`): `_replace` makes a changed copy.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple

from opcompat.digest import ModelDigest

REPORT_SCHEMA_VERSION = "2.0"


class Reason(NamedTuple):
    """Why an operator is not delegated, or a finding about it."""

    code: str
    """The delegate's own failure type where it has an enum of them (NNAPI's
    `kUnsupportedOperatorVersion`), or one of opcompat's codes (listed in the report schema)."""
    message: str
    source: str = ""
    """Where the rule comes from: file and function in the TFLite or AOSP source."""


class OperatorResult(NamedTuple):
    """The verdict for one operator at the checked level."""

    subgraph: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    op: str
    """Schema enum name, `CUSTOM:<name>`, or `UNKNOWN_<code>`."""
    version: int
    operations: tuple[str, ...]
    """What the target's delegate turns it into: for NNAPI, the NNAPI operation(s) it emits at
    the checked level, in the order it adds them
    (`opcompat.targets.nnapi.rules.nnapi_ops`); its counterpart
    when refused; empty when none."""
    supported: bool
    """What the target's per-operator check returns (NNAPI: `NNAPIDelegateKernel::Validate`;
    GPU: the node-support function of `GetOpsToReplace`)."""
    delegated: bool
    """Whether it really runs on the target's delegate, after partitioning and whole-model
    refusals."""
    reasons: tuple[Reason, ...] = ()
    """The per-operator check's failures, then why a supported op is not delegated."""
    partition: int | None = None
    """Index into its subgraph's `partitions`, when delegated."""
    first_api_level: int | None = None
    """For a target with device levels, the lowest API level (under default feature levels) at
    which it is delegated: the check accepts it, its partition is kept and the model is not
    refused; None: at no level, or a target without levels."""
    warnings: tuple[Reason, ...] = ()
    """Findings that do not change the delegate's verdict (spec cross-check, hazards)."""
    macs: int | None = None
    """Multiply-accumulates per inference, read from shapes (`opcompat.cost`); None when a
    shape it needs is unknown."""
    elements: int | None = None
    """Output elements; None when unknown."""
    one_time: bool = False
    """It runs once, not per inference: a DEQUANTIZE of a constant, whose output TFLite keeps
    (`opcompat.tflite.one_time`)."""
    delegated_levels: tuple[int, ...] = ()
    """The API levels (default feature levels) at which it is delegated; empty for a target
    without levels, or when it is delegated at none."""

    @property
    def nnapi_operations(self) -> tuple[str, ...]:
        """`operations`, by its name before report schema 2.0 (kept for one release)."""
        return self.operations


class Partition(NamedTuple):
    """One delegated partition: the nodes one delegate kernel replaces."""

    subgraph: int
    nodes: tuple[int, ...]
    input_tensors: tuple[int, ...]
    """Tensors that flow into the partition from the CPU side or from the graph inputs."""
    output_tensors: tuple[int, ...]
    """Tensors the partition produces for the CPU side or the graph outputs."""


class PlanEntry(NamedTuple):
    """One item of the interpreter's execution plan after delegation: an operator left on the
    CPU (`node`), or a delegate kernel (`partition`, an index into the subgraph's
    `partitions`, with the `nodes` it replaced)."""

    node: int | None = None
    partition: int | None = None
    nodes: tuple[int, ...] = ()


class SubgraphResult(NamedTuple):
    """Partitioning of one subgraph."""

    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    name: str
    partitions: tuple[Partition, ...]
    """Delegated partitions, in the delegate's order."""
    dropped_partitions: tuple[Partition, ...] = ()
    """Supported partitions left on the CPU by the delegate's partition cap."""
    status: str = ""
    """The delegate's status here: kTfLiteOk, kTfLiteApplicationError (dynamic tensors),
    kTfLiteDelegateError (the delegate's model or graph could not be built), or notApplied."""
    execution_plan: tuple[PlanEntry, ...] = ()
    """The order the interpreter runs this subgraph in after delegation (empty: not known,
    e.g. a report built by a library user; then the operators' index order)."""
    edges: tuple[tuple[int, int], ...] = ()
    """The dataflow: (producer, consumer) operator index pairs, one per pair that shares a
    tensor, sorted (empty: not known)."""


class LevelResult(NamedTuple):
    """The model at one device level (default feature level): what the delegate takes."""

    api_level: int
    delegated: int
    partitions: int
    refused: bool
    """The delegate fails as a whole at this level."""


class BoundaryTensor(NamedTuple):
    """A tensor that crosses between a delegated partition and the CPU (or the model's own
    input or output)."""

    subgraph: int
    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    name: str
    dtype: str
    shape: tuple[int, ...]
    bytes: int | None
    """None when its shape is not known."""


class PartitionCost(NamedTuple):
    """What one delegated partition computes and what crosses its border per inference."""

    subgraph: int
    partition: int
    ops: int
    macs: int | None
    inputs: tuple[BoundaryTensor, ...]
    """Tensors it reads from CPU operators (not the model's own inputs)."""
    outputs: tuple[BoundaryTensor, ...]
    """Tensors it writes for CPU operators (not the model's own outputs)."""


class ModelCost(NamedTuple):
    """The cost view of one model at the checked options; None fields are unknown."""

    macs: int | None
    macs_delegated: int | None
    boundary_bytes: int | None
    """Bytes crossing between CPU operators and delegated partitions per inference."""
    boundary_tensors: int
    io_bytes: int | None
    """Bytes of the model's own inputs and outputs that a partition reads or writes."""
    io_tensors: tuple[BoundaryTensor, ...]
    partitions: tuple[PartitionCost, ...]
    unknown_ops: int = 0
    """Operators whose MACs are unknown (a shape with a -1 dimension)."""

    @property
    def delegated_share(self) -> float | None:
        """MACs on the delegate / all MACs (None when unknown or without MACs)."""
        if self.macs is None or self.macs_delegated is None or not self.macs:
            return None
        return self.macs_delegated / self.macs


class Fix(NamedTuple):
    """A model change: make these operators (one op, one cause) delegable, and what the
    delegate would then take at the same options."""

    operators: tuple[tuple[int, int], ...]
    """(subgraph, index) of each operator of the cause."""
    op: str
    codes: tuple[str, ...]
    remedy: str
    delegated_ops_after: int
    macs_delegated_after: int | None
    partitions_after: int


class AppFix(NamedTuple):
    """An app-side change (no change to the model) and what the delegate would then take."""

    change: str
    delegated_ops_after: int
    macs_delegated_after: int | None
    partitions_after: int


class Refusal(NamedTuple):
    """The delegate delegates nothing in the whole model."""

    code: str
    message: str
    tensors: tuple[tuple[int, int], ...] = ()
    """(subgraph, tensor index) pairs that cause it."""


class CheckOptions(NamedTuple):
    """What a check was run with. The level fields are NNAPI's (None for a target without
    device levels); `target_options` holds the other targets' own options."""

    api_level: int | None
    feature_level: int | None
    validate_level: int | None
    is_accelerator_specified: bool | None
    nnapi_cpu: bool = False
    max_partitions: int = 3
    target_options: tuple[tuple[str, bool | int | str], ...] = ()
    """(name, value) pairs, in the target's order: for the GPU, `allow_quant_ops` and
    `opencl`."""


class ModelReport(NamedTuple):
    """Everything opcompat found for one model at one level."""

    path: str
    digest: ModelDigest
    """The model file's sha256, computed when first asked for (`opcompat.digest`)."""
    options: CheckOptions
    operators: tuple[OperatorResult, ...]
    subgraphs: tuple[SubgraphResult, ...]
    refusal: Refusal | None = None
    min_api_level: int | None = None
    """Lowest API level at which every operator is delegated; None when none is."""
    warnings: tuple[Reason, ...] = ()
    """Model-wide findings (constant fp16 weights, ...)."""
    status: str = ""
    """Status of `Interpreter::ModifyGraphWithDelegate`: kTfLiteOk, kTfLiteApplicationError or
    kTfLiteDelegateError."""
    target: str = "nnapi"
    """The delegate target checked (`opcompat.targets.TargetChoice`)."""
    cost: ModelCost | None = None
    """MACs and boundary traffic (`opcompat.cost`); None when not computed."""
    fixes: tuple[Fix, ...] = ()
    """Model changes, best first (by MACs gained, then operators gained)."""
    app_fixes: tuple[AppFix, ...] = ()
    """App-side changes, best first."""
    levels: tuple[LevelResult, ...] = ()
    """The level matrix: the delegate's take at every API level (empty for a target without
    levels)."""

    @property
    def sha256(self) -> str:
        """The model file's sha256 (hex). For a file, the first access reads the whole file
        (streamed, in bounded memory); ModelChangedError if it changed since it was read."""
        return self.digest.hexdigest()

    @property
    def delegated_count(self) -> int:
        return sum(1 for o in self.operators if o.delegated)

    @property
    def fallbacks(self) -> list[OperatorResult]:
        """Operators of any subgraph that stay on the CPU (refused models included)."""
        return [o for o in self.operators if not o.delegated]

    @property
    def partition_count(self) -> int:
        """Delegated partitions over all subgraphs."""
        return sum(len(sg.partitions) for sg in self.subgraphs)

    @property
    def delegated_ratio(self) -> float:
        """Delegated operators / all operators; 1.0 for a model without operators (the strict
        count: one-time operators on the CPU count as fallbacks)."""
        total = len(self.operators)
        return self.delegated_count / total if total else 1.0

    @property
    def per_inference_fallbacks(self) -> list[OperatorResult]:
        """`fallbacks` without the one-time operators (they run once, when first invoked)."""
        return [o for o in self.operators if not o.delegated and not o.one_time]

    @property
    def per_inference_ratio(self) -> float:
        """Delegated operators / operators that run per inference (one-time operators left on
        the CPU are not counted); 1.0 without any."""
        total = len(self.operators) - sum(1 for o in self.operators
                                          if o.one_time and not o.delegated)
        return self.delegated_count / total if total else 1.0

    @property
    def fully_delegated(self) -> bool:
        """Every operator of the model (it has some) is delegated."""
        return bool(self.operators) and self.delegated_count == len(self.operators)

    @property
    def partitions(self) -> tuple[tuple[int, ...], ...]:
        """Subgraph 0's delegated partitions as node-index tuples."""
        for sg in self.subgraphs:
            if sg.index == 0:
                return tuple(p.nodes for p in sg.partitions)
        return ()

    def _repr_html_(self) -> str:
        """The model as a one-model HTML report, for notebooks (`opcompat.formats.html`)."""
        from opcompat.formats.html import fragment

        return fragment(Report((self,)))


class FrozenMapping(Mapping[str, str]):
    """A read-only mapping that, unlike MappingProxyType, pickles and deep-copies (reports cross
    process pools)."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __reduce__(self) -> tuple[type, tuple[dict[str, str]]]:
        return (type(self), (self._data,))

    def __repr__(self) -> str:
        return f"FrozenMapping({self._data!r})"


class ModelError(NamedTuple):
    """A model that could not be read."""

    path: str
    error: str
    exit_code: int = 3


class _ReportFields(NamedTuple):
    models: tuple[ModelReport | ModelError, ...]
    tool_version: str = ""
    tables: Mapping[str, str] = FrozenMapping()
    """Provenance of the op tables used (name -> sha256), read-only."""


class Report(_ReportFields):
    """The result of one `opcompat check` run over one or more models."""

    __slots__ = ()

    def __new__(
        cls,
        models: tuple[ModelReport | ModelError, ...],
        tool_version: str = "",
        tables: Mapping[str, str] | None = None,
    ) -> Report:
        return super().__new__(cls, models, tool_version, FrozenMapping(tables))

    @classmethod
    def _make(cls, iterable: Iterable[object]) -> Report:  # type: ignore[override]
        """As `Report(*iterable)`: `tables` made read-only, as `__new__` does."""
        return cls(*iterable)  # type: ignore[arg-type]

    def _replace(
        self,
        *,
        models: tuple[ModelReport | ModelError, ...] | None = None,
        tool_version: str | None = None,
        tables: Mapping[str, str] | None = None,
    ) -> Report:
        """A copy with the given fields changed, `tables` made read-only again."""
        return Report(
            self.models if models is None else models,
            self.tool_version if tool_version is None else tool_version,
            self.tables if tables is None else tables,
        )

    def _repr_html_(self) -> str:
        """The report as HTML for notebooks (`opcompat.formats.html.fragment`)."""
        from opcompat.formats.html import fragment

        return fragment(self)
