"""Rules of opcompat/targets/nnapi/rules/ops/conv_pool.py against the delegate's Validate cases."""
from __future__ import annotations

import pytest
from factories import check, codes, make_ctx, messages, run_rule, tensor

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import make_target
from opcompat.targets.nnapi.rules.context import OpContext

F32 = tensor(T.FLOAT32, (1, 8, 8, 4))
U8 = tensor(T.UINT8, (1, 8, 8, 4), scale=0.5, zero_point=128)
I8 = tensor(T.INT8, (1, 8, 8, 4), scale=0.5, zero_point=0)
I16 = tensor(T.INT16, (1, 8, 8, 4), scale=0.5, zero_point=0)


def _pool(width: int, height: int, activation: int = 0) -> dict:
    return {
        "options": {
            "filter_width": width,
            "filter_height": height,
            "fused_activation_function": activation,
        },
        "options_type": "Pool2DOptions",
    }


# --- AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D ---------------------------------------------------


def test_average_pool_small_quantized_window_everywhere() -> None:
    assert check("AVERAGE_POOL_2D", [I8], [I8], version=2, level=27, **_pool(16, 16)).supported


def test_average_pool_large_quantized_window_needs_accelerator() -> None:
    ctx = check("AVERAGE_POOL_2D", [U8], [U8], level=28, **_pool(17, 17))
    assert codes(ctx) == ["kUnsupportedOperandSize"]
    assert messages(ctx) == ["Large filter window would overflow on the reference CPU path"]
    # From 29 the default mode targets an accelerator.
    assert check("AVERAGE_POOL_2D", [U8], [U8], level=29, **_pool(17, 17)).supported
    # Float inputs are not limited.
    assert check("AVERAGE_POOL_2D", [F32], level=27, **_pool(40, 40)).supported


def _average_pool_at_30(inp: dict, width: int, height: int, nnapi_cpu: bool) -> OpContext:
    """AVERAGE_POOL_2D at API 30: validate level 30 either way, only is_accelerator_specified
    differs."""
    ctx = make_ctx("AVERAGE_POOL_2D", [inp], [inp], level=30, **_pool(width, height))
    ctx.target = make_target(30, nnapi_cpu=nnapi_cpu)
    assert ctx.level == 30
    return run_rule(ctx)


@pytest.mark.parametrize("inp", [U8, I8])
def test_average_pool_large_quantized_window_accepted_when_accelerator_specified(
    inp: dict,
) -> None:
    ctx = _average_pool_at_30(inp, 17, 17, nnapi_cpu=False)
    assert ctx.target.is_accelerator_specified
    assert ctx.supported
    assert codes(ctx) == []


@pytest.mark.parametrize("inp", [U8, I8])
def test_average_pool_large_quantized_window_refused_with_nnapi_cpu(inp: dict) -> None:
    ctx = _average_pool_at_30(inp, 17, 17, nnapi_cpu=True)
    assert not ctx.target.is_accelerator_specified
    assert codes(ctx) == ["kUnsupportedOperandSize"]
    assert messages(ctx) == ["Large filter window would overflow on the reference CPU path"]
    # The limit is an area of 256 (16 x 16 passes, 1 x 257 does not); float is never limited.
    assert _average_pool_at_30(inp, 16, 16, nnapi_cpu=True).supported
    assert codes(_average_pool_at_30(inp, 1, 257, nnapi_cpu=True)) == ["kUnsupportedOperandSize"]
    assert _average_pool_at_30(F32, 17, 17, nnapi_cpu=True).supported


def test_average_pool_refusals() -> None:
    ctx = check("AVERAGE_POOL_2D", [I16], [I16], version=3, level=27, **_pool(40, 40))
    assert messages(ctx) == ["OP Version higher than 2", "Input should be Float or Quant8"]


@pytest.mark.parametrize("inp", [F32, U8, I8])
def test_max_pool_accepts_float_and_quant8(inp: dict) -> None:
    assert check("MAX_POOL_2D", [inp], [inp], version=2, level=27).supported


def test_max_pool_refusals() -> None:
    ctx = check("MAX_POOL_2D", [I16], [I16], version=3, level=27)
    assert messages(ctx) == ["OP Version higher than 2", "Input should be Float or Quant8"]


def test_l2_pool_activation_only_from_29() -> None:
    assert check("L2_POOL_2D", [F32], level=27, **_pool(2, 2)).supported
    ctx = check("L2_POOL_2D", [F32], level=28, **_pool(2, 2, activation=1))
    assert codes(ctx) == ["kUnsupportedOperandValue"]
    assert messages(ctx) == ["Before NNAPI 1.2 fused activation for l2_pool may not be supported."]
    assert check("L2_POOL_2D", [F32], level=29, **_pool(2, 2, activation=1)).supported


def test_l2_pool_refusals() -> None:
    ctx = check("L2_POOL_2D", [I8], [I8], version=2, level=29)
    assert messages(ctx) == ["OP Version different from 1", "Input should be Float"]


# --- CONV_2D ------------------------------------------------------------------------------------

FILTER_F32 = tensor(T.FLOAT32, (8, 3, 3, 4), const=True)
FILTER_U8 = tensor(T.UINT8, (8, 3, 3, 4), const=True, scale=0.01, zero_point=120)
FILTER_I8_PC = tensor(T.INT8, (8, 3, 3, 4), const=True, scale=(0.1, 0.2), zero_point=(0, 0))
BIAS_F32 = tensor(T.FLOAT32, (8,), const=True)
BIAS_I32 = tensor(T.INT32, (8,), const=True)
OUT_F32 = tensor(T.FLOAT32, (1, 6, 6, 8))
OUT_U8 = tensor(T.UINT8, (1, 6, 6, 8), scale=1.0, zero_point=128)
CONV = {"options": {"dilation_w_factor": 1, "dilation_h_factor": 1},
        "options_type": "Conv2DOptions"}
DILATED = {"options": {"dilation_w_factor": 2, "dilation_h_factor": 1},
           "options_type": "Conv2DOptions"}


def test_conv_float_and_uint8_accepted_at_27() -> None:
    assert check("CONV_2D", [F32, FILTER_F32, BIAS_F32], [OUT_F32], level=27, **CONV).supported
    assert check("CONV_2D", [U8, FILTER_U8, BIAS_I32], [OUT_U8], level=27, **CONV).supported


def test_conv_pre_29_refusals() -> None:
    # Hybrid (float input, int8 per-channel weights), dilated, grouped.
    grouped_input = tensor(T.FLOAT32, (1, 8, 8, 8))
    ctx = check("CONV_2D", [grouped_input, FILTER_I8_PC, BIAS_F32], [OUT_F32], level=28, **DILATED)
    assert codes(ctx) == [
        "kUnsupportedHybridOperator",
        "kUnsupportedQuantizationType",
        "kUnsupportedOperandValue",
        "kUnsupportedOperandValue",
    ]
    assert messages(ctx) == [
        "Hybrid operators not supported before NNAPI 1.2",
        "Per-channel quantized convolution not supported before NNAPI 1.2.",
        "NNAPI supports dilated Conv2D since NNAPI 1.2.",
        "Grouped convolution not supported before NNAPI < 1.2",
    ]
    # The same operator passes from 29.
    assert check(
        "CONV_2D", [grouped_input, FILTER_I8_PC, BIAS_F32], [OUT_F32], level=29, **DILATED
    ).supported


def test_conv_int8_input_refused_before_29() -> None:
    ctx = check("CONV_2D", [I8, FILTER_I8_PC, BIAS_I32], [I8], version=3, level=27, **CONV)
    assert messages(ctx) == [
        "Input should be Float or UINT8",
        "Per-channel quantized convolution not supported before NNAPI 1.2.",
    ]
    assert check("CONV_2D", [I8, FILTER_I8_PC, BIAS_I32], [I8], version=3, **CONV).supported


def test_conv_uint8_scale_rule_before_29() -> None:
    small_out = tensor(T.UINT8, (1, 6, 6, 8), scale=0.001, zero_point=128)
    ctx = check("CONV_2D", [U8, FILTER_U8, BIAS_I32], [small_out], level=28, **CONV)
    assert codes(ctx) == ["kNotRestrictedScaleCompliant"]
    assert check("CONV_2D", [U8, FILTER_U8, BIAS_I32], [small_out], level=29, **CONV).supported


def test_conv_omitted_bias_and_version() -> None:
    ctx = check("CONV_2D", [F32, FILTER_F32], [OUT_F32], version=6, level=30, **CONV)
    assert codes(ctx) == ["kUnsupportedOperatorVersion", "kMissingRequiredOperand"]
    assert messages(ctx) == ["OP Version higher than 5", "Conv2D with omitted bias not supported"]
    # An omitted (-1) third input still counts as an input.
    assert check("CONV_2D", [F32, FILTER_F32, None], [OUT_F32], level=30, **CONV).supported


def test_conv_without_options_reads_dilation_zero() -> None:
    ctx = check("CONV_2D", [F32, FILTER_F32, BIAS_F32], [OUT_F32], level=27)
    assert messages(ctx) == ["NNAPI supports dilated Conv2D since NNAPI 1.2."]


# --- DEPTHWISE_CONV_2D --------------------------------------------------------------------------

DW_FILTER = tensor(T.FLOAT32, (1, 3, 3, 4), const=True)
DW_FILTER_U8 = tensor(T.UINT8, (1, 3, 3, 4), const=True, scale=0.01, zero_point=120)
DW = {"options": {"dilation_w_factor": 1, "dilation_h_factor": 1},
      "options_type": "DepthwiseConv2DOptions"}
DW_DILATED = {"options": {"dilation_w_factor": 1, "dilation_h_factor": 2},
              "options_type": "DepthwiseConv2DOptions"}


def test_depthwise_accepted() -> None:
    assert check("DEPTHWISE_CONV_2D", [F32, DW_FILTER, BIAS_F32], level=27, **DW).supported
    assert check(
        "DEPTHWISE_CONV_2D", [U8, DW_FILTER_U8, BIAS_I32], [OUT_U8], version=3, level=27, **DW
    ).supported
    assert check("DEPTHWISE_CONV_2D", [I16, DW_FILTER, BIAS_I32], [I16], version=3, **DW).supported


def test_depthwise_pre_29_refusals() -> None:
    ctx = check("DEPTHWISE_CONV_2D", [I8, DW_FILTER, BIAS_I32], [I8], level=28, **DW_DILATED)
    assert codes(ctx) == ["kUnsupportedInputType", "kUnsupportedOperandValue"]
    assert messages(ctx) == [
        "Input should be Float or UINT8",
        "dilation_width_factor and dilation_height_factor expected to be equal to 1",
    ]
    small_out = tensor(T.UINT8, (1, 6, 6, 4), scale=0.001, zero_point=128)
    ctx = check("DEPTHWISE_CONV_2D", [U8, DW_FILTER_U8, BIAS_I32], [small_out], level=27, **DW)
    assert codes(ctx) == ["kNotRestrictedScaleCompliant"]


def test_depthwise_version_limit() -> None:
    ctx = check("DEPTHWISE_CONV_2D", [F32, DW_FILTER, BIAS_F32], version=6, level=30, **DW)
    assert messages(ctx) == ["OP Version higher than 3"]


# --- FULLY_CONNECTED ----------------------------------------------------------------------------

FC_IN = tensor(T.FLOAT32, (1, 16))
FC_W = tensor(T.FLOAT32, (4, 16), const=True)
FC_W_I8 = tensor(T.INT8, (4, 16), const=True, scale=0.1, zero_point=0)
FC_B = tensor(T.FLOAT32, (4,), const=True)
FC_OUT = tensor(T.FLOAT32, (1, 4))
KEEP = {"options": {"keep_num_dims": True}, "options_type": "FullyConnectedOptions"}


def test_fully_connected_accepted() -> None:
    assert check("FULLY_CONNECTED", [FC_IN, FC_W, FC_B], [FC_OUT], level=27).supported
    assert check("FULLY_CONNECTED", [FC_IN, FC_W, None], [FC_OUT], version=5, level=29).supported
    # Hybrid is accepted from 29.
    assert check("FULLY_CONNECTED", [FC_IN, FC_W_I8, FC_B], [FC_OUT], level=29).supported


def test_fully_connected_refusals() -> None:
    i16_out = tensor(T.INT16, (1, 4), scale=0.1, zero_point=0)
    ctx = check("FULLY_CONNECTED", [FC_IN, FC_W_I8, FC_B], [i16_out], version=6, level=28, **KEEP)
    assert codes(ctx) == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedOutputType",
        "kUnsupportedHybridOperator",
        "kUnsupportedAndroidVersion",
    ]
    assert messages(ctx) == [
        "OP Version higher than 5",
        "Unsupported output of type kTfLiteInt16",
        "Hybrid operators not supported before NNAPI 1.2",
        "Android sdk version less than 30",
    ]


def test_fully_connected_keep_num_dims_from_30() -> None:
    assert codes(check("FULLY_CONNECTED", [FC_IN, FC_W, FC_B], level=29, **KEEP)) == [
        "kUnsupportedAndroidVersion"
    ]
    assert check("FULLY_CONNECTED", [FC_IN, FC_W, FC_B], level=30, **KEEP).supported


def test_fully_connected_quantized_pre_29() -> None:
    u8_in = tensor(T.UINT8, (1, 16), scale=0.5, zero_point=128)
    u8_w = tensor(T.UINT8, (4, 16), const=True, scale=0.5, zero_point=128)
    u8_out = tensor(T.UINT8, (1, 4), scale=0.1, zero_point=128)
    ctx = check("FULLY_CONNECTED", [u8_in, u8_w, FC_B], [u8_out], level=28)
    assert codes(ctx) == ["kNotRestrictedScaleCompliant"]
    i8_in = tensor(T.INT8, (1, 16), scale=0.5, zero_point=0)
    ctx = check("FULLY_CONNECTED", [i8_in, FC_W_I8, FC_B], [i8_in], level=27)
    assert messages(ctx) == ["Input should be Float or UINT8"]
