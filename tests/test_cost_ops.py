"""opcompat.cost.ops: MACs, output elements and activation bytes per operator.

Unit cases build one-op models with tests/builders.py and read them back with opcompat's
reader; constants get an empty data vector, so any formula that read weights would fail. The
corpus cases compare whole-model totals with the figures of the architecture papers.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from builders import ModelBuilder

from opcompat.cost.ops import OperatorCost, operator_cost
from opcompat.model.reader import read_model


class A(NamedTuple):
    """A non-constant tensor to build."""

    shape: Sequence[int]
    dtype: str = "FLOAT32"
    sig: Sequence[int] | None = None
    var: bool = False


class W(NamedTuple):
    """A constant (weights) with an empty data vector."""

    shape: Sequence[int]
    dtype: str = "FLOAT32"


Spec = A | W | None


def cost(op: str, inputs: Sequence[Spec], outputs: Sequence[Spec],
         options: dict[str, Any] | None = None, options_type: str | None = None,
         *, same_input: bool = False) -> OperatorCost:
    """The cost of `op` in a one-op model built from the specs (None: an omitted input)."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")

    def add(spec: Spec) -> int:
        if spec is None:
            return -1
        if isinstance(spec, W):
            return sg.tensor(spec.shape, spec.dtype, data=b"")
        return sg.tensor(spec.shape, spec.dtype, shape_signature=spec.sig, is_variable=spec.var)

    ins = [add(s) for s in inputs]
    if same_input:
        ins = [ins[0]] * len(ins)
    outs = [add(s) for s in outputs]
    sg.op(op, ins, outs, options=options, options_type=options_type)
    sg.inputs, sg.outputs = [i for i in ins if i >= 0], outs
    model = read_model(mb.build())
    return operator_cost(model.subgraphs[0], model.subgraphs[0].operators[0])


def conv(inp: Sequence[int], filt: Sequence[int], out: Sequence[int], **options: Any) -> int:
    macs = cost("CONV_2D", [A(inp), W(filt), W([filt[0]])], [A(out)],
                {"padding": 1, "stride_w": 1, "stride_h": 1, **options}).macs
    assert macs is not None
    return macs


# -- convolutions ----------------------------------------------------------------------------

def test_conv_2d_valid_stride_1() -> None:
    # 6x6 output positions x 4 output channels x 3x3x3 weights each
    assert conv([1, 8, 8, 3], [4, 3, 3, 3], [1, 6, 6, 4]) == 36 * 4 * 27


def test_conv_2d_same_stride_2_and_batch() -> None:
    # SAME with stride 2 gives 4x4 outputs: the formula follows the model's output shape
    assert conv([1, 8, 8, 3], [4, 3, 3, 3], [1, 4, 4, 4], padding=0, stride_w=2,
                stride_h=2) == 16 * 4 * 27
    assert conv([3, 8, 8, 3], [4, 3, 3, 3], [3, 8, 8, 4], padding=0) == 3 * 64 * 4 * 27


def test_conv_2d_dilation_counts_taps_not_span() -> None:
    # dilation 2 makes the kernel span 5x5, but each output still takes 3x3 taps
    assert conv([1, 8, 8, 3], [4, 3, 3, 3], [1, 4, 4, 4], dilation_w_factor=2,
                dilation_h_factor=2) == 16 * 4 * 27


def test_conv_2d_groups() -> None:
    # 8 input channels, filter in-channels 4: 2 groups, each output sees 3x3x4 inputs
    assert conv([1, 8, 8, 8], [8, 3, 3, 4], [1, 8, 8, 8], padding=0) == 64 * 8 * 9 * 4
    # depthwise as a grouped conv: groups == in_ch, in_ch / groups == 1
    assert conv([1, 8, 8, 8], [8, 3, 3, 1], [1, 8, 8, 8], padding=0) == 64 * 8 * 9


def test_depthwise_conv_2d_depth_multiplier() -> None:
    opts = {"padding": 0, "stride_w": 1, "stride_h": 1, "depth_multiplier": 2}
    c = cost("DEPTHWISE_CONV_2D", [A([1, 8, 8, 3]), W([1, 3, 3, 6]), W([6])],
             [A([1, 8, 8, 6])], opts)
    assert c.macs == 64 * 9 * 6
    assert c.elements == 8 * 8 * 6
    assert c.activation_bytes == 4 * (8 * 8 * 3 + 8 * 8 * 6)  # weights and bias not counted
    assert not c.unknown_shape
    strided = cost("DEPTHWISE_CONV_2D", [A([2, 8, 8, 3]), W([1, 3, 3, 3]), None],
                   [A([2, 4, 4, 3])], {**opts, "stride_w": 2, "stride_h": 2,
                                       "depth_multiplier": 1})
    assert strided.macs == 2 * 16 * 9 * 3


def test_transpose_conv_counts_per_input_position() -> None:
    c = cost("TRANSPOSE_CONV", [W([4], "INT32"), W([8, 3, 3, 16]), A([1, 8, 8, 16])],
             [A([1, 16, 16, 8])], {"padding": 0, "stride_w": 2, "stride_h": 2})
    assert c.macs == 64 * 8 * 9 * 16
    assert c.activation_bytes == 4 * (8 * 8 * 16 + 16 * 16 * 8)  # output_shape is constant


def test_conv_3d() -> None:
    c = cost("CONV_3D", [A([1, 4, 4, 4, 4]), W([2, 2, 2, 4, 6]), None], [A([1, 3, 3, 3, 6])],
             {"padding": 1, "stride_d": 1, "stride_w": 1, "stride_h": 1},
             options_type="Conv3DOptions")
    assert c.macs == 27 * 2 * 2 * 2 * 4 * 6


def test_conv_3d_transpose() -> None:
    # filter [kd, kh, kw, out_ch, in_ch]; MACs per input position
    c = cost("CONV_3D_TRANSPOSE", [W([5], "INT32"), W([2, 2, 2, 6, 4]), A([1, 3, 3, 3, 4])],
             [A([1, 4, 4, 4, 6])], {"padding": 1, "stride_d": 1, "stride_w": 1,
                                    "stride_h": 1}, options_type="Conv3DOptions")
    assert c.macs == 27 * 2 * 2 * 2 * 6 * 4


# -- matrix products -------------------------------------------------------------------------

def test_fully_connected() -> None:
    c = cost("FULLY_CONNECTED", [A([2, 16]), W([10, 16]), W([10])], [A([2, 10])], {})
    assert c.macs == 2 * 10 * 16
    # a 4-D input is flattened to rows of input_size: here one row
    assert cost("FULLY_CONNECTED", [A([1, 2, 2, 4]), W([3, 16]), None], [A([1, 3])],
                {}).macs == 3 * 16


@pytest.mark.parametrize("keep", [True, False])
def test_fully_connected_keep_num_dims(keep: bool) -> None:
    out = [2, 5, 10] if keep else [10, 10]
    c = cost("FULLY_CONNECTED", [A([2, 5, 16]), W([10, 16]), None], [A(out)],
             {"keep_num_dims": keep})
    assert c.macs == 10 * 10 * 16  # 10 rows either way
    assert c.elements == 100


@pytest.mark.parametrize(("lhs", "rhs", "opts", "out", "macs"), [
    ([2, 4, 8], [2, 8, 3], {}, [2, 4, 3], 2 * 4 * 8 * 3),
    ([2, 8, 4], [2, 8, 3], {"adj_x": True}, [2, 4, 3], 2 * 4 * 8 * 3),
    ([2, 4, 8], [2, 3, 8], {"adj_y": True}, [2, 4, 3], 2 * 4 * 8 * 3),
    ([2, 8, 4], [2, 3, 8], {"adj_x": True, "adj_y": True}, [2, 4, 3], 2 * 4 * 8 * 3),
    ([5, 4, 8], [8, 3], {}, [5, 4, 3], 5 * 4 * 8 * 3),  # rank broadcast
    ([3, 1, 4, 8], [5, 8, 2], {}, [3, 5, 4, 2], 15 * 4 * 8 * 2),  # batch broadcast
    ([1, 7, 8], [4, 8, 3], {}, [4, 7, 3], 4 * 7 * 8 * 3),
])
def test_batch_matmul(lhs: list[int], rhs: list[int], opts: dict[str, bool], out: list[int],
                      macs: int) -> None:
    assert cost("BATCH_MATMUL", [A(lhs), A(rhs)], [A(out)], opts).macs == macs


def test_batch_matmul_constant_rhs_not_in_activation_bytes() -> None:
    c = cost("BATCH_MATMUL", [A([2, 4, 8]), W([8, 3])], [A([2, 4, 3])], {})
    assert c.macs == 2 * 4 * 8 * 3
    assert c.activation_bytes == 4 * (64 + 24)


# -- recurrent and sequence ops --------------------------------------------------------------

def lstm_inputs(n_input: int, n_cell: int, n_output: int, *, cifg: bool = False,
                peephole: bool = False, projection: bool = False) -> list[Spec]:
    """Inputs 1-17 of an LSTM cell (lstm_shared.h): gate, recurrent, peephole, bias,
    projection weights."""
    gate = [None if cifg else W([n_cell, n_input])] + [W([n_cell, n_input])] * 3
    rec = [None if cifg else W([n_cell, n_output])] + [W([n_cell, n_output])] * 3
    peep = [None if cifg or not peephole else W([n_cell])] + [W([n_cell]) if peephole else None] * 2
    bias = [None if cifg else W([n_cell])] + [W([n_cell])] * 3
    proj = [W([n_output, n_cell]), W([n_output])] if projection else [None, None]
    return [*gate, *rec, *peep, *bias, *proj]


def lstm_states(n_batch: int, n_cell: int, n_output: int) -> list[Spec]:
    return [A([n_batch, n_output], var=True), A([n_batch, n_cell], var=True)]


def test_lstm_full_kernel() -> None:
    weights = lstm_inputs(4, 8, 6, peephole=True, projection=True)
    c = cost("LSTM", [A([2, 4]), *weights, *lstm_states(2, 8, 6)], [A([2, 6])], {})
    # input gates 4 x 8x4, recurrent 4 x 8x6, projection 6x8; peepholes are elementwise
    assert c.macs == 2 * (4 * 32 + 4 * 48 + 48)
    assert c.activation_bytes == 4 * (2 * 4 + 2 * 6 + 2 * 8 + 2 * 6)  # states are counted


def test_lstm_cifg_without_projection() -> None:
    weights = lstm_inputs(4, 8, 8, cifg=True)
    c = cost("LSTM", [A([2, 4]), *weights, *lstm_states(2, 8, 8)], [A([2, 8])], {})
    assert c.macs == 2 * (3 * 32 + 3 * 64)


def test_lstm_basic_kernel() -> None:
    ins: list[Spec] = [A([2, 4]), A([2, 8]), W([32, 12]), W([32]), A([2, 8])]
    outs: list[Spec] = [A([2, 8]), A([2, 8]), A([2, 12]), A([2, 32])]
    c = cost("LSTM", ins, outs, {"kernel_type": 1})
    assert c.macs == 2 * 32 * 12
    assert c.elements == 16 + 16 + 24 + 64


@pytest.mark.parametrize(("time_major", "shape"), [(True, [5, 2, 4]), (False, [2, 5, 4])])
def test_unidirectional_sequence_lstm(time_major: bool, shape: list[int]) -> None:
    out = [*shape[:2], 8]
    c = cost("UNIDIRECTIONAL_SEQUENCE_LSTM",
             [A(shape), *lstm_inputs(4, 8, 8), *lstm_states(2, 8, 8)], [A(out)],
             {"time_major": time_major})
    assert c.macs == 5 * 2 * (4 * 32 + 4 * 64)  # 5 steps x 2 batches
    assert c.elements == 5 * 2 * 8


def bidi_lstm_inputs(aux: bool) -> list[Spec]:
    """The 48 inputs of BIDIRECTIONAL_SEQUENCE_LSTM: forward 6 cells, backward 5, input 4,
    time-major [5, 1, 4]; optional auxiliary input of 3 features."""
    fw, bw = lstm_inputs(4, 6, 6), lstm_inputs(4, 5, 5)
    states = [*lstm_states(1, 6, 6), *lstm_states(1, 5, 5)]
    aux_in: list[Spec] = [A([5, 1, 3])] if aux else [None]
    aux_w: list[Spec] = [None] * 8
    if aux:
        aux_w = [*[W([6, 3])] * 4, *[W([5, 3])] * 4]
    return [A([5, 1, 4]), *fw, *bw, *states, *aux_in, *aux_w]


@pytest.mark.parametrize("aux", [False, True])
def test_bidirectional_sequence_lstm(aux: bool) -> None:
    c = cost("BIDIRECTIONAL_SEQUENCE_LSTM", bidi_lstm_inputs(aux),
             [A([5, 1, 6]), A([5, 1, 5])], {"time_major": True})
    per_step = (4 * 6 * 4 + 4 * 6 * 6) + (4 * 5 * 4 + 4 * 5 * 5)  # both directions
    if aux:
        per_step += 4 * 6 * 3 + 4 * 5 * 3
    assert c.macs == 5 * per_step
    assert c.elements == 5 * 6 + 5 * 5


def test_bidirectional_sequence_lstm_batch_major() -> None:
    ins = bidi_lstm_inputs(False)
    ins[0] = A([1, 5, 4])
    c = cost("BIDIRECTIONAL_SEQUENCE_LSTM", ins, [A([1, 5, 6]), A([1, 5, 5])],
             {"time_major": False})
    assert c.macs == 5 * ((4 * 6 * 4 + 4 * 6 * 6) + (4 * 5 * 4 + 4 * 5 * 5))


def test_rnn() -> None:
    c = cost("RNN", [A([2, 4]), W([8, 4]), W([8, 8]), W([8]), A([2, 8], var=True)],
             [A([2, 8])], {})
    assert c.macs == 2 * (32 + 64)


@pytest.mark.parametrize(("time_major", "shape"), [(True, [5, 2, 4]), (False, [2, 5, 4])])
def test_unidirectional_sequence_rnn(time_major: bool, shape: list[int]) -> None:
    c = cost("UNIDIRECTIONAL_SEQUENCE_RNN",
             [A(shape), W([8, 4]), W([8, 8]), W([8]), A([2, 8], var=True)],
             [A([*shape[:2], 8])], {"time_major": time_major})
    assert c.macs == 10 * (32 + 64)


@pytest.mark.parametrize("aux", [False, True])
def test_bidirectional_sequence_rnn(aux: bool) -> None:
    fw: list[Spec] = [W([8, 4]), W([8, 8]), W([8]), A([2, 8], var=True)]
    bw: list[Spec] = [W([6, 4]), W([6, 6]), W([6]), A([2, 6], var=True)]
    extra: list[Spec] = [A([5, 2, 3]), W([8, 3]), W([6, 3])] if aux else [None, None, None]
    c = cost("BIDIRECTIONAL_SEQUENCE_RNN", [A([5, 2, 4]), *fw, *bw, *extra],
             [A([5, 2, 8]), A([5, 2, 6])], {"time_major": True})
    per_step = (32 + 64) + (24 + 36) + ((24 + 18) if aux else 0)
    assert c.macs == 10 * per_step


def test_svdf() -> None:
    c = cost("SVDF", [A([2, 6]), W([8, 6]), W([8, 3]), W([4]), A([2, 24], var=True)],
             [A([2, 4])], {"rank": 2})
    assert c.macs == 2 * (8 * 6 + 8 * 3)  # feature matmul, then time filter over memory


# -- ops without MACs, activation bytes ------------------------------------------------------

def test_op_without_macs() -> None:
    c = cost("ADD", [A([1, 4]), A([1, 4])], [A([1, 4])], {})
    assert c == OperatorCost(0, 4, 3 * 16, False)
    # the same tensor twice is counted once
    assert cost("ADD", [A([1, 4]), A([1, 4])], [A([1, 4])], {},
                same_input=True).activation_bytes == 2 * 16


def test_activation_bytes_by_type() -> None:
    c = cost("CONV_2D", [A([1, 8, 8, 3], "INT8"), W([4, 3, 3, 3], "INT8"), W([4], "INT32")],
             [A([1, 6, 6, 4], "INT8")], {"padding": 1, "stride_w": 1, "stride_h": 1})
    assert c.activation_bytes == 8 * 8 * 3 + 6 * 6 * 4
    assert cost("ADD", [A([2, 3], "INT16"), W([3], "INT16")], [A([2, 3], "INT16")],
                {}).activation_bytes == 2 * 12


def test_string_tensor_bytes_unknown() -> None:
    c = cost("RESHAPE", [A([2], "STRING"), W([1], "INT32")], [A([2], "STRING")], None)
    assert c.macs == 0 and c.elements == 2 and c.activation_bytes is None
    assert not c.unknown_shape


# -- unknown and missing shapes --------------------------------------------------------------

def test_unknown_batch_in_signature() -> None:
    c = cost("CONV_2D", [A([1, 8, 8, 3], sig=[-1, 8, 8, 3]), W([4, 3, 3, 3]), None],
             [A([1, 6, 6, 4], sig=[-1, 6, 6, 4])], {"padding": 1})
    assert c == OperatorCost(None, None, None, True)


def test_unknown_output_only_spares_what_does_not_need_it() -> None:
    # FULLY_CONNECTED's MACs need the input and weights, not the output
    c = cost("FULLY_CONNECTED", [A([2, 16]), W([10, 16]), None],
             [A([2, 10], sig=[2, -1])], {})
    assert c.macs == 320 and c.elements is None and c.activation_bytes is None
    assert c.unknown_shape
    # CONV_2D's do need the output shape
    assert cost("CONV_2D", [A([1, 8, 8, 3]), W([4, 3, 3, 3]), None],
                [A([1, 6, 6, 4], sig=[1, -1, -1, 4])], {"padding": 1}).macs is None


def test_negative_dims_and_no_rank() -> None:
    c = cost("ADD", [A([-1, 4]), A([1, 4])], [A([-1, 4])], {})
    assert c.macs == 0 and c.elements is None and c.activation_bytes is None
    assert c.unknown_shape
    c = cost("BATCH_MATMUL", [A([2, 4, 8]), A([2, 8, -1])], [A([2, 4, 3])], {})
    assert c.macs is None and c.unknown_shape


def test_missing_or_misshaped_tensor() -> None:
    # filter omitted, or of the wrong rank: no MACs, but no unknown dimension either
    c = cost("CONV_2D", [A([1, 8, 8, 3]), None, None], [A([1, 6, 6, 4])], {"padding": 1})
    assert c.macs is None and c.elements == 144 and not c.unknown_shape
    c = cost("CONV_2D", [A([1, 8, 8, 3]), W([4, 27]), None], [A([1, 6, 6, 4])], {"padding": 1})
    assert c.macs is None and not c.unknown_shape
    c = cost("BATCH_MATMUL", [A([8]), A([8, 3])], [A([3])], {})
    assert c.macs is None and not c.unknown_shape


# -- corpus totals vs the papers -------------------------------------------------------------

PAPERS = {
    # MobileNet v1 (Howard et al. 2017; TF-slim table, 0.25 at 128 px): 14 M MACs
    "gh-coral__mobilenet_v1_0.25_128_quant.tflite": 14e6,
    # MobileNetV2 1.0 at 224 px (Sandler et al. 2018, Table 4): 300 M multiply-adds
    "gen-mobilenet_v2__int8.tflite": 300e6,
    "gen-mobilenet_v2__int16x8.tflite": 300e6,
    "gen-mobilenet_v2__dynamic.tflite": 300e6,
    "gh-coral__mobilenet_v2_1.0_224_inat_bird_quant.tflite": 300e6,
    "gh-coral__tf2_mobilenet_v2_1.0_224_ptq.tflite": 300e6,
    "gh-tflm__mobilenet_v2_quantized_1x3x224x224.tflite": 300e6,
    # MobileNetV3-Small 1.0 (Howard et al. 2019, Table 3): 56 M MAdds
    "gen-mobilenet_v3_small__fp32.tflite": 56e6,
    "gen-mobilenet_v3_small__fp16.tflite": 56e6,
    "gen-mobilenet_v3_small__int8.tflite": 56e6,
    "gen-mobilenet_v3_small__int16x8.tflite": 56e6,
    "gen-mobilenet_v3_small__dynamic.tflite": 56e6,
    # EfficientNet-B0 (Tan and Le 2019, Table 2): 0.39 B FLOPs, counted as multiply-adds
    "gen-efficientnet_b0__int8.tflite": 390e6,
    "gen-efficientnet_b0__int16x8.tflite": 390e6,
}


def model_macs(path: Path) -> int:
    total = 0
    for sg in read_model(path).subgraphs:
        for op in sg.operators:
            c = operator_cost(sg, op)
            assert c.macs is not None and not c.unknown_shape, (op.index, op.op)
            total += c.macs
    return total


@pytest.mark.parametrize("name", sorted(PAPERS))
def test_corpus_totals_match_papers(corpus: list[Path], name: str) -> None:
    path = corpus[0].parent / name
    if not path.is_file():
        pytest.skip(f"{name} is not in the corpus")
    total = model_macs(path)
    assert math.isclose(total, PAPERS[name], rel_tol=0.05), f"{total / 1e6:.2f} M MACs"
