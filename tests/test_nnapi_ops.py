"""`opcompat.targets.nnapi.rules.nnapi_ops`: the NNAPI operation(s) the delegate emits for one
operator."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from opcompat.model.graph import TensorType  # noqa: E402
from opcompat.tables.delegate_mapping import handled_builtins, mapping  # noqa: E402
from opcompat.targets.nnapi.levels import Target, make_target  # noqa: E402
from opcompat.targets.nnapi.rules.engine import default_targets, validate  # noqa: E402
from opcompat.targets.nnapi.rules.nnapi_ops import (  # noqa: E402
    _LOWERINGS,
    nnapi_operations_for,
    primary_operation,
)
from tests.rules.factories import make_ctx, tensor  # noqa: E402

F32, F16, U8, I8, I32 = (
    TensorType.FLOAT32,
    TensorType.FLOAT16,
    TensorType.UINT8,
    TensorType.INT8,
    TensorType.INT32,
)


def ops_for(
    op: str,
    inputs: Sequence[Mapping[str, Any] | None],
    outputs: Sequence[Mapping[str, Any]] = (),
    *,
    target: Target,
    supported: bool | None = None,
    **kwargs: Any,
) -> tuple[str, ...]:
    ctx = make_ctx(op, inputs, outputs, **kwargs)
    return nnapi_operations_for(ctx.model, ctx.subgraph, ctx.op, target, supported=supported)


def accepted(
    op: str,
    inputs: Sequence[Mapping[str, Any] | None],
    outputs: Sequence[Mapping[str, Any]] = (),
    *,
    target: Target,
    **kwargs: Any,
) -> bool:
    ctx = make_ctx(op, inputs, outputs, **kwargs)
    return not validate(ctx.model, ctx.subgraph, ctx.op, target)


API = {api: make_target(api) for api in range(27, 36)}


# --- CONV_2D ----------------------------------------------------------------------------------


def _conv(in_ch: int = 8, filter_ch: int = 8, filter_type: int = F32) -> list[dict[str, Any]]:
    q: dict[str, Any] = {"scale": 0.5, "zero_point": 0} if filter_type != F32 else {}
    return [
        tensor(F32, (1, 8, 8, in_ch)),
        tensor(filter_type, (4, 3, 3, filter_ch), const=True, **q),
        tensor(F32, (4,), const=True),
    ]


def test_conv_2d_plain() -> None:
    assert ops_for("CONV_2D", _conv(), [tensor(F32, (1, 8, 8, 4))], target=API[33]) == ("CONV_2D",)


def test_conv_2d_grouped_from_nnapi_1_2() -> None:
    ins, outs = _conv(8, 4), [tensor(F32, (1, 8, 8, 4))]
    assert accepted("CONV_2D", ins, outs, target=API[29])
    assert ops_for("CONV_2D", ins, outs, target=API[29]) == ("GROUPED_CONV_2D",)
    assert ops_for("CONV_2D", ins, outs, target=API[33]) == ("GROUPED_CONV_2D",)


def test_conv_2d_grouped_refused_below_29_shows_conv_2d() -> None:
    ins, outs = _conv(8, 4), [tensor(F32, (1, 8, 8, 4))]
    assert not accepted("CONV_2D", ins, outs, target=API[28])
    assert ops_for("CONV_2D", ins, outs, target=API[28]) == ("CONV_2D",)


def test_conv_2d_unknown_shape_is_not_grouped() -> None:
    ins = _conv()
    ins[0] = tensor(F32, ())
    assert ops_for("CONV_2D", ins, target=API[33], supported=True) == ("CONV_2D",)


def test_conv_2d_hybrid_dequantizes_first() -> None:
    ins, outs = _conv(filter_type=I8), [tensor(F32, (1, 8, 8, 4))]
    assert accepted("CONV_2D", ins, outs, target=API[29])
    assert ops_for("CONV_2D", ins, outs, target=API[29]) == ("DEQUANTIZE", "CONV_2D")


def test_conv_2d_hybrid_grouped() -> None:
    ins = _conv(8, 4, filter_type=U8)
    assert ops_for("CONV_2D", ins, target=API[30], supported=True) == (
        "DEQUANTIZE",
        "GROUPED_CONV_2D",
    )


def test_conv_2d_hybrid_refused_below_29_shows_conv_2d() -> None:
    ins, outs = _conv(filter_type=I8), [tensor(F32, (1, 8, 8, 4))]
    assert not accepted("CONV_2D", ins, outs, target=API[28])
    assert ops_for("CONV_2D", ins, outs, target=API[28]) == ("CONV_2D",)


def test_conv_2d_quantized_is_not_hybrid() -> None:
    q: dict[str, Any] = {"scale": 0.5, "zero_point": 0}
    ins = [
        tensor(I8, (1, 8, 8, 8), **q),
        tensor(I8, (4, 3, 3, 8), const=True, **q),
        tensor(I32, (4,), const=True),
    ]
    assert ops_for("CONV_2D", ins, target=API[33], supported=True) == ("CONV_2D",)


# --- FULLY_CONNECTED --------------------------------------------------------------------------


def _fc(weights: int = F32) -> list[dict[str, Any]]:
    q: dict[str, Any] = {"scale": 0.5, "zero_point": 0} if weights != F32 else {}
    return [
        tensor(F32, (2, 3, 8)),
        tensor(weights, (4, 8), const=True, **q),
        tensor(F32, (4,), const=True),
    ]


def test_fully_connected_plain() -> None:
    assert ops_for("FULLY_CONNECTED", _fc(), target=API[33]) == ("FULLY_CONNECTED",)


def test_fully_connected_hybrid_dequantizes_first() -> None:
    ins = _fc(I8)
    assert accepted("FULLY_CONNECTED", ins, target=API[29])
    assert ops_for("FULLY_CONNECTED", ins, target=API[29]) == ("DEQUANTIZE", "FULLY_CONNECTED")


def test_fully_connected_hybrid_refused_below_29() -> None:
    assert ops_for("FULLY_CONNECTED", _fc(U8), target=API[28]) == ("FULLY_CONNECTED",)


def test_fully_connected_keep_num_dims_reshapes_after() -> None:
    kw: dict[str, Any] = {
        "options": {"keep_num_dims": True},
        "options_type": "FullyConnectedOptions",
    }
    outs = [tensor(F32, (2, 3, 4))]
    assert accepted("FULLY_CONNECTED", _fc(), outs, target=API[30], **kw)
    assert ops_for("FULLY_CONNECTED", _fc(), outs, target=API[30], **kw) == (
        "FULLY_CONNECTED",
        "RESHAPE",
    )
    assert ops_for("FULLY_CONNECTED", _fc(I8), outs, target=API[33], **kw) == (
        "DEQUANTIZE",
        "FULLY_CONNECTED",
        "RESHAPE",
    )


def test_fully_connected_keep_num_dims_refused_below_30() -> None:
    kw: dict[str, Any] = {
        "options": {"keep_num_dims": True},
        "options_type": "FullyConnectedOptions",
    }
    assert not accepted("FULLY_CONNECTED", _fc(), target=API[29], **kw)
    assert ops_for("FULLY_CONNECTED", _fc(), target=API[29], **kw) == ("FULLY_CONNECTED",)


def test_fully_connected_keep_num_dims_needs_its_options_table() -> None:
    # Without a FullyConnectedOptions table the parser leaves keep_num_dims false.
    kw: dict[str, Any] = {"options": {"keep_num_dims": True}, "options_type": None}
    assert ops_for("FULLY_CONNECTED", _fc(), target=API[33], supported=True, **kw) == (
        "FULLY_CONNECTED",
    )


# --- HARD_SWISH -------------------------------------------------------------------------------


def test_hard_swish_lowered_below_api_30() -> None:
    for api in (27, 28, 29):
        assert ops_for("HARD_SWISH", [tensor()], target=API[api]) == ("MUL", "ADD"), api
    assert ops_for("HARD_SWISH", [tensor()], target=make_target(29, nnapi_cpu=True)) == (
        "MUL",
        "ADD",
    )


def test_hard_swish_native_from_api_30() -> None:
    for api in (30, 31, 33, 35):
        assert ops_for("HARD_SWISH", [tensor()], target=API[api]) == ("HARD_SWISH",), api


def test_hard_swish_follows_the_api_level_not_the_feature_level() -> None:
    # An API-33 device whose runtime reports feature level 3: android_sdk_version is still 33.
    assert ops_for("HARD_SWISH", [tensor()], target=make_target(33, 3)) == ("HARD_SWISH",)


def test_hard_swish_refused_shows_hard_swish() -> None:
    assert ops_for("HARD_SWISH", [tensor(I32)], [tensor(I32)], target=API[29]) == ("HARD_SWISH",)


# --- PACK / UNPACK / SPLIT_V ------------------------------------------------------------------


_PACK_KW: dict[str, Any] = {
    "options": {"axis": 0, "values_count": 2},
    "options_type": "PackOptions",
}


def test_pack_lowered_below_feature_level_6() -> None:
    ins, outs = [tensor(F32, (2, 3)), tensor(F32, (2, 3))], [tensor(F32, (2, 2, 3))]
    for target in (API[30], API[31], make_target(33, 5)):
        assert accepted("PACK", ins, outs, target=target, **_PACK_KW)
        assert ops_for("PACK", ins, outs, target=target, **_PACK_KW) == (
            "CONCATENATION",
            "RESHAPE",
        )


def test_pack_native_from_feature_level_6() -> None:
    ins, outs = [tensor(F32, (2, 3)), tensor(F32, (2, 3))], [tensor(F32, (2, 2, 3))]
    for target in (make_target(33, 6), API[34], API[35]):
        assert ops_for("PACK", ins, outs, target=target, **_PACK_KW) == ("PACK",)


def test_pack_refused_shows_pack() -> None:
    ins, outs = [tensor(F32, (2, 3)), tensor(F32, (2, 3))], [tensor(F32, (2, 2, 3))]
    assert ops_for("PACK", ins, outs, target=API[29], **_PACK_KW) == ("PACK",)


def test_unpack_is_reshape_then_split() -> None:
    kw: dict[str, Any] = {"options": {"axis": 0, "num": 2}, "options_type": "UnpackOptions"}
    ins, outs = [tensor(F32, (2, 3, 4))], [tensor(F32, (3, 4)), tensor(F32, (3, 4))]
    assert accepted("UNPACK", ins, outs, target=API[30], **kw)
    assert ops_for("UNPACK", ins, outs, target=API[30], **kw) == ("RESHAPE", "SPLIT")
    # Refused (below 30): the table's first operation.
    assert ops_for("UNPACK", ins, outs, target=API[29], **kw) == ("RESHAPE",)


def test_split_v_is_slices() -> None:
    ins = [tensor(F32, (4, 6)), tensor(I32, (2,), const=True), tensor(I32, (), const=True)]
    assert ops_for("SPLIT_V", ins, target=API[30], supported=True) == ("SLICE",)
    assert ops_for("SPLIT_V", ins, target=API[29], supported=False) == ("SLICE",)


# --- SQUARED_DIFFERENCE / COS -----------------------------------------------------------------


def test_squared_difference_is_sub_then_mul() -> None:
    ins = [tensor(), tensor()]
    assert accepted("SQUARED_DIFFERENCE", ins, target=API[28])
    assert ops_for("SQUARED_DIFFERENCE", ins, target=API[28]) == ("SUB", "MUL")


def test_squared_difference_refused_shows_the_first_table_operation() -> None:
    ins = [tensor(), tensor()]
    assert not accepted("SQUARED_DIFFERENCE", ins, target=API[27])
    assert ops_for("SQUARED_DIFFERENCE", ins, target=API[27]) == ("MUL",)


def test_cos_is_sub_then_sin() -> None:
    assert ops_for("COS", [tensor()], target=API[29]) == ("SUB", "SIN")
    assert ops_for("COS", [tensor()], target=API[28]) == ("SIN",)  # refused before 29


# --- MEAN -------------------------------------------------------------------------------------


def _mean(in_q: tuple[float, int] | None, out_q: tuple[float, int] | None) -> tuple[str, ...]:
    def t(shape: tuple[int, ...], q: tuple[float, int] | None) -> dict[str, Any]:
        if q is None:
            return tensor(F32, shape)
        return tensor(U8, shape, scale=q[0], zero_point=q[1])

    ins = [t((1, 4, 4, 3), in_q), tensor(I32, (2,), const=True)]
    return ops_for("MEAN", ins, [t((1, 3), out_q)], target=API[33], supported=True)


def test_mean_float() -> None:
    assert _mean(None, None) == ("MEAN",)


def test_mean_same_quantization() -> None:
    assert _mean((0.5, 128), (0.5, 128)) == ("MEAN",)


def test_mean_requantizes_with_an_add() -> None:
    assert _mean((0.5, 128), (0.25, 128)) == ("MEAN", "ADD")
    assert _mean((0.5, 128), (0.5, 100)) == ("MEAN", "ADD")


def test_mean_refused_shows_mean() -> None:
    ins = [tensor(U8, (1, 4, 4, 3), scale=0.5, zero_point=128), tensor(I32, (2,), const=True)]
    outs = [tensor(U8, (1, 3), scale=0.25, zero_point=128)]
    assert ops_for("MEAN", ins, outs, target=API[33], supported=False) == ("MEAN",)


# --- PAD / PADV2 ------------------------------------------------------------------------------


def test_pad_without_a_value_is_pad() -> None:
    ins = [tensor(F32, (1, 4)), tensor(I32, (2, 2), const=True)]
    assert ops_for("PAD", ins, target=API[29], supported=True) == ("PAD",)
    assert ops_for("PADV2", ins, target=API[29], supported=True) == ("PAD",)


def test_pad_with_a_value_is_pad_v2() -> None:
    ins = [tensor(F32, (1, 4)), tensor(I32, (2, 2), const=True), tensor(F32, (), const=True)]
    assert ops_for("PADV2", ins, target=API[29], supported=True) == ("PAD_V2",)
    assert ops_for("PAD", ins, target=API[29], supported=True) == ("PAD_V2",)


def test_pad_with_an_omitted_value_is_pad() -> None:
    ins = [tensor(F32, (1, 4)), tensor(I32, (2, 2), const=True), None]
    assert ops_for("PADV2", ins, target=API[29], supported=True) == ("PAD",)


def test_padv2_refused_shows_pad_v2() -> None:
    ins = [tensor(F32, (1, 4)), tensor(I32, (2, 2), const=True), tensor(F32, (), const=True)]
    assert ops_for("PADV2", ins, target=API[28], supported=False) == ("PAD_V2",)
    assert ops_for("PAD", ins, target=API[28], supported=False) == ("PAD",)


# --- QUANTIZE / DEQUANTIZE / DENSIFY ----------------------------------------------------------


def test_quantize_from_float() -> None:
    ins, outs = [tensor(F32)], [tensor(U8, scale=0.5, zero_point=128)]
    assert accepted("QUANTIZE", ins, outs, target=API[29])
    assert ops_for("QUANTIZE", ins, outs, target=API[29]) == ("QUANTIZE",)


def test_quantize_requantizing_dequantizes_first() -> None:
    ins, outs = [tensor(I8, scale=0.5, zero_point=0)], [tensor(I8, scale=0.25, zero_point=0)]
    assert accepted("QUANTIZE", ins, outs, target=API[30])
    assert ops_for("QUANTIZE", ins, outs, target=API[30]) == ("DEQUANTIZE", "QUANTIZE")
    assert ops_for("QUANTIZE", ins, outs, target=API[29]) == ("QUANTIZE",)  # refused: int8 out


def test_dequantize_quantized() -> None:
    assert ops_for("DEQUANTIZE", [tensor(U8, scale=0.5, zero_point=128)], target=API[27]) == (
        "DEQUANTIZE",
    )


def test_dequantize_fp16_emits_nothing() -> None:
    ins = [tensor(F16)]
    assert accepted("DEQUANTIZE", ins, target=API[30])
    assert ops_for("DEQUANTIZE", ins, target=API[30]) == ()
    # A constant fp16 input: refused as it stands, delegated by the fp16 path; never an operation.
    const = [tensor(F16, const=True)]
    assert ops_for("DEQUANTIZE", const, target=API[30], supported=True) == ()
    assert ops_for("DEQUANTIZE", const, target=API[30], supported=False) == ("DEQUANTIZE",)


def test_dequantize_fp16_refused_below_30_shows_dequantize() -> None:
    assert not accepted("DEQUANTIZE", [tensor(F16)], target=API[29])
    assert ops_for("DEQUANTIZE", [tensor(F16)], target=API[29]) == ("DEQUANTIZE",)


def test_densify_emits_nothing() -> None:
    ins = [tensor(F32, (4, 4), const=True)]
    assert accepted("DENSIFY", ins, target=API[30])
    assert ops_for("DENSIFY", ins, target=API[30]) == ()
    assert ops_for("DENSIFY", ins, target=API[29]) == ()  # refused; the table lists nothing


# --- LSTM -------------------------------------------------------------------------------------


def _lstm_inputs(act: int, weights: int, n: int = 20) -> list[dict[str, Any] | None]:
    q: dict[str, Any] = {"scale": 0.5, "zero_point": 0}
    act_q = q if act != F32 else {}
    w_q = q if weights != F32 else {}
    ins: list[dict[str, Any] | None] = [tensor(act, (1, 8), **act_q)]
    ins += [tensor(weights, (4, 8), const=True, **w_q) for _ in range(8)]  # 1..8 weights
    ins += [None, None, None]  # 9..11 peepholes
    ins += [tensor(F32 if act == F32 else I32, (4,), const=True) for _ in range(4)]  # 12..15
    ins += [None, None]  # 16..17 projection
    ins += [tensor(act, (1, 4), **act_q), tensor(F32 if act == F32 else TensorType.INT16, (1, 4))]
    ins += [None] * (n - 20)
    return ins


def test_lstm_float() -> None:
    ins = _lstm_inputs(F32, F32)
    assert ops_for("LSTM", ins, target=API[29], supported=True) == ("LSTM",)


def test_lstm_hybrid_dequantizes_first() -> None:
    ins = _lstm_inputs(F32, U8)
    assert ops_for("LSTM", ins, target=API[29], supported=True) == ("DEQUANTIZE", "LSTM")
    assert ops_for("LSTM", _lstm_inputs(F32, I8, 24), target=API[33], supported=True) == (
        "DEQUANTIZE",
        "LSTM",
    )


def test_lstm_int8_full_kernel_is_quantized_lstm_from_feature_level_30() -> None:
    ins = _lstm_inputs(I8, I8)
    for target in (API[30], API[31], API[33]):
        assert ops_for("LSTM", ins, target=target, supported=True) == ("QUANTIZED_LSTM",)
    assert ops_for("LSTM", _lstm_inputs(I8, I8, 24), target=API[33], supported=True) == (
        "QUANTIZED_LSTM",
    )
    # Below feature level 30 the int8 full kernel would go through Map's plain LSTM case.
    assert ops_for("LSTM", ins, target=API[29], supported=True) == ("LSTM",)


def test_lstm_basic_kernel_is_quantized_16bit_lstm() -> None:
    q: dict[str, Any] = {"scale": 1 / 128, "zero_point": 128}
    ins = [
        tensor(U8, (1, 8), **q),
        tensor(U8, (1, 4), **q),
        tensor(U8, (16, 12), const=True, scale=0.5, zero_point=128),
        tensor(I32, (16,), const=True),
        tensor(TensorType.INT16, (1, 4)),
    ]
    assert ops_for("LSTM", ins, target=API[29], supported=True) == ("QUANTIZED_16BIT_LSTM",)
    assert ops_for("LSTM", ins, target=API[33], supported=True) == ("QUANTIZED_16BIT_LSTM",)


def test_lstm_refused_shows_lstm() -> None:
    assert ops_for("LSTM", _lstm_inputs(I8, I8), target=API[33], supported=False) == ("LSTM",)
    assert ops_for("LSTM", _lstm_inputs(F32, U8), target=API[28]) == ("LSTM",)


# --- everything else --------------------------------------------------------------------------


def test_single_operation_builtins_use_the_table() -> None:
    assert ops_for("RELU", [tensor()], target=API[27]) == ("RELU",)
    assert ops_for("ARG_MAX", [tensor(), tensor(I32, (), const=True)], target=API[29]) == (
        "ARGMAX",
    )
    assert ops_for("LEAKY_RELU", [tensor()], target=API[29], supported=False) == ("PRELU",)


def test_custom_and_unhandled_ops_have_none() -> None:
    assert ops_for("CUSTOM", [tensor()], target=API[33]) == ()
    assert ops_for("GELU", [tensor()], target=API[33]) == ()


def test_primary_operation() -> None:
    def primary(name: str) -> tuple[str, ...]:
        entry = mapping(name)
        assert entry is not None
        return primary_operation(entry)

    assert primary("CONV_2D") == ("CONV_2D",)
    assert primary("PADV2") == ("PAD_V2",)
    assert primary("COS") == ("SIN",)
    assert primary("SPLIT_V") == ("SLICE",)
    assert primary("DENSIFY") == ()


def test_every_builtin_with_several_operations_has_a_lowering() -> None:
    several = {
        name
        for name in handled_builtins()
        if len((mapping(name) or pytest.fail(name)).nnapi_operations) != 1
    }
    assert several <= set(_LOWERINGS)
    # Each lowering names only operations the table lists for its builtin.
    assert set(_LOWERINGS) <= handled_builtins()


def test_malformed_operator_falls_back_to_the_primary_operation() -> None:
    # CONV_2D with no inputs at all: nothing to read, no traceback.
    assert ops_for("CONV_2D", [], target=API[33], supported=True) == ("CONV_2D",)


# --- the corpus -------------------------------------------------------------------------------


def _emits_nothing(op_name: str, first_type: int | None) -> bool:
    """DENSIFY and fp16 DEQUANTIZE are folded into their consumers when delegated."""
    return op_name == "DENSIFY" or (op_name == "DEQUANTIZE" and first_type == TensorType.FLOAT16)


def test_corpus_every_operator_at_every_level(corpus: list[Path]) -> None:
    from opcompat.errors import OpcompatError
    from opcompat.model import read_model

    targets = default_targets()
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for path in corpus:
        try:
            model = read_model(str(path))
        except OpcompatError:
            continue
        for sg in model.subgraphs:
            for op in sg.operators:
                entry = None if op.op == "CUSTOM" else mapping(op.op)
                if entry is None:
                    continue
                first = sg.tensors[op.inputs[0]] if op.inputs and op.inputs[0] >= 0 else None
                first_type = None if first is None else int(first.dtype)
                for api, target in targets.items():
                    got = nnapi_operations_for(model, sg, op, target)
                    where = f"{path.name} #{op.index} {op.op} at {api}: {got}"
                    assert set(got) <= set(entry.nnapi_operations), where
                    assert len(set(got)) == len(got), where
                    if not got:
                        assert _emits_nothing(op.op, first_type), where
                    seen.add((op.op, got))
    # The corpus reaches the lowerings (not only the plain mappings).
    for expected in [
        ("CONV_2D", ("DEQUANTIZE", "CONV_2D")),
        ("FULLY_CONNECTED", ("FULLY_CONNECTED", "RESHAPE")),
        ("HARD_SWISH", ("MUL", "ADD")),
        ("MEAN", ("MEAN", "ADD")),
        ("PACK", ("CONCATENATION", "RESHAPE")),
        ("QUANTIZE", ("DEQUANTIZE", "QUANTIZE")),
        ("SQUARED_DIFFERENCE", ("SUB", "MUL")),
        ("LSTM", ("QUANTIZED_16BIT_LSTM",)),
        ("LSTM", ("DEQUANTIZE", "LSTM")),
    ]:
        assert expected in seen, expected


# --- wired into check -------------------------------------------------------------------------


def test_check_reports_the_emitted_operations(tmp_path: Path) -> None:
    from opcompat.analysis import check
    from tests.builders import simple_model

    path = tmp_path / "sqdiff.tflite"
    path.write_bytes(simple_model("SQUARED_DIFFERENCE"))
    assert check(path, api_level=30).operators[0].nnapi_operations == ("SUB", "MUL")
    # Refused at 27 (NNAPI 1.1 needed): the table's first operation.
    assert check(path, api_level=27).operators[0].nnapi_operations == ("MUL",)
    hs = tmp_path / "hs.tflite"
    hs.write_bytes(simple_model("HARD_SWISH"))
    assert check(hs, api_level=29).operators[0].nnapi_operations == ("MUL", "ADD")
    assert check(hs, api_level=30).operators[0].nnapi_operations == ("HARD_SWISH",)
