"""Rules of opcompat/targets/nnapi/rules/ops/reduce.py against the delegate's Validate cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T

AXES = tensor(T.INT32, (1,), data=b"\x01\x00\x00\x00")
F32 = tensor(T.FLOAT32, (2, 3))
F32_OUT = tensor(T.FLOAT32, (2,))
SCALAR_F32 = tensor(T.FLOAT32, ())
I8 = tensor(T.INT8, (2, 3), scale=0.5, zero_point=0)
I32 = tensor(T.INT32, (2, 3))


def test_mean_float_from_28_quantized_from_29() -> None:
    assert check("MEAN", [F32, AXES], [F32_OUT], level=28).supported
    assert messages(check("MEAN", [F32, AXES], [F32_OUT], level=27)) == [
        "Android sdk version less than 28",
    ]
    assert messages(check("MEAN", [I8, AXES], [F32_OUT], level=28)) == ["Expected Float32 input"]
    assert check("MEAN", [I8, AXES], [F32_OUT], version=2, level=29).supported
    assert messages(check("MEAN", [I32, AXES], [F32_OUT], level=29)) == [
        "Expected Float32 or Quantized input",
    ]


def test_mean_scalar_output_rank_and_version() -> None:
    rank5 = tensor(T.FLOAT32, (1, 1, 1, 1, 2))
    ctx = check("MEAN", [rank5, AXES], [SCALAR_F32], version=3, level=29)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedOutputType",
        "kUnsupportedOperandValue",
    ]
    assert messages(ctx) == [
        "OP Version higher than 2",
        "NNAPI does not support generating a scalar as output for MEAN.",
        "NNAPI does not support mean of a tensor with rank > 4",
    ]


def test_reduce_any() -> None:
    b = tensor(T.BOOL, (2, 3))
    assert check("REDUCE_ANY", [b, AXES], [tensor(T.BOOL, (2,))], version=2, level=29).supported
    ctx = check("REDUCE_ANY", [b, AXES], [tensor(T.BOOL, ())], version=3, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedOutputType",
    ]
    assert messages(ctx)[2] == "NNAPI does not support generating a scalar as output."


@pytest.mark.parametrize("op", ["REDUCE_MIN", "REDUCE_MAX"])
def test_reduce_min_max_checks_input_rank_not_output(op: str) -> None:
    # A scalar output of a rank-2 input is accepted: the delegate tests the input's rank.
    assert check(op, [I8, AXES], [tensor(T.INT8, (), scale=0.5, zero_point=0)], level=29).supported
    ctx = check(op, [tensor(T.INT32, ()), AXES], [F32_OUT], version=3, level=28)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
        "NNAPI does not support generating a scalar as output.",
    ]


@pytest.mark.parametrize("op", ["REDUCE_PROD", "SUM"])
def test_reduce_prod_sum(op: str) -> None:
    assert check(op, [F32, AXES], [F32_OUT], level=29).supported
    ctx = check(op, [I8, AXES], [tensor(T.INT8, ())], version=2, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedOutputType",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[2:] == [
        "NNAPI does not support generating a scalar as output",
        "NNAPI only supports floating point input.",
    ]
