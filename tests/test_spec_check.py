"""opcompat/targets/nnapi/rules/spec_check.py: the NNAPI specification cross-check (warnings
only)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opcompat.errors import ModelReadError
from opcompat.model import read_model
from opcompat.model.graph import (
    OPTIONAL_TENSOR,
    Model,
    Operator,
    Quantization,
    Subgraph,
    Tensor,
)
from opcompat.model.graph import TensorType as T
from opcompat.report import Reason
from opcompat.targets.nnapi.levels import Target, make_target
from opcompat.targets.nnapi.rules import spec_check as sc
from tests.conftest import CORPUS

# Feature level -> a default-mode device with that runtime feature level.
TARGETS: dict[int, Target] = {
    1: make_target(27, 1), 2: make_target(28, 2), 3: make_target(29, 3), 4: make_target(30, 4),
    5: make_target(31, 5), 6: make_target(33, 6), 7: make_target(34, 7), 8: make_target(35, 8),
}


@dataclass
class G:
    """A synthetic subgraph under construction: tensors, then operators that use them."""

    tensors: list[Tensor] = field(default_factory=list)
    ops: list[Operator] = field(default_factory=list)

    def t(self, dtype: T = T.FLOAT32, shape: Sequence[int] = (1, 4, 4, 2), *, const: bool = False,
          scale: Sequence[float] | None = None, zero_point: Sequence[int] | None = None) -> int:
        quant = None
        if scale is not None:
            zps = tuple(zero_point or [0] * len(scale))
            quant = Quantization(scale=tuple(scale), zero_point=zps)
        i = len(self.tensors)
        self.tensors.append(Tensor(i, f"t{i}", dtype, tuple(shape), None, i + 1 if const else 0,
                                   const, False, quant))
        return i

    def op(self, name: str, inputs: Sequence[int], outputs: Sequence[int],
           options: Mapping[str, Any] | None = None, version: int = 1) -> Operator:
        o = Operator(len(self.ops), 0, 0, name, version, None, tuple(inputs), tuple(outputs),
                     options=dict(options or {}))
        self.ops.append(o)
        return o

    def build(self) -> tuple[Model, Subgraph]:
        sg = Subgraph(0, "main", tuple(self.tensors), tuple(self.ops), (), ())
        return Model(3, "", (sg,), (), (), (), 0), sg


def warn(g: G, op: Operator, fl: int) -> list[Reason]:
    model, sg = g.build()
    return list(sc.spec_warnings(model, sg, sg.operators[op.index], TARGETS[fl]))


def codes(g: G, op: Operator, fl: int) -> list[str]:
    return [w.code for w in warn(g, op, fl)]


def unary(name: str, dtype: T, shape: Sequence[int] = (1, 4, 4, 2), **q: Any) -> tuple[G, Operator]:
    g = G()
    op = g.op(name, [g.t(dtype, shape, **q)], [g.t(dtype, shape, **q)])
    return g, op


# --- operand types ----------------------------------------------------------------------------


def test_type_allowed_gives_no_warning() -> None:
    g, op = unary("TRANSPOSE", T.FLOAT32)
    assert codes(g, op, 4) == []


def test_int16_becomes_quant16_symm_which_transpose_does_not_take() -> None:
    g, op = unary("TRANSPOSE", T.INT16, scale=[0.1])
    (w,) = warn(g, op, 4)
    assert w.code == sc.SPEC_OPERAND_TYPE
    assert "input 0 (INT16), output 0 (INT16)" in w.message and "TENSOR_QUANT16_SYMM" in w.message
    assert w.source == "NeuralNetworks.h (Android 11), ANEURALNETWORKS_TRANSPOSE"


def test_int32_squeeze_is_outside_the_spec() -> None:
    g, op = unary("SQUEEZE", T.INT32, (1, 4))
    assert codes(g, op, 8) == [sc.SPEC_OPERAND_TYPE]
    g, op = unary("SQUEEZE", T.FLOAT32, (1, 4))
    assert codes(g, op, 8) == []


def test_int8_without_conversion_is_quant8_symm_below_fl4() -> None:
    # SQUEEZE is not in NeedInt8Conversion: below FL4 its int8 tensors become TENSOR_QUANT8_SYMM.
    g, op = unary("SQUEEZE", T.INT8, (1, 4), scale=[0.5], zero_point=[0])
    assert codes(g, op, 3) == [sc.SPEC_OPERAND_TYPE]
    assert "TENSOR_QUANT8_SYMM" in warn(g, op, 3)[0].message
    assert codes(g, op, 4) == []  # from FL4 on: TENSOR_QUANT8_ASYMM_SIGNED


def test_int8_conversion_makes_quant8_asymm_below_fl4() -> None:
    g, op = unary("RESHAPE", T.INT8, (1, 4), scale=[0.5], zero_point=[3])
    assert codes(g, op, 3) == []
    assert sc.nnapi_operand_type(g.tensors[0], int8_conversion=True) == "TENSOR_QUANT8_ASYMM"


def test_first_adder_decides_an_input_type() -> None:
    # RELU (int8-converted) produces the int8 tensor SQUEEZE reads: in one partition NNAPI sees
    # TENSOR_QUANT8_ASYMM, so only SQUEEZE's own output is certain to be wrong.
    g = G()
    a = g.t(T.INT8, (1, 4), scale=[0.5])
    b = g.t(T.INT8, (1, 4), scale=[0.5])
    c = g.t(T.INT8, (4,), scale=[0.5])
    g.op("RELU", [a], [b])
    sq = g.op("SQUEEZE", [b], [c])
    (w,) = warn(g, sq, 3)
    assert w.message.startswith("output 0 (INT8) becomes")


def test_a_producer_validate_refuses_is_not_a_first_adder() -> None:
    # ABS is refused for int8 at FL3 (float only), so only SQUEEZE itself adds the tensor.
    g = G()
    a = g.t(T.INT8, (1, 4), scale=[0.5])
    b = g.t(T.INT8, (1, 4), scale=[0.5])
    c = g.t(T.INT8, (4,), scale=[0.5])
    g.op("ABS", [a], [b])
    sq = g.op("SQUEEZE", [b], [c])
    assert [w.message.split(" become")[0] for w in warn(g, sq, 3)] == [
        "input 0 (INT8), output 0 (INT8)"]


def test_unmodelled_first_adder_silences_the_input() -> None:
    # TRANSPOSE_CONV (accepted by Validate) adds its operands in Map: not modelled here.
    g = G()
    x = g.t(T.INT16, (1, 4, 4, 2), scale=[0.1])
    h = g.t(T.INT16, (1, 4, 4, 2), scale=[0.1])
    w = g.t(T.INT8, (2, 3, 3, 2), const=True, scale=[0.1, 0.1])
    g.op("TRANSPOSE_CONV", [g.t(T.INT32, (4,), const=True), w, x], [h],
         options={"padding": 0, "stride_w": 1, "stride_h": 1}, version=3)
    tr = g.op("TRANSPOSE", [h, g.t(T.INT32, (4,), const=True)], [g.t(T.INT16, scale=[0.1])])
    model, sg = g.build()
    assert sc._UNKNOWN in sc._input_candidates(model, sg, tr, 0, TARGETS[4])
    assert [w.message.split(" becomes")[0] for w in warn(g, tr, 4)] == ["output 0 (INT16)"]


def test_per_channel_fully_connected_weights() -> None:
    g = G()
    x = g.t(T.INT8, (1, 8), scale=[0.5])
    w = g.t(T.INT8, (3, 8), const=True, scale=[0.1, 0.2, 0.3])
    b = g.t(T.INT32, (3,), const=True, scale=[0.05])
    fc = g.op("FULLY_CONNECTED", [x, w, b], [g.t(T.INT8, (1, 3), scale=[0.5])])
    (warning,) = warn(g, fc, 8)
    assert warning.code == sc.SPEC_OPERAND_TYPE
    assert warning.message.startswith(
        "input 1 (INT8) becomes an NNAPI TENSOR_QUANT8_SYMM_PER_CHANNEL")
    assert warning.source == "NeuralNetworksTypes.h (Android 13), ANEURALNETWORKS_FULLY_CONNECTED"
    g2 = G()
    x = g2.t(T.INT8, (1, 8), scale=[0.5])
    w = g2.t(T.INT8, (3, 8), const=True, scale=[0.1])
    b = g2.t(T.INT32, (3,), const=True, scale=[0.05])
    fc2 = g2.op("FULLY_CONNECTED", [x, w, b], [g2.t(T.INT8, (1, 3), scale=[0.5])])
    assert codes(g2, fc2, 8) == []


def test_types_follow_the_feature_level_of_each_type() -> None:
    # RSQRT takes quant8 from FL7 on (Android 13 header, "since NNAPI feature level 7").
    g, op = unary("RSQRT", T.UINT8, (1, 4), scale=[0.5], zero_point=[128])
    assert codes(g, op, 6) == [sc.SPEC_OPERAND_TYPE]
    assert codes(g, op, 7) == []


def test_single_type_list_of_quantize_and_dequantize_is_their_input_list() -> None:
    # Android 8.1/9 (DEQUANTIZE) and 10 (QUANTIZE) give one untitled list: the input types.
    g = G()
    deq = g.op("DEQUANTIZE", [g.t(T.UINT8, (1, 4), scale=[0.5], zero_point=[128])],
               [g.t(T.FLOAT32, (1, 4))])
    assert codes(g, deq, 1) == [] and codes(g, deq, 2) == []
    g2 = G()
    q = g2.op("QUANTIZE", [g2.t(T.FLOAT32, (1, 4))],
              [g2.t(T.UINT8, (1, 4), scale=[0.5], zero_point=[128])])
    assert codes(g2, q, 3) == [] and codes(g2, q, 4) == []
    g3 = G()
    bad = g3.op("DEQUANTIZE", [g3.t(T.INT16, (1, 4), scale=[0.5])], [g3.t(T.FLOAT32, (1, 4))])
    assert codes(g3, bad, 4) == [sc.SPEC_OPERAND_TYPE]


def cast(src: T, dst: T) -> tuple[G, Operator]:
    g = G()
    return g, g.op("CAST", [g.t(src, (1, 4), scale=[0.5])], [g.t(dst, (1, 4), scale=[0.5])])


def test_cast_between_fl3_types() -> None:
    g, op = cast(T.INT32, T.FLOAT32)
    assert codes(g, op, 3) == [] and codes(g, op, 8) == []


def test_cast_of_fl4_types_only_to_the_same_type() -> None:
    g, op = cast(T.BOOL, T.BOOL)
    assert codes(g, op, 3) == [sc.SPEC_OPERAND_TYPE]  # no TENSOR_BOOL8 before FL4
    assert codes(g, op, 4) == []
    g, op = cast(T.BOOL, T.FLOAT32)
    (w,) = warn(g, op, 4)
    assert w.code == sc.SPEC_OPERAND_TYPE and "only to the same type" in w.message


# --- configurations (CONV_2D, DEPTHWISE_CONV_2D) ----------------------------------------------


def conv(dtype: T, filter_scales: Sequence[float], out_dtype: T | None = None,
         bias: T = T.INT32, op: str = "CONV_2D") -> tuple[G, Operator]:
    g = G()
    x = g.t(dtype, (1, 8, 8, 3), scale=[0.5])
    w = g.t(T.INT8 if dtype != T.UINT8 else T.UINT8, (4, 3, 3, 3), const=True,
            scale=list(filter_scales))
    b = g.t(bias, (4,), const=True, scale=[0.01])
    o = g.op(op, [x, w, b], [g.t(out_dtype or dtype, (1, 8, 8, 4), scale=[0.5])])
    return g, o


def test_conv_configuration_allowed() -> None:
    g, op = conv(T.UINT8, [0.1])
    assert codes(g, op, 1) == [] and codes(g, op, 3) == []
    g, op = conv(T.INT8, [0.1, 0.2, 0.3, 0.4])
    # FL3: int8 input converted to QUANT8_ASYMM with a per-channel filter: a FL3 configuration.
    assert codes(g, op, 3) == [] and codes(g, op, 8) == []


def test_conv_int16_activations_match_no_configuration() -> None:
    g, op = conv(T.INT16, [0.1, 0.2, 0.3, 0.4])
    (w,) = warn(g, op, 4)
    assert w.code == sc.SPEC_CONFIGURATION
    assert "input TENSOR_QUANT16_SYMM" in w.message
    assert w.source == "NeuralNetworks.h (Android 11), ANEURALNETWORKS_CONV_2D"


def test_grouped_and_hybrid_convolutions_are_skipped() -> None:
    g = G()
    x = g.t(T.INT16, (1, 8, 8, 4), scale=[0.5])
    w = g.t(T.INT8, (4, 3, 3, 2), const=True, scale=[0.1] * 4)
    op = g.op("CONV_2D", [x, w, g.t(T.INT32, (4,), const=True)], [g.t(T.INT16, (1, 8, 8, 4))])
    _, sg = g.build()
    assert "grouped" in sc.skip_reason(sg, op, TARGETS[4]) and codes(g, op, 4) == []
    g, op = conv(T.FLOAT32, [0.1], out_dtype=T.FLOAT32)
    _, sg = g.build()
    assert "hybrid" in sc.skip_reason(sg, op, TARGETS[4]) and codes(g, op, 4) == []


# --- ranks ------------------------------------------------------------------------------------


def test_rank_above_the_limit() -> None:
    g, op = unary("LOGISTIC", T.FLOAT32, (1, 2, 3, 4, 5))
    (w,) = warn(g, op, 1)
    assert w.code == sc.SPEC_RANK and "rank 5" in w.message and "up to 4" in w.message
    assert w.source == "NeuralNetworks.h (Android 8.1), ANEURALNETWORKS_LOGISTIC"
    g, op = unary("LOGISTIC", T.FLOAT32, (1, 2, 3, 4))
    assert codes(g, op, 1) == []


def test_exact_rank_of_nhwc_operations() -> None:
    g = G()
    op = g.op("SPACE_TO_BATCH_ND", [g.t(T.FLOAT32, (1, 4, 2)), g.t(T.INT32, (1,), const=True),
                                    g.t(T.INT32, (1, 2), const=True)], [g.t(T.FLOAT32, (2, 2, 2))])
    assert codes(g, op, 2) == [sc.SPEC_RANK]
    g2, op2 = unary("SPACE_TO_BATCH_ND", T.FLOAT32, (1, 4, 4, 2))
    assert codes(g2, op2, 2) == []


def test_scalars_count_as_rank_one_only_where_the_delegate_says_so() -> None:
    g = G()
    add = g.op("ADD", [g.t(T.FLOAT32, (1, 4)), g.t(T.FLOAT32, (), const=True)],
               [g.t(T.FLOAT32, (1, 4))])
    assert codes(g, add, 4) == []
    g2, op = unary("ABS", T.FLOAT32, ())  # rank 0: unspecified rank for NNAPI, not checked
    assert codes(g2, op, 4) == []


# --- operation level, skips, robustness -------------------------------------------------------


def test_operation_missing_at_the_feature_level() -> None:
    g = G()
    op = g.op("MIRROR_PAD", [g.t(), g.t(T.INT32, (4, 2), const=True)], [g.t()])
    (w,) = warn(g, op, 6)
    assert w.code == sc.SPEC_NOT_IN_FEATURE_LEVEL and "feature level 7" in w.message
    assert codes(g, op, 7) == []


def test_release_of_each_feature_level() -> None:
    assert [sc.RELEASE_OF_FEATURE_LEVEL[fl] for fl in range(1, 9)] == [
        "8.1", "9", "10", "11", "12", "13", "13", "13"]
    g, op = unary("TRANSPOSE", T.INT16, scale=[0.1])
    assert {w.source.split(",")[0] for fl in range(6, 9) for w in warn(g, op, fl)} == {
        "NeuralNetworksTypes.h (Android 13)"}
    assert warn(g, op, 5)[0].source.startswith("NeuralNetworksTypes.h (Android 12)")


def test_skipped_operators() -> None:
    g = G()
    op = g.op("TRANSPOSE_CONV", [g.t(T.INT32, (4,), const=True), g.t(T.INT16), g.t(T.INT16)],
              [g.t(T.INT16)])
    _, sg = g.build()
    assert sc.skip_reason(sg, op, TARGETS[4]) == sc.SKIPPED_OPS["TRANSPOSE_CONV"]
    assert codes(g, op, 4) == []
    g, hs = unary("HARD_SWISH", T.INT16, scale=[0.1])
    _, sg = g.build()
    assert sc.skip_reason(sg, hs, TARGETS[3]) and codes(g, hs, 3) == []
    assert codes(g, hs, 4) == [sc.SPEC_OPERAND_TYPE]  # one HARD_SWISH operation from API 30 on


def test_malformed_operator_gives_no_warning() -> None:
    g = G()
    op = g.op("TRANSPOSE", [99, OPTIONAL_TENSOR], [g.t(T.INT16)])
    assert isinstance(warn(g, op, 4), list)
    g2 = G()
    op2 = g2.op("ADD", [], [])
    assert warn(g2, op2, 4) == []


def test_codes_are_documented() -> None:
    assert set(sc.SPEC_REASON_CODES) == {
        sc.SPEC_NOT_IN_FEATURE_LEVEL, sc.SPEC_OPERAND_TYPE, sc.SPEC_CONFIGURATION, sc.SPEC_RANK}
    assert all(c.startswith("opcompat") and d for c, d in sc.SPEC_REASON_CODES.items())


def test_tables_load_lazily_and_once_per_release() -> None:
    sc.clear_cache()
    assert sc._OPS == {}
    g, op = unary("TRANSPOSE", T.INT16, scale=[0.1])
    warn(g, op, 7)
    warn(g, op, 8)
    assert list(sc._OPS) == ["13"]
    first = sc._operations("13")
    warn(g, op, 6)
    assert sc._operations("13") is first


# --- the corpus -------------------------------------------------------------------------------


def _corpus_model(name: str) -> Model:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"{name} not in the corpus")
    return read_model(str(path))


def test_corpus_smoke(corpus: list[Path]) -> None:
    """No exception on any operator of any model at any feature level."""
    for path in corpus:
        try:
            model = read_model(str(path))
        except ModelReadError:  # unreadable models are the reader's business
            continue
        for target in TARGETS.values():
            for sg in model.subgraphs:
                for op in sg.operators:
                    for w in sc.spec_warnings(model, sg, op, target):
                        assert w.code in sc.SPEC_REASON_CODES and w.source


def test_corpus_int32_squeeze_warns() -> None:
    model = _corpus_model("zoo-squeeze__i32.tflite")
    sg = model.subgraphs[0]
    (w,) = sc.spec_warnings(model, sg, sg.operators[0], TARGETS[8])
    assert w.code == sc.SPEC_OPERAND_TYPE and "TENSOR_INT32" in w.message


def test_corpus_per_channel_fully_connected_warns() -> None:
    model = _corpus_model("gen-efficientnet_b0__int8.tflite")
    sg = model.subgraphs[0]
    fc = [op for op in sg.operators if op.op == "FULLY_CONNECTED"]
    assert fc and all(
        [w.code for w in sc.spec_warnings(model, sg, op, TARGETS[4])] == [sc.SPEC_OPERAND_TYPE]
        for op in fc)


def test_corpus_quantized_mobilenet_has_no_warning() -> None:
    model = _corpus_model("gh-coral__mobilenet_v1_0.25_128_quant.tflite")
    for target in TARGETS.values():
        for sg in model.subgraphs:
            for op in sg.operators:
                assert sc.spec_warnings(model, sg, op, target) == ()
