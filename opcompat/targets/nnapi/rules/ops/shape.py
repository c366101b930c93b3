"""Validate rules: reshaping, resizing, padding, slicing and layout ops.

RESHAPE, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, SQUEEZE, CONCATENATION, PAD, PADV2,
SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, STRIDED_SLICE, TRANSPOSE. Each function is one `case` of
`NNAPIDelegateKernel::Validate`, checks in the delegate's order; every failed check is recorded
and evaluation goes on.
"""
from __future__ import annotations

import struct

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6, SDK_NNAPI11, SDK_NNAPI12
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    expect_input_type_in,
    expect_is_float_or_quant8_operator,
    expect_is_float_quant8_or_int32_operator,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    activation_is_none,
    builtin_params,
    constant_bytes,
    dim,
    dtype,
    int_list,
    is_mmap_ro,
    legacy_params,
    rank,
    table_max_version,
    table_min_level,
)


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("RESHAPE")
def reshape(ctx: OpContext) -> None:
    """Float/quant8 (int32 from FL6), ranks <= 4, constant shape tensor or non-scalar new_shape.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinReshape
    """
    source = _source("Reshape")
    expect_op_version(ctx, table_max_version(ctx))
    if ctx.level < FL6:
        expect_is_float_or_quant8_operator(ctx)
    else:
        expect_is_float_quant8_or_int32_operator(ctx)
    ctx.expect(
        rank(ctx.input(0)) <= 4, "kUnsupportedOperandRank", "Input rank should be <= 4", source
    )
    ctx.expect(
        rank(ctx.output(0)) <= 4, "kUnsupportedOperandRank", "Output rank should be <= 4", source
    )
    if ctx.num_inputs >= 2:
        ctx.expect(
            is_mmap_ro(ctx.input(1)),
            "kInputTensorShouldHaveConstantShape",
            "The shape input tensor must be constant.",
            source,
        )
    if ctx.num_inputs == 1:
        # num_dimensions stays 0 without a ReshapeOptions table or without new_shape.
        params = builtin_params(ctx, "ReshapeOptions", {"new_shape": None})
        new_shape = int_list(params["new_shape"])
        num_dimensions = len(new_shape)
        if num_dimensions == 1 and new_shape[0] == 0:
            # Legacy models spell a scalar shape as [0].
            num_dimensions = 0
        ctx.expect(
            num_dimensions > 0, "kUnsupportedOperandRank", "New shape rank should be > 0", source
        )


def _expect_size_input(ctx: OpContext, source: str) -> None:
    """RESIZE_*: a second (size) input that is constant."""
    ctx.expect(
        ctx.num_inputs >= 2, "kUnsupportedOperatorVariant", "Expected at least 2 inputs", source
    )
    if ctx.num_inputs >= 2:
        ctx.expect(
            is_mmap_ro(ctx.input(1)),
            "kInputTensorShouldHaveConstantShape",
            "The size input tensor must be constant.",
            source,
        )


def _expect_no_align_or_half_pixel(ctx: OpContext, options_type: str, source: str) -> None:
    """Up to API 29: align_corners and half_pixel_centers both false."""
    zero = {"align_corners": False, "half_pixel_centers": False}
    params = builtin_params(ctx, options_type, zero)
    ctx.expect(
        not params["align_corners"],
        "kUnsupportedOperandValue",
        "NNAPI does not support align_corners == true.",
        source,
    )
    ctx.expect(
        not params["half_pixel_centers"],
        "kUnsupportedOperandValue",
        "NNAPI does not support half_pixel_centers == true.",
        source,
    )


@rule("RESIZE_BILINEAR")
def resize_bilinear(ctx: OpContext) -> None:
    """Rank-4 float/quant8 input, constant size; float32 and square output before API 29.

    Up to API 29 neither align_corners nor half_pixel_centers may be set.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinResizeBilinear
    """
    source = _source("ResizeBilinear")
    expect_max_op_version(ctx, table_max_version(ctx))
    input_tensor, output = ctx.input(0), ctx.output(0)
    ctx.expect(
        rank(input_tensor) == 4, "kUnsupportedOperandRank", "Input should have rank 4", source
    )
    expect_is_float_or_quant8_operator(ctx)
    _expect_size_input(ctx, source)
    if ctx.level < SDK_NNAPI12:
        ctx.expect(
            dim(output, 1) == dim(output, 2),
            "kUnsupportedOperandValue",
            "Require width == height due to driver differences in NNAPI < 1.2",
            source,
        )
    if ctx.level <= SDK_NNAPI12:
        _expect_no_align_or_half_pixel(ctx, "ResizeBilinearOptions", source)
    if ctx.level < SDK_NNAPI12:
        ctx.expect(
            dtype(input_tensor) == T.FLOAT32,
            "kUnsupportedInputType",
            "NNAPI 1.0 & 1.1 only supports float input.",
            source,
        )


@rule("RESIZE_NEAREST_NEIGHBOR")
def resize_nearest_neighbor(ctx: OpContext) -> None:
    """API 29+, float/quant8 input, constant size; at API 29 no align_corners/half_pixel_centers.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinResizeNearestNeighbor
    """
    source = _source("ResizeNearestNeighbor")
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_or_quant8_operator(ctx)
    _expect_size_input(ctx, source)
    if ctx.level <= SDK_NNAPI12:
        _expect_no_align_or_half_pixel(ctx, "ResizeNearestNeighborOptions", source)


@rule("SQUEEZE")
def squeeze(ctx: OpContext) -> None:
    """Version 1, API 28+; at API 28 squeeze_dims must be given.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSqueeze
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    if ctx.level == SDK_NNAPI11:
        params = builtin_params(ctx, "SqueezeOptions", {"squeeze_dims": None})
        ctx.expect(
            len(int_list(params["squeeze_dims"])) != 0,
            "kUnsupportedOperandValue",
            "NNAPI 1.1 does not support null squeeze_dims properly.",
            _source("Squeeze"),
        )


_CONCAT_INPUT_TYPES = (T.FLOAT16, T.FLOAT32, T.UINT8, T.INT8)


@rule("CONCATENATION")
def concatenation(ctx: OpContext) -> None:
    """No activation, rank <= 4, f16/f32/quant8; before API 29 uint8 inputs share scale and zp.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinConcatenation
    """
    source = _source("Concatenation")
    expect_max_op_version(ctx, table_max_version(ctx))
    params = builtin_params(ctx, "ConcatenationOptions", {"fused_activation_function": 0})
    ctx.expect(
        activation_is_none(params["fused_activation_function"]),
        "kNoActivationExpected",
        "No activation function supported",
        source,
    )
    # The delegate's message says "less than 4" but the check is rank <= 4.
    ctx.expect(
        rank(ctx.input(0)) <= 4,
        "kUnsupportedOperandRank",
        "Input rank should be less than 4",
        source,
    )
    input_type = dtype(ctx.input(0))
    expect_input_type_in(ctx, input_type, _CONCAT_INPUT_TYPES)
    if input_type == T.UINT8 and ctx.level < SDK_NNAPI12:
        first = legacy_params(ctx.input(0))
        for i in range(1, ctx.num_inputs):
            # Only the first mismatch is recorded.
            if not ctx.expect(
                legacy_params(ctx.input(i)) == first,
                "kUnsupportedOperandValue",
                "NNAPI 1.0-1 only supported concatenating quantized tensor of the same scale and "
                "offset.",
                source,
            ):
                break


@rule("PAD", "PADV2")
def pad(ctx: OpContext) -> None:
    """API 28+, float/quant8 input with no empty dimension; quant8 or a pad value from API 29.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinPad / kTfLiteBuiltinPadv2; HasZeroes
    """
    source = _source("Pad")
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)
    expect_min_level(ctx, table_min_level(ctx))
    input_tensor = ctx.input(0)
    shape = () if input_tensor is None else input_tensor.shape
    ctx.expect(
        0 not in shape,
        "kUnsupportedOperandValue",
        "NN API pad ops do not support input tensors with no elements",
        source,
    )
    ctx.expect(
        ctx.num_inputs >= 2, "kUnsupportedOperatorVariant", "Expecting at least 2 inputs", source
    )
    if ctx.num_inputs == 3:
        # Mapped to PAD_V2, even when the third input is omitted.
        ctx.expect(
            ctx.level >= SDK_NNAPI12,
            "kUnsupportedOperatorVariant",
            "Specification of the padding value is supported from NNAPI 1.2.",
            source,
        )
    elif ctx.level < SDK_NNAPI12:
        ctx.expect(
            dtype(input_tensor) == T.FLOAT32,
            "kUnsupportedInputType",
            "Only Float32 inputs are supported before NNAPI 1.2",
            source,
        )


@rule("SPACE_TO_BATCH_ND")
def space_to_batch_nd(ctx: OpContext) -> None:
    """API 28+; nothing else.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSpaceToBatchNd
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))


@rule("BATCH_TO_SPACE_ND")
def batch_to_space_nd(ctx: OpContext) -> None:
    """API 28+; the crops must be a constant of four zero int32 values.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinBatchToSpaceNd
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    # Only a constant crops tensor has data when the delegate is applied; its `bytes` are the
    # buffer's length.
    data = constant_bytes(ctx, ctx.input(2))
    ctx.expect(
        data is not None and len(data) == 16 and struct.unpack("<4i", data) == (0, 0, 0, 0),
        "kUnsupportedOperandValue",
        "All crops should be 0.",
        _source("BatchToSpaceNd"),
    )


@rule("STRIDED_SLICE")
def strided_slice(ctx: OpContext) -> None:
    """Float or quant8 input, API 28+.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinStridedSlice
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)
    expect_min_level(ctx, table_min_level(ctx))


@rule("TRANSPOSE")
def transpose(ctx: OpContext) -> None:
    """API 28+; a constant permutation input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinTranspose
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        ctx.num_inputs > 1 and is_mmap_ro(ctx.input(1)),
        "kInputTensorShouldHaveConstantShape",
        "Dynamically-sized tensors not supported.",
        _source("Transpose"),
    )
