"""What `Interpreter::ModifyGraphWithDelegate` does with any delegate, subgraph by subgraph:
the statuses, the record of a delegate's work, and the loop over subgraphs.

Across subgraphs (tflite/core/interpreter.cc, `Interpreter::ModifyGraphWithDelegateImpl`):
they are processed in order, validation subgraphs ("VALIDATION:" names) skipped; the first
status other than kTfLiteOk stops the loop; kTfLiteDelegateError removes the delegate from every
subgraph, kTfLiteApplicationError leaves earlier subgraphs delegated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from opcompat.model.graph import Model, Subgraph
from opcompat.report import Reason, Refusal
from opcompat.tflite.fp16 import Fp16Selection
from opcompat.tflite.partition import NodeSubset
from opcompat.tflite.refusals import dynamic_refusal, interpreter_refusal

OK = "kTfLiteOk"
LOAD_ERROR = "kTfLiteError"
"""InterpreterBuilder refused the model: no interpreter, no delegate."""
APPLICATION_ERROR = "kTfLiteApplicationError"
DELEGATE_ERROR = "kTfLiteDelegateError"
NOT_APPLIED = "notApplied"
"""The interpreter never applied the delegate to this subgraph (skipped or stopped earlier)."""

VALIDATION_SUBGRAPH_PREFIX = "VALIDATION:"

class SubgraphDelegation:
    """The delegate's work on one subgraph, filled in as DoPrepare goes."""

    __slots__ = ("index", "status", "plain", "fp16", "supported_nodes", "rewired_inputs",
                 "previewed", "partitions", "dropped", "refusal", "plan_subsets")

    def __init__(
        self, index: int, status: str = NOT_APPLIED, plain: list[tuple[Reason, ...]] | None = None
    ) -> None:
        self.index = index
        self.status = status
        # Validate's failures per node, as the node stands.
        self.plain: list[tuple[Reason, ...]] = [] if plain is None else plain
        self.fp16: Fp16Selection | None = None
        # What DoPrepare collected as supported (after the fp16 path, when taken).
        self.supported_nodes: list[int] = []
        self.rewired_inputs: dict[int, tuple[int, ...]] = {}
        self.previewed: list[NodeSubset] = []
        # The partitions replaced by NNAPI kernels (empty when the delegate failed).
        self.partitions: list[NodeSubset] = []
        self.dropped: list[NodeSubset] = []  # previewed, left on the CPU by the partition cap
        self.refusal: Refusal | None = None
        # Every node subset, delegated or not, of the partitioning that made `partitions`, in
        # the partitioner's order; None when not kept (`targets.base.execution_plan` redoes it).
        self.plan_subsets: list[NodeSubset] | None = None

    @property
    def delegated_nodes(self) -> set[int]:
        return {n for p in self.partitions for n in p.nodes}


class ModelDelegation:
    """The delegate's work on the whole model."""

    __slots__ = ("status", "subgraphs", "refusal")

    def __init__(
        self, status: str, subgraphs: list[SubgraphDelegation], refusal: Refusal | None = None
    ) -> None:
        self.status = status
        self.subgraphs = subgraphs
        self.refusal = refusal


def is_validation_subgraph(subgraph: Subgraph) -> bool:
    """`IsValidationSubgraph` (core/interpreter.cc uses it to skip subgraphs)."""
    return subgraph.name.startswith(VALIDATION_SUBGRAPH_PREFIX)


def modify_graph_with_delegate(
    model: Model,
    plain_by_subgraph: Sequence[list[tuple[Reason, ...]]],
    prepare: Callable[[Subgraph, list[tuple[Reason, ...]]], SubgraphDelegation],
    delegate: str,
) -> ModelDelegation:
    """`Interpreter::ModifyGraphWithDelegate` over every subgraph, in order: the load and
    dynamic-tensor refusals, then the delegate's `prepare` of each subgraph (with Validate's
    verdicts of its nodes) until one does not succeed. `delegate` names it in messages.

    Source: tflite/core/interpreter.cc, Interpreter::ModifyGraphWithDelegateImpl;
    tflite/core/subgraph.cc, Subgraph::ModifyGraphWithDelegateImpl.
    """
    results = [
        SubgraphDelegation(sg.index, NOT_APPLIED, plain_by_subgraph[i])
        for i, sg in enumerate(model.subgraphs)
    ]
    status = OK
    refusal: Refusal | None = interpreter_refusal(model)
    if refusal is not None:
        return ModelDelegation(LOAD_ERROR, results, refusal)
    for i, sg in enumerate(model.subgraphs):
        if is_validation_subgraph(sg):
            continue
        dyn = dynamic_refusal(sg, delegate)
        if dyn is not None:
            results[i].status = APPLICATION_ERROR
            results[i].refusal = dyn
            status, refusal = APPLICATION_ERROR, dyn
            break
        done = prepare(sg, plain_by_subgraph[i])
        results[i] = done
        if done.status != OK:
            status, refusal = done.status, done.refusal
            break
    if status == DELEGATE_ERROR:
        # Interpreter::RemoveAllDelegates: every subgraph gets its original plan back.
        for r in results:
            r.partitions = []
            r.dropped = []
    return ModelDelegation(status, results, refusal)
