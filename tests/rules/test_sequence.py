"""Rules of opcompat/targets/nnapi/rules/ops/sequence.py against the delegate's Validate cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T

F32 = tensor(T.FLOAT32, (2, 3, 4))
I8 = tensor(T.INT8, (2, 3, 4), scale=0.1, zero_point=0)
W_F32 = tensor(T.FLOAT32, (4, 4), const=True)
W_I8 = tensor(T.INT8, (4, 4), const=True, scale=0.1, zero_point=0)


def _lstm_inputs(n: int, inp: dict, weights: dict) -> list[dict | None]:
    # in[1] is optional: the delegate reads the weights type from in[2].
    return [inp, None] + [weights] * (n - 2)


# --- UNIDIRECTIONAL_SEQUENCE_LSTM ---------------------------------------------------------------


@pytest.mark.parametrize("n", [20, 24])
def test_lstm_float_and_full_int8_from_29(n: int) -> None:
    assert check("UNIDIRECTIONAL_SEQUENCE_LSTM", _lstm_inputs(n, F32, W_F32), version=2).supported
    assert check("UNIDIRECTIONAL_SEQUENCE_LSTM", _lstm_inputs(n, I8, W_I8), level=30).supported


def test_lstm_refusals() -> None:
    ctx = check("UNIDIRECTIONAL_SEQUENCE_LSTM", _lstm_inputs(18, F32, W_I8), version=3, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedHybridOperator",
        "kUnsupportedOperatorVariant",
    ]
    assert messages(ctx)[2:] == [
        "Hybrid version of this op is not supported by NN API.",
        "Supporting only operation with 20 or 24 inputs",
    ]


# --- UNIDIRECTIONAL_SEQUENCE_RNN ----------------------------------------------------------------


def test_rnn_float_from_29() -> None:
    assert check("UNIDIRECTIONAL_SEQUENCE_RNN", [F32, W_F32, W_F32, W_F32, F32]).supported


def test_rnn_refusals() -> None:
    ctx = check("UNIDIRECTIONAL_SEQUENCE_RNN", [F32, W_I8, W_F32, W_F32, F32], version=2, level=28)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 29",
        "Hybrid version of this op is not supported by NN API.",
    ]


# --- LSH_PROJECTION -----------------------------------------------------------------------------

HASH = tensor(T.FLOAT32, (4, 2), const=True)
VALUES = tensor(T.INT32, (3, 2))
WEIGHTS = tensor(T.FLOAT32, (3,))
SPARSE = {"options": {"type": 1}, "options_type": "LSHProjectionOptions"}
DENSE = {"options": {"type": 2}, "options_type": "LSHProjectionOptions"}


def test_lsh_dense_everywhere() -> None:
    assert check("LSH_PROJECTION", [HASH, VALUES, WEIGHTS], level=27, **DENSE).supported
    assert check("LSH_PROJECTION", [HASH, VALUES], level=27).supported


def test_lsh_sparse_from_29_without_weights() -> None:
    ctx = check("LSH_PROJECTION", [HASH, VALUES], level=28, **SPARSE)
    assert codes(ctx) == ["kUnsupportedInputType"]
    assert messages(ctx) == ["NNAPI does not support sparse projection correctly pre-Q"]
    assert check("LSH_PROJECTION", [HASH, VALUES], level=29, **SPARSE).supported
    ctx = check("LSH_PROJECTION", [HASH, VALUES, WEIGHTS], version=2, level=29, **SPARSE)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedOperatorVariant"]
    assert messages(ctx)[1] == " NNAPI does not support weights for sparse projects."
