"""Validate rules: reductions (MEAN, REDUCE_ANY/MIN/MAX/PROD, SUM).

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI12
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    QUANT8,
    dtype_of,
    expect_input_type_in,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import table_max_version, table_min_level


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


def _rank(ctx: OpContext, tensor_is_output: bool, i: int = 0) -> int:
    """`dims->size` of the op's i-th input or output (0 when it is absent)."""
    t = ctx.output(i) if tensor_is_output else ctx.input(i)
    return t.rank if t is not None else 0


@rule("MEAN")
def mean(ctx: OpContext) -> None:
    """API 28+; float32 input (28) or float32/quant8 (29+); non-scalar output; input rank <= 4.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinMean
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    input_type = dtype_of(ctx.input(0))
    if ctx.level >= SDK_NNAPI12:
        ctx.expect(
            input_type == T.FLOAT32 or input_type in QUANT8,
            "kUnsupportedInputType",
            "Expected Float32 or Quantized input",
            _source("Mean"),
        )
    else:
        ctx.expect(
            input_type == T.FLOAT32,
            "kUnsupportedInputType",
            "Expected Float32 input",
            _source("Mean"),
        )
    ctx.expect(
        _rank(ctx, True) > 0,
        "kUnsupportedOutputType",
        "NNAPI does not support generating a scalar as output for MEAN.",
        _source("Mean"),
    )
    ctx.expect(
        _rank(ctx, False) <= 4,
        "kUnsupportedOperandValue",
        "NNAPI does not support mean of a tensor with rank > 4",
        _source("Mean"),
    )


@rule("REDUCE_ANY")
def reduce_any(ctx: OpContext) -> None:
    """API 29+, non-scalar output.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinReduceAny
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        _rank(ctx, True) != 0,
        "kUnsupportedOutputType",
        "NNAPI does not support generating a scalar as output.",
        _source("ReduceAny"),
    )


@rule("REDUCE_MIN", "REDUCE_MAX")
def reduce_min_max(ctx: OpContext) -> None:
    """API 29+, float32/uint8/int8 input of rank > 0.

    The delegate words the rank check as a scalar-output check, but tests the input's rank.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinReduceMin / ReduceMax
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    expect_input_type_in(ctx, dtype_of(ctx.input(0)), (T.FLOAT32, T.UINT8, T.INT8))
    ctx.expect(
        _rank(ctx, False) != 0,
        "kUnsupportedOutputType",
        "NNAPI does not support generating a scalar as output.",
        _source("ReduceMin / ReduceMax"),
    )


@rule("REDUCE_PROD", "SUM")
def reduce_prod_sum(ctx: OpContext) -> None:
    """Version 1, API 29+, non-scalar output, float32 input.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinReduceProd / Sum
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        _rank(ctx, True) != 0,
        "kUnsupportedOutputType",
        "NNAPI does not support generating a scalar as output",
        _source("ReduceProd / Sum"),
    )
    ctx.expect(
        dtype_of(ctx.input(0)) == T.FLOAT32,
        "kUnsupportedInputType",
        "NNAPI only supports floating point input.",
        _source("ReduceProd / Sum"),
    )
