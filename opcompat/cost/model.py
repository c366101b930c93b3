"""The cost view of a checked model: MACs per operator, partition and model, and the tensors
that cross between the CPU and the delegate per inference. Target-neutral: it reads the model's
shapes and the report's partitions only.
"""

from __future__ import annotations

from collections.abc import Iterable

from opcompat.cost.ops import OperatorCost, operator_cost
from opcompat.model.graph import Model, Subgraph
from opcompat.report import BoundaryTensor, ModelCost, ModelReport, OperatorResult, PartitionCost
from opcompat.tflite.types import byte_size, type_name

Costs = dict[tuple[int, int], OperatorCost]


def operator_costs(model: Model) -> Costs:
    """(subgraph, index) -> the operator's cost, for every operator."""
    return {(sg.index, op.index): operator_cost(sg, op)
            for sg in model.subgraphs for op in sg.operators}


def with_costs(
    model: Model, operators: Iterable[OperatorResult], costs: Costs
) -> tuple[OperatorResult, ...]:
    """The operators with their `macs`, `elements` and `one_time` filled in."""
    from opcompat.tflite.one_time import is_one_time

    out = []
    make = OperatorResult._make
    for o in operators:
        c = costs.get((o.subgraph, o.index))
        if c is None:
            out.append(o)
            continue
        sg = model.subgraphs[o.subgraph]
        once = 0 <= o.index < len(sg.operators) and is_one_time(sg, sg.operators[o.index])
        # _make over slices: `_replace` costs several times as much, once per operator.
        out.append(make((*o[:_MACS_AT], c.macs, c.elements, once, *o[_MACS_AT + 3:])))
    return tuple(out)


_MACS_AT = OperatorResult._fields.index("macs")
assert OperatorResult._fields[_MACS_AT:_MACS_AT + 3] == ("macs", "elements", "one_time")


def _sum(values: Iterable[int | None]) -> int | None:
    """The sum, or None when any value is unknown."""
    total = 0
    for v in values:
        if v is None:
            return None
        total += v
    return total


def _tensor(sg: Subgraph, t: int) -> BoundaryTensor:
    x = sg.tensors[t]
    known = x.has_rank and all(d >= 0 for d in x.shape) and not x.is_dynamic_shape
    return BoundaryTensor(sg.index, t, x.name, type_name(x.dtype), tuple(x.shape),
                          byte_size(x) if known else None)


def model_cost(model: Model, report: ModelReport, costs: Costs) -> ModelCost:
    """The model's MACs (all, delegated), and per partition its MACs and boundary tensors: the
    inputs a CPU operator produces, the outputs a CPU operator reads. The model's own inputs
    and outputs that partitions read or write are listed apart (`io_tensors`)."""
    delegated = {(o.subgraph, o.index) for o in report.operators if o.delegated}
    macs = [c.macs for c in costs.values()]
    parts: list[PartitionCost] = []
    io: list[BoundaryTensor] = []
    for sgr in report.subgraphs:
        if not 0 <= sgr.index < len(model.subgraphs) or not sgr.partitions:
            continue
        sg = model.subgraphs[sgr.index]
        producer = {t: op.index for op in sg.operators for t in op.outputs}
        cpu_reads = {t for op in sg.operators if (sg.index, op.index) not in delegated
                     for t in op.inputs}
        model_inputs, model_outputs = set(sg.inputs), set(sg.outputs)  # tuples: a scan each
        for k, p in enumerate(sgr.partitions):
            ins = tuple(_tensor(sg, t) for t in p.input_tensors
                        if t in producer and (sg.index, producer[t]) not in delegated)
            outs = tuple(_tensor(sg, t) for t in p.output_tensors if t in cpu_reads)
            io.extend(_tensor(sg, t) for t in p.input_tensors if t in model_inputs)
            io.extend(_tensor(sg, t) for t in p.output_tensors if t in model_outputs)
            parts.append(PartitionCost(sg.index, k, len(p.nodes),
                                       _sum(costs[(sg.index, n)].macs for n in p.nodes),
                                       ins, outs))
    boundary = [t for p in parts for t in p.inputs + p.outputs]
    return ModelCost(
        macs=_sum(macs),
        macs_delegated=_sum(c.macs for key, c in costs.items() if key in delegated),
        boundary_bytes=_sum(t.bytes for t in boundary),
        boundary_tensors=len(boundary),
        io_bytes=_sum(t.bytes for t in io),
        io_tensors=tuple(io),
        partitions=tuple(parts),
        unknown_ops=sum(1 for m in macs if m is None),
    )
