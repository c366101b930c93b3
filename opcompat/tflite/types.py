"""TFLite's own facts about tensor types: their names as `TfLiteTypeGetName` spells them,
their sizes, which are dynamic before any kernel runs, and a bounds-checked tensor lookup.

Sources: tflite/core/c/common.cc (TfLiteTypeGetName, TfLiteTypeGetSize),
tflite/core/subgraph.cc (SetTensorParametersReadWrite).
"""

from __future__ import annotations

from opcompat.model.graph import OPTIONAL_TENSOR, Subgraph, Tensor, TensorType

DYNAMIC_TYPES = frozenset({TensorType.STRING, TensorType.RESOURCE, TensorType.VARIANT})
"""Types whose non-constant tensors are kTfLiteDynamic before any kernel runs."""

_TYPE_NAMES = {  # TfLiteTypeGetName
    TensorType.FLOAT32: "FLOAT32",
    TensorType.FLOAT16: "FLOAT16",
    TensorType.INT32: "INT32",
    TensorType.UINT8: "UINT8",
    TensorType.INT64: "INT64",
    TensorType.STRING: "STRING",
    TensorType.BOOL: "BOOL",
    TensorType.INT16: "INT16",
    TensorType.COMPLEX64: "COMPLEX64",
    TensorType.INT8: "INT8",
    TensorType.FLOAT64: "FLOAT64",
    TensorType.COMPLEX128: "COMPLEX128",
    TensorType.UINT64: "UINT64",
    TensorType.RESOURCE: "RESOURCE",
    TensorType.VARIANT: "VARIANT",
    TensorType.UINT32: "UINT32",
    TensorType.UINT16: "UINT16",
    TensorType.INT4: "INT4",
    TensorType.BFLOAT16: "BFLOAT16",
}

_ITEM_SIZE: dict[TensorType | int, int] = {
    TensorType.FLOAT32: 4,
    TensorType.FLOAT16: 2,
    TensorType.INT32: 4,
    TensorType.UINT8: 1,
    TensorType.INT64: 8,
    TensorType.BOOL: 1,
    TensorType.INT16: 2,
    TensorType.COMPLEX64: 8,
    TensorType.INT8: 1,
    TensorType.FLOAT64: 8,
    TensorType.COMPLEX128: 16,
    TensorType.UINT64: 8,
    TensorType.UINT32: 4,
    TensorType.UINT16: 2,
    TensorType.BFLOAT16: 2,
}


def type_name(dtype: int) -> str:
    try:
        return _TYPE_NAMES.get(TensorType(dtype), f"type {int(dtype)}")
    except ValueError:
        return f"type {int(dtype)}"


def tensor_at(subgraph: Subgraph, index: int) -> Tensor | None:
    """Tensor `index` of `subgraph`; None for an omitted optional input or an index out of
    range."""
    if index == OPTIONAL_TENSOR or not 0 <= index < len(subgraph.tensors):
        return None
    return subgraph.tensors[index]


def byte_size(tensor: Tensor) -> int:
    """`TfLiteTensor.bytes` for a statically shaped tensor (0 for dynamic types)."""
    size = _ITEM_SIZE.get(tensor.dtype, 0)
    for d in tensor.shape:
        size *= max(d, 0)
    return size
