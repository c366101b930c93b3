"""Rules of opcompat/targets/nnapi/rules/ops/recurrent.py against the delegate's Validate cases."""
from __future__ import annotations

from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T

F32 = tensor(T.FLOAT32, (2, 4))
F32_CONST = tensor(T.FLOAT32, (4, 4), const=True)
U8_CONST = tensor(T.UINT8, (4, 4), const=True, scale=0.01, zero_point=0)
I8_CONST = tensor(T.INT8, (4, 4), const=True, scale=0.01, zero_point=0)
I16 = tensor(T.INT16, (4, 4), const=True, scale=0.01, zero_point=0)


def test_rnn_accepts_float_five_inputs() -> None:
    assert check("RNN", [F32, F32_CONST, F32_CONST, F32_CONST, F32], level=27).supported


def test_rnn_refusals() -> None:
    ctx = check("RNN", [F32, U8_CONST, F32_CONST, F32_CONST], version=2, level=29)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedOperatorVariant",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[1:] == ["Expected 5 input", "NNAPI only support float32 weights."]


def test_svdf_accepts_float_from_28() -> None:
    assert check("SVDF", [F32, F32_CONST, F32_CONST, F32_CONST, F32], level=28).supported


def test_svdf_level_check_is_an_operand_rank_failure() -> None:
    ctx = check("SVDF", [F32, F32_CONST, F32_CONST, F32_CONST, F32], level=27)
    assert codes(ctx) == ["kUnsupportedOperandRank"]
    assert messages(ctx) == ["SVDF does not support rank > 1 on NNAPI 1.0."]


def test_svdf_quantized_weights_fail_twice() -> None:
    ctx = check("SVDF", [F32, I8_CONST, F32_CONST, F32_CONST], version=2, level=29)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Expected input of rank 5",
        "NNAPI only support float32 weights.",
        "Weights should be Float32",
    ]


def _full_lstm(n_inputs: int, input_t: dict, weight_t: dict) -> list:
    inputs: list = [input_t] + [weight_t] * 8 + [None] * 3 + [F32_CONST] * 4
    inputs += [None, None, tensor(T.FLOAT32, (2, 4)), tensor(T.FLOAT32, (2, 4))]
    inputs += [None] * (n_inputs - len(inputs))
    assert len(inputs) == n_inputs
    return inputs


def test_lstm_full_float() -> None:
    assert check("LSTM", _full_lstm(24, F32, F32_CONST), level=29).supported
    assert check("LSTM", _full_lstm(20, F32, F32_CONST), version=3, level=28).supported
    ctx = check("LSTM", _full_lstm(24, F32, F32_CONST), version=4, level=28)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedAndroidVersion"]
    assert messages(ctx) == ["OP Version higher than 3", "Android sdk version less than 29"]


def test_lstm_at_27() -> None:
    ctx = check("LSTM", _full_lstm(20, F32, F32_CONST), level=27)
    assert codes(ctx) == ["kUnsupportedAndroidVersion"]
    assert messages(ctx) == ["NNAPI 1.0 has a bug for optional tensors which would affect LSTM."]


def test_lstm_hybrid_refused_before_29_only() -> None:
    ctx = check("LSTM", _full_lstm(20, F32, U8_CONST), level=28)
    assert codes(ctx) == ["kUnsupportedHybridOperator"]
    assert check("LSTM", _full_lstm(20, F32, U8_CONST), level=29).supported


def test_lstm_int8_weights_from_30() -> None:
    ctx = check("LSTM", _full_lstm(24, tensor(T.INT8), I8_CONST), level=29)
    assert messages(ctx) == ["Weight has to be Float32 or UINT8"]
    assert check("LSTM", _full_lstm(24, tensor(T.INT8), I8_CONST), level=30).supported
    ctx = check("LSTM", _full_lstm(24, tensor(T.INT16), I16), level=30)
    assert messages(ctx) == ["Weight has to be Float32 or UINT8 or INT8"]


def _basic_lstm(**over: dict) -> tuple[list, list]:
    io = tensor(T.UINT8, (1, 8), scale=1 / 128, zero_point=128)
    weights = tensor(T.UINT8, (16, 12), const=True, scale=0.01, zero_point=100)
    biases = tensor(T.INT32, (16,), const=True, scale=0.0001, zero_point=0)
    state = tensor(T.INT16, (1, 4), scale=16 / 32768, zero_point=0)
    parts = {"input": io, "weights": weights, "biases": biases, "output": io, "state": state}
    parts.update(over)
    inputs = [parts["input"], tensor(T.UINT8, (1, 4)), parts["weights"], parts["biases"],
              tensor(T.INT16, (1, 4))]
    outputs = [parts["output"], parts["state"], tensor(T.UINT8, (1, 16)), tensor(T.INT16, (1, 16))]
    return inputs, outputs


def test_lstm_basic_kernel_accepts_canonical_quantization() -> None:
    inputs, outputs = _basic_lstm()
    assert check("LSTM", inputs, outputs, version=2, level=28).supported


def test_lstm_basic_kernel_refusals() -> None:
    inputs, outputs = _basic_lstm(
        input=tensor(T.UINT8, (1, 8), scale=0.5, zero_point=128),
        weights=tensor(T.FLOAT32, (16, 12)),
        biases=tensor(T.INT32, (16,)),
        output=tensor(T.UINT8, (1, 4), scale=1 / 128, zero_point=0),
        state=tensor(T.INT16, (1, 4), scale=0.5, zero_point=3),
    )
    ctx = check("LSTM", inputs, outputs, version=2, level=29)
    assert messages(ctx) == [
        "Basic LSTM Kernels support only UINT8 weights",
        "Invalid input quantization",
        "Invalid output quantization",
        "Invalid cell state quantization",
        "Weights tensor should be constant",
        "Biases tensor should be constant",
    ]
    assert codes(ctx)[1:4] == ["kUnsupportedQuantizationParameters"] * 3
    assert codes(ctx)[4:] == ["kInputTensorShouldHaveConstantShape"] * 2


def test_lstm_basic_kernel_cell_state_needs_either_scale_or_zero_point() -> None:
    inputs, outputs = _basic_lstm(state=tensor(T.INT16, (1, 4), scale=0.5, zero_point=0))
    assert check("LSTM", inputs, outputs, level=29).supported


def test_bidirectional_sequence_lstm() -> None:
    float_inputs = [F32] + [F32_CONST] * 47
    assert check("BIDIRECTIONAL_SEQUENCE_LSTM", float_inputs, level=29).supported
    hybrid = [F32] + [U8_CONST] * 47
    ctx = check("BIDIRECTIONAL_SEQUENCE_LSTM", hybrid, version=2, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedHybridOperator",
    ]
    assert messages(ctx)[2] == "Hybrid version of this op is not supported by NN API."


def test_lstm_only_the_24_input_form_needs_api_29() -> None:
    assert check("LSTM", _full_lstm(20, F32, F32_CONST), level=28).supported
    assert codes(check("LSTM", _full_lstm(24, F32, F32_CONST), level=28)) == [
        "kUnsupportedAndroidVersion",
    ]
