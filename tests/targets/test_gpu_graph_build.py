"""`build_final_model`: which delegated partitions the GPU delegate's graph build refuses.

Each condition has a failing and a passing model built with tests/builders.py; the last test
replays every partition recorded in the GPU reference data (shared/oracle-gpu).
"""
from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from opcompat.model.graph import Model, Subgraph, TensorType
from opcompat.model.reader import read_model
from opcompat.targets.gpu.graph_build import BuildOutcome, build_final_model
from opcompat.tflite.types import MMAP_RO, allocation_type
from tests.builders import ModelBuilder, Quant
from tests.conftest import SHARED

ORACLE_GPU = SHARED / "oracle-gpu"
F32 = "FLOAT32"


def _f32(n: int) -> bytes:
    return struct.pack(f"<{n}f", *([0.5] * n))


def _i32(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}i", *values)


def _run(mb: ModelBuilder, allow_quant_ops: bool = True,
         node_inputs: dict[int, tuple[int, ...]] | None = None,
         nodes: Sequence[int] | None = None) -> BuildOutcome:
    """Delegate `nodes` (default: all) with the boundary tensors TFLite would give."""
    model = read_model(mb.build())
    sg = model.subgraphs[0]
    chosen = list(range(len(sg.operators))) if nodes is None else list(nodes)
    produced = {o for n in chosen for o in sg.operators[n].outputs}
    ins = sorted({i for n in chosen for i in (node_inputs or {}).get(n, sg.operators[n].inputs)
                  if i >= 0 and i not in produced})
    used_outside = {i for k, op in enumerate(sg.operators) if k not in chosen for i in op.inputs}
    outs = sorted(o for o in produced if o in sg.outputs or o in used_outside)
    return build_final_model(model, sg, chosen, ins, outs, allow_quant_ops, node_inputs)


def _binary(op: str, shape_a: Sequence[int], shape_out: Sequence[int], *,
            same: bool = False, variable: bool = False) -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a = sg.tensor(shape_a, F32, name="a", is_variable=variable)
    b = a if same else sg.tensor(shape_a, F32, name="b")
    y = sg.tensor(shape_out, F32, name="y")
    sg.op(op, [a, b], [y], options={})
    sg.inputs, sg.outputs = ([a] if same or variable else [a, b]), [y]
    return mb


# -- PrecreateInputTensors / PrecreateOutputTensors: ExtractTensorShape ---------------------

def test_scalar_boundary_tensor_fails_extract_tensor_shape() -> None:
    got = _run(_binary("ADD", [1], []))
    assert got == BuildOutcome("failed", 'Tensor "y" has bad input dims size: 0.',
                               "model_builder_helper.cc, ExtractTensorShape")
    assert _run(_binary("ADD", [1], [1])).status == "ok"


# -- ElementwiseOperationParser: identical inputs ----------------------------------------------

def test_sub_of_one_tensor_twice_fails_add_passes() -> None:
    got = _run(_binary("SUB", [1, 4], [1, 4], same=True))
    assert got.status == "failed"
    assert got.message == "SUB: No support of few identical inputs in the same operation."
    assert _run(_binary("ADD", [1, 4], [1, 4], same=True)).status == "ok"  # becomes MUL(a, 2)
    assert _run(_binary("SUB", [1, 4], [1, 4])).status == "ok"


# -- CopyVariableTensorOutputs -----------------------------------------------------------------

def test_variable_input_without_new_value_fails() -> None:
    got = _run(_binary("ADD", [1, 4], [1, 4], variable=True))
    assert got.message == "ADD did not provide a new value for the variable input tensor " \
                          "with index 0"
    assert got.source == "model_builder.cc, CopyVariableTensorOutputs"
    assert _run(_binary("ADD", [1, 4], [1, 4])).status == "ok"


# -- FullyConnectedOperationParser ----------------------------------------------------------

def _fc(in_shape: Sequence[int], w_shape: Sequence[int], w_type: str = F32) -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor(in_shape, F32, name="x")
    n = w_shape[0] * w_shape[1]
    data = _f32(n) if w_type == F32 else bytes(n // 2 if w_type == "INT4" else n)
    w = sg.tensor(w_shape, w_type, name="w", data=data,
                  quant=None if w_type == F32 else Quant([0.1], [0]))
    y = sg.tensor([in_shape[0], w_shape[0]], F32, name="y")
    sg.op("FULLY_CONNECTED", [x, w, -1], [y], options={})
    sg.inputs, sg.outputs = [x], [y]
    return mb


def test_fully_connected_weight_type_and_width() -> None:
    assert _run(_fc([1, 8], [4, 8], "INT4")).message == \
        "FULLY_CONNECTED: Unsupported data type for float32 tensor"
    assert _run(_fc([1, 3], [4, 5])).message == \
        "FULLY_CONNECTED: Amount of input channels should match weights width"
    assert _run(_fc([1, 8], [4, 8], "INT8")).status == "ok"
    assert _run(_fc([1, 5], [4, 5])).status == "ok"


# -- BatchedMatMulOperationParser -------------------------------------------------------------

def _matmul(const_shape: Sequence[int]) -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor([1, 2, 3], F32, name="x")
    w = sg.tensor(const_shape, F32, name="w", data=_f32(int(abs(_prod(const_shape)))))
    y = sg.tensor([1, 2, 5], F32, name="y")
    sg.op("BATCH_MATMUL", [x, w], [y], options={})
    sg.inputs, sg.outputs = [x], [y]
    return mb


def _prod(shape: Sequence[int]) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def test_batch_matmul_constant_must_be_2d() -> None:
    assert _run(_matmul([1, 3, 5])).message == "BATCH_MATMUL: Not supported batched mat mul case"
    assert _run(_matmul([3, 5])).status == "ok"


# -- ObjectReader::ReadNonConstantTensor --------------------------------------------------------

def _gather(const_params: bool) -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    p = sg.tensor([5, 4], F32, name="p", data=_f32(20) if const_params else None)
    idx = sg.tensor([3], "INT32", name="i")
    y = sg.tensor([3, 4], F32, name="y")
    sg.op("GATHER", [p, idx], [y], options={"axis": 0})
    sg.inputs, sg.outputs = ([idx] if const_params else [p, idx]), [y]
    return mb


def test_gather_of_a_constant_table_fails() -> None:
    assert _run(_gather(True)).message == \
        "GATHER: ReadNonConstantTensor: value is a constant tensor: 0"
    assert _run(_gather(False)).status == "ok"


# -- PopulateQuantParams ---------------------------------------------------------------------

def _int8_relu(quant: Quant | None) -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor([1, 4], "INT8", name="x", quant=quant)
    y = sg.tensor([1, 4], "INT8", name="y", quant=Quant([0.1], [0]))
    sg.op("RELU", [x], [y])
    sg.inputs, sg.outputs = [x], [y]
    return mb


def test_int8_activation_needs_affine_quantization() -> None:
    got = _run(_int8_relu(None))
    assert got == BuildOutcome("failed", "Tensor not quantized: x",
                               "model_builder_helper.cc, PopulateQuantParams")
    assert _run(_int8_relu(None), allow_quant_ops=False).status == "ok"  # no quantized path
    assert _run(_int8_relu(Quant([0.1], [0]))).status == "ok"
    assert _run(_int8_relu(Quant([0.1, 0.2], [0, 0]))).message == \
        "Non-constant per-channel quantized tensor: x"


# -- fp16 constants seen through the partition helper's rewired inputs ---------------------

def test_fp16_dequantize_consumers_read_the_fp16_constant() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor([1, 4], F32, name="x")
    c16 = sg.tensor([], "FLOAT16", name="c16", data=b"\x00\x3c")
    c32 = sg.tensor([], F32, name="c32")
    y = sg.tensor([1, 4], F32, name="y")
    sg.op("DEQUANTIZE", [c16], [c32])
    sg.op("MUL", [x, c32], [y], options={})
    sg.inputs, sg.outputs = [x], [y]
    # Without the rewiring the scalar is a runtime input of rank 0 (a partition input).
    assert _run(mb, nodes=[1]).message == 'Tensor "c32" has bad input dims size: 0.'
    assert _run(mb, node_inputs={1: (x, c16)}).status == "ok"
    assert _run(mb, node_inputs={1: (x, c16)}, nodes=[1]).status == "ok"


# -- other parser conditions --------------------------------------------------------------------

def _unary(op: str, options: dict[str, object], shape: Sequence[int] = (1, 4, 4, 8),
           extra: Sequence[bytes | None] = (), out_shape: Sequence[int] | None = None,
           extra_type: str = "INT32") -> ModelBuilder:
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor(list(shape), F32, name="x")
    more = [sg.tensor([len(d) // 4], extra_type, data=d) if d is not None else -1
            for d in extra]
    y = sg.tensor(list(out_shape or shape), F32, name="y")
    sg.op(op, [x, *more], [y], options=options)
    sg.inputs, sg.outputs = [x], [y]
    return mb


def test_softmax_beta() -> None:
    assert _run(_unary("SOFTMAX", {"beta": 2.0})).message == \
        "SOFTMAX: Softmax.beta != 1 is not supported."
    assert _run(_unary("SOFTMAX", {"beta": 1.0})).status == "ok"


def test_resize_bilinear_align_corners_with_half_pixel_centers() -> None:
    size = _i32(8, 8)
    bad = _unary("RESIZE_BILINEAR", {"align_corners": True, "half_pixel_centers": True},
                 extra=[size], out_shape=(1, 8, 8, 8))
    good = _unary("RESIZE_BILINEAR", {"align_corners": True}, extra=[size],
                  out_shape=(1, 8, 8, 8))
    assert _run(bad).message == \
        "RESIZE_BILINEAR: If half_pixel_centers is True, align_corners must be False."
    assert _run(good).status == "ok"


def test_transpose_permutation_size() -> None:
    assert _run(_unary("TRANSPOSE", {}, shape=(4,), extra=[_i32(0)])).message == \
        "TRANSPOSE: Permutation for transpose is invalid."
    assert _run(_unary("TRANSPOSE", {}, extra=[_i32(0, 2, 1, 3)])).status == "ok"


def test_strided_slice_shrink_axis_mask_and_output_shape() -> None:
    begin, end, strides = _i32(0, 0, 0, 0), _i32(1, 4, 4, 8), _i32(1, 1, 1, 1)
    shrink = _unary("STRIDED_SLICE", {"shrink_axis_mask": 1}, extra=[begin, end, strides])
    assert _run(shrink).message == \
        "STRIDED_SLICE: Slice does not support shrink_axis_mask parameter. "
    wrong = _unary("STRIDED_SLICE", {}, extra=[begin, _i32(1, 2, 4, 8), strides])
    assert _run(wrong).message == "STRIDED_SLICE: Output height doesn't match"
    assert _run(_unary("STRIDED_SLICE", {}, extra=[begin, end, strides])).status == "ok"


def test_quantize_output_must_be_quantized() -> None:
    mb = _unary("QUANTIZE", {}, shape=(1, 4))
    assert _run(mb).message == "QUANTIZE: Encountered Quantize output with no quant params"
    mb = ModelBuilder()
    sg = mb.subgraph()
    x = sg.tensor([1, 4], F32, name="x")
    y = sg.tensor([1, 4], "INT8", name="y", quant=Quant([0.1], [0]))
    sg.op("QUANTIZE", [x], [y])
    sg.inputs, sg.outputs = [x], [y]
    assert _run(mb).status == "ok"


# -- LSTM: the parser's ADD nodes crash MergeAddWithConvolution ------------------------------

def _lstm(batch: int) -> ModelBuilder:
    """A float full-kernel LSTM cell: CIFG-free, no peephole, projection or normalization."""
    mb = ModelBuilder()
    sg = mb.subgraph()
    n_in, n_cell = 3, 4
    x = sg.tensor([batch, n_in], F32, name="x")
    ins = [x]
    for k in range(1, 24):
        if 1 <= k <= 4:
            ins.append(sg.tensor([n_cell, n_in], F32, data=_f32(n_cell * n_in)))
        elif 5 <= k <= 8:
            ins.append(sg.tensor([n_cell, n_cell], F32, data=_f32(n_cell * n_cell)))
        elif 12 <= k <= 15:
            ins.append(sg.tensor([n_cell], F32, data=_f32(n_cell)))
        elif k in (18, 19):
            ins.append(sg.tensor([batch, n_cell], F32, is_variable=True))
        else:
            ins.append(-1)
    y = sg.tensor([batch, n_cell], F32, name="y")
    sg.op("LSTM", ins, [y], options={"fused_activation_function": 4, "kernel_type": 0})
    sg.inputs, sg.outputs = [x], [y]
    return mb


def test_full_lstm_crashes_in_the_transformations() -> None:
    got = _run(_lstm(1))
    assert got.status == "crash"
    assert "std::bad_any_cast in MergeAddWithConvolution" in got.message
    assert got.source.startswith("transformations/fuse_add_to_conv.cc")
    # A batched LSTM fails in the parser first, so nothing crashes.
    assert _run(_lstm(2)).message == "LSTM: Batched execution is not supported for LSTM"


# -- the recorded partitions of the reference data ------------------------------------------

def _fp16_inputs(sg: Subgraph, nodes: Sequence[int]) -> dict[int, tuple[int, ...]] | None:
    """What FP16GraphPartitionHelper::RemapFp16InputTensors does to the ops it returns."""
    remap = {}
    for op in sg.operators:
        if op.op == "DEQUANTIZE" and op.inputs and op.inputs[0] >= 0:
            t = sg.tensors[op.inputs[0]]
            if t.dtype == TensorType.FLOAT16 and allocation_type(t) == MMAP_RO:
                remap[op.outputs[0]] = op.inputs[0]
    if not remap:
        return None
    return {n: tuple(remap.get(i, i) for i in sg.operators[n].inputs) for n in nodes
            if any(i in remap for i in sg.operators[n].inputs)}


_RUNS = ("delegation_default", "delegation_unlimited", "delegation_no_quant",
         "delegation_no_opencl")


def _oracle_files() -> list[Path]:
    if not ORACLE_GPU.is_dir():
        pytest.skip(f"GPU reference data not found at {ORACLE_GPU}")
    return sorted(ORACLE_GPU.glob("*.json"))


def test_every_recorded_partition_builds_as_recorded() -> None:
    checked, wrong = 0, []  # type: tuple[int, list[tuple[object, ...]]]
    for path in _oracle_files():
        record = json.loads(path.read_text())
        model: Model | None = None
        for name in _RUNS:
            run = record.get(name)
            if not run:
                continue
            if model is None and (run.get("subgraphs") or run["status"] == "crashed"):
                model = read_model(SHARED / record["model_paths"][0])
            if run["status"] == "crashed":  # no partition recorded: one-node models here
                assert model is not None
                sg = model.subgraphs[0]
                assert len(sg.operators) == 1
                op = sg.operators[0]
                got = build_final_model(model, sg, [0], sorted({i for i in op.inputs if i >= 0}),
                                        list(op.outputs), name != "delegation_no_quant")
                checked += 1
                if got.status != "crash":
                    wrong.append((path.name, got))
                continue
            for s in run.get("subgraphs", []):
                for p in s.get("partitions", []):
                    assert model is not None
                    sg = model.subgraphs[s["index"]]
                    got = build_final_model(model, sg, p["nodes"], p["input_tensors"],
                                            p["output_tensors"], run["allow_quant_ops"],
                                            _fp16_inputs(sg, p["nodes"]))
                    want = p["build_final_model"]
                    checked += 1
                    if (got.status == "ok") != want["ok"] or (
                            not want["ok"] and got.message != want["message"]):
                        wrong.append((path.name, p["nodes"][:3], want, got))
    assert checked > 0
    assert wrong == []
