"""Validate rules: activations and normalisations.

HARD_SWISH, SOFTMAX, FLOOR, RELU, RELU_N1_TO_1, RELU6, LOGISTIC, TANH, L2_NORMALIZATION,
LOCAL_RESPONSE_NORMALIZATION. Each function is one `case` of `NNAPIDelegateKernel::Validate`,
checks in the delegate's order; every failed check is recorded and evaluation goes on.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI12
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    expect_is_float_operator,
    expect_is_float_or_quant8_operator,
    expect_max_op_version,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    activation_is_none,
    builtin_params,
    dtype,
    is_float,
    is_quantized,
    rank,
    table_max_version,
)


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("HARD_SWISH")
def hard_swish(ctx: OpContext) -> None:
    """Float or quant8 input; no version or level check.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinHardSwish
    """
    expect_is_float_or_quant8_operator(ctx)


_SOFTMAX_OUTPUT_TYPES = (T.FLOAT32, T.UINT8, T.INT8)


@rule("SOFTMAX")
def softmax(ctx: OpContext) -> None:
    """Float or quant8 input and output, input rank <= 4 (2 or 4 before API 29).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSoftmax
    """
    source = _source("Softmax")
    expect_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)
    ctx.expect(
        dtype(ctx.output(0)) in _SOFTMAX_OUTPUT_TYPES,
        "kUnsupportedOutputType",
        "Output type should be one of kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8.",
        source,
    )
    input_rank = rank(ctx.input(0))
    ctx.expect(input_rank <= 4, "kUnsupportedOperandRank", "Input rank should be <= 4", source)
    if ctx.level < SDK_NNAPI12:
        ctx.expect(
            input_rank in (2, 4),
            "kUnsupportedOperandRank",
            "Before API level 29 only 2D and 4D input tensors were supported.",
            source,
        )


@rule("FLOOR")
def floor(ctx: OpContext) -> None:
    """Version 1; no type check.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinFloor
    """
    expect_op_version(ctx, table_max_version(ctx))


@rule("RELU", "RELU_N1_TO_1", "RELU6", "LOGISTIC")
def relu_family(ctx: OpContext) -> None:
    """Float or quant8 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinRelu / ReluN1To1 / Relu6 / Logistic
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_is_float_or_quant8_operator(ctx)


@rule("TANH")
def tanh(ctx: OpContext) -> None:
    """Float32 input, or quant8 input from API 29.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinTanh
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    input_type = dtype(ctx.input(0))
    ctx.expect(
        is_float(input_type) or (is_quantized(input_type) and ctx.level >= SDK_NNAPI12),
        "kUnsupportedInputType",
        " NNAPI only support float tanh.",
        _source("Tanh"),
    )


@rule("L2_NORMALIZATION")
def l2_normalization(ctx: OpContext) -> None:
    """No fused activation; before API 29 a float32, rank-4 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinL2Normalization
    """
    source = _source("L2Normalization")
    expect_max_op_version(ctx, table_max_version(ctx))
    if ctx.level < SDK_NNAPI12:
        expect_is_float_operator(ctx)
        # The delegate's message says "inputs" but the check is on the input's rank.
        ctx.expect(
            rank(ctx.input(0)) == 4, "kUnsupportedOperatorVariant", "Expected 4 inputs", source
        )
    params = builtin_params(ctx, "L2NormOptions", {"fused_activation_function": 0})
    ctx.expect(
        activation_is_none(params["fused_activation_function"]),
        "kNoActivationExpected",
        "Expected no activation",
        source,
    )


@rule("LOCAL_RESPONSE_NORMALIZATION")
def local_response_normalization(ctx: OpContext) -> None:
    """Version 1; nothing else.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLocalResponseNormalization
    """
    expect_op_version(ctx, table_max_version(ctx))
