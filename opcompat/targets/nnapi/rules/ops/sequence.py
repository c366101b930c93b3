"""Validate rules: UNIDIRECTIONAL_SEQUENCE_LSTM, UNIDIRECTIONAL_SEQUENCE_RNN, LSH_PROJECTION.

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order;
every failed check is recorded and evaluation goes on.
"""
from __future__ import annotations

from opcompat.targets.nnapi.levels import SDK_NNAPI12
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    builtin_params,
    is_hybrid_operator,
    lsh_type_is_sparse,
    table_max_version,
    table_min_level,
)


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


def _expect_not_hybrid(ctx: OpContext, case: str) -> None:
    ctx.expect(
        not is_hybrid_operator(ctx),
        "kUnsupportedHybridOperator",
        "Hybrid version of this op is not supported by NN API.",
        _source(case),
    )


@rule("UNIDIRECTIONAL_SEQUENCE_LSTM")
def unidirectional_sequence_lstm(ctx: OpContext) -> None:
    """API 29+, not hybrid, 20 or 24 inputs.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinUnidirectionalSequenceLstm; IsHybridOperator
    """
    expect_max_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    _expect_not_hybrid(ctx, "UnidirectionalSequenceLstm")
    ctx.expect(
        ctx.num_inputs in (20, 24),
        "kUnsupportedOperatorVariant",
        "Supporting only operation with 20 or 24 inputs",
        _source("UnidirectionalSequenceLstm"),
    )


@rule("UNIDIRECTIONAL_SEQUENCE_RNN")
def unidirectional_sequence_rnn(ctx: OpContext) -> None:
    """Version 1, API 29+, not hybrid.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinUnidirectionalSequenceRnn; IsHybridOperator
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    _expect_not_hybrid(ctx, "UnidirectionalSequenceRnn")


@rule("LSH_PROJECTION")
def lsh_projection(ctx: OpContext) -> None:
    """Version 1; a SPARSE projection needs API 29 and exactly 2 inputs (no weights).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLshProjection
    """
    source = _source("LshProjection")
    expect_op_version(ctx, table_max_version(ctx))
    params = builtin_params(ctx, "LSHProjectionOptions", {"type": 0})
    if lsh_type_is_sparse(params["type"]):
        # The delegate reports the level condition as an input-type failure.
        ctx.expect(
            ctx.level >= SDK_NNAPI12,
            "kUnsupportedInputType",
            "NNAPI does not support sparse projection correctly pre-Q",
            source,
        )
        ctx.expect(
            ctx.num_inputs == 2,
            "kUnsupportedOperatorVariant",
            " NNAPI does not support weights for sparse projects.",
            source,
        )
