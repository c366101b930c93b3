"""fp16 weight remapping: how the delegate treats constant fp16 weights behind DEQUANTIZE nodes.

When a subgraph has a DEQUANTIZE node whose input is a constant fp16 tensor, `DoPrepare` does
not validate nodes one by one but calls `GetSupportedOpsWithFp16WeightRemapping`, which runs
`FP16GraphPartitionHelper` (tflite/delegates/utils.cc):

* those DEQUANTIZE nodes are never supported themselves;
* every other node is validated with its inputs pointed at the fp16 constants instead of the
  DEQUANTIZE outputs (`RemapFp16InputTensors`);
* when the supported nodes plus those DEQUANTIZE nodes are the whole plan, every node is
  delegated, DEQUANTIZE nodes included ("Scenario 1: Full Delegation"); otherwise the supported
  nodes only ("Scenario 2");
* the selected nodes stay rewired to the fp16 constants: later partitioning and the NNAPI model
  see the rewired graph.
"""

from __future__ import annotations

from collections.abc import Callable

from opcompat.model.graph import Model, Operator, Subgraph, TensorType
from opcompat.report import Reason

HELPER_SOURCE = (
    "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping; "
    "tflite/delegates/utils.cc, FP16GraphPartitionHelper"
)

ValidateFn = Callable[[Operator], tuple[Reason, ...]]
"""Validate at the checked target for an operator (possibly with rewired inputs)."""


def is_dequantize_const_fp16(subgraph: Subgraph, op: Operator) -> bool:
    """`IsDequantizeConstFloat16` (nnapi_delegate.cc): DEQUANTIZE of a constant fp16 tensor."""
    if op.op != "DEQUANTIZE" or not op.inputs:
        return False
    i = op.inputs[0]
    if not 0 <= i < len(subgraph.tensors):
        return False
    t = subgraph.tensors[i]
    return t.dtype == TensorType.FLOAT16 and t.is_constant


def has_const_fp16_dequantize(subgraph: Subgraph) -> bool:
    """Whether `DoPrepare` takes the fp16 path here (`should_prune_fp16_dequantize`).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, StatefulNnApiDelegate::DoPrepare.
    """
    return any(is_dequantize_const_fp16(subgraph, op) for op in subgraph.operators)


class Fp16Selection:
    """What `GetSupportedOpsWithFp16WeightRemapping` returns, and how it left the graph."""

    __slots__ = ("supported_nodes", "full_delegation", "dequantize_nodes", "rewired_inputs",
                 "remapped_reasons")

    def __init__(
        self,
        supported_nodes: list[int],
        full_delegation: bool,
        dequantize_nodes: frozenset[int],
        rewired_inputs: dict[int, tuple[int, ...]] | None = None,
        remapped_reasons: dict[int, tuple[Reason, ...]] | None = None,
    ) -> None:
        self.supported_nodes = supported_nodes  # the nodes it hands back to DoPrepare
        # Scenario 1: supported nodes plus fp16 DEQUANTIZE nodes are the whole plan.
        self.full_delegation = full_delegation
        self.dequantize_nodes = dequantize_nodes  # the constant-fp16 DEQUANTIZE nodes
        # Node index -> its inputs after RemapFp16InputTensors (only nodes that changed).
        self.rewired_inputs = {} if rewired_inputs is None else rewired_inputs
        # Validate's verdict, as the helper computed it, for nodes validated with rewired inputs.
        self.remapped_reasons = {} if remapped_reasons is None else remapped_reasons


def rewire(op: Operator, mapping: dict[int, int]) -> Operator | None:
    """`op` with DEQUANTIZE outputs replaced by their fp16 inputs; None when nothing changes.

    Source: tflite/delegates/utils.cc, FP16GraphPartitionHelper::RemapFp16InputTensors.
    """
    if not any(i in mapping for i in op.inputs):
        return None
    return op._replace(inputs=tuple(mapping.get(i, i) for i in op.inputs))


def select_fp16(
    model: Model,
    subgraph: Subgraph,
    plain_reasons: list[tuple[Reason, ...]],
    validate_rewired: ValidateFn,
) -> Fp16Selection:
    """Reproduce the helper for one subgraph.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping;
    tflite/delegates/utils.cc, FP16GraphPartitionHelper::IsNodeSupported and
    GetNodesOfFirstNLargestPartitionsImpl.

    `plain_reasons[i]` is Validate's verdict for node i as it stands (reused when the helper
    validates a node whose inputs it did not rewire); `validate_rewired` validates a rewired copy.
    """
    del model  # the rewired operator carries everything the rules need
    dequant_map: dict[int, int] = {}  # DEQUANTIZE output -> fp16 constant (constant_dequant_map_)
    dequant_nodes: dict[int, int] = {}  # DEQUANTIZE output -> node (constant_dequant_nodes_)
    supported: list[int] = []
    remapped_reasons: dict[int, tuple[Reason, ...]] = {}
    # PrepareSupportedNodes walks the plan in order; the map grows as DEQUANTIZEs are met.
    for op in subgraph.operators:
        if is_dequantize_const_fp16(subgraph, op):
            if op.outputs:
                dequant_map[op.outputs[0]] = op.inputs[0]
                dequant_nodes[op.outputs[0]] = op.index
            continue
        rewired = rewire(op, dequant_map) if dequant_map else None
        if rewired is None:
            reasons = plain_reasons[op.index]
        else:
            reasons = validate_rewired(rewired)
            remapped_reasons[op.index] = reasons
        if not reasons:
            supported.append(op.index)

    total = len(subgraph.operators)
    full = len(supported) + len(dequant_nodes) == total
    # Scenario 2 keeps every partition (GetNodesOfFirstNLargestPartitions' default n is INT_MAX),
    # so the selected set is the supported set; its order does not matter downstream.
    selected = list(range(total)) if full else sorted(supported)
    rewired_inputs: dict[int, tuple[int, ...]] = {}
    for idx in selected:
        r = rewire(subgraph.operators[idx], dequant_map)
        if r is not None:
            rewired_inputs[idx] = r.inputs
    return Fp16Selection(
        supported_nodes=selected,
        full_delegation=full,
        dequantize_nodes=frozenset(dequant_nodes.values()),
        rewired_inputs=rewired_inputs,
        remapped_reasons=remapped_reasons,
    )
