"""Validate rules: element-wise math ops (ABS ... LOG_SOFTMAX).

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order.
Version and minimum-level numbers of the regular checks come from the delegate mapping table.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL7, SDK_NNAPI12, SDK_NNAPI13
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    dtype_of,
    expect_input_type_in,
    expect_is_float_operator,
    expect_is_float_or_quant8_operator,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import table_max_version, table_min_level


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("ABS", "EXP", "LOG", "POW")
def unary_float_v1(ctx: OpContext) -> None:
    """Version 1, API 29+, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinAbs / Exp / Log / Pow
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_operator(ctx)


@rule("RSQRT")
def rsqrt(ctx: OpContext) -> None:
    """API 29+; float32 input, or float32/quant8 input from feature level 7.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinRsqrt
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    if ctx.level < FL7:
        expect_is_float_operator(ctx)
    else:
        expect_is_float_or_quant8_operator(ctx)


@rule("COS", "SIN")
def trig(ctx: OpContext) -> None:
    """Version 1, API 29+, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinCos / Sin
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_operator(ctx)


@rule("SQRT")
def sqrt(ctx: OpContext) -> None:
    """Version 1, API 29+, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSqrt
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_is_float_operator(ctx)


@rule("NEG")
def neg(ctx: OpContext) -> None:
    """API 29+, float32 or int32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinNeg
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.INT32))


@rule("ELU")
def elu(ctx: OpContext) -> None:
    """API 30+, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinElu
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        dtype_of(ctx.input(0)) == T.FLOAT32,
        "kUnsupportedInputType",
        "NNAPI only supports floating point input.",
        _source("Elu"),
    )


@rule("MAXIMUM", "MINIMUM")
def maximum_minimum(ctx: OpContext) -> None:
    """API 29+, float32/uint8/int8/int32 input, and a scalar (rank-0) operand must be constant.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinMaximum / Minimum
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(
        ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8, T.INT32)
    )
    for i in (0, 1):
        operand = ctx.input(i)
        if operand is not None and operand.rank == 0:
            ctx.expect(
                operand.is_constant,
                "kUnsupportedInputType",
                "Scalar operand should be constant",
                _source("Maximum / Minimum"),
            )


@rule("SQUARED_DIFFERENCE")
def squared_difference(ctx: OpContext) -> None:
    """API 28+; float32 (28), float32/uint8 (29), float32/uint8/int8/int32 (30+); rank <= 4.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSquaredDifference
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    input0_type = dtype_of(ctx.input(0))
    if ctx.level >= SDK_NNAPI13:
        expect_input_type_in(ctx, input0_type, (T.FLOAT32, T.UINT8, T.INT8, T.INT32))
    elif ctx.level >= SDK_NNAPI12:
        expect_input_type_in(ctx, input0_type, (T.FLOAT32, T.UINT8))
    else:
        expect_input_type_in(ctx, input0_type, (T.FLOAT32,))
    in0, in1 = ctx.input(0), ctx.input(1)
    rank0 = in0.rank if in0 is not None else 0
    rank1 = in1.rank if in1 is not None else 0
    ctx.expect(
        rank0 <= 4 and rank1 <= 4,
        "kUnsupportedOperandRank",
        "NNAPI does not support input rank greater than 4",
        _source("SquaredDifference"),
    )


@rule("LEAKY_RELU", "PRELU")
def leaky_relu_prelu(ctx: OpContext) -> None:
    """Version 1, API 29+, float32/uint8/int8 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLeakyRelu / Prelu
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8))


@rule("LOG_SOFTMAX")
def log_softmax(ctx: OpContext) -> None:
    """Version 1, API 29+, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLogSoftmax
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        dtype_of(ctx.input(0)) == T.FLOAT32,
        "kUnsupportedInputType",
        "Input should be Float32.",
        _source("LogSoftmax"),
    )

