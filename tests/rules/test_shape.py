"""Rules of opcompat/targets/nnapi/rules/ops/shape.py against the delegate's Validate cases."""
from __future__ import annotations

import struct

import pytest
from factories import check, codes, messages, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import FL6

F32 = tensor(T.FLOAT32, (1, 4, 4, 2))
U8 = tensor(T.UINT8, (1, 4, 4, 2), scale=0.5, zero_point=128)
I8 = tensor(T.INT8, (1, 4, 4, 2), scale=0.5, zero_point=0)
I16 = tensor(T.INT16, (1, 4, 4, 2), scale=0.5, zero_point=0)
I32 = tensor(T.INT32, (1, 4, 4, 2))
SHAPE = tensor(T.INT32, (2,), data=struct.pack("<2i", 1, 32))
SIZE = tensor(T.INT32, (2,), data=struct.pack("<2i", 8, 8))


# --- RESHAPE ------------------------------------------------------------------------------------


def test_reshape_constant_shape_accepted() -> None:
    assert check("RESHAPE", [F32, SHAPE], [tensor(T.FLOAT32, (1, 32))], level=27).supported


def test_reshape_int32_only_from_feature_level_6() -> None:
    out = tensor(T.INT32, (1, 32))
    ctx = check("RESHAPE", [I32, SHAPE], [out], level=31)
    assert messages(ctx) == ["Input should be Float or Quant8"]
    assert check("RESHAPE", [I32, SHAPE], [out], level=FL6).supported


def test_reshape_refusals() -> None:
    r5 = tensor(T.INT16, (1, 1, 4, 4, 2))
    non_const_shape = tensor(T.INT32, (5,))
    ctx = check("RESHAPE", [r5, non_const_shape], [r5], version=2, level=FL6)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
        "kUnsupportedOperandRank",
        "kUnsupportedOperandRank",
        "kInputTensorShouldHaveConstantShape",
    ]
    assert messages(ctx)[1:] == [
        "Input should be Float, Quant8, or Int32",
        "Input rank should be <= 4",
        "Output rank should be <= 4",
        "The shape input tensor must be constant.",
    ]


@pytest.mark.parametrize(
    "options,options_type,ok",
    [
        ({"new_shape": [1, 32]}, "ReshapeOptions", True),
        ({"new_shape": [0]}, "ReshapeOptions", False),  # legacy scalar spelling
        ({"new_shape": []}, "ReshapeOptions", False),
        ({"new_shape": None}, "ReshapeOptions", False),
        (None, None, False),  # no options table: num_dimensions stays 0
    ],
)
def test_reshape_single_input_new_shape(
    options: dict | None, options_type: str | None, ok: bool
) -> None:
    ctx = check("RESHAPE", [F32], [tensor(T.FLOAT32, (1, 32))], options=options,
                options_type=options_type)
    assert ctx.supported is ok
    if not ok:
        assert messages(ctx) == ["New shape rank should be > 0"]


# --- RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR ---------------------------------------------------

OUT_SQUARE = tensor(T.FLOAT32, (1, 8, 8, 2))
OUT_WIDE = tensor(T.FLOAT32, (1, 8, 16, 2))


def _resize(op: str, align: bool = False, half: bool = False) -> dict:
    name = "ResizeBilinearOptions" if op == "RESIZE_BILINEAR" else "ResizeNearestNeighborOptions"
    return {"options": {"align_corners": align, "half_pixel_centers": half}, "options_type": name}


def test_resize_bilinear_accepted_at_27() -> None:
    assert check("RESIZE_BILINEAR", [F32, SIZE], [OUT_SQUARE], level=27).supported


def test_resize_bilinear_pre_29_rules() -> None:
    u8_wide = tensor(T.UINT8, (1, 8, 16, 2), scale=0.5, zero_point=128)
    ctx = check("RESIZE_BILINEAR", [U8, SIZE], [u8_wide], level=28)
    assert messages(ctx) == [
        "Require width == height due to driver differences in NNAPI < 1.2",
        "NNAPI 1.0 & 1.1 only supports float input.",
    ]
    assert check("RESIZE_BILINEAR", [U8, SIZE], [u8_wide], level=29).supported


def test_resize_bilinear_align_and_half_pixel_from_30() -> None:
    opts = _resize("RESIZE_BILINEAR", align=True, half=True)
    ctx = check("RESIZE_BILINEAR", [F32, SIZE], [OUT_SQUARE], level=29, **opts)
    assert codes(ctx) == ["kUnsupportedOperandValue", "kUnsupportedOperandValue"]
    assert messages(ctx) == [
        "NNAPI does not support align_corners == true.",
        "NNAPI does not support half_pixel_centers == true.",
    ]
    assert check("RESIZE_BILINEAR", [F32, SIZE], [OUT_SQUARE], level=30, **opts).supported


def test_resize_bilinear_refusals() -> None:
    r3 = tensor(T.INT16, (4, 4, 2))
    ctx = check("RESIZE_BILINEAR", [r3], [OUT_SQUARE], version=4, level=30)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedOperandRank",
        "kUnsupportedInputType",
        "kUnsupportedOperatorVariant",
    ]
    non_const = tensor(T.INT32, (2,))
    ctx = check("RESIZE_BILINEAR", [F32, non_const], [OUT_SQUARE], level=30)
    assert messages(ctx) == ["The size input tensor must be constant."]


def test_resize_nearest_neighbor_from_29() -> None:
    assert check("RESIZE_NEAREST_NEIGHBOR", [I8, SIZE], [OUT_WIDE], version=3, level=29).supported
    opts = _resize("RESIZE_NEAREST_NEIGHBOR", half=True)
    assert messages(check("RESIZE_NEAREST_NEIGHBOR", [F32, SIZE], level=29, **opts)) == [
        "NNAPI does not support half_pixel_centers == true."
    ]
    assert check("RESIZE_NEAREST_NEIGHBOR", [F32, SIZE], level=30, **opts).supported


def test_resize_nearest_neighbor_refusals() -> None:
    ctx = check("RESIZE_NEAREST_NEIGHBOR", [I16], version=4, level=28,
                **_resize("RESIZE_NEAREST_NEIGHBOR", align=True))
    assert messages(ctx) == [
        "OP Version higher than 3",
        "Android sdk version less than 29",
        "Input should be Float or Quant8",
        "Expected at least 2 inputs",
        "NNAPI does not support align_corners == true.",
    ]


# --- SQUEEZE ------------------------------------------------------------------------------------

SQ_DIMS = {"options": {"squeeze_dims": [0]}, "options_type": "SqueezeOptions"}


def test_squeeze_from_28_with_dims() -> None:
    assert check("SQUEEZE", [I32], level=28, **SQ_DIMS).supported
    assert check("SQUEEZE", [I32], level=29).supported


def test_squeeze_refusals() -> None:
    assert messages(check("SQUEEZE", [F32], level=27, **SQ_DIMS)) == [
        "Android sdk version less than 28"
    ]
    empty = {"options": {"squeeze_dims": []}, "options_type": "SqueezeOptions"}
    ctx = check("SQUEEZE", [F32], version=2, level=28, **empty)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedOperandValue"]
    assert messages(ctx)[1] == "NNAPI 1.1 does not support null squeeze_dims properly."
    # No options table: num_squeeze_dims is 0 too.
    assert codes(check("SQUEEZE", [F32], level=28)) == ["kUnsupportedOperandValue"]


# --- CONCATENATION ------------------------------------------------------------------------------

U8_OTHER = tensor(T.UINT8, (1, 4, 4, 2), scale=0.25, zero_point=128)


def test_concatenation_accepted() -> None:
    assert check("CONCATENATION", [F32, F32], version=2, level=27).supported
    assert check("CONCATENATION", [tensor(T.FLOAT16, (1, 4)), F32], level=27).supported
    assert check("CONCATENATION", [U8, U8, U8], level=27).supported
    assert check("CONCATENATION", [U8, U8_OTHER], level=29).supported


def test_concatenation_uint8_scales_before_29() -> None:
    ctx = check("CONCATENATION", [U8, U8_OTHER, U8_OTHER], level=28)
    # Only the first mismatching input is reported.
    assert codes(ctx) == ["kUnsupportedOperandValue"]
    assert messages(ctx) == [
        "NNAPI 1.0-1 only supported concatenating quantized tensor of the same scale and offset."
    ]


def test_concatenation_refusals() -> None:
    r5 = tensor(T.INT32, (1, 1, 4, 4, 2))
    relu = {"options": {"fused_activation_function": 1}, "options_type": "ConcatenationOptions"}
    ctx = check("CONCATENATION", [r5, r5], version=3, level=30, **relu)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "No activation function supported",
        "Input rank should be less than 4",
        "Input type not in expected list kTfLiteFloat16, kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
    ]


# --- PAD, PADV2 ---------------------------------------------------------------------------------

PADS = tensor(T.INT32, (4, 2), data=bytes(32))
PAD_VALUE = tensor(T.INT8, (), data=b"\0", scale=0.5, zero_point=0)


@pytest.mark.parametrize("op", ["PAD", "PADV2"])
def test_pad_float_from_28(op: str) -> None:
    assert check(op, [F32, PADS], level=28).supported


@pytest.mark.parametrize("op", ["PAD", "PADV2"])
def test_pad_quantized_two_inputs_from_29(op: str) -> None:
    ctx = check(op, [I8, PADS], [I8], level=28)
    assert codes(ctx) == ["kUnsupportedInputType"]
    assert messages(ctx) == ["Only Float32 inputs are supported before NNAPI 1.2"]
    assert check(op, [I8, PADS], [I8], version=2, level=29).supported


@pytest.mark.parametrize("op", ["PAD", "PADV2"])
def test_pad_value_from_29(op: str) -> None:
    ctx = check(op, [I8, PADS, PAD_VALUE], [I8], level=28)
    assert codes(ctx) == ["kUnsupportedOperatorVariant"]
    assert messages(ctx) == ["Specification of the padding value is supported from NNAPI 1.2."]
    assert check(op, [I8, PADS, PAD_VALUE], [I8], level=29).supported
    # An omitted third input still makes three inputs.
    assert codes(check(op, [F32, PADS, None], level=28)) == ["kUnsupportedOperatorVariant"]


@pytest.mark.parametrize("op", ["PAD", "PADV2"])
def test_pad_refusals(op: str) -> None:
    empty = tensor(T.INT16, (1, 0, 4, 2))
    ctx = check(op, [empty], version=3, level=27)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
        "kUnsupportedAndroidVersion",
        "kUnsupportedOperandValue",
        "kUnsupportedOperatorVariant",
        "kUnsupportedInputType",
    ]
    assert messages(ctx)[3:5] == [
        "NN API pad ops do not support input tensors with no elements",
        "Expecting at least 2 inputs",
    ]


# --- SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, STRIDED_SLICE, TRANSPOSE -----------------------------

BLOCK = tensor(T.INT32, (2,), data=struct.pack("<2i", 2, 2))
ZERO_CROPS = tensor(T.INT32, (2, 2), data=bytes(16))


def test_space_to_batch_nd() -> None:
    assert check("SPACE_TO_BATCH_ND", [I16, BLOCK, ZERO_CROPS], version=2, level=28).supported
    ctx = check("SPACE_TO_BATCH_ND", [F32, BLOCK, ZERO_CROPS], version=3, level=27)
    assert messages(ctx) == ["OP Version higher than 2", "Android sdk version less than 28"]


def test_batch_to_space_nd_zero_crops() -> None:
    assert check("BATCH_TO_SPACE_ND", [I16, BLOCK, ZERO_CROPS], version=2, level=28).supported


@pytest.mark.parametrize(
    "crops",
    [
        tensor(T.INT32, (2, 2), data=struct.pack("<4i", 0, 1, 0, 0)),  # non-zero
        tensor(T.INT32, (2, 2)),  # not constant: no data when the delegate is applied
        tensor(T.INT64, (2, 2), data=bytes(32)),  # 32 bytes
    ],
)
def test_batch_to_space_nd_crops_refused(crops: dict) -> None:
    ctx = check("BATCH_TO_SPACE_ND", [F32, BLOCK, crops], level=28)
    assert codes(ctx) == ["kUnsupportedOperandValue"]
    assert messages(ctx) == ["All crops should be 0."]


def test_batch_to_space_nd_version_and_level() -> None:
    ctx = check("BATCH_TO_SPACE_ND", [F32, BLOCK, ZERO_CROPS], version=3, level=27)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kUnsupportedAndroidVersion"]


def test_strided_slice() -> None:
    assert check("STRIDED_SLICE", [I8, BLOCK, BLOCK, BLOCK], [I8], version=2, level=28).supported
    ctx = check("STRIDED_SLICE", [I32, BLOCK, BLOCK, BLOCK], [I32], version=4, level=27)
    assert messages(ctx) == [
        "OP Version higher than 2",
        "Input should be Float or Quant8",
        "Android sdk version less than 28",
    ]


def test_transpose() -> None:
    perm = tensor(T.INT32, (4,), data=struct.pack("<4i", 0, 2, 1, 3))
    assert check("TRANSPOSE", [I16, perm], [I16], version=2, level=28).supported
    ctx = check("TRANSPOSE", [F32, tensor(T.INT32, (4,))], version=4, level=27)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedAndroidVersion",
        "kInputTensorShouldHaveConstantShape",
    ]
    assert messages(ctx)[2] == "Dynamically-sized tensors not supported."
    assert codes(check("TRANSPOSE", [F32], level=28)) == ["kInputTensorShouldHaveConstantShape"]
