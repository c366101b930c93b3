"""opcompat/targets/nnapi/rules/tensor_checks.py: how the delegate sees tensors and builtin
params."""
from __future__ import annotations

import pytest
from factories import make_ctx, tensor

from opcompat.errors import TableError
from opcompat.model.graph import Quantization, Tensor
from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.rules import tensor_checks as tc


def _tensor(quant: Quantization | None, dtype: T = T.INT8) -> Tensor:
    return Tensor(0, "t", dtype, (2,), None, 0, False, False, quant)


def test_affine_and_legacy_params() -> None:
    per_tensor = _tensor(Quantization(scale=(0.5,), zero_point=(3,)))
    assert tc.is_affine(per_tensor) and tc.legacy_params(per_tensor) == (0.5, 3)
    per_channel = _tensor(Quantization(scale=(0.5, 0.25), zero_point=(0, 0)))
    assert tc.is_affine(per_channel) and tc.affine_scale_count(per_channel) == 2
    assert tc.legacy_params(per_channel) == (0.0, 0)
    blockwise = _tensor(Quantization(scale=(0.5,), zero_point=(0,), details_type=2))
    assert not tc.is_affine(blockwise) and tc.legacy_params(blockwise) == (0.0, 0)
    assert not tc.is_affine(_tensor(Quantization(min=(0.0,), max=(1.0,))))
    assert not tc.is_affine(_tensor(None)) and not tc.is_affine(None)


def test_legacy_scale_is_float32() -> None:
    assert tc.legacy_params(_tensor(Quantization(scale=(0.1,), zero_point=(0,))))[0] != 0.1


def test_type_classes() -> None:
    assert tc.is_float(T.FLOAT32) and not tc.is_float(T.FLOAT16)
    assert tc.is_quantized(T.UINT8) and tc.is_quantized(T.INT8) and not tc.is_quantized(T.INT16)
    assert tc.is_int32(T.INT32) and not tc.is_int32(T.INT64)
    assert tc.dtype(None) is None and tc.rank(None) == 0 and not tc.is_mmap_ro(None)


def test_builtin_params_zero_without_matching_options_table() -> None:
    ctx = make_ctx("CONV_2D", [tensor()], options={"dilation_w_factor": 2},
                   options_type="Conv2DOptions")
    assert tc.builtin_params(ctx, "Conv2DOptions", {"dilation_w_factor": 0}) == {
        "dilation_w_factor": 2
    }
    # A different union member reads as no table at all.
    assert tc.builtin_params(ctx, "Pool2DOptions", {"filter_width": 0}) == {"filter_width": 0}


@pytest.mark.parametrize(
    "value,none", [(0, True), (1, False), (5, False), (6, True), ("NONE", True), ("RELU6", False)]
)
def test_activation_is_none(value: object, none: bool) -> None:
    assert tc.activation_is_none(value) is none


def test_enum_options_by_name_or_value() -> None:
    assert tc.tensor_type_value("INT32") == T.INT32 and tc.tensor_type_value(2) == T.INT32
    assert tc.lsh_type_is_sparse(1) and tc.lsh_type_is_sparse("SPARSE")
    assert not tc.lsh_type_is_sparse(2)
    assert tc.int_list(None) == () and tc.int_list([1, 2]) == (1, 2)


@pytest.mark.parametrize(
    "op,inputs,hybrid",
    [
        ("CONV_2D", [T.FLOAT32, T.INT8], True),
        ("CONV_2D", [T.INT8, T.INT8], False),
        ("FULLY_CONNECTED", [T.FLOAT32, T.UINT8], True),
        ("UNIDIRECTIONAL_SEQUENCE_RNN", [T.FLOAT32, T.INT8], True),
        ("UNIDIRECTIONAL_SEQUENCE_LSTM", [T.FLOAT32, T.FLOAT32, T.INT8], True),
        ("UNIDIRECTIONAL_SEQUENCE_LSTM", [T.FLOAT32, T.INT8, T.FLOAT32], False),
        ("DEPTHWISE_CONV_2D", [T.FLOAT32, T.INT8], False),
    ],
)
def test_is_hybrid_operator(op: str, inputs: list[T], hybrid: bool) -> None:
    ctx = make_ctx(op, [tensor(t) for t in inputs])
    assert tc.is_hybrid_operator(ctx) is hybrid


def test_lstm_hybrid_needs_full_kernel() -> None:
    full = [tensor(T.FLOAT32), None, tensor(T.UINT8)] + [tensor()] * 21
    assert tc.is_hybrid_operator(make_ctx("LSTM", full))
    assert not tc.is_hybrid_operator(make_ctx("LSTM", full[:5]))


def test_table_numbers() -> None:
    assert tc.table_max_version(make_ctx("CONV_2D", [tensor()])) == 5
    assert tc.table_min_level(make_ctx("TRANSPOSE", [tensor()])) == 28
    with pytest.raises(TableError):
        tc.table_max_version(make_ctx("HARD_SWISH", [tensor()]))
