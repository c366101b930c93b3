"""Validate rules: RNN, SVDF, LSTM, BIDIRECTIONAL_SEQUENCE_LSTM.

Each function is one `case` of `NNAPIDelegateKernel::Validate`, checks in the delegate's order.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI11, SDK_NNAPI12, SDK_NNAPI13
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import (
    DELEGATE_SOURCE,
    dtype_of,
    expect_max_op_version,
    expect_min_level,
    expect_op_version,
)
from opcompat.targets.nnapi.rules.tensor_checks import (
    is_hybrid_operator,
    is_mmap_ro,
    legacy_params,
    table_max_version,
    table_min_level,
)

# Input counts that tell the LSTM kernels apart (kLstmBasicKernelInputSize and the full
# kernel's 24 / deprecated 20 inputs in nnapi_delegate.cc).
LSTM_BASIC_KERNEL_INPUTS = 5
LSTM_FULL_KERNEL_INPUTS = 24

# Quantization the basic (quantized) LSTM kernel requires of its tensors.
_BASIC_LSTM_IO_SCALE = 1.0 / 128.0
_BASIC_LSTM_IO_ZERO_POINT = 128
_BASIC_LSTM_CELL_SCALE = 16.0 / 32768.0


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("RNN")
def rnn(ctx: OpContext) -> None:
    """Version 1, exactly 5 inputs, float32 weights.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinRnn
    """
    expect_op_version(ctx, table_max_version(ctx))
    ctx.expect(
        ctx.num_inputs == 5,
        "kUnsupportedOperatorVariant",
        "Expected 5 input",
        _source("Rnn"),
    )
    if ctx.num_inputs >= 2:
        ctx.expect(
            dtype_of(ctx.input(1)) == T.FLOAT32,
            "kUnsupportedInputType",
            "NNAPI only support float32 weights.",
            _source("Rnn"),
        )


@rule("SVDF")
def svdf(ctx: OpContext) -> None:
    """Version 1, exactly 5 inputs, float32 weights, API 28+.

    The level check is an Expect with code kUnsupportedOperandRank, not ExpectMinAndroidSdkVersion;
    the weights type is checked twice (two messages) when it is not float32.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinSvdf
    """
    expect_op_version(ctx, table_max_version(ctx))
    src = _source("Svdf")
    ctx.expect(ctx.num_inputs == 5, "kUnsupportedOperandRank", "Expected input of rank 5", src)
    if ctx.num_inputs >= 2:
        ctx.expect(
            dtype_of(ctx.input(1)) == T.FLOAT32,
            "kUnsupportedInputType",
            "NNAPI only support float32 weights.",
            src,
        )
    ctx.expect(
        ctx.level >= SDK_NNAPI11,
        "kUnsupportedOperandRank",
        "SVDF does not support rank > 1 on NNAPI 1.0.",
        src,
    )
    ctx.expect(
        dtype_of(ctx.input(1)) == T.FLOAT32,
        "kUnsupportedInputType",
        "Weights should be Float32",
        src,
    )


@rule("LSTM")
def lstm(ctx: OpContext) -> None:
    """API 28+; basic (5-input) kernel: uint8 weights, fixed quantization, constant weights and
    biases; full kernel: API 29+ for 24 inputs, no hybrid before 29, float32/uint8 (int8 from 30)
    weights.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinLstm (with IsHybridOperator, isLstmBasicKernel)
    """
    src = _source("Lstm")
    expect_max_op_version(ctx, table_max_version(ctx))
    ctx.expect(
        ctx.level >= SDK_NNAPI11,
        "kUnsupportedAndroidVersion",
        "NNAPI 1.0 has a bug for optional tensors which would affect LSTM.",
        src,
    )
    ctx.expect(
        ctx.level >= SDK_NNAPI12 or not is_hybrid_operator(ctx),
        "kUnsupportedHybridOperator",
        "Hybrid operators not supported before NNAPI 1.2.",
        src,
    )
    basic_kernel = ctx.num_inputs == LSTM_BASIC_KERNEL_INPUTS
    # basic::kInputWeights = 2; full::kInputToOutputWeightsTensor = 4.
    weight_type = dtype_of(ctx.input(2 if basic_kernel else 4))
    if basic_kernel:
        ctx.expect(
            weight_type == T.UINT8,
            "kUnsupportedInputType",
            "Basic LSTM Kernels support only UINT8 weights",
            src,
        )
        in_scale, in_zp = legacy_params(ctx.input(0))
        ctx.expect(
            in_scale == _BASIC_LSTM_IO_SCALE and in_zp == _BASIC_LSTM_IO_ZERO_POINT,
            "kUnsupportedQuantizationParameters",
            "Invalid input quantization",
            src,
        )
        out_scale, out_zp = legacy_params(ctx.output(0))
        ctx.expect(
            out_scale == _BASIC_LSTM_IO_SCALE and out_zp == _BASIC_LSTM_IO_ZERO_POINT,
            "kUnsupportedQuantizationParameters",
            "Invalid output quantization",
            src,
        )
        # The delegate accepts either condition here (||), unlike input and output.
        cell_scale, cell_zp = legacy_params(ctx.output(1))
        ctx.expect(
            cell_scale == _BASIC_LSTM_CELL_SCALE or cell_zp == 0,
            "kUnsupportedQuantizationParameters",
            "Invalid cell state quantization",
            src,
        )
        ctx.expect(
            is_mmap_ro(ctx.input(2)),
            "kInputTensorShouldHaveConstantShape",
            "Weights tensor should be constant",
            src,
        )
        ctx.expect(
            is_mmap_ro(ctx.input(3)),
            "kInputTensorShouldHaveConstantShape",
            "Biases tensor should be constant",
            src,
        )
        return
    if ctx.num_inputs == LSTM_FULL_KERNEL_INPUTS:
        # Conditional, so the number stays here rather than in the mapping table.
        expect_min_level(ctx, SDK_NNAPI12)
    if ctx.level >= SDK_NNAPI13:
        ctx.expect(
            weight_type in (T.FLOAT32, T.UINT8, T.INT8),
            "kUnsupportedInputType",
            "Weight has to be Float32 or UINT8 or INT8",
            src,
        )
    else:
        ctx.expect(
            weight_type in (T.FLOAT32, T.UINT8),
            "kUnsupportedInputType",
            "Weight has to be Float32 or UINT8",
            src,
        )


@rule("BIDIRECTIONAL_SEQUENCE_LSTM")
def bidirectional_sequence_lstm(ctx: OpContext) -> None:
    """Version 1, API 29+, not hybrid (float input with quantized weights).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinBidirectionalSequenceLstm (with IsHybridOperator)
    """
    expect_op_version(ctx, table_max_version(ctx))
    expect_min_level(ctx, table_min_level(ctx))
    ctx.expect(
        not is_hybrid_operator(ctx),
        "kUnsupportedHybridOperator",
        "Hybrid version of this op is not supported by NN API.",
        _source("BidirectionalSequenceLstm"),
    )
