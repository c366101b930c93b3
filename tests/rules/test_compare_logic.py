"""Rules of opcompat/targets/nnapi/rules/ops/compare_logic.py against the delegate's Validate
cases."""
from __future__ import annotations

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T

BOOL = tensor(T.BOOL)
F32 = tensor(T.FLOAT32)
I16 = tensor(T.INT16, scale=0.5, zero_point=0)

COMPARISONS = ["LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL"]


@pytest.mark.parametrize("op", ["LOGICAL_OR", "LOGICAL_AND", "LOGICAL_NOT"])
def test_logical_accepts_bool_from_29(op: str) -> None:
    assert check(op, [BOOL, BOOL], [BOOL], level=29).supported


@pytest.mark.parametrize("op", ["LOGICAL_OR", "LOGICAL_AND", "LOGICAL_NOT"])
def test_logical_refusals(op: str) -> None:
    ctx = check(op, [F32, F32], [BOOL], version=2, level=28)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 29",
        "Input should be bool",
    ]


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("dtype", [T.FLOAT32, T.UINT8, T.INT8, T.BOOL, T.INT32])
def test_comparison_accepts(op: str, dtype: T) -> None:
    t = tensor(dtype)
    assert check(op, [t, t], [BOOL], version=2, level=29).supported


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparison_refusals(op: str) -> None:
    ctx = check(op, [I16, I16], [BOOL], version=3, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[0] == "OP Version higher than 2"
    assert messages(ctx)[2] == (
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8, "
        "kTfLiteBool, kTfLiteInt32"
    )


def test_select_accepts_same_shapes() -> None:
    cond = tensor(T.BOOL, (2, 3))
    values = tensor(T.FLOAT32, (2, 3))
    assert check("SELECT", [cond, values, values], [values], version=2, level=29).supported


def test_select_refuses_broadcast_and_types() -> None:
    cond = tensor(T.BOOL, (1, 3))
    values = tensor(T.INT16, (2, 3))
    ctx = check("SELECT", [cond, values, values], [values], level=28)
    assert codes(ctx) == [
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedOperandValue",
    ]
    assert messages(ctx)[1:] == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8",
        "Condition and inputs tensors should have the same shape",
    ]


def test_select_checks_value_type_not_condition_type() -> None:
    cond = tensor(T.BOOL, (4,))
    values = tensor(T.INT8, (4,))
    assert check("SELECT", [cond, values, values], [values], level=29).supported
