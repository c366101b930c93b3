"""`opcompat.targets.gpu.compatibility`: the port of CheckGpuDelegateCompatibility.

Line numbers are those of tflite/tools/versioning/gpu_compatibility.cc at LiteRT commit
f67457790c9c. Each condition family has one passing and one failing case; the last test runs
the check over the shared corpus against the real delegate's verdicts.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from opcompat.targets.gpu.compatibility import Failure, check_gpu_delegate_compatibility
from opcompat.tflite.op_signature import NO_TYPE, OpSignature, TensorSpec
from tests.conftest import SHARED

F32, F16, I32, U8, I64, STR, BOOL, I16, I8 = 0, 1, 2, 3, 4, 5, 6, 7, 9


def t(dims: Sequence[int] = (1, 8, 8, 4), type_: int = F32, const: bool = False) -> TensorSpec:
    return TensorSpec(type_, tuple(dims), const, False, 0)


def c(dims: Sequence[int] = (4,), type_: int = F32) -> TensorSpec:
    """A constant tensor."""
    return t(dims, type_, const=True)


OMITTED = TensorSpec(NO_TYPE, (), False, False, -1)


def sig(op: str, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec] = (t(),),
        options: Mapping[str, Any] | None = None, custom_name: str | None = None,
        custom: bytes = b"") -> OpSignature:
    return OpSignature(op, 0, custom_name, options or {}, custom, tuple(inputs), tuple(outputs), 1)


def message(s: OpSignature) -> str | None:
    failure = check_gpu_delegate_compatibility(s)
    return None if failure is None else failure.message


CONV = {"padding": 0, "stride_w": 1, "stride_h": 1, "fused_activation_function": 0,
        "dilation_w_factor": 1, "dilation_h_factor": 1}
POOL = {"padding": 0, "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2,
        "fused_activation_function": 0}
DW = {**CONV, "depth_multiplier": 1}


def pool_params(stride: int, kernel: int, activation: int = 0) -> bytes:
    """TfLitePoolParams: padding, stride_w, stride_h, filter_w, filter_h, activation."""
    return struct.pack("<6i", 1, stride, stride, kernel, kernel, activation) + b"\0" * 16


CASES: list[tuple[str, OpSignature, str | None]] = [
    # IsActivationSupported, lines 83-100 (through CONV_2D, lines 663-672)
    ("conv-ok", sig("CONV_2D", [t(), c((4, 3, 3, 4)), c((4,))], options=CONV), None),
    ("conv-signbit", sig("CONV_2D", [t(), c((4, 3, 3, 4))],
                         options={**CONV, "fused_activation_function": 5}),
     "TfLiteFusedActivation.kTfLiteActSignBit"),
    # CheckConvolutionInputOutput, lines 171-188
    ("conv-3-runtime", sig("CONV_2D", [t(), t(), t()], options=CONV),
     "Expected 1 or 2 input tensor(s), but node has 3 runtime inputs."),
    ("conv-1-input", sig("CONV_2D", [t()], options=CONV),
     "Requested index goes beyond array size: 1 vs 1"),
    # CheckStrides / CheckDilation, lines 190-213; absent options are a zeroed struct
    ("conv-no-options", sig("CONV_2D", [t(), c((4, 3, 3, 4))]),
     "Incorrect stride values: stride_height = 0, stride_width = 0"),
    ("conv-dilation", sig("CONV_2D", [t(), c((4, 3, 3, 4))],
                          options={**CONV, "dilation_h_factor": 0}),
     "Incorrect dilation values: dilation_height = 0, dilation_width = 1"),
    # CheckPooling2DGpuDelegateCompatibility, lines 246-264; CheckKernels 215-222
    ("pool-ok", sig("MAX_POOL_2D", [t()], options=POOL), None),
    ("pool-kernel", sig("AVERAGE_POOL_2D", [t()], options={**POOL, "filter_width": 0}),
     "Incorrect kernel values: kernel_height = 2, kernel_width = 0"),
    # CheckInputsOutputs, lines 116-134
    ("pool-2-outputs", sig("MAX_POOL_2D", [t()], [t(), t()], options=POOL),
     "Expected 1 output tensor(s), but node has 2 output(s)."),
    ("reshape-2-runtime", sig("RESHAPE", [t(), t((4,), I32)]),
     "Expected 1 runtime input tensor(s), but node has 2 runtime input(s)."),
    ("reshape-ok", sig("RESHAPE", [t(), c((4,), I32)]), None),
    # CheckDepthwiseConvGpuDelegateCompatibility, lines 266-305
    ("dw-ok", sig("DEPTHWISE_CONV_2D", [t(), c((1, 3, 3, 4)), c((4,))], options=DW), None),
    ("dw-multiplier", sig("DEPTHWISE_CONV_2D", [t(), c((1, 3, 3, 8))], [t((1, 8, 8, 8))],
                          options=DW), "output.c != input.c * depth_multiplier"),
    ("dw-omitted-bias", sig("DEPTHWISE_CONV_2D", [t(), c((1, 3, 3, 4)), OMITTED],
                            options=DW), "bias.size != output.c"),
    # CheckCumsumGpuDelegateCompatibility, lines 307-322
    ("cumsum-ok", sig("CUMSUM", [t(), c((), I32)]), None),
    ("cumsum-runtime-axis", sig("CUMSUM", [t(), t((), I32)]),
     "Input/output must be float type and indices must be constant int32 type"),
    # CheckOneHotGpuDelegateCompatibility, lines 324-369
    ("onehot-ok", sig("ONE_HOT", [t((1, 1, 5), I32), c((), I32), c(()), c(())],
                      options={"axis": -1}), None),
    ("onehot-dim", sig("ONE_HOT", [t((2, 5), I32), c((), I32), c(()), c(())],
                       options={"axis": -1}), "Unsupported non-singleton dim at 0"),
    # CheckSelectV2GpuDelegateCompatibility, lines 371-419
    ("select-ok", sig("SELECT_V2", [t((1, 8, 8, 4), BOOL), t(), c(())]), None),
    ("select-2d-if", sig("SELECT_V2", [t((8, 4), BOOL), t((8, 4)), c(())], [t((8, 4))]),
     "2-D if tensor only supported if constant."),
    # CheckCustomOpsGpuDelegateCompatibility, lines 421-463
    ("unpool-ok", sig("CUSTOM", [t(), t()], custom_name="MaxUnpooling2D",
                      custom=pool_params(2, 2)), None),
    ("unpool-no-data", sig("CUSTOM", [t(), t()], custom_name="MaxUnpooling2D"),
     "Unable to retrieve custom_initial_data."),
    ("argmax-ok", sig("CUSTOM", [t()], [t(), t()], custom_name="MaxPoolingWithArgmax2D",
                      custom=pool_params(2, 2)), None),
    ("argmax-no-data", sig("CUSTOM", [t()], [t(), t()], custom_name="MaxPoolingWithArgmax2D"),
     "Unable to retrieve builtin_data."),
    ("tconv-bias-ok", sig("CUSTOM", [t(), c((4, 3, 3, 4)), c((4,))],
                          custom_name="Convolution2DTransposeBias",
                          custom=struct.pack("<4i", 1, 2, 2, 0)), None),
    ("tconv-bias-stride", sig("CUSTOM", [t(), c((4, 3, 3, 4)), c((4,))],
                              custom_name="Convolution2DTransposeBias",
                              custom=struct.pack("<4i", 1, 0, 0, 0)),
     "Incorrect stride values: stride_height = 0, stride_width = 0"),
    ("resampler-ok", sig("CUSTOM", [t(), t((1, 8, 8, 2))], custom_name="Resampler"), None),
    ("resampler-warp", sig("CUSTOM", [t(), t((1, 8, 8, 1))], custom_name="Resampler"),
     "warp.c < 2"),
    ("custom-other", sig("CUSTOM", [t()], custom_name="MyOp"), "Not supported custom op MyOp"),
    # CheckAddMulBroadcastCompatibility (kStandard), lines 484-530; ADD 538-550
    ("add-3d-to-4d", sig("ADD", [t(), t((8, 8, 4))]), None),
    ("add-2d-bad", sig("ADD", [t((1, 8, 8, 4)), t((8, 4))]),
     "Doesn't support broadcasting - input0: [1,8,8,4], input1: [8,4]"),
    ("add-3-inputs", sig("ADD", [t(), t(), t()]), "ADD requires two input tensors."),
    # ADD_N, lines 552-556; MUL, lines 917-933
    ("add_n-ok", sig("ADD_N", [t(), t()]), None),
    ("add_n-3", sig("ADD_N", [t(), t(), t()]), "ADD_N only supports 2 inputs."),
    ("mul-ok", sig("MUL", [t(), t((1, 1))], options={"fused_activation_function": 1}), None),
    ("mul-2d-to-3d", sig("MUL", [t((2, 8, 4)), t((8, 4))]),
     "Doesn't support broadcasting - input0: [2,8,4], input1: [8,4]"),
    # BATCH_MATMUL, lines 561-570
    ("bmm-ok", sig("BATCH_MATMUL", [t(), t()]), None),
    ("bmm-3", sig("BATCH_MATMUL", [t(), t(), t()]),
     "Expected 2 inputs and 1 output, got: 3 inputs and 1 outputs"),
    # BITCAST, lines 572-631
    ("bitcast-ok", sig("BITCAST", [t((2, 3), F32)], [t((2, 3, 4), U8)]), None),
    ("bitcast-string", sig("BITCAST", [t((2,), STR)], [t((2,), F32)]),
     "Could not parse input type"),
    # CAST, lines 633-655
    ("cast-ok", sig("CAST", [t(type_=I32)], [t(type_=F32)]), None),
    ("cast-i64", sig("CAST", [t(type_=I32)], [t(type_=I64)]),
     "Not supported Cast case. Input type: INT32 and output type: INT64"),
    # DEPTH_TO_SPACE / SPACE_TO_DEPTH, lines 684-699 and 986-1001
    ("d2s-ok", sig("DEPTH_TO_SPACE", [t()], options={"block_size": 2}), None),
    ("d2s-1", sig("DEPTH_TO_SPACE", [t()], options={"block_size": 1}),
     "DEPTH_TO_SPACE block_size = 1 is a no-op."),
    ("s2d-0", sig("SPACE_TO_DEPTH", [t()]), "SPACE_TO_DEPTH block_size must be > 1."),
    # DEQUANTIZE, lines 701-713
    ("deq-ok", sig("DEQUANTIZE", [t(type_=I8)]), None),
    ("deq-int16", sig("DEQUANTIZE", [t(type_=I16)]), "Unsupported dequantization type."),
    # EMBEDDING_LOOKUP, lines 715-760
    ("emb-ok", sig("EMBEDDING_LOOKUP", [t((3,), I32), c((10, 4))], [t((3, 4))]), None),
    ("emb-uint8", sig("EMBEDDING_LOOKUP", [t((3,), I32), c((10, 4), U8)], [t((3, 4))]),
     "Expected int8, int4, int2, or float32, but got UINT8 for input #1."),
    # DYNAMIC_UPDATE_SLICE, lines 762-795 (types print as TfLiteType numbers)
    ("dus-ok", sig("DYNAMIC_UPDATE_SLICE", [t(), t((1, 2, 2, 4)), t((4,), I32)]), None),
    ("dus-types", sig("DYNAMIC_UPDATE_SLICE", [t(), t((1, 2, 2, 4), F16), t((4,), I32)]),
     "Array to update and updated slice must have the same data type, but got: array to "
     "update: 1, updated slice: 10"),
    # FULLY_CONNECTED, lines 797-831
    ("fc-ok", sig("FULLY_CONNECTED", [t((1, 16)), c((4, 16)), c((4,))], [t((1, 4))],
                  options={"weights_format": 0, "keep_num_dims": False}), None),
    ("fc-shuffled", sig("FULLY_CONNECTED", [t((1, 16)), c((4, 16))], [t((1, 4))],
                        options={"weights_format": 1}),
     "Unsupported FullyConnected weights format: 1"),
    ("fc-keep-dims", sig("FULLY_CONNECTED", [t((1, 2, 16)), c((4, 16))], [t((2, 4))],
                         options={"keep_num_dims": True}),
     "Input and output dimensions different and FullyConnected doesn't support "
     "keep_num_dims."),
    # GATHER, lines 833-850; two-operand elementwise, lines 1167-1210
    ("gather-ok", sig("GATHER", [t(), c((2,), I32)]), None),
    ("gather-2d", sig("GATHER", [t(), c((2, 2), I32)]), "Only support 1D indices"),
    ("sub-ok", sig("SUB", [t(), c(())], options={"fused_activation_function": 3}), None),
    ("sub-two-consts", sig("SUB", [c(), c()]), "Op can only handle 1 or 2 operand(s)."),
    ("div-signbit", sig("DIV", [t(), t()], options={"fused_activation_function": 5}),
     "TfLiteFusedActivation.kTfLiteActSignBit"),
    # one-argument elementwise, lines 1144-1165; CheckInputsConstsOutputs 139-156
    ("tanh-ok", sig("TANH", [t()]), None),
    ("tanh-const", sig("TANH", [c()]), "Expected 0 const input tensor(s), but node has 1 "
     "const input(s)."),
    # LSTM, lines 856-904
    ("lstm-full-ok", sig("LSTM", [t()] * 20, options={"fused_activation_function": 4,
                                                      "kernel_type": 0}), None),
    ("lstm-full-relu", sig("LSTM", [t()] * 20, options={"fused_activation_function": 1,
                                                        "kernel_type": 0}),
     "Only sigmoid or tanh activation is supported, but node has 1"),
    ("lstm-basic-clip", sig("LSTM", [t(), t(), t(), c(), c()], [t(), t(), t(), t((1, 8))],
                            options={"fused_activation_function": 4, "kernel_type": 1,
                                     "cell_clip": 3.0, "proj_clip": 0.0}),
     "cell_clip is not supported."),
    # MEAN and the reductions, lines 909-915 and 1090-1101; CheckAxesAreInt32Const 232-244
    ("mean-ok", sig("MEAN", [t(), c((2,), I32)]), None),
    ("sum-int64-axes", sig("SUM", [t(), c((2,), I64)]),
     "SUM supports int32 tensor for axes. But node has INT64"),
    ("reverse-runtime-axes", sig("REVERSE_V2", [t(), t((1,), I32)]),
     "Expected 1 const input tensor(s), but node has 0 const input(s)."),
    # PAD / PADV2 / MIRROR_PAD, lines 1103-1133
    ("pad-ok", sig("PAD", [t(), c((4, 2), I32)]), None),
    ("pad-2x2", sig("PAD", [t((8, 4)), c((2, 2), I32)], [t((10, 6))]),
     "Invalid paddings tensor shape: expected 4x2 or 3x2, got 2x2"),
    ("mirror-symmetric", sig("MIRROR_PAD", [t(), c((4, 2), I32)], options={"mode": 1}),
     "Only Reflective padding is supported for Mirror Pad operation. But node has 2"),
    ("mirror-reflect", sig("MIRROR_PAD", [t(), c((4, 2), I32)], options={"mode": 0}), None),
    # SLICE, lines 962-975; STRIDED_SLICE, lines 1009-1034
    ("slice-ok", sig("SLICE", [t(), c((4,), I32), c((4,), I32)]), None),
    ("slice-2d", sig("SLICE", [t((8, 4)), c((2,), I32), c((2,), I32)], [t((4, 4))]),
     "SLICE supports for 3 or 4 dimensional tensors only, but node has 2 dimensional "
     "tensors."),
    ("ss-ok", sig("STRIDED_SLICE", [t()] + [c((4,), I32)] * 3,
                  options={"shrink_axis_mask": 0}), None),
    ("ss-shrink", sig("STRIDED_SLICE", [t()] + [c((4,), I32)] * 3,
                      options={"shrink_axis_mask": 1}),
     "StridedSlice does not support shrink_axis_mask parameter."),
    # SOFTMAX, lines 977-984
    ("softmax-ok", sig("SOFTMAX", [t()], options={"beta": 1.0}), None),
    ("softmax-beta", sig("SOFTMAX", [t()], options={"beta": 0.5}),
     "Softmax.beta != 1 is not supported."),
    # TOPK_V2, lines 1042-1046; TRANSPOSE_CONV, lines 1054-1061
    ("topk-ok", sig("TOPK_V2", [t(), c((), I32)], [t(), t(type_=I32)]), None),
    ("topk-1-output", sig("TOPK_V2", [t(), c((), I32)]),
     "Expected 2 output tensor(s), but node has 1 output(s)."),
    ("tconv-ok", sig("TRANSPOSE_CONV", [c((4,), I32), c((4, 3, 3, 4)), t()],
                     options={"stride_w": 2, "stride_h": 2}), None),
    ("tconv-stride", sig("TRANSPOSE_CONV", [c((4,), I32), c((4, 3, 3, 4)), t()],
                         options={"stride_w": 2, "stride_h": 0}),
     "Incorrect stride values: stride_height = 0, stride_width = 2"),
    # RESIZE_BILINEAR, lines 1063-1074
    ("resize-ok", sig("RESIZE_BILINEAR", [t(), c((2,), I32)],
                      options={"align_corners": True}), None),
    ("resize-both", sig("RESIZE_BILINEAR", [t(), c((2,), I32)],
                        options={"align_corners": True, "half_pixel_centers": True}),
     "If half_pixel_centers is True, align_corners must be False."),
    # StableHLO, lines 1212-1264
    ("bid-ok", sig("STABLEHLO_BROADCAST_IN_DIM", [t((8, 4)), c((2,), I32)]), None),
    ("bid-rank", sig("STABLEHLO_BROADCAST_IN_DIM", [t((8, 4)), c((3,), I32)]),
     "Require size(indices) = rank(operand)"),
    ("cbrt-ok", sig("STABLEHLO_CBRT", [t()]), None),
    ("cbrt-int", sig("STABLEHLO_CBRT", [t(type_=I32)], [t(type_=I32)]),
     "Only support float inputs"),
    ("clamp-ok", sig("STABLEHLO_CLAMP", [t((1,)), t(), t((1,))]), None),
    ("clamp-min", sig("STABLEHLO_CLAMP", [t((2,)), t(), t((1,))]),
     "Min tensor must be the same shape as the input, or a scalar"),
    # default, lines 1272-1275; ops accepted as they are, e.g. PACK (935-936)
    ("pack-ok", sig("PACK", [t(), t()]), None),
    ("unknown-op", sig("UNPACK", [t()]), "Not supported op UNPACK"),
]


@pytest.mark.parametrize(("s", "expected"), [(s, e) for _, s, e in CASES],
                         ids=[name for name, _, _ in CASES])
def test_condition(s: OpSignature, expected: str | None) -> None:
    assert message(s) == expected


def test_failure_kinds() -> None:
    """Each refusal carries one of the documented kinds."""
    kinds = {"op_version", "operand_count", "options", "shape", "tensor_type", "unsupported"}
    for _, s, expected in CASES:
        failure = check_gpu_delegate_compatibility(s)
        assert (failure is None) == (expected is None)
        if failure is not None:
            assert isinstance(failure, Failure) and failure.kind in kinds


# --- the real delegate's verdicts ------------------------------------------------------

ORACLE_GPU = SHARED / "oracle-gpu"
TENSOR_MSG = "OP is supported, but tensor type/shape isn't compatible."
# Parsers whose IsSupported does not call CheckGpuDelegateCompatibility (model_builder.cc):
# ReLUOperationParser (RELU_0_TO_1 is not in the check's switch), PReLUOperationParser,
# UnpackOperationParser, and ElementwiseOperationParser for the comparisons.
NOT_CALLED = {"RELU", "RELU6", "RELU_0_TO_1", "RELU_N1_TO_1", "LEAKY_RELU", "PRELU", "UNPACK"}
LOGICAL = {"GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL", "EQUAL", "NOT_EQUAL"}


def _message_from_elsewhere(node: Mapping[str, Any], msg: str) -> bool:
    """A refusal that is not CheckGpuDelegateCompatibility's text."""
    return (msg in ("Operation is not supported.", "", TENSOR_MSG)
            or msg.startswith(("Max version supported", "Not supported logical op case"))
            or (node["op"] == "CUSTOM" and msg == node.get("custom_name"))
            or (node["op"] == "CAST" and msg in ("Not supported cast case",
                                                 "Cast from bool not supported for outputs")))


def test_agrees_with_real_delegate() -> None:
    """Over every oracle node: the check's own refusals have its exact text, and nodes that
    passed the parser's IsSupported pass the check (lines 534-1275 in full)."""
    if not ORACLE_GPU.is_dir():
        pytest.skip(f"GPU reference data not found at {ORACLE_GPU} (set OPCOMPAT_SHARED)")
    from opcompat.model.reader import read_model
    from opcompat.tflite.op_signature import op_signature

    wrong: list[str] = []
    checked = 0
    for path in sorted(ORACLE_GPU.glob("*.json")):
        data = json.loads(path.read_text())
        if not data.get("nodes"):
            continue
        model = read_model(str(SHARED / data["model_paths"][0]))
        for node in data["nodes"]:
            verdict = node["gpu"]
            msg = verdict.get("unsupported_details", "")
            passed = verdict["supported"] or msg == TENSOR_MSG
            if not passed and _message_from_elsewhere(node, msg):
                continue
            if passed and node["op"] in NOT_CALLED | LOGICAL:
                continue
            sg = model.subgraphs[node["subgraph"]]
            op = sg.operators[node["index"]]
            remap = {sg.operators[k].outputs[0]: sg.operators[k].inputs[0]
                     for k in node.get("fed_by_fp16_constant_dequantize", ())}
            s = op_signature(model, sg, op, [remap.get(i, i) for i in op.inputs])
            got = message(s)
            checked += 1
            if got != (None if passed else msg):
                wrong.append(f"{path.name} {node['op']} #{node['index']}: {msg!r} vs {got!r}")
    assert checked > 0
    assert not wrong, "\n".join(wrong[:20])
