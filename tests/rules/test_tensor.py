"""Rules of opcompat/targets/nnapi/rules/ops/tensor.py against the delegate's Validate cases."""
from __future__ import annotations

import struct

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6, FL7

F32 = tensor(T.FLOAT32, (2, 3))
F16 = tensor(T.FLOAT16, (2, 3))
I8 = tensor(T.INT8, (2, 3), scale=0.5, zero_point=0)
U8 = tensor(T.UINT8, (2, 3), scale=0.5, zero_point=128)
I16 = tensor(T.INT16, (2, 3), scale=0.5, zero_point=0)
I32 = tensor(T.INT32, (2, 3))
BOOL = tensor(T.BOOL, (2, 3))


def i32s(*values: int, shape: tuple[int, ...] | None = None) -> dict:
    """A constant int32 tensor holding `values`."""
    return tensor(T.INT32, shape if shape is not None else (len(values),),
                  data=struct.pack(f"<{len(values)}i", *values))


def i64s(*values: int, shape: tuple[int, ...] | None = None) -> dict:
    """A constant int64 tensor holding `values`."""
    return tensor(T.INT64, shape if shape is not None else (len(values),),
                  data=struct.pack(f"<{len(values)}q", *values))


def test_slice() -> None:
    assert check("SLICE", [I8, i32s(0, 0), i32s(1, 2)], version=2, level=29).supported
    ctx = check("SLICE", [I16, tensor(T.INT64, (2,)), tensor(T.INT64, (2,))], version=3,
                level=28)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8",
        "Begin type should be Int32",
        "Size type should be Int32",
    ]


def test_transpose_conv() -> None:
    weights = tensor(T.FLOAT32, (4, 3, 3, 2), const=True)
    assert check("TRANSPOSE_CONV", [i32s(1, 8, 8, 4), weights, F32], version=4).supported
    ctx = check("TRANSPOSE_CONV", [tensor(T.INT32, (4,)), weights, F32], version=5, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kInputTensorShouldHaveConstantShape",
    ]
    assert messages(ctx)[2] == "Dynamically-sized tensors not supported."
    assert not check("TRANSPOSE_CONV", [i32s(1, 8, 8, 4), F32, F32]).supported


def test_space_to_depth_has_no_level_check() -> None:
    assert check("SPACE_TO_DEPTH", [I8], version=2, level=27).supported
    ctx = check("SPACE_TO_DEPTH", [I32], version=3, level=27)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
    ]


def test_depth_to_space_checks_type_only() -> None:
    assert check("DEPTH_TO_SPACE", [U8], version=9, level=27).supported
    ctx = check("DEPTH_TO_SPACE", [I16], level=FL7)
    assert codes(ctx) == ["kUnsupportedInputType"]


def test_embedding_lookup() -> None:
    assert check("EMBEDDING_LOOKUP", [tensor(T.INT32, (3,)), F32], level=27).supported
    ctx = check("EMBEDDING_LOOKUP", [tensor(T.INT32, (3,)), U8], version=2)
    assert messages(ctx) == ["OP Version different from 1", "NNAPI only support float32 values."]


def test_hashtable_lookup() -> None:
    keys = tensor(T.INT32, (3,))
    assert check("HASHTABLE_LOOKUP", [keys, keys, F32], [F32, tensor(T.UINT8, (3,))]).supported
    ctx = check("HASHTABLE_LOOKUP", [keys, keys, U8], [U8, tensor(T.UINT8, (3,))])
    assert codes(ctx) == ["kUnsupportedOutputType"]
    assert messages(ctx) == ["NNAPI only support float32 output."]


def test_cast_types_by_level() -> None:
    assert check("CAST", [F32], [I32], level=29).supported
    ctx = check("CAST", [I8], [I8], level=29)
    assert messages(ctx) == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8",
        "Output type should be one of kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8.",
    ]
    assert check("CAST", [I8], [I8], level=30).supported
    ctx = check("CAST", [BOOL], [tensor(T.INT64)], version=2, level=30)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
        "kUnsupportedOutputType",
    ]
    assert messages(ctx)[1:] == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8",
        "Output type should be one of kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8.",
    ]
    assert messages(check("CAST", [F32], [F32], level=28)) == ["Android sdk version less than 29"]


def test_tile() -> None:
    assert check("TILE", [I8, i32s(1, 2)], level=29).supported
    ctx = check("TILE", [BOOL, i64s(1, 2)], version=3, level=28)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt8, kTfLiteUInt8, kTfLiteInt32",
        "Multipliers should be Int32",
    ]


def test_topk_v2() -> None:
    assert check("TOPK_V2", [F32, i32s(2, shape=())], [F32, I32], version=2).supported
    ctx = check("TOPK_V2", [I16, tensor(T.INT32, ())], [I16, I32], version=3, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[3] == "K param should be a constant of type Int32"


def test_gather() -> None:
    assert check("GATHER", [F16, tensor(T.INT32, (2,))], version=2).supported
    ctx = check("GATHER", [tensor(T.STRING, (3,)), tensor(T.INT64, ())], version=5, level=28)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedInputType",
        "kUnsupportedOperandRank",
    ]
    assert messages(ctx)[2:] == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteFloat16, kTfLiteInt32, "
        "kTfLiteUInt8, kTfLiteInt8",
        "Positions type should be one of kTfLiteInt32",
        "0-dimension args are not supported by NNAPI.",
    ]


def test_expand_dims() -> None:
    assert check("EXPAND_DIMS", [F16, i32s(0, shape=())]).supported
    ctx = check("EXPAND_DIMS", [I16, i64s(0, shape=())], level=28)
    assert messages(ctx) == [
        "Android sdk version less than 29",
        "Input type not in expected list kTfLiteFloat32, kTfLiteFloat16, kTfLiteInt32, "
        "kTfLiteUInt8, kTfLiteInt8",
        "NNAPI only supports constant int32 axis tensor.",
    ]
    assert not check("EXPAND_DIMS", [F32, tensor(T.INT32, ())]).supported


def test_split_int8_from_30() -> None:
    axis = i32s(1, shape=())
    assert check("SPLIT", [axis, U8], [U8, U8], version=3, level=29).supported
    ctx = check("SPLIT", [axis, I8], [I8, I8], level=29)
    assert messages(ctx) == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt32",
    ]
    assert check("SPLIT", [axis, I8], [I8, I8], level=30).supported
    ctx = check("SPLIT", [tensor(T.INT32, ()), I16], [I16], version=4, level=30)
    assert messages(ctx) == [
        "OP Version different from 3",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8, kTfLiteInt32",
        "NNAPI only supports constant int32 axis tensor.",
    ]


def test_split_v_accepts_known_and_unknown_sizes() -> None:
    assert check("SPLIT_V", [F32, i32s(1, 2), i32s(1, shape=())], version=2, level=30).supported
    assert check("SPLIT_V", [F32, i32s(1, -1), i32s(-1, shape=())], level=30).supported


def test_split_v_refusals() -> None:
    ctx = check("SPLIT_V", [I16, tensor(T.INT32, (2,)), i64s(1, shape=())], level=29)
    assert messages(ctx) == [
        "Android sdk version less than 30",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8, kTfLiteInt32",
        "NNAPI only supports constant int32 size_splits vector.",
        "NNAPI only supports constant int32 axis tensor.",
    ]


def test_split_v_zero_sizes() -> None:
    ctx = check("SPLIT_V", [F32, i32s(0, 3), i32s(1, shape=())], level=30)
    assert messages(ctx) == ["NNAPI only supports non-zero split sizes."]
    # The unknown size (-1) would be 3 - 3 = 0 along axis 1.
    ctx = check("SPLIT_V", [F32, i32s(3, -1), i32s(1, shape=())], level=30)
    assert messages(ctx) == ["NNAPI only supports non-zero split sizes."]
    assert codes(ctx) == ["kUnsupportedInputType"]


def test_quantize() -> None:
    assert check("QUANTIZE", [F32], [U8], level=29).supported
    assert check("QUANTIZE", [I8], [U8], version=2, level=29).supported
    assert messages(check("QUANTIZE", [F32], [I8], level=29)) == ["Output should be kTfLiteUInt8."]
    assert check("QUANTIZE", [F32], [I8], level=30).supported
    ctx = check("QUANTIZE", [I16], [I16], version=3, level=30)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Value should be quantized or Float32.",
        "Output should be kTfLiteUInt8.",
    ]


def test_quantize_scales_must_be_positive() -> None:
    zero_in = tensor(T.UINT8, (2, 3), scale=0.0, zero_point=0)
    per_channel_out = tensor(T.INT8, (2, 3), scale=(0.5, 0.25), zero_point=(0, 0))
    ctx = check("QUANTIZE", [zero_in], [per_channel_out], level=30)
    assert codes(ctx) == ["kUnsupportedQuantizationParameters"] * 2
    assert messages(ctx) == ["Quantization scale should be > 0."] * 2


def test_fill() -> None:
    assert check("FILL", [i32s(2, 3), tensor(T.FLOAT32, ())], level=30).supported
    assert check("FILL", [i64s(2, 3), i64s(7, shape=())], level=30).supported
    ctx = check("FILL", [tensor(T.INT32, (2,)), tensor(T.BOOL, ())], version=2, level=29)
    assert messages(ctx) == [
        "OP Version different from 1",
        "Android sdk version less than 30",
        "NNAPI doesn't support dynamic dimensions tensor.",
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteInt64",
    ]


def test_fill_constant_value_checks() -> None:
    ctx = check("FILL", [i32s(shape=(0,)), tensor(T.FLOAT32, ())], level=30)
    assert codes(ctx) == ["kUnsupportedOperandValue"]
    assert messages(ctx) == ["NNAPI doesn't support generating scalars from FILL"]
    ctx = check("FILL", [i64s(2, 2**40), i64s(-(2**40), shape=())], level=30)
    assert codes(ctx) == ["kUnsupportedOperandValue", "kUnsupportedInputType"]
    ctx = check("FILL", [tensor(T.FLOAT32, (2,), const=True, data=b"\0" * 8),
                         tensor(T.INT64, ())], level=30)
    assert messages(ctx) == ["Input type not in expected list kTfLiteInt32, kTfLiteInt64"]


def _pack(axis: int | None, dtype: T = T.FLOAT32, level: int = 30) -> object:
    t = tensor(dtype, (2, 3))
    options = None if axis is None else {"values_count": 2, "axis": axis}
    return check("PACK", [t, t], [tensor(dtype, (2, 2, 3))], version=2, level=level,
                 options=options, options_type=None if axis is None else "PackOptions")


def test_pack_before_fl6() -> None:
    assert _pack(0).supported
    assert _pack(None).supported  # no options table: axis reads as 0
    assert messages(_pack(2)) == ["NNAPI does not support axis being the last dimension"]
    assert messages(_pack(-1)) == ["NNAPI does not support axis being the last dimension"]
    assert messages(_pack(0, T.INT32)) == [
        "Input type not in expected list kTfLiteFloat32, kTfLiteInt8",
    ]
    assert messages(_pack(0, level=29)) == ["Android sdk version less than 30"]


def test_pack_from_fl6() -> None:
    assert _pack(2, T.INT32, level=FL6).supported
    assert messages(_pack(2, T.INT16, level=FL6)) == [
        "Input type not in expected list kTfLiteInt32, kTfLiteFloat32, kTfLiteInt8, kTfLiteUInt8",
    ]


def test_unpack() -> None:
    options = {"num": 2, "axis": 0}
    assert check("UNPACK", [F32], [F32, F32], level=30, options=options,
                 options_type="UnpackOptions").supported
    ctx = check("UNPACK", [tensor(T.INT32, (2,))], [I32], version=3, level=29,
                options={"num": 2, "axis": -1}, options_type="UnpackOptions")
    assert messages(ctx) == [
        "OP Version different from 2",
        "Android sdk version less than 30",
        "Input type not in expected list kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
        "NNAPI does not support unpacking a rank-1 tensor",
        "NNAPI does not support axis being the last dimension",
    ]
    ctx = check("UNPACK", [tensor(T.FLOAT32, (1, 2, 3, 4, 5))], [F32], level=30,
                options={"num": 1, "axis": 0}, options_type="UnpackOptions")
    assert messages(ctx) == ["NNAPI does not support unpacking a tensor with rank > 4"]
    # Without an UnpackOptions table the axis reads as 0, not the last axis of a rank-2 input.
    ctx = check("UNPACK", [tensor(T.FLOAT32, (2, 3))], [F32], level=30)
    assert ctx.supported
    ctx = check("UNPACK", [tensor(T.FLOAT32, (2, 3))], [F32], level=30,
                options={"num": 3, "axis": 1}, options_type="UnpackOptions")
    assert codes(ctx) == ["kUnsupportedOperandValue"]


def test_batch_matmul() -> None:
    a = tensor(T.FLOAT32, (2, 3, 4))
    b = tensor(T.FLOAT32, (2, 4, 5))
    assert check("BATCH_MATMUL", [a, b], version=2, level=FL6).supported
    assert messages(check("BATCH_MATMUL", [a, b], level=31)) == [
        "Android sdk version less than 1000006",
    ]


def test_batch_matmul_refusals() -> None:
    ctx = check("BATCH_MATMUL", [tensor(T.INT16, (4,)), tensor(T.INT8, (1, 4, 2))], version=3,
                level=FL7)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
        "kUnsupportedHybridOperator",
        "kUnsupportedOperandRank",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[2:] == [
        "NNAPI does not support hybrid batch matmul",
        "NNAPI does not support input rank greater than 4 or less than 2",
        "NNAPI does not support broadcast batch matmul",
    ]
    broadcast = check("BATCH_MATMUL", [tensor(T.FLOAT32, (1, 3, 4)), tensor(T.FLOAT32, (2, 4, 5))],
                      level=FL6)
    assert messages(broadcast) == ["NNAPI does not support broadcast batch matmul"]


@pytest.mark.parametrize("mode", [0, 1, "REFLECT", "SYMMETRIC"])
def test_mirror_pad_accepts_known_modes(mode: object) -> None:
    pads = i32s(0, 0, 1, 1, shape=(2, 2))
    ctx = check("MIRROR_PAD", [F32, pads], version=2, level=FL7, options={"mode": mode},
                options_type="MirrorPadOptions")
    assert ctx.supported


def test_mirror_pad_refusals() -> None:
    pads = i32s(0, 0, 1, 1, shape=(2, 2))
    ctx = check("MIRROR_PAD", [tensor(T.INT16, (0, 3)), pads, pads], version=3, level=FL6)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kUnsupportedInputType",
        "kUnsupportedOperandValue",
        "kUnsupportedOperandValue",
        "kUnsupportedOperatorVariant",
    ]
    assert messages(ctx)[1:] == [
        "Android sdk version less than 1000007",
        "Input should be Float, Quant8, or Int32",
        "Unknown padding mode",
        "NN API pad ops do not support input tensors with no elements",
        "Expecting 2 inputs",
    ]


def test_reverse_v2() -> None:
    axis = i32s(1)
    assert check("REVERSE_V2", [I32, axis], version=3, level=FL7).supported
    ctx = check("REVERSE_V2", [BOOL, axis, axis], version=4, level=31)
    assert messages(ctx) == [
        "OP Version higher than 3",
        "Android sdk version less than 1000007",
        "Input should be Float, Quant8, or Int32",
        "Expecting 2 inputs",
    ]


def test_mirror_pad_without_options_table_has_unknown_mode() -> None:
    # The parser leaves TfLiteMirrorPaddingParams zeroed: kTfLiteMirrorPaddingUnknown.
    pads = i32s(0, 0, 1, 1, shape=(2, 2))
    ctx = check("MIRROR_PAD", [F32, pads], level=FL7)
    assert messages(ctx) == ["Unknown padding mode"]
    ctx = check("MIRROR_PAD", [F32, pads], level=FL7, options={"mode": 2},
                options_type="MirrorPadOptions")
    assert messages(ctx) == ["Unknown padding mode"]


def test_transpose_conv_with_one_input() -> None:
    ctx = check("TRANSPOSE_CONV", [i32s(1, 8, 8, 4)], level=29)
    assert codes(ctx) == ["kInputTensorShouldHaveConstantShape"]


def test_version_and_level_numbers_come_from_the_mapping_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opcompat.targets.nnapi.rules import tensor_checks

    monkeypatch.setattr(tensor_checks.delegate_mapping, "max_op_version", lambda op, level: 7)
    monkeypatch.setattr(tensor_checks.delegate_mapping, "min_level", lambda op: 27)
    assert check("TILE", [I8, i32s(1, 2)], version=7, level=27).supported
    assert messages(check("TILE", [I8, i32s(1, 2)], version=8, level=27)) == [
        "OP Version different from 7",
    ]
