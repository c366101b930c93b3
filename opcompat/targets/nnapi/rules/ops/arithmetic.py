"""Validate rules: element-wise arithmetic and arg-reductions (ADD, MUL, SUB, DIV, ARG_MAX/MIN).

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order;
every failed check is recorded and evaluation goes on, as in the delegate.
"""
from __future__ import annotations

import struct

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI11, SDK_NNAPI12, SDK_NNAPI13
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
    dtype,
    is_float,
    is_int32,
    is_mmap_ro,
    is_quantized,
    rank,
    table_max_version,
    table_min_level,
    tensor_type_value,
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


def _expect_int32_no_activation(ctx: OpContext, options_type: str, case: str) -> None:
    """int32 arithmetic takes no fused activation."""
    params = builtin_params(ctx, options_type, {"fused_activation_function": 0})
    ctx.expect(
        activation_is_none(params["fused_activation_function"]),
        "kNoActivationExpected",
        "No activation function supported",
        _source(case),
    )


def _expect_binary_rank(ctx: OpContext, case: str) -> None:
    ctx.expect(
        rank(ctx.input(0)) <= 4 and rank(ctx.input(1)) <= 4,
        "kUnsupportedOperandRank",
        "Input rank must be <= 4",
        _source(case),
    )


@rule("ADD")
def add(ctx: OpContext) -> None:
    """Float or quant8 input (int32 from API 30, without activation); both input ranks <= 4.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinAdd
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    if ctx.level >= SDK_NNAPI13:
        expect_is_float_quant8_or_int32_operator(ctx)
        if is_int32(dtype(ctx.input(0))):
            _expect_int32_no_activation(ctx, "AddOptions", "Add")
    else:
        expect_is_float_or_quant8_operator(ctx)
    _expect_binary_rank(ctx, "Add")


@rule("MUL")
def mul(ctx: OpContext) -> None:
    """As ADD; version 3 is accepted only when an accelerator is targeted.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinMul
    """
    # The max version depends on is_accelerator_specified, not on the level: kept literal.
    expect_max_op_version(ctx, 3 if ctx.target.is_accelerator_specified else 2)
    if ctx.level >= SDK_NNAPI13:
        expect_is_float_quant8_or_int32_operator(ctx)
        if is_int32(dtype(ctx.input(0))):
            _expect_int32_no_activation(ctx, "MulOptions", "Mul")
    else:
        expect_is_float_or_quant8_operator(ctx)
    _expect_binary_rank(ctx, "Mul")


@rule("SUB")
def sub(ctx: OpContext) -> None:
    """Float from API 28, quant8 from 29, int32 (without activation) from 30; ranks <= 4.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSub
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    input_type = dtype(ctx.input(0))
    level = ctx.level
    # The minimum level is part of the type condition: no separate SDK failure is recorded.
    ctx.expect(
        (level >= SDK_NNAPI11 and is_float(input_type))
        or (level >= SDK_NNAPI12 and is_quantized(input_type))
        or (level >= SDK_NNAPI13 and is_int32(input_type)),
        "kUnsupportedInputType",
        "NNAPI only support float sub.",
        _source("Sub"),
    )
    if is_int32(input_type):
        _expect_int32_no_activation(ctx, "SubOptions", "Sub")
    _expect_binary_rank(ctx, "Sub")


@rule("DIV")
def div(ctx: OpContext) -> None:
    """Version 1, API 28+, float32 input, both input ranks <= 4.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinDiv
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        dtype(ctx.input(0)) == T.FLOAT32,
        "kUnsupportedInputType",
        "NNAPI only support float div.",
        _source("Div"),
    )
    _expect_binary_rank(ctx, "Div")


_ARG_INPUT_TYPES = (T.FLOAT16, T.FLOAT32, T.INT32, T.UINT8, T.INT8)


@rule("ARG_MAX", "ARG_MIN")
def arg_max_min(ctx: OpContext) -> None:
    """API 29+; axis int32 (or a constant int64 that fits int32); int32 output type.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinArgMax / kTfLiteBuiltinArgMin
    """
    case = "ArgMax" if ctx.op.op == "ARG_MAX" else "ArgMin"
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype(ctx.input(0)), _ARG_INPUT_TYPES)

    axis = ctx.input(1)
    if dtype(axis) == T.INT64:
        ctx.expect(
            is_mmap_ro(axis) and _first_int64_fits_int32(ctx, axis),
            "kUnsupportedInputType",
            "NNAPI only supports axis as int32. If the axis type is int64 and constant we can "
            "convert it to int32 if the value isn't too large.",
            _source(case),
        )
    else:
        ctx.expect(
            dtype(axis) == T.INT32, "kUnsupportedInputType", "Axis should be Int32", _source(case)
        )

    params = builtin_params(ctx, f"{case}Options", {"output_type": None})
    # Without an options table the parser leaves output_type as kTfLiteNoType.
    output_type = params["output_type"]
    ctx.expect(
        output_type is not None and tensor_type_value(output_type) == T.INT32,
        "kUnsupportedOutputType",
        "NNAPI only supports int32 output.",
        _source(case),
    )


def _first_int64_fits_int32(ctx: OpContext, tensor: object) -> bool:
    """The constant axis's first int64 value lies in the int32 range."""
    data = constant_bytes(ctx, tensor)  # type: ignore[arg-type]
    if data is None or len(data) < 8:
        return False
    (value,) = struct.unpack_from("<q", data, 0)
    return INT32_MIN <= value <= INT32_MAX
