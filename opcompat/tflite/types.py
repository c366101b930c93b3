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
    TensorType.INT2: "INT2",
    TensorType.UINT4: "UINT4",
    TensorType.FLOAT8_E4M3FN: "FLOAT8_E4M3FN",
    TensorType.FLOAT8_E5M2: "FLOAT8_E5M2",
}

# The TfLiteType number of each schema type (tflite/core/c/c_api_types.h, enum TfLiteType;
# the interpreter's ConvertTensorType maps one to the other), as C++ messages print it.
_C_TYPE: dict[int, int] = {
    TensorType.FLOAT32: 1, TensorType.FLOAT16: 10, TensorType.INT32: 2, TensorType.UINT8: 3,
    TensorType.INT64: 4, TensorType.STRING: 5, TensorType.BOOL: 6, TensorType.INT16: 7,
    TensorType.COMPLEX64: 8, TensorType.INT8: 9, TensorType.FLOAT64: 11,
    TensorType.COMPLEX128: 12, TensorType.UINT64: 13, TensorType.RESOURCE: 14,
    TensorType.VARIANT: 15, TensorType.UINT32: 16, TensorType.UINT16: 17, TensorType.INT4: 18,
    TensorType.BFLOAT16: 19, TensorType.INT2: 20, TensorType.UINT4: 21,
    TensorType.FLOAT8_E4M3FN: 22, TensorType.FLOAT8_E5M2: 23,
}

# `GetSizeOfType` (tflite/util.cc): bytes of one element; sub-byte types count one byte, and
# string, resource and variant have none.
_SIZE_OF_TYPE: dict[int, int] = {
    **{int(t): n for t, n in (
        (TensorType.FLOAT32, 4), (TensorType.FLOAT16, 2), (TensorType.INT32, 4),
        (TensorType.UINT8, 1), (TensorType.INT64, 8), (TensorType.BOOL, 1),
        (TensorType.INT16, 2), (TensorType.COMPLEX64, 8), (TensorType.INT8, 1),
        (TensorType.FLOAT64, 8), (TensorType.COMPLEX128, 16), (TensorType.UINT64, 8),
        (TensorType.UINT32, 4), (TensorType.UINT16, 2), (TensorType.INT4, 1),
        (TensorType.BFLOAT16, 2), (TensorType.INT2, 1), (TensorType.UINT4, 1),
        (TensorType.FLOAT8_E4M3FN, 1), (TensorType.FLOAT8_E5M2, 1))},
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


def known_type_name(dtype: int) -> str | None:
    """`TfLiteTypeGetName` of a schema type; None for a value outside the schema enum."""
    try:
        return _TYPE_NAMES.get(TensorType(dtype))
    except ValueError:
        return None


def c_type_value(dtype: int) -> int:
    """The TfLiteType number of a schema type (the value itself outside the enum)."""
    return _C_TYPE.get(dtype, dtype)


def size_of_type(dtype: int) -> int | None:
    """`GetSizeOfType`: bytes of one element; None for string, resource, variant and values
    outside the enum."""
    return _SIZE_OF_TYPE.get(dtype)


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


# TfLiteAllocationType values (tflite/core/c/common.h) as the interpreter assigns them to a
# model's tensors (tflite/core/interpreter_builder.cc, ParseTensors).
MMAP_RO = "kTfLiteMmapRo"
"""A constant: its data is in the model."""
ARENA_RW = "kTfLiteArenaRw"
"""An activation, or a subgraph input or output."""
ARENA_RW_PERSISTENT = "kTfLiteArenaRwPersistent"
"""A variable tensor."""
DYNAMIC = "kTfLiteDynamic"
"""A string, resource or variant tensor (its size is known only when a kernel runs)."""


def allocation_type(tensor: Tensor) -> str:
    """The `allocation_type` TFLite gives `tensor` before any kernel runs.

    Source: tflite/core/interpreter_builder.cc, InterpreterBuilder::ParseTensors
    (SetTensorParametersReadOnly for buffers with data);
    tflite/core/subgraph.cc, SetTensorParametersReadWrite (string, resource and variant
    types are dynamic, variables of other types persistent).
    """
    if tensor.is_constant:
        return MMAP_RO
    if tensor.dtype in DYNAMIC_TYPES:
        return DYNAMIC
    if tensor.is_variable:
        return ARENA_RW_PERSISTENT
    return ARENA_RW
