"""Rules of opcompat/targets/nnapi/rules/ops/quantization.py against the delegate's Validate
cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6

F32 = tensor(T.FLOAT32, (4,))
U8 = tensor(T.UINT8, (4,), scale=0.5, zero_point=128)
I8_SYM = tensor(T.INT8, (4,), scale=0.5, zero_point=0)
I8_ASYM = tensor(T.INT8, (4,), scale=0.5, zero_point=-3)
I16 = tensor(T.INT16, (4,), scale=0.5, zero_point=0)
F16 = tensor(T.FLOAT16, (4,))
F16_CONST = tensor(T.FLOAT16, (4,), data=bytes(8))


# --- DEQUANTIZE ---------------------------------------------------------------------------------


def test_dequantize_uint8_from_27() -> None:
    assert check("DEQUANTIZE", [U8], [F32], version=2, level=27).supported


def test_dequantize_int8_from_29_symmetric_at_29() -> None:
    ctx = check("DEQUANTIZE", [I8_SYM], [F32], level=28)
    assert messages(ctx) == ["Input type not in expected list kTfLiteUInt8"]
    assert check("DEQUANTIZE", [I8_SYM], [F32], level=29).supported
    ctx = check("DEQUANTIZE", [I8_ASYM], [F32], level=29)
    assert codes(ctx) == ["kUnsupportedInputType"]
    assert messages(ctx) == [
        "NN API supports int8 type since version 1.2 but only for symmetric quantization."
    ]
    assert check("DEQUANTIZE", [I8_ASYM], [F32], level=30).supported


def test_dequantize_non_constant_fp16_shortcut_from_30() -> None:
    # Accepted at once, whatever the version.
    assert check("DEQUANTIZE", [F16], [F32], version=3, level=30).supported
    ctx = check("DEQUANTIZE", [F16], [F32], version=3, level=29)
    assert messages(ctx) == [
        "Supported op versions are 1 and 2 only",
        "Input type not in expected list kTfLiteUInt8, kTfLiteInt8",
    ]


@pytest.mark.parametrize("level", [27, 30, FL6])
def test_dequantize_constant_fp16_refused(level: int) -> None:
    ctx = check("DEQUANTIZE", [F16_CONST], [F32], version=3, level=level)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedInputType"]


def test_dequantize_int16_refused() -> None:
    ctx = check("DEQUANTIZE", [I16], [F32], version=2, level=30)
    assert messages(ctx) == ["Input type not in expected list kTfLiteUInt8, kTfLiteInt8"]


# --- DENSIFY ------------------------------------------------------------------------------------


def test_densify_constant_from_30() -> None:
    assert check("DENSIFY", [tensor(T.FLOAT32, (4,), data=bytes(16))], level=30).supported


@pytest.mark.parametrize(
    "inp,level",
    [(tensor(T.FLOAT32, (4,), data=bytes(16)), 29), (F32, 30)],
)
def test_densify_refused_without_failure(inp: dict, level: int) -> None:
    ctx = check("DENSIFY", [inp], level=level)
    assert not ctx.supported
    assert codes(ctx) == []
