"""How the NNAPI delegate sees tensors and builtin params, and its non-Expect helper checks.

Validate reads `TfLiteTensor` fields (type, dims, params, quantization, allocation_type, data)
and the parsed `builtin_data`. These helpers give the same view of opcompat's model objects:

* a tensor's type classes (`IsFloat`, `IsQuantized`, ... in `nnapi_delegate.cc`);
* `quantization.type == kTfLiteAffineQuantization` and the legacy `params.scale/zero_point`
  (`InterpreterBuilder::ParseQuantization`, `GetLegacyQuantization` in `core/subgraph.cc`);
* `allocation_type == kTfLiteMmapRo` (a tensor backed by a buffer with data);
* `builtin_data` as TFLite's flatbuffer parser fills it (`core/api/flatbuffer_conversions.cc`):
  when the operator has no options table of the expected kind, the params struct is
  zero-initialised, not filled with the schema defaults;
* `IsHybridOperator`.

An omitted optional input (index -1) reads as a tensor of no type, rank 0, not constant.
"""
from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

from opcompat.errors import TableError
from opcompat.model.graph import Tensor, TensorType
from opcompat.tables import delegate_mapping
from opcompat.targets.nnapi.rules.context import OpContext

DELEGATE = "tflite/delegates/nnapi/nnapi_delegate.cc"

# QuantizationDetails union members that make TFLite build a non-affine quantization
# (InterpreterBuilder::ParseQuantization): BlockwiseQuantization, MultiAxisQuantization.
_NON_AFFINE_DETAILS = frozenset({2, 3})

# enum ActivationFunctionType of schema.fbs, in value order.
_ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")
_LSH_TYPES = ("UNKNOWN", "SPARSE", "DENSE")


# --- type classes -----------------------------------------------------------------------------


def dtype(tensor: Tensor | None) -> int | None:
    """The tensor's type as an int, or None for an omitted tensor."""
    return None if tensor is None else int(tensor.dtype)


def is_float(t: int | None) -> bool:
    """`IsFloat`: float32 only."""
    return t == TensorType.FLOAT32


def is_quantized(t: int | None) -> bool:
    """`IsQuantized`: uint8 or int8 (int16 is not a quantized type there)."""
    return t in (TensorType.UINT8, TensorType.INT8)


def is_int32(t: int | None) -> bool:
    """`IsInt32`."""
    return t == TensorType.INT32


# --- tensor properties ------------------------------------------------------------------------


def rank(tensor: Tensor | None) -> int:
    """`dims->size`."""
    return 0 if tensor is None else len(tensor.shape)


def dim(tensor: Tensor | None, i: int) -> int | None:
    """`dims->data[i]`; None when the tensor has fewer dimensions (the C++ reads past the end)."""
    if tensor is None or i >= len(tensor.shape):
        return None
    return tensor.shape[i]


def is_mmap_ro(tensor: Tensor | None) -> bool:
    """`allocation_type == kTfLiteMmapRo`: the tensor is backed by a buffer with data."""
    return tensor is not None and tensor.is_constant


def is_affine(tensor: Tensor | None) -> bool:
    """`quantization.type == kTfLiteAffineQuantization`.

    TFLite builds an affine quantization when the tensor has a non-empty scale vector and no
    blockwise or multi-axis details (InterpreterBuilder::ParseQuantization).
    """
    if tensor is None or tensor.quantization is None:
        return False
    q = tensor.quantization
    return bool(q.scale) and q.details_type not in _NON_AFFINE_DETAILS


def affine_scale_count(tensor: Tensor | None) -> int:
    """`TfLiteAffineQuantization::scale->size` (0 when not affine)."""
    if not is_affine(tensor):
        return 0
    assert tensor is not None and tensor.quantization is not None
    return len(tensor.quantization.scale)


def legacy_params(tensor: Tensor | None) -> tuple[float, int]:
    """`TfLiteTensor.params` (scale, zero_point): set only for affine, per-tensor quantization."""
    if not is_affine(tensor) or affine_scale_count(tensor) != 1:
        return 0.0, 0
    assert tensor is not None and tensor.quantization is not None
    q = tensor.quantization
    zero_point = q.zero_point[0] if q.zero_point else 0
    return f32(q.scale[0]), int(zero_point)


def f32(value: float) -> float:
    """Round to float32, as the C++ `float` fields hold it."""
    return struct.unpack("<f", struct.pack("<f", float(value)))[0]


def constant_bytes(ctx: OpContext, tensor: Tensor | None) -> bytes | None:
    """`data.raw` of a constant tensor (its `bytes` are the buffer's length); None otherwise.

    Non-constant tensors have no data while the delegate is applied (before allocation).
    """
    if tensor is None or not tensor.is_constant:
        return None
    data = ctx.constant_data(tensor)
    return None if data is None else bytes(data)


# --- builtin params ---------------------------------------------------------------------------


def builtin_params(ctx: OpContext, options_type: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The op's `builtin_data` fields, keyed by schema field name.

    `fields` maps each wanted field to its zero value. When the operator carries an options
    table of `options_type`, the decoded values (schema defaults filled in) are used; otherwise
    the parser leaves the params struct zero-initialised (`BuiltinDataAllocator::AllocatePOD`
    and the `schema_params == nullptr` branches of `core/api/flatbuffer_conversions.cc`).
    """
    if ctx.op.options_type != options_type:
        return dict(fields)
    options = ctx.op.options or {}
    return {name: options.get(name, zero) for name, zero in fields.items()}


def enum_value(value: Any, names: Sequence[str]) -> int:
    """A schema enum value as an int, whether the reader decoded it as an int or a name."""
    if value is None:
        return 0
    if isinstance(value, str):
        key = value.upper()
        return names.index(key) if key in names else -1
    return int(value)


def activation_is_none(value: Any) -> bool:
    """`activation == kTfLiteActNone` after `ConvertActivation` (unknown values become None)."""
    code = enum_value(value, _ACTIVATIONS)
    return code not in (1, 2, 3, 4, 5)


def tensor_type_value(value: Any) -> int:
    """A TensorType option (e.g. ArgMaxOptions.output_type) as an int."""
    if isinstance(value, str):
        try:
            return int(TensorType[value.upper()])
        except KeyError:
            return -1
    return 0 if value is None else int(value)


def lsh_type_is_sparse(value: Any) -> bool:
    """`type == kTfLiteLshProjectionSparse`."""
    return enum_value(value, _LSH_TYPES) == 1


def int_list(value: Any) -> tuple[int, ...]:
    """A vector option (absent, None or a sequence) as a tuple of ints."""
    if not value:
        return ()
    return tuple(int(v) for v in value)


# --- numbers of the regular checks, from the delegate mapping table ---------------------------


def table_max_version(ctx: OpContext) -> int:
    """The version limit of the op's `ExpectMaxOpVersion`/`ExpectOpVersion` at ctx.level."""
    value = delegate_mapping.max_op_version(ctx.op.op, ctx.level)
    if value is None:
        raise TableError(f"delegate_mapping has no regular version limit for {ctx.op.op}")
    return value


def table_min_level(ctx: OpContext) -> int:
    """The level of the op's unconditional `ExpectMinAndroidSdkVersion`."""
    return delegate_mapping.min_level(ctx.op.op)


# --- helper functions of the delegate ---------------------------------------------------------


def is_hybrid_operator(ctx: OpContext) -> bool:
    """`IsHybridOperator`: float activations with quantized (uint8/int8) weights.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, IsHybridOperator.
    """
    op = ctx.op.op
    if op in ("CONV_2D", "FULLY_CONNECTED"):
        return is_float(dtype(ctx.input(0))) and is_quantized(dtype(ctx.input(1)))
    if op == "LSTM":
        full_kernel = ctx.num_inputs in (24, 20)
        return full_kernel and is_float(dtype(ctx.input(0))) and is_quantized(dtype(ctx.input(2)))
    if op in ("UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM"):
        # Input 1 is optional, so the weights are read from input 2.
        return is_float(dtype(ctx.input(0))) and is_quantized(dtype(ctx.input(2)))
    if op == "UNIDIRECTIONAL_SEQUENCE_RNN":
        return is_float(dtype(ctx.input(0))) and is_quantized(dtype(ctx.input(1)))
    return False
