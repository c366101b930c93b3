"""Rules of opcompat/targets/nnapi/rules/ops/math.py against the delegate's Validate cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6, FL7

F32 = tensor(T.FLOAT32)
U8 = tensor(T.UINT8, scale=0.5, zero_point=128)
I8 = tensor(T.INT8, scale=0.5, zero_point=0)
I32 = tensor(T.INT32)
I16 = tensor(T.INT16, scale=0.5, zero_point=0)


@pytest.mark.parametrize("op", ["ABS", "EXP", "LOG", "POW", "COS", "SIN", "SQRT"])
def test_unary_float_accepts_float32_from_29(op: str) -> None:
    assert check(op, [F32, F32], level=29).supported


@pytest.mark.parametrize("op", ["ABS", "EXP", "LOG", "POW", "COS", "SIN", "SQRT"])
def test_unary_float_refusals(op: str) -> None:
    ctx = check(op, [I8, I8], version=2, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
    ]
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 29",
        "Input should be Float",
    ]


def test_rsqrt_quantized_only_from_fl7() -> None:
    assert check("RSQRT", [F32], version=2, level=29).supported
    assert messages(check("RSQRT", [I8], version=2, level=FL6)) == ["Input should be Float"]
    assert check("RSQRT", [I8], version=2, level=FL7).supported
    assert check("RSQRT", [U8], level=FL7).supported
    ctx = check("RSQRT", [I16], version=3, level=FL7)
    assert messages(ctx) == ["OP Version different from 2", "Input should be Float or Quant8"]


def test_neg() -> None:
    assert check("NEG", [I32], version=2, level=29).supported
    ctx = check("NEG", [I8], version=3, level=28)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32",
    ]


def test_elu_needs_api_30_and_float() -> None:
    assert check("ELU", [F32], level=30).supported
    ctx = check("ELU", [I8], level=29)
    assert messages(ctx) == [
        "Android sdk version less than 30",
        "NNAPI only supports floating point input.",
    ]


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum_accepts_constant_scalar(op: str) -> None:
    scalar = tensor(T.INT32, (), data=b"\x01\x00\x00\x00")
    assert check(op, [I32, scalar], version=3, level=29).supported


@pytest.mark.parametrize("op", ["MAXIMUM", "MINIMUM"])
def test_maximum_minimum_refusals(op: str) -> None:
    scalar = tensor(T.INT16, ())
    ctx = check(op, [scalar, scalar], version=4, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedInputType",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[2:] == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8, kTfLiteInt32",
        "Scalar operand should be constant",
        "Scalar operand should be constant",
    ]


def test_squared_difference_types_by_level() -> None:
    assert check("SQUARED_DIFFERENCE", [F32, F32], level=28).supported
    assert messages(check("SQUARED_DIFFERENCE", [F32, F32], level=27)) == [
        "Android sdk version less than 28",
    ]
    assert messages(check("SQUARED_DIFFERENCE", [U8, U8], level=28)) == [
        "Input type not in expected list kTfLiteFloat32",
    ]
    assert check("SQUARED_DIFFERENCE", [U8, U8], level=29).supported
    assert messages(check("SQUARED_DIFFERENCE", [I8, I8], level=29)) == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8",
    ]
    assert check("SQUARED_DIFFERENCE", [I8, I8], version=2, level=30).supported
    assert messages(check("SQUARED_DIFFERENCE", [I16, I16], level=FL7)) == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8, kTfLiteInt32",
    ]


def test_squared_difference_rank() -> None:
    rank5 = tensor(T.FLOAT32, (1, 1, 1, 1, 2))
    ctx = check("SQUARED_DIFFERENCE", [F32, rank5], level=30)
    assert codes(ctx) == ["kUnsupportedOperandRank"]
    assert check("SQUARED_DIFFERENCE", [tensor(shape=(1, 2, 3, 4)), F32], level=30).supported


@pytest.mark.parametrize("op", ["LEAKY_RELU", "PRELU"])
def test_leaky_relu_prelu(op: str) -> None:
    assert check(op, [I8, I8], level=29).supported
    ctx = check(op, [I16, I16], version=2, level=28)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
    ]


def test_log_softmax() -> None:
    assert check("LOG_SOFTMAX", [F32], level=29).supported
    ctx = check("LOG_SOFTMAX", [I8], version=2, level=29)
    assert messages(ctx) == ["OP Version different from 1", "Input should be Float32."]
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedInputType"]
