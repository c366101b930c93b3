"""Validate rules: comparisons, logical ops and SELECT.

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    dtype_of,
    expect_input_type_in,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import table_max_version, table_min_level


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("LOGICAL_OR", "LOGICAL_AND", "LOGICAL_NOT")
def logical(ctx: OpContext) -> None:
    """Version 1, API 29+, bool input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLogicalOr / LogicalAnd / LogicalNot
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        dtype_of(ctx.input(0)) == T.BOOL,
        "kUnsupportedInputType",
        "Input should be bool",
        _source("LogicalOr / LogicalAnd / LogicalNot"),
    )


@rule("LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL")
def comparison(ctx: OpContext) -> None:
    """API 29+, float32/uint8/int8/bool/int32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLess / LessEqual / Greater / GreaterEqual / Equal / NotEqual
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(
        ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8, T.BOOL, T.INT32)
    )


@rule("SELECT")
def select(ctx: OpContext) -> None:
    """API 29+, float32/int32/uint8/int8 values, condition shaped exactly like the values.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSelect
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    condition, values = ctx.input(0), ctx.input(1)
    expect_input_type_in(ctx, dtype_of(values), (T.FLOAT32, T.INT32, T.UINT8, T.INT8))
    ctx.expect(
        condition is not None
        and values is not None
        and tuple(condition.shape) == tuple(values.shape),
        "kUnsupportedOperandValue",
        "Condition and inputs tensors should have the same shape",
        _source("Select"),
    )
