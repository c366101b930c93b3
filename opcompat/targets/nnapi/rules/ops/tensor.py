"""Validate rules: tensor manipulation ops (SLICE ... HASHTABLE_LOOKUP).

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order.
"""
from __future__ import annotations

import struct

from opcompat.model.graph import Tensor
from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6, SDK_NNAPI13
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    QUANT8,
    dtype_of,
    expect_input_type_in,
    expect_is_float_quant8_or_int32_operator,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    builtin_params,
    constant_bytes,
    dim,
    enum_value,
    is_mmap_ro,
    legacy_params,
    rank,
    table_max_version,
    table_min_level,
)

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

_MIRROR_PAD_MODES = ("REFLECT", "SYMMETRIC")


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


def _ints(ctx: OpContext, tensor: Tensor | None, fmt: str, count: int) -> list[int] | None:
    """The first `count` values of a constant tensor (`data.i32` / `data.i64`), or None.

    None when the tensor is not constant or holds fewer values (the C++ would read past its data).
    """
    raw = constant_bytes(ctx, tensor)
    size = struct.calcsize(fmt)
    if raw is None or count < 0 or len(raw) < count * size:
        return None
    return list(struct.unpack_from(f"<{count}{fmt}", raw))


@rule("SLICE")
def slice_(ctx: OpContext) -> None:
    """API 29+, float32/int32/uint8/int8 input, int32 begin and size.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSlice
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.INT32, T.UINT8, T.INT8))
    ctx.expect(
        dtype_of(ctx.input(1)) == T.INT32,
        "kUnsupportedInputType",
        "Begin type should be Int32",
        _source("Slice"),
    )
    ctx.expect(
        dtype_of(ctx.input(2)) == T.INT32,
        "kUnsupportedInputType",
        "Size type should be Int32",
        _source("Slice"),
    )


@rule("TRANSPOSE_CONV")
def transpose_conv(ctx: OpContext) -> None:
    """API 29+, constant output-shape and weights tensors.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinTransposeConv
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        ctx.num_inputs > 1 and is_mmap_ro(ctx.input(0)) and is_mmap_ro(ctx.input(1)),
        "kInputTensorShouldHaveConstantShape",
        "Dynamically-sized tensors not supported.",
        _source("TransposeConv"),
    )


@rule("SPACE_TO_DEPTH")
def space_to_depth(ctx: OpContext) -> None:
    """Float32/uint8/int8 input (no level check).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSpaceToDepth
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8))


@rule("DEPTH_TO_SPACE")
def depth_to_space(ctx: OpContext) -> None:
    """Float32/uint8/int8 input (no version or level check).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinDepthToSpace
    """
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8))


@rule("EMBEDDING_LOOKUP")
def embedding_lookup(ctx: OpContext) -> None:
    """Version 1, float32 values (input 1).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinEmbeddingLookup
    """
    expect_op_version(ctx, table_max_version(ctx))
    ctx.expect(
        dtype_of(ctx.input(1)) == T.FLOAT32,
        "kUnsupportedInputType",
        "NNAPI only support float32 values.",
        _source("EmbeddingLookup"),
    )


@rule("HASHTABLE_LOOKUP")
def hashtable_lookup(ctx: OpContext) -> None:
    """Version 1, float32 output.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinHashtableLookup
    """
    expect_op_version(ctx, table_max_version(ctx))
    ctx.expect(
        dtype_of(ctx.output(0)) == T.FLOAT32,
        "kUnsupportedOutputType",
        "NNAPI only support float32 output.",
        _source("HashtableLookup"),
    )


@rule("CAST")
def cast(ctx: OpContext) -> None:
    """Version 1, API 29+; float32/int32/uint8 in and out, int8 too from API 30.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinCast
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    input_type = dtype_of(ctx.input(0))
    output_type = dtype_of(ctx.output(0))
    allowed: tuple[T, ...]
    if ctx.level >= SDK_NNAPI13:
        allowed = (T.FLOAT32, T.INT32, T.UINT8, T.INT8)
        message = (
            "Output type should be one of kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8."
        )
    else:
        allowed = (T.FLOAT32, T.INT32, T.UINT8)
        message = "Output type should be one of kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8."
    expect_input_type_in(ctx, input_type, allowed)
    ctx.expect(output_type in allowed, "kUnsupportedOutputType", message, _source("Cast"))


@rule("TILE")
def tile(ctx: OpContext) -> None:
    """Version 1, API 29+, float32/int8/uint8/int32 input, int32 multipliers.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinTile
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.INT8, T.UINT8, T.INT32))
    ctx.expect(
        dtype_of(ctx.input(1)) == T.INT32,
        "kUnsupportedInputType",
        "Multipliers should be Int32",
        _source("Tile"),
    )


@rule("TOPK_V2")
def topk_v2(ctx: OpContext) -> None:
    """API 29+, float32/int32/uint8/int8 input, constant int32 k.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinTopkV2
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.INT32, T.UINT8, T.INT8))
    k = ctx.input(1)
    ctx.expect(
        dtype_of(k) == T.INT32 and is_mmap_ro(k),
        "kUnsupportedInputType",
        "K param should be a constant of type Int32",
        _source("TopkV2"),
    )


@rule("GATHER")
def gather(ctx: OpContext) -> None:
    """API 29+, float32/float16/int32/uint8/int8 input, int32 positions of rank > 0.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinGather
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    positions = ctx.input(1)
    expect_input_type_in(
        ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.FLOAT16, T.INT32, T.UINT8, T.INT8)
    )
    ctx.expect(
        dtype_of(positions) == T.INT32,
        "kUnsupportedInputType",
        "Positions type should be one of kTfLiteInt32",
        _source("Gather"),
    )
    ctx.expect(
        rank(positions) != 0,
        "kUnsupportedOperandRank",
        "0-dimension args are not supported by NNAPI.",
        _source("Gather"),
    )


@rule("EXPAND_DIMS")
def expand_dims(ctx: OpContext) -> None:
    """Version 1, API 29+, float32/float16/int32/uint8/int8 input, constant int32 axis.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinExpandDims
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(
        ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.FLOAT16, T.INT32, T.UINT8, T.INT8)
    )
    axis = ctx.input(1)
    ctx.expect(
        dtype_of(axis) == T.INT32 and is_mmap_ro(axis),
        "kUnsupportedInputType",
        "NNAPI only supports constant int32 axis tensor.",
        _source("ExpandDims"),
    )


@rule("SPLIT")
def split(ctx: OpContext) -> None:
    """API 29+, float32/uint8/int32 value (int8 too from API 30), constant int32 axis.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSplit
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    # SPLIT's inputs are (axis, value).
    value_type = dtype_of(ctx.input(1))
    if ctx.level >= SDK_NNAPI13:
        expect_input_type_in(ctx, value_type, (T.FLOAT32, T.UINT8, T.INT8, T.INT32))
    else:
        expect_input_type_in(ctx, value_type, (T.FLOAT32, T.UINT8, T.INT32))
    axis = ctx.input(0)
    ctx.expect(
        dtype_of(axis) == T.INT32 and is_mmap_ro(axis),
        "kUnsupportedInputType",
        "NNAPI only supports constant int32 axis tensor.",
        _source("Split"),
    )


def _split_v_unknown_size(ctx: OpContext, sizes: list[int], axis_value: int) -> int | None:
    """`ComputeSplitVUnknownSplitSize`: the size a -1 entry stands for, or -1 when none is -1.

    None when the axis is outside the input's dimensions (the C++ would read past them).
    """
    if -1 not in sizes:
        return -1
    known = sum(s for s in sizes if s != -1)
    axis = axis_value + rank(ctx.input(0)) if axis_value < 0 else axis_value
    total = dim(ctx.input(0), axis) if axis >= 0 else None
    return None if total is None else total - known


@rule("SPLIT_V")
def split_v(ctx: OpContext) -> None:
    """API 30+, float32/uint8/int8/int32 value, constant int32 size_splits vector and axis, no
    zero-sized split.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSplitV (with ComputeSplitVUnknownSplitSize)
    """
    src = _source("SplitV")
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    value, size_splits, axis = ctx.input(0), ctx.input(1), ctx.input(2)
    expect_input_type_in(ctx, dtype_of(value), (T.FLOAT32, T.UINT8, T.INT8, T.INT32))
    sizes_ok = dtype_of(size_splits) == T.INT32 and rank(size_splits) == 1 and is_mmap_ro(
        size_splits
    )
    axis_ok = dtype_of(axis) == T.INT32 and is_mmap_ro(axis)
    ctx.expect(
        sizes_ok, "kUnsupportedInputType", "NNAPI only supports constant int32 size_splits vector.",
        src,
    )
    ctx.expect(axis_ok, "kUnsupportedInputType", "NNAPI only supports constant int32 axis tensor.",
               src)
    if sizes_ok and axis_ok:
        count = dim(size_splits, 0) or 0
        sizes = _ints(ctx, size_splits, "i", count)
        axis_values = _ints(ctx, axis, "i", 1)
        # Unreadable data (the C++ would read out of bounds) is not counted as a failure.
        ctx.expect(
            sizes is None or all(s != 0 for s in sizes),
            "kUnsupportedInputType",
            "NNAPI only supports non-zero split sizes.",
            src,
        )
        unknown = (
            None
            if sizes is None or axis_values is None
            else _split_v_unknown_size(ctx, sizes, axis_values[0])
        )
        ctx.expect(
            unknown != 0,
            "kUnsupportedInputType",
            "NNAPI only supports non-zero split sizes.",
            src,
        )


@rule("QUANTIZE")
def quantize(ctx: OpContext) -> None:
    """API 29+; float32 or quant8 input with scale > 0; uint8 output (int8 too from API 30) with
    scale > 0.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinQuantize
    """
    src = _source("Quantize")
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    value_type = dtype_of(ctx.input(0))
    ctx.expect(
        value_type == T.FLOAT32 or value_type in QUANT8,
        "kUnsupportedInputType",
        "Value should be quantized or Float32.",
        src,
    )
    if value_type in QUANT8:
        ctx.expect(
            legacy_params(ctx.input(0))[0] > 0.0,
            "kUnsupportedQuantizationParameters",
            "Quantization scale should be > 0.",
            src,
        )
    output_type = dtype_of(ctx.output(0))
    if ctx.level < SDK_NNAPI13:
        ok = output_type == T.UINT8
    else:
        ok = output_type in (T.UINT8, T.INT8)
    ctx.expect(ok, "kUnsupportedOutputType", "Output should be kTfLiteUInt8.", src)
    ctx.expect(
        legacy_params(ctx.output(0))[0] > 0.0,
        "kUnsupportedQuantizationParameters",
        "Quantization scale should be > 0.",
        src,
    )


@rule("FILL")
def fill(ctx: OpContext) -> None:
    """Version 1, API 30+; constant int32/int64 dims of non-zero length fitting int32;
    float32/int32/int64 value, a constant int64 value fitting int32.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinFill
    """
    src = _source("Fill")
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    dims_tensor = ctx.input(0)
    dims_constant = is_mmap_ro(dims_tensor)
    ctx.expect(
        dims_constant,
        "kUnsupportedInputType",
        "NNAPI doesn't support dynamic dimensions tensor.",
        src,
    )
    expect_input_type_in(ctx, dtype_of(dims_tensor), (T.INT32, T.INT64))
    if dims_constant:
        length = dim(dims_tensor, 0)
        # A rank-0 dims tensor has no dims->data[0]; such a read is not counted as a failure.
        ctx.expect(
            length != 0,
            "kUnsupportedOperandValue",
            "NNAPI doesn't support generating scalars from FILL",
            src,
        )
        if dtype_of(dims_tensor) == T.INT64:
            values = _ints(ctx, dims_tensor, "q", length or 0)
            fit = values is None or all(INT32_MIN <= v <= INT32_MAX for v in values)
            ctx.expect(
                fit,
                "kUnsupportedOperandValue",
                "NNAPI only supports int32 dimensions tensor. If the dimensions type is int64 "
                "and they are constant we can convert them to int32 if the value isn't too "
                "large.",
                src,
            )
    value_tensor = ctx.input(1)
    expect_input_type_in(ctx, dtype_of(value_tensor), (T.FLOAT32, T.INT32, T.INT64))
    if dtype_of(value_tensor) == T.INT64 and is_mmap_ro(value_tensor):
        first = _ints(ctx, value_tensor, "q", 1)
        ctx.expect(
            first is None or INT32_MIN <= first[0] <= INT32_MAX,
            "kUnsupportedInputType",
            "NNAPI only supports int32 input. If the input type is int64 and constant we can "
            "convert it to int32 if the value isn't too large.",
            src,
        )


@rule("PACK")
def pack(ctx: OpContext) -> None:
    """API 30+; below feature level 6 only float32/int8 and not along the last axis; from
    feature level 6 int32/float32/int8/uint8.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinPack
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    input_type = dtype_of(ctx.input(0))
    if ctx.level >= FL6:
        expect_input_type_in(ctx, input_type, (T.INT32, T.FLOAT32, T.INT8, T.UINT8))
    else:
        expect_input_type_in(ctx, input_type, (T.FLOAT32, T.INT8))
        axis = int(builtin_params(ctx, "PackOptions", {"axis": 0})["axis"])
        ctx.expect(
            axis != -1 and axis != rank(ctx.input(0)),
            "kUnsupportedOperandValue",
            "NNAPI does not support axis being the last dimension",
            _source("Pack"),
        )


@rule("UNPACK")
def unpack(ctx: OpContext) -> None:
    """API 30+, float32/uint8/int8 input of rank 2..4, not along the last axis.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinUnpack
    """
    src = _source("Unpack")
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8))
    input_rank = rank(ctx.input(0))
    ctx.expect(
        input_rank > 1,
        "kUnsupportedOperandValue",
        "NNAPI does not support unpacking a rank-1 tensor",
        src,
    )
    ctx.expect(
        input_rank <= 4,
        "kUnsupportedOperandValue",
        "NNAPI does not support unpacking a tensor with rank > 4",
        src,
    )
    axis = int(builtin_params(ctx, "UnpackOptions", {"axis": 0})["axis"])
    ctx.expect(
        axis != -1 and axis != input_rank - 1,
        "kUnsupportedOperandValue",
        "NNAPI does not support axis being the last dimension",
        src,
    )


def _is_broadcast_batch_matmul(ctx: OpContext) -> bool:
    """`IsBroadcastBatchMatMul`: ranks differ, or a batch dimension differs.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, IsBroadcastBatchMatMul.
    """
    a, b = ctx.input(0), ctx.input(1)
    shape_a = tuple(a.shape) if a is not None else ()
    shape_b = tuple(b.shape) if b is not None else ()
    if len(shape_a) != len(shape_b):
        return True
    return shape_a[:-2] != shape_b[:-2]


@rule("BATCH_MATMUL")
def batch_matmul(ctx: OpContext) -> None:
    """Feature level 6+, float32/int32/int8 inputs of one type, rank 2..4, no broadcasting.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinBatchMatmul (with IsBroadcastBatchMatMul)
    """
    src = _source("BatchMatmul")
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    input0, input1 = ctx.input(0), ctx.input(1)
    expect_input_type_in(ctx, dtype_of(input0), (T.FLOAT32, T.INT32, T.INT8))
    ctx.expect(
        dtype_of(input0) == dtype_of(input1),
        "kUnsupportedHybridOperator",
        "NNAPI does not support hybrid batch matmul",
        src,
    )
    ctx.expect(
        2 <= rank(input0) <= 4,
        "kUnsupportedOperandRank",
        "NNAPI does not support input rank greater than 4 or less than 2",
        src,
    )
    ctx.expect(
        not _is_broadcast_batch_matmul(ctx),
        "kUnsupportedInputType",
        "NNAPI does not support broadcast batch matmul",
        src,
    )


@rule("MIRROR_PAD")
def mirror_pad(ctx: OpContext) -> None:
    """Feature level 7+, float32/quant8/int32 input without zero-sized dimensions, a known
    padding mode, exactly 2 inputs.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinMirrorPad
    """
    src = _source("MirrorPad")
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_quant8_or_int32_operator(ctx)
    # Without a MirrorPadOptions table the parser leaves mode zero: kTfLiteMirrorPaddingUnknown.
    known_mode = ctx.op.options_type == "MirrorPadOptions" and enum_value(
        (ctx.op.options or {}).get("mode", 0), _MIRROR_PAD_MODES
    ) in (0, 1)
    ctx.expect(known_mode, "kUnsupportedOperandValue", "Unknown padding mode", src)
    inp = ctx.input(0)
    ctx.expect(
        0 not in (inp.shape if inp is not None else ()),
        "kUnsupportedOperandValue",
        "NN API pad ops do not support input tensors with no elements",
        src,
    )
    ctx.expect(ctx.num_inputs == 2, "kUnsupportedOperatorVariant", "Expecting 2 inputs", src)


@rule("REVERSE_V2")
def reverse_v2(ctx: OpContext) -> None:
    """Feature level 7+, float32/quant8/int32 input, exactly 2 inputs.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinReverseV2
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_quant8_or_int32_operator(ctx)
    ctx.expect(
        ctx.num_inputs == 2,
        "kUnsupportedOperatorVariant",
        "Expecting 2 inputs",
        _source("ReverseV2"),
    )
