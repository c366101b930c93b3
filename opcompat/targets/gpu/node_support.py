"""The tensor check of the GPU delegate's node-support function, after `IsSupported`.

Source: tflite/delegates/gpu/common/model_builder.cc, GetOpsToReplace (the node_supported_fn
lambda: the allowed type lists) and IsAllAllowedTensors. Every input and output index except
kTfLiteOptionalTensor is looked at: a tensor with 5 or more dims fails, whatever it is; only a
kTfLiteArenaRw tensor must have an allowed type.
"""

from __future__ import annotations

from collections.abc import Iterable

from opcompat.model.graph import OPTIONAL_TENSOR, Subgraph, TensorType
from opcompat.tflite.types import ARENA_RW, allocation_type

TENSOR_CHECK_MESSAGE = "OP is supported, but tensor type/shape isn't compatible."
MAX_RANK = 4
"""IsAllAllowedTensors refuses `dims->size >= 5`."""

LOGICAL_OPS = frozenset({"GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL", "EQUAL", "NOT_EQUAL"})
"""`IsLogicalCode` (model_builder.cc)."""

_BASE = (TensorType.FLOAT32, TensorType.FLOAT16)
_QUANT = (TensorType.INT8, TensorType.UINT8)
_EXTRA_IN: dict[str, tuple[TensorType, ...]] = {
    "CAST": (TensorType.BOOL, TensorType.FLOAT32, TensorType.INT32),
    "ONE_HOT": (TensorType.INT32,),
    "SELECT": (TensorType.BOOL,),
    "SELECT_V2": (TensorType.BOOL,),
    "LOGICAL_AND": (TensorType.BOOL,),
    "GATHER": (TensorType.INT32,),
}
_EXTRA_OUT: dict[str, tuple[TensorType, ...]] = {
    "CAST": (TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL),
    "LOGICAL_AND": (TensorType.BOOL,),
    **dict.fromkeys(LOGICAL_OPS, (TensorType.BOOL,)),
}


def allowed_types(op: str, allow_quant_ops: bool) -> tuple[frozenset[int], frozenset[int]]:
    """(input types, output types) the check accepts on activations of `op`."""
    base = _BASE + (_QUANT if allow_quant_ops else ())
    ins = frozenset(int(t) for t in base + _EXTRA_IN.get(op, ()))
    outs = frozenset(int(t) for t in base + _EXTRA_OUT.get(op, ()))
    return ins, outs


def all_allowed(subgraph: Subgraph, tensors: Iterable[int], allowed: frozenset[int]) -> bool:
    """`IsAllAllowedTensors` over tensor indices of one node."""
    for i in tensors:
        if i == OPTIONAL_TENSOR:
            continue
        if not 0 <= i < len(subgraph.tensors):
            return False  # no such tensor: TFLite would not have built the interpreter
        t = subgraph.tensors[i]
        if len(t.shape) > MAX_RANK:  # the interpreter always sets dims from the shape
            return False
        if int(t.dtype) not in allowed and allocation_type(t) == ARENA_RW:
            return False
    return True


def tensors_allowed(
    subgraph: Subgraph, op: str, inputs: Iterable[int], outputs: Iterable[int],
    allow_quant_ops: bool,
) -> bool:
    """Whether a node with these (possibly fp16-remapped) inputs passes the tensor check."""
    ins, outs = allowed_types(op, allow_quant_ops)
    return all_allowed(subgraph, inputs, ins) and all_allowed(subgraph, outputs, outs)
