"""Rules of opcompat/targets/nnapi/rules/ops/arithmetic.py against the delegate's Validate cases."""
from __future__ import annotations

import struct

import pytest
from factories import check, codes, make_ctx, messages, run_rule, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6, make_target
from opcompat.targets.nnapi.rules.context import OpContext

F32 = tensor(T.FLOAT32, (1, 4))
U8 = tensor(T.UINT8, (1, 4), scale=0.5, zero_point=128)
I8 = tensor(T.INT8, (1, 4), scale=0.5, zero_point=0)
I16 = tensor(T.INT16, (1, 4), scale=0.5, zero_point=0)
I32 = tensor(T.INT32, (1, 4))
F32_R5 = tensor(T.FLOAT32, (1, 1, 1, 1, 4))
RELU = {"fused_activation_function": 1}
NONE = {"fused_activation_function": 0}


# --- ADD, MUL -----------------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["ADD", "MUL"])
@pytest.mark.parametrize("inp", [F32, U8, I8])
def test_add_mul_accept_float_and_quant8_from_27(op: str, inp: dict) -> None:
    assert check(op, [inp, inp], version=2, level=27).supported


@pytest.mark.parametrize("op,options_type", [("ADD", "AddOptions"), ("MUL", "MulOptions")])
def test_add_mul_int32_from_30_without_activation(op: str, options_type: str) -> None:
    assert messages(check(op, [I32, I32], level=29)) == ["Input should be Float or Quant8"]
    assert check(op, [I32, I32], level=30, options=NONE, options_type=options_type).supported
    # No options table: the parser leaves the activation at kTfLiteActNone.
    assert check(op, [I32, I32], level=30).supported
    ctx = check(op, [I32, I32], level=30, options=RELU, options_type=options_type)
    assert codes(ctx) == ["kNoActivationExpected"]
    assert messages(ctx) == ["No activation function supported"]


@pytest.mark.parametrize("op", ["ADD", "MUL"])
def test_add_mul_int32_activation_ignored_for_float(op: str) -> None:
    options_type = "AddOptions" if op == "ADD" else "MulOptions"
    assert check(op, [F32, F32], level=30, options=RELU, options_type=options_type).supported


@pytest.mark.parametrize("op", ["ADD", "MUL"])
def test_add_mul_refusals_accumulate(op: str) -> None:
    ctx = check(op, [I16, F32_R5], version=4, level=FL6)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
        "kUnsupportedOperandRank",
    ]
    assert messages(ctx)[1:] == [
        "Input should be Float, Quant8, or Int32",
        "Input rank must be <= 4",
    ]


def test_add_version_limit() -> None:
    assert messages(check("ADD", [F32, F32], version=3)) == ["OP Version higher than 2"]


def test_mul_version_3_only_with_accelerator() -> None:
    assert check("MUL", [U8, U8], version=3, level=29).supported  # accelerator targeted
    assert messages(check("MUL", [U8, U8], version=3, level=28)) == ["OP Version higher than 2"]


def _mul_at_30(version: int, nnapi_cpu: bool) -> OpContext:
    """MUL at API 30: validate level 30 either way, only is_accelerator_specified differs."""
    ctx = make_ctx("MUL", [U8, U8], version=version, level=30)
    ctx.target = make_target(30, nnapi_cpu=nnapi_cpu)
    assert ctx.level == 30
    return run_rule(ctx)


def test_mul_version_3_accepted_when_accelerator_specified() -> None:
    ctx = _mul_at_30(3, nnapi_cpu=False)
    assert ctx.target.is_accelerator_specified
    assert ctx.supported
    assert codes(ctx) == []


def test_mul_version_3_refused_with_nnapi_cpu() -> None:
    ctx = _mul_at_30(3, nnapi_cpu=True)
    assert not ctx.target.is_accelerator_specified
    assert codes(ctx) == ["kUnsupportedOperatorVersion"]
    assert messages(ctx) == ["OP Version higher than 2"]
    # Version 2 stays accepted without an accelerator.
    assert _mul_at_30(2, nnapi_cpu=True).supported


# --- SUB ----------------------------------------------------------------------------------------


def test_sub_float_from_28_quant_from_29_int32_from_30() -> None:
    assert messages(check("SUB", [F32, F32], level=27)) == ["NNAPI only support float sub."]
    assert check("SUB", [F32, F32], level=28).supported
    assert codes(check("SUB", [I8, I8], level=28)) == ["kUnsupportedInputType"]
    assert check("SUB", [I8, I8], level=29).supported
    assert check("SUB", [U8, U8], version=2, level=29).supported
    assert codes(check("SUB", [I32, I32], level=29)) == ["kUnsupportedInputType"]
    assert check("SUB", [I32, I32], version=3, level=30).supported


def test_sub_refusals() -> None:
    assert messages(check("SUB", [I16, I16], level=FL6)) == ["NNAPI only support float sub."]
    ctx = check("SUB", [I32, F32_R5], version=4, level=30, options=RELU, options_type="SubOptions")
    assert messages(ctx) == [
        "OP Version higher than 3",
        "No activation function supported",
        "Input rank must be <= 4",
    ]


# --- DIV ----------------------------------------------------------------------------------------


def test_div_float_from_28() -> None:
    assert check("DIV", [F32, F32], level=28).supported


def test_div_refusals() -> None:
    ctx = check("DIV", [I32, F32_R5], version=2, level=27)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedOperandRank",
    ]
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 28",
        "NNAPI only support float div.",
        "Input rank must be <= 4",
    ]


# --- ARG_MAX, ARG_MIN ---------------------------------------------------------------------------

AXIS_I32 = tensor(T.INT32, (1,), data=struct.pack("<i", 1))


def _i64_axis(value: int) -> dict:
    return tensor(T.INT64, (1,), data=struct.pack("<q", value))


def _out_type(op: str, value: int) -> dict:
    options_type = "ArgMaxOptions" if op == "ARG_MAX" else "ArgMinOptions"
    return {"options": {"output_type": value}, "options_type": options_type}


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize("inp", [F32, U8, I8, I32, tensor(T.FLOAT16)])
def test_arg_accepts_from_29(op: str, inp: dict) -> None:
    assert check(op, [inp, AXIS_I32], version=2, level=29, **_out_type(op, T.INT32)).supported


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_int64_axis_constant_and_in_range(op: str) -> None:
    opts = _out_type(op, T.INT32)
    assert check(op, [F32, _i64_axis(-1)], level=29, **opts).supported
    message = messages(check(op, [F32, _i64_axis(2**31)], level=29, **opts))
    assert len(message) == 1 and message[0].startswith("NNAPI only supports axis as int32.")
    non_const = tensor(T.INT64, (1,))
    assert codes(check(op, [F32, non_const], level=29, **opts)) == ["kUnsupportedInputType"]


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_refusals(op: str) -> None:
    axis_f32 = tensor(T.FLOAT32, (1,), data=b"\0\0\0\0")
    ctx = check(op, [I16, axis_f32], version=3, level=28, **_out_type(op, T.INT64))
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedInputType",
        "kUnsupportedOutputType",
    ]
    assert messages(ctx)[2:] == [
        "Input type not in expected list kTfLiteFloat16, kTfLiteFloat32, kTfLiteInt32, "
        "kTfLiteUInt8, kTfLiteInt8",
        "Axis should be Int32",
        "NNAPI only supports int32 output.",
    ]


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_arg_without_options_has_no_output_type(op: str) -> None:
    # The parser leaves output_type as kTfLiteNoType when there is no options table.
    assert messages(check(op, [F32, AXIS_I32], level=29)) == ["NNAPI only supports int32 output."]
