"""Rules of opcompat/targets/nnapi/rules/ops/activation.py against the delegate's Validate cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6

F32 = tensor(T.FLOAT32, (1, 4))
U8 = tensor(T.UINT8, (1, 4), scale=0.5, zero_point=128)
I8 = tensor(T.INT8, (1, 4), scale=0.5, zero_point=0)
I16 = tensor(T.INT16, (1, 4), scale=0.5, zero_point=0)
I32 = tensor(T.INT32, (1, 4))


@pytest.mark.parametrize("inp", [F32, U8, I8])
def test_hard_swish_accepts_float_and_quant8_at_every_version(inp: dict) -> None:
    assert check("HARD_SWISH", [inp], [inp], version=9, level=27).supported


def test_hard_swish_refuses_int16() -> None:
    ctx = check("HARD_SWISH", [I16], [I16], level=FL6)
    assert codes(ctx) == ["kUnsupportedInputType"]
    assert messages(ctx) == ["Input should be Float or Quant8"]


# --- SOFTMAX ------------------------------------------------------------------------------------


def test_softmax_accepts_2d_and_4d_from_27() -> None:
    assert check("SOFTMAX", [I8], [I8], version=2, level=27).supported
    f32_4d = tensor(T.FLOAT32, (1, 2, 2, 4))
    assert check("SOFTMAX", [f32_4d], [f32_4d], level=27).supported


def test_softmax_rank_3_only_from_29() -> None:
    r3 = tensor(T.FLOAT32, (1, 2, 4))
    ctx = check("SOFTMAX", [r3], [r3], level=28)
    assert codes(ctx) == ["kUnsupportedOperandRank"]
    assert messages(ctx) == ["Before API level 29 only 2D and 4D input tensors were supported."]
    assert check("SOFTMAX", [r3], [r3], level=29).supported


def test_softmax_refusals() -> None:
    r5 = tensor(T.INT16, (1, 1, 1, 2, 4))
    ctx = check("SOFTMAX", [r5], [r5], version=3, level=27)
    assert messages(ctx) == [
        "OP Version different from 2",
        "Input should be Float or Quant8",
        "Output type should be one of kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8.",
        "Input rank should be <= 4",
        "Before API level 29 only 2D and 4D input tensors were supported.",
    ]


# --- FLOOR, RELU family, TANH -------------------------------------------------------------------


def test_floor_checks_only_the_version() -> None:
    assert check("FLOOR", [I32], [I32], level=27).supported
    assert messages(check("FLOOR", [F32], version=2)) == ["OP Version different from 1"]


@pytest.mark.parametrize("op", ["RELU", "RELU_N1_TO_1", "RELU6", "LOGISTIC"])
@pytest.mark.parametrize("inp", [F32, U8, I8])
def test_relu_family_accepts(op: str, inp: dict) -> None:
    assert check(op, [inp], [inp], version=2, level=27).supported


@pytest.mark.parametrize("op", ["RELU", "RELU_N1_TO_1", "RELU6", "LOGISTIC"])
def test_relu_family_refusals(op: str) -> None:
    ctx = check(op, [I16], [I16], version=3, level=30)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedInputType"]


def test_tanh_quantized_from_29() -> None:
    assert check("TANH", [F32], level=27).supported
    ctx = check("TANH", [I8], [I8], level=28)
    assert codes(ctx) == ["kUnsupportedInputType"]
    assert messages(ctx) == [" NNAPI only support float tanh."]
    assert check("TANH", [U8], [U8], version=2, level=29).supported


def test_tanh_refusals() -> None:
    ctx = check("TANH", [I16], [I16], version=3, level=FL6)
    assert messages(ctx) == ["OP Version higher than 2", " NNAPI only support float tanh."]


# --- L2_NORMALIZATION, LOCAL_RESPONSE_NORMALIZATION ---------------------------------------------

F32_4D = tensor(T.FLOAT32, (1, 2, 2, 4))
L2_RELU = {"options": {"fused_activation_function": 1}, "options_type": "L2NormOptions"}


def test_l2_normalization_rank_4_float_before_29() -> None:
    assert check("L2_NORMALIZATION", [F32_4D], level=27).supported
    ctx = check("L2_NORMALIZATION", [I8], [I8], version=2, level=28)
    assert codes(ctx) == ["kUnsupportedInputType", "kUnsupportedOperatorVariant"]
    assert messages(ctx) == ["Input should be Float", "Expected 4 inputs"]
    assert check("L2_NORMALIZATION", [I8], [I8], version=2, level=29).supported


def test_l2_normalization_no_activation() -> None:
    ctx = check("L2_NORMALIZATION", [F32_4D], version=3, level=30, **L2_RELU)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kNoActivationExpected"]
    assert messages(ctx)[1] == "Expected no activation"


def test_local_response_normalization() -> None:
    assert check("LOCAL_RESPONSE_NORMALIZATION", [F32_4D], level=27).supported
    ctx = check("LOCAL_RESPONSE_NORMALIZATION", [F32_4D], version=2)
    assert messages(ctx) == ["OP Version different from 1"]
