"""Remedies: every reason code has one, specific ones match their (op, message), and where a
remedy says "use B instead of A", corpus models that differ in exactly that way flip the
verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from opcompat.reasons import CODES
from opcompat.remedies import generic_remedy, remedy_for, remedy_table_markdown
from tests.conftest import CORPUS

GPU_CORPUS = CORPUS.parent / "models-gpu"


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_has_a_remedy(code: str) -> None:
    for target in ("nnapi", "gpu"):
        got = remedy_for(code, "", "", target)
        assert got.text.strip() and got.source.strip(), code
        assert got.text != "No remedy is known for this code.", code
    assert generic_remedy(code).text.strip()


@pytest.mark.parametrize(("code", "op", "message", "target", "expected"), [
    ("kUnsupportedOutputType", "FULLY_CONNECTED", "Unsupported output of type kTfLiteInt16",
     "nnapi", "TFLITE_BUILTINS_INT8"),
    ("kUnsupportedInputType", "RELU", "Input should be Float or Quant8", "nnapi",
     "full-integer int8"),
    ("kUnsupportedOperatorVersion", "DEPTHWISE_CONV_2D", "OP Version higher than 3", "nnapi",
     "dynamic-range"),
    ("kUnsupportedOperatorVersion", "FULLY_CONNECTED", "OP Version higher than 5", "nnapi",
     "v9/v12"),
    ("opcompatGpuOpVersion", "FULLY_CONNECTED", "Max version supported: 9. Requested version 12.",
     "gpu", "per-channel"),
    ("opcompatGpuOpVersion", "TRANSPOSE_CONV", "Max version supported: 3. Requested version 4.",
     "gpu", "activation"),
    ("kUnsupportedOperatorVersion", "GATHER", "OP Version different from 2", "nnapi",
     "batch_dims"),
    ("kUnsupportedOperator", "GELU", "Unsupported operation type.", "nnapi", "TANH"),
    ("kUnsupportedOperator", "CEIL", "Unsupported operation type.", "nnapi", "FLOOR"),
    ("kUnsupportedOperator", "SQUARE", "Unsupported operation type.", "nnapi", "MUL"),
    ("kUnsupportedOperator", "CUSTOM:TFLite_Detection_PostProcess",
     "Unsupported operation type. TFLite_Detection_PostProcess is a custom op", "nnapi",
     "custom ops"),
    ("kUnsupportedInputType", "SQUARED_DIFFERENCE",
     "Input type not in expected list kTfLiteFloat32", "nnapi", "SUB, MUL"),
    ("opcompatGpuNoParser", "TOPK_V2", "Operation is not supported.", "gpu", "post-processing"),
    ("opcompatGpuNoParser", "ROUND", "Operation is not supported.", "gpu", "FLOOR"),
    ("opcompatGpuNoParser", "SQUEEZE", "Operation is not supported.", "gpu", "RESHAPE"),
    ("kInputTensorShouldHaveConstantShape", "RESHAPE", "The shape input tensor must be constant.",
     "nnapi", "resize_tensor_input"),
    ("opcompatGpuTensorType", "TANH", "OP is supported, but tensor type/shape isn't compatible.",
     "gpu", "rank <= 4"),
    ("opcompatGpuTensorType", "ADD", "OP is supported, but tensor type/shape isn't compatible.",
     "gpu", "TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT"),
    ("opcompatGpuQuantOpsOff", "QUANTIZE", "Operation is not supported.", "gpu",
     "TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT"),
    ("opcompatPartitionDropped", "ADD", "Supported, but its partition was dropped by "
     "max_number_delegated_partitions.", "nnapi", "max_number_delegated_partitions"),
    ("opcompatPartitionDropped", "ADD", "Supported, but its partition was dropped by "
     "max_delegated_partitions.", "gpu", "max_delegated_partitions"),
    ("opcompatGpuConstFp16Dequantize", "DEQUANTIZE", "", "gpu", "whole subgraph delegable"),
    ("opcompatGpuLogicalOpConsumer", "GREATER", "Not supported logical op case", "gpu", "CAST"),
    ("opcompatGpuOperandCount", "ADD_N", "ADD_N only supports 2 inputs.", "gpu", "chain of ADD"),
    ("kMissingRequiredOperand", "CONV_2D", "Conv2D with omitted bias not supported", "nnapi",
     "use_bias=True"),
    ("opcompatNnapiModelBuildFails", "", "subgraph 0: Failed to add NN API tensor: type INT64 "
     "is not supported", "nnapi", "instead of 16x8"),
    ("kUnsupportedAndroidVersion", "FULLY_CONNECTED", "Android sdk version less than 30", "nnapi",
     "keep_num_dims"),
])
def test_specific_remedies(code: str, op: str, message: str, target: str, expected: str) -> None:
    got = remedy_for(code, op, message, target)
    assert expected in got.text, got
    assert got.source


def test_specific_beats_generic() -> None:
    generic = generic_remedy("kUnsupportedOperator")
    assert remedy_for("kUnsupportedOperator", "GELU", "", "nnapi") != generic
    assert remedy_for("kUnsupportedOperator", "CONV_3D", "", "nnapi") == generic


def test_table_markdown_lists_the_rows() -> None:
    table = remedy_table_markdown()
    assert table.startswith("| code | op | message matches | remedy | source |")
    assert "GELU" in table and "opcompatGpuNoParser" in table


# ---- variant pairs of the corpus: the remedy's change flips the verdict ------------------


def _model(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.tflite"
    if not path.is_file():
        pytest.skip(f"corpus model {path} not found")
    return path


def _verdicts(path: Path, op: str, **kwargs: object) -> list[tuple[bool, tuple[str, ...]]]:
    from opcompat.analysis import check

    report = check(path, **kwargs)  # type: ignore[arg-type]
    got = [(o.supported, tuple(r.code for r in o.reasons)) for o in report.operators if o.op == op]
    assert got, f"no {op} in {path.name}"
    return got


# (folder, refused model, accepted sibling, op, check options, the code refused, remedy check)
PAIRS = [
    (CORPUS, "zoo-relu__int16x8", "zoo-relu__int8", "RELU", {"api_level": 33},
     ("kUnsupportedInputType", "RELU", "Input should be Float or Quant8", "full-integer int8")),
    (CORPUS, "gen-efficientnet_b0__int16x8", "gen-efficientnet_b0__int8", "FULLY_CONNECTED",
     {"api_level": 33}, ("kUnsupportedOutputType", "FULLY_CONNECTED",
                         "Unsupported output of type kTfLiteInt16", "TFLITE_BUILTINS_INT8")),
    (CORPUS, "gen-mobilenet_v2__dynamic", "gen-mobilenet_v2__int8", "DEPTHWISE_CONV_2D",
     {"api_level": 33}, ("kUnsupportedOperatorVersion", "DEPTHWISE_CONV_2D",
                         "OP Version higher than 3", "dynamic-range")),
    (CORPUS, "zoo-conv_2d__nobias_fp32", "zoo-conv_2d__fp32", "CONV_2D", {"api_level": 33},
     ("kMissingRequiredOperand", "CONV_2D", "Conv2D with omitted bias not supported",
      "use_bias=True")),
    (CORPUS, "zoo-reshape__nonconstshape_fp32", "zoo-reshape__fp32", "RESHAPE",
     {"api_level": 33}, ("kInputTensorShouldHaveConstantShape", "RESHAPE",
                         "The shape input tensor must be constant.", "fixed shapes")),
    (GPU_CORPUS, "gpuzoo-floor__rank5_fp32", "gpuzoo-floor__fp32", "FLOOR", {"target": "gpu"},
     ("opcompatGpuTensorType", "FLOOR", "OP is supported, but tensor type/shape isn't "
      "compatible.", "reshape rank-5 tensors to rank <= 4")),
    (CORPUS, "zoo-tanh__rank5_fp32", "zoo-tanh__fp32", "TANH", {"target": "gpu"},
     ("opcompatGpuTensorType", "TANH", "", "rank <= 4")),
    (GPU_CORPUS, "gpuzoo-greater__boolout_fp32", "gpuzoo-greater__cast_fp32", "GREATER",
     {"target": "gpu"}, ("opcompatGpuLogicalOpConsumer", "GREATER",
                         "Not supported logical op case", "CAST to float")),
    (GPU_CORPUS, "gpuzoo-add_n__3in_fp32", "gpuzoo-add_n__const_fp32", "ADD_N",
     {"target": "gpu"}, ("opcompatGpuOperandCount", "ADD_N", "ADD_N only supports 2 inputs.",
                         "chain of ADD")),
    (CORPUS, "zoo-mirror_pad__symmetric_int8", "zoo-mirror_pad__fp32", "MIRROR_PAD",
     {"target": "gpu"}, ("opcompatGpuOptions", "MIRROR_PAD",
                         "Only Reflective padding is supported", "REFLECT")),
]


@pytest.mark.parametrize(("folder", "refused", "accepted", "op", "options", "remedy"), PAIRS,
                         ids=[p[1] for p in PAIRS])
def test_variant_pair_flips(folder: Path, refused: str, accepted: str, op: str,
                            options: dict[str, object],
                            remedy: tuple[str, str, str, str]) -> None:
    code, rop, message, expected = remedy
    target = str(options.get("target", "nnapi"))
    assert expected in remedy_for(code, rop, message, target).text
    before = _verdicts(_model(folder, refused), op, **options)
    after = _verdicts(_model(folder, accepted), op, **options)
    assert any(not ok and code in codes for ok, codes in before), before
    assert all(ok for ok, _ in after), after


def test_gpu_quant_flag_flips() -> None:
    """The remedy of int8 tensors under --gpu-no-quant (allow quantized ops) flips the
    verdict of the same model, and its float sibling is accepted either way."""
    int8 = _model(CORPUS, "zoo-add__int8fio")
    assert "TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT" in remedy_for(
        "opcompatGpuTensorType", "ADD", "", "gpu").text
    off = _verdicts(int8, "ADD", target="gpu", gpu_no_quant=True)
    on = _verdicts(int8, "ADD", target="gpu")
    floats = _verdicts(_model(CORPUS, "zoo-add__fp32"), "ADD", target="gpu", gpu_no_quant=True)
    assert any(not ok and "opcompatGpuTensorType" in codes for ok, codes in off), off
    assert all(ok for ok, _ in on) and all(ok for ok, _ in floats)
