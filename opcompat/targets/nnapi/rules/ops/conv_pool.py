"""Validate rules: pooling, convolutions and FULLY_CONNECTED.

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order;
every failed check is recorded and evaluation goes on, as in the delegate. Most type checks of
the convolutions apply only below NNAPI 1.2 (API 29).
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI12, SDK_NNAPI13
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    expect_is_float_operator,
    expect_is_float_or_quant8_operator,
    expect_is_float_or_uint8_operator,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
    expect_restricted_scales_compliant,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    activation_is_none,
    affine_scale_count,
    builtin_params,
    dim,
    dtype,
    is_affine,
    is_hybrid_operator,
    is_quantized,
    table_max_version,
)


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


def _int32(value: int) -> int:
    """Wrap to a C++ int (the filter area is an int product)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


@rule("AVERAGE_POOL_2D")
def average_pool_2d(ctx: OpContext) -> None:
    """Float or quant8 input; quantized: filter area <= 256 unless an accelerator is targeted.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinAveragePool2d
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)
    if is_quantized(dtype(ctx.input(0))):
        params = builtin_params(ctx, "Pool2DOptions", {"filter_width": 0, "filter_height": 0})
        area = _int32(int(params["filter_width"]) * int(params["filter_height"]))
        ctx.expect(
            ctx.target.is_accelerator_specified or area <= 256,
            "kUnsupportedOperandSize",
            "Large filter window would overflow on the reference CPU path",
            _source("AveragePool2d"),
        )


@rule("MAX_POOL_2D")
def max_pool_2d(ctx: OpContext) -> None:
    """Float or quant8 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinMaxPool2d
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)


@rule("L2_POOL_2D")
def l2_pool_2d(ctx: OpContext) -> None:
    """Version 1, float32 input; no fused activation before API 29.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinL2Pool2d
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_is_float_operator(ctx)
    if ctx.level < SDK_NNAPI12:
        params = builtin_params(ctx, "Pool2DOptions", {"fused_activation_function": 0})
        ctx.expect(
            activation_is_none(params["fused_activation_function"]),
            "kUnsupportedOperandValue",
            "Before NNAPI 1.2 fused activation for l2_pool may not be supported.",
            _source("L2Pool2d"),
        )


@rule("CONV_2D")
def conv_2d(ctx: OpContext) -> None:
    """Three inputs; before API 29 float/uint8, not hybrid, per-tensor, undilated, ungrouped.

    Before API 29 a uint8 input must also satisfy input_scale * filter_scale < output_scale.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinConv2d; IsHybridOperator; ExpectIsRestrictedScalesCompliant
    """
    source = _source("Conv2d")
    expect_max_op_version(ctx, table_max_version(ctx))
    input_tensor, filter_tensor = ctx.input(0), ctx.input(1)
    pre_12 = ctx.level < SDK_NNAPI12
    if pre_12:
        ctx.expect(
            not is_hybrid_operator(ctx),
            "kUnsupportedHybridOperator",
            "Hybrid operators not supported before NNAPI 1.2",
            source,
        )
        expect_is_float_or_uint8_operator(ctx)
        if is_affine(filter_tensor):
            ctx.expect(
                affine_scale_count(filter_tensor) <= 1,
                "kUnsupportedQuantizationType",
                "Per-channel quantized convolution not supported before NNAPI 1.2.",
                source,
            )
    if pre_12 and dtype(input_tensor) == T.UINT8:
        expect_restricted_scales_compliant(ctx)
    # The node's input count, omitted (-1) entries included.
    ctx.expect(
        ctx.num_inputs == 3,
        "kMissingRequiredOperand",
        "Conv2D with omitted bias not supported",
        source,
    )
    # Without a Conv2DOptions table the dilation factors are 0, not the schema's 1.
    params = builtin_params(ctx, "Conv2DOptions", {"dilation_w_factor": 0, "dilation_h_factor": 0})
    if params["dilation_w_factor"] != 1 or params["dilation_h_factor"] != 1:
        ctx.expect(
            ctx.level >= SDK_NNAPI12,
            "kUnsupportedOperandValue",
            "NNAPI supports dilated Conv2D since NNAPI 1.2.",
            source,
        )
    if pre_12:
        ctx.expect(
            dim(input_tensor, 3) == dim(filter_tensor, 3),
            "kUnsupportedOperandValue",
            "Grouped convolution not supported before NNAPI < 1.2",
            source,
        )


@rule("DEPTHWISE_CONV_2D")
def depthwise_conv_2d(ctx: OpContext) -> None:
    """Before API 29: float/uint8 input, the scale rule, and no dilation.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinDepthwiseConv2d; ExpectIsRestrictedScalesCompliant
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    if ctx.level < SDK_NNAPI12:
        expect_is_float_or_uint8_operator(ctx)
        if dtype(ctx.input(0)) == T.UINT8:
            expect_restricted_scales_compliant(ctx)
        params = builtin_params(
            ctx, "DepthwiseConv2DOptions", {"dilation_w_factor": 0, "dilation_h_factor": 0}
        )
        ctx.expect(
            params["dilation_w_factor"] == 1 and params["dilation_h_factor"] == 1,
            "kUnsupportedOperandValue",
            "dilation_width_factor and dilation_height_factor expected to be equal to 1",
            _source("DepthwiseConv2d"),
        )


@rule("FULLY_CONNECTED")
def fully_connected(ctx: OpContext) -> None:
    """No int16 output; before API 29 float/uint8 and not hybrid; keep_num_dims from API 30.

    Before API 29 a uint8 input must also satisfy input_scale * filter_scale < output_scale.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinFullyConnected; IsHybridOperator; ExpectIsRestrictedScalesCompliant
    """
    source = _source("FullyConnected")
    expect_max_op_version(ctx, table_max_version(ctx))
    ctx.expect(
        dtype(ctx.output(0)) != T.INT16,
        "kUnsupportedOutputType",
        "Unsupported output of type kTfLiteInt16",
        source,
    )
    pre_12 = ctx.level < SDK_NNAPI12
    if pre_12:
        ctx.expect(
            not is_hybrid_operator(ctx),
            "kUnsupportedHybridOperator",
            "Hybrid operators not supported before NNAPI 1.2",
            source,
        )
        expect_is_float_or_uint8_operator(ctx)
    if pre_12 and dtype(ctx.input(0)) == T.UINT8:
        expect_restricted_scales_compliant(ctx)
    params = builtin_params(ctx, "FullyConnectedOptions", {"keep_num_dims": False})
    if params["keep_num_dims"]:
        expect_min_level(ctx, SDK_NNAPI13)
