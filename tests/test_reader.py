"""The reader on fixtures made with tests/builders.py: what it exposes and its error messages."""
from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

import pytest
from builders import ModelBuilder, Quant, simple_model

from opcompat.errors import ModelReadError
from opcompat.model import read_model as read_model_lazy
from opcompat.model import reader
from opcompat.model.graph import Model, TensorType
from opcompat.model.reader import buffer_data, read_model


def _one_op_model(op: str | int, **kwargs: object) -> Model:
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    a = sg.tensor([1, 4], "FLOAT32", name="a")
    out = sg.tensor([1, 4], "FLOAT32", name="out")
    sg.op(op, [a], [out], **kwargs)  # type: ignore[arg-type]
    sg.inputs, sg.outputs = [a], [out]
    return read_model(mb.build())


# --- model-level fields ---------------------------------------------------------------------


def test_model_fields() -> None:
    mb = ModelBuilder(description="hello ✓", version=3)
    sg = mb.subgraph("serving")
    x = sg.tensor([1, 2], "FLOAT32", name="x")
    y = sg.tensor([1, 2], "FLOAT32", name="y")
    sg.op("RELU", [x], [y])
    sg.inputs, sg.outputs = [x], [y]
    mb.add_metadata("min_runtime_version", b"1.14.0\0")
    mb.add_metadata("TFLITE_METADATA", b"x")
    mb.signature("serving_default", 0, {"in": x}, {"out": y})
    data = mb.build()
    m = read_model(data)
    assert m.version == 3
    assert m.description == "hello ✓"
    assert m.metadata_names == ("min_runtime_version", "TFLITE_METADATA")
    assert m.size == len(data)
    (sig,) = m.signature_defs
    assert (sig.key, sig.subgraph_index, dict(sig.inputs), dict(sig.outputs)) == (
        "serving_default", 0, {"in": 0}, {"out": 1})
    (g,) = m.subgraphs
    assert (g.index, g.name, g.inputs, g.outputs) == (0, "serving", (0,), (1,))
    op = g.operators[0]
    assert (op.op, op.builtin_code, op.version, op.custom_code) == ("RELU", 19, 1, None)
    assert op.options_type is None and dict(op.options) == {}


def test_read_from_path_bytes_bytearray_memoryview(tmp_path: Path) -> None:
    data = simple_model("ADD")
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    models = [read_model(path), read_model(str(path)), read_model(data),
              read_model(bytearray(data)), read_model(memoryview(data)), read_model_lazy(path)]
    first = models[0]
    for m in models[1:]:
        assert m == first


def test_path_is_memory_mapped_and_weights_not_copied(tmp_path: Path) -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    w = sg.tensor([64], "FLOAT32", data=bytes(range(256)))
    out = sg.tensor([64], "FLOAT32")
    sg.op("RELU", [w], [out])
    sg.outputs = [out]
    path = mb.write(tmp_path / "m.tflite")
    m = read_model(path)
    assert isinstance(m._data.obj, mmap.mmap)
    view = m.buffer_data(m.subgraphs[0].tensors[w])
    assert view is not None and view.obj is m._data.obj  # a view into the mapping, no copy
    assert bytes(view) == bytes(range(256))
    assert m.buffer_data(m.subgraphs[0].tensors[out]) is None


def test_wrong_argument_type_is_type_error() -> None:
    with pytest.raises(TypeError):
        read_model(42)  # type: ignore[arg-type]


# --- operators ------------------------------------------------------------------------------


def test_op_code_above_127_uses_builtin_code() -> None:
    op = _one_op_model("CUMSUM").subgraphs[0].operators[0]  # 128: deprecated field holds 127
    assert (op.builtin_code, op.op) == (128, "CUMSUM")
    op = _one_op_model("STABLEHLO_CASE").subgraphs[0].operators[0]
    assert (op.builtin_code, op.op) == (209, "STABLEHLO_CASE")


def test_legacy_opcode_with_only_deprecated_field() -> None:
    mb = ModelBuilder(legacy_opcodes=True)
    sg = mb.subgraph()
    a, out = sg.tensor([1]), sg.tensor([1])
    sg.op("CONV_2D", [a], [out], version=2)
    op = read_model(mb.build()).subgraphs[0].operators[0]
    assert (op.builtin_code, op.op, op.version) == (3, "CONV_2D", 2)


def test_unknown_op_code_is_named_not_an_error() -> None:
    op = _one_op_model(5000).subgraphs[0].operators[0]
    assert (op.builtin_code, op.op) == (5000, "UNKNOWN_5000")


def test_custom_op() -> None:
    op = _one_op_model("CUSTOM", custom_code="TFLite_Detection_PostProcess",
                       custom_options=b"\x01\x02\x03").subgraphs[0].operators[0]
    assert op.op == "CUSTOM" and op.builtin_code == 32
    assert op.custom_code == "TFLite_Detection_PostProcess"
    assert op.display_name == "CUSTOM:TFLite_Detection_PostProcess"
    assert op.custom_options_size == 3


def test_version_defaults_to_1_and_is_kept() -> None:
    assert _one_op_model("ADD", version=4).subgraphs[0].operators[0].version == 4
    assert _one_op_model("ADD").subgraphs[0].operators[0].version == 1


def test_optional_inputs_and_intermediates() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    ts = [sg.tensor([1, 4]) for _ in range(4)]
    sg.op("FULLY_CONNECTED", [ts[0], ts[1], -1], [ts[2]], intermediates=[ts[3]])
    op = read_model(mb.build()).subgraphs[0].operators[0]
    assert op.inputs == (0, 1, -1) and op.outputs == (2,) and op.intermediates == (3,)


def test_subgraphs_with_while_and_if() -> None:
    mb = ModelBuilder()
    main, cond, body, then_, else_ = (mb.subgraph(n) for n in
                                      ("main", "cond", "body", "then", "else"))
    x, c, y = main.tensor([1]), main.tensor([], "BOOL"), main.tensor([1])
    main.op("WHILE", [x], [y], options={"cond_subgraph_index": 1, "body_subgraph_index": 2})
    main.op("IF", [c, y], [x], options={"then_subgraph_index": 3, "else_subgraph_index": 4})
    for g in (cond, body, then_, else_):
        i, o = g.tensor([1]), g.tensor([1])
        g.op("RELU", [i], [o])
        g.inputs, g.outputs = [i], [o]
    m = read_model(mb.build())
    assert [g.name for g in m.subgraphs] == ["main", "cond", "body", "then", "else"]
    w, i = m.subgraphs[0].operators
    assert (w.op, w.options_type, dict(w.options)) == (
        "WHILE", "WhileOptions", {"cond_subgraph_index": 1, "body_subgraph_index": 2})
    assert (i.op, i.options_type, dict(i.options)) == (
        "IF", "IfOptions", {"then_subgraph_index": 3, "else_subgraph_index": 4})
    assert all(len(g.operators) == 1 for g in m.subgraphs[1:])


def test_empty_subgraph_list() -> None:
    m = read_model(ModelBuilder().build())
    assert m.subgraphs == ()
    assert len(m.buffers) == 1


# --- builtin options ------------------------------------------------------------------------


def test_options_defaults_filled_in() -> None:
    op = _one_op_model("CONV_2D", options={"padding": 1, "stride_w": 2, "stride_h": 2}
                       ).subgraphs[0].operators[0]
    assert op.options_type == "Conv2DOptions"
    assert dict(op.options) == {
        "padding": 1, "stride_w": 2, "stride_h": 2, "fused_activation_function": 0,
        "dilation_w_factor": 1, "dilation_h_factor": 1, "quantized_bias_type": 0,
    }
    add = _one_op_model("ADD", options={}).subgraphs[0].operators[0]
    assert dict(add.options) == {"fused_activation_function": 0, "pot_scale_int16": True}


@pytest.mark.parametrize(("op", "options", "expected"), [
    ("SOFTMAX", {"beta": 0.5}, {"beta": 0.5}),
    ("RESHAPE", {"new_shape": [1, -1, 4]}, {"new_shape": (1, -1, 4)}),
    ("SQUEEZE", {"squeeze_dims": [0, 2]}, {"squeeze_dims": (0, 2)}),
    ("FULLY_CONNECTED", {"keep_num_dims": True, "weights_format": 1},
     {"fused_activation_function": 0, "weights_format": 1, "keep_num_dims": True,
      "asymmetric_quantize_inputs": False, "quantized_bias_type": 0}),
    ("LEAKY_RELU", {"alpha": 0.25}, {"alpha": 0.25}),
    ("GELU", {"approximate": True}, {"approximate": True}),
    ("MIRROR_PAD", {"mode": 1}, {"mode": 1}),
    ("CAST", {"in_data_type": 9, "out_data_type": 0}, {"in_data_type": 9, "out_data_type": 0}),
    ("ARG_MAX", {"output_type": 4}, {"output_type": 4}),
    ("TOPK_V2", {}, {}),
    ("QUANTIZE", {}, {}),
    ("LSTM", {"cell_clip": 10.0, "kernel_type": 1},
     {"fused_activation_function": 0, "cell_clip": 10.0, "proj_clip": 0.0, "kernel_type": 1,
      "asymmetric_quantize_inputs": False}),
    ("BATCH_MATMUL", {"adj_x": True}, {"adj_x": True, "adj_y": False,
                                       "asymmetric_quantize_inputs": False}),
    ("STABLEHLO_COMPOSITE", {"name": "odml.rms_norm", "decomposition_subgraph_index": 1},
     {"name": "odml.rms_norm", "decomposition_subgraph_index": 1,
      "composite_attributes_format": 0, "version": 0}),
])
def test_options_decoded(op: str, options: dict, expected: dict) -> None:
    got = _one_op_model(op, options=options).subgraphs[0].operators[0]
    assert dict(got.options) == expected


def test_options_type_from_builtin_options_2() -> None:
    got = _one_op_model("STABLEHLO_COMPOSITE", options={}).subgraphs[0].operators[0]
    assert got.options_type == "StableHLOCompositeOptions"


def test_options_type_without_table_counts_as_absent() -> None:
    """A union type with no table is `builtin_options_as_<T>() == nullptr` in TFLite."""
    data = bytearray(_build_with_marker_options())
    m = read_model(bytes(data))
    assert m.subgraphs[0].operators[0].options_type == "SoftmaxOptions"
    # Clear the options offset's vtable entry: the type stays, the table goes.
    from opcompat.model import reader

    r = reader._Reader(memoryview(bytes(data)), None)
    root = struct.unpack_from("<I", data, 0)[0]
    f = r.table(root)
    sg = r.tables(root, f[reader._M["subgraphs"]])[0]
    op = r.tables(sg, r.table(sg)[reader._SG["operators"]])[0]
    vt = op - struct.unpack_from("<i", data, op)[0]
    struct.pack_into("<H", data, vt + 4 + 2 * reader._OP["builtin_options"], 0)
    got = read_model(bytes(data)).subgraphs[0].operators[0]
    assert got.options_type is None and dict(got.options) == {}


def _build_with_marker_options() -> bytes:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a, b = sg.tensor([1, 4]), sg.tensor([1, 4])
    sg.op("SOFTMAX", [a], [b], options={"beta": 2.0})
    return mb.build()


# --- tensors --------------------------------------------------------------------------------


def test_tensor_fields() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    t = sg.tensor([1, 3], "INT8", name="x", shape_signature=[-1, 3], is_variable=True,
                  has_rank=True)
    u = sg.tensor([], "FLOAT32", has_rank=None)
    v = sg.tensor(None, 99)
    legacy = sg.tensor([2, 2], has_rank=None)
    m = read_model(mb.build())
    x, scalar, odd, old = m.subgraphs[0].tensors
    assert old.has_rank and old.index == legacy  # a shape means a known rank
    assert (x.index, x.name, x.dtype, x.shape, x.shape_signature) == (
        t, "x", TensorType.INT8, (1, 3), (-1, 3))
    assert x.is_variable and x.has_rank and x.is_dynamic_shape and not x.is_constant
    assert scalar.shape == () and scalar.shape_signature is None and not scalar.has_rank
    assert scalar.index == u
    assert odd.dtype == 99 and odd.shape == () and odd.index == v


def test_per_channel_quantization() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([3, 1, 1, 2], "INT8", data=bytes(6),
              quant=Quant(scale=[0.5, 0.25, 0.125], zero_point=[0, 0, 0], quantized_dimension=0,
                          min=[-1.0], max=[1.0]))
    sg.tensor([1], "UINT8", quant=Quant(scale=[0.5], zero_point=[128]))
    sg.tensor([1], "FLOAT32", quant=Quant())
    sg.tensor([4], "INT4", quant=Quant(scale=[1.0], zero_point=[0], details_type=2))
    w, a, f, blk = read_model(mb.build()).subgraphs[0].tensors
    assert w.quantization is not None
    assert w.quantization.scale == (0.5, 0.25, 0.125)
    assert w.quantization.zero_point == (0, 0, 0)
    assert (w.quantization.min, w.quantization.max) == ((-1.0,), (1.0,))
    assert w.quantization.is_per_channel and w.quantization.legacy_scale == 0.0
    assert a.quantization is not None and a.quantization.legacy_zero_point == 128
    assert f.quantization is None  # an empty table is no quantization
    assert blk.quantization is not None and blk.quantization.details_type == 2


def test_sparse_tensor() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([4, 4], "FLOAT32", data=bytes(4), sparse=True)
    sg.tensor([4, 4], "FLOAT32", data=bytes(64))
    sparse, dense = read_model(mb.build()).subgraphs[0].tensors
    assert sparse.is_sparse and sparse.is_constant
    assert not dense.is_sparse


def test_string_tensor_and_buffer_data() -> None:
    # A TFLite string buffer: count, offsets, then the bytes.
    payload = struct.pack("<iii", 1, 12, 15) + b"abc"
    mb = ModelBuilder()
    sg = mb.subgraph()
    s = sg.tensor([1], "STRING", data=payload)
    m = read_model(mb.build())
    t = m.subgraphs[0].tensors[s]
    assert t.dtype == TensorType.STRING and t.is_constant
    data = buffer_data(m, t)
    assert data is not None and bytes(data) == payload


def test_constant_means_buffer_with_data() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1], data=bytes(4))
    sg.tensor([1], buffer=mb.buffer(None))  # a buffer without data: not constant
    sg.tensor([0], buffer=mb.buffer(b""))  # an empty data vector: TFLite still maps it
    sg.tensor([1])
    m = read_model(mb.build())
    assert [t.is_constant for t in m.subgraphs[0].tensors] == [True, False, True, False]


def test_external_buffer(tmp_path: Path) -> None:
    payload = bytes(range(32))
    mb = ModelBuilder()
    sg = mb.subgraph()
    w = sg.tensor([8], "FLOAT32", external=payload)
    out = sg.tensor([8], "FLOAT32")
    sg.op("RELU", [w], [out])
    path = mb.write(tmp_path / "ext.tflite")
    m = read_model(path)
    t = m.subgraphs[0].tensors[w]
    buf = m.buffers[t.buffer]
    assert buf.is_external and buf.size == 32 and buf.data_size == 0 and not buf.has_data
    assert t.is_constant
    view = m.buffer_data(t)
    assert view is not None and bytes(view) == payload


def test_external_buffer_outside_file() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([8], "FLOAT32", external=bytes(32))
    data = mb.build()
    with pytest.raises(ModelReadError, match="outside the file"):
        read_model(data[:-16])


# --- structural errors ----------------------------------------------------------------------


def test_tensor_index_out_of_range() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a = sg.tensor([1])
    sg.op("RELU", [a], [7])
    with pytest.raises(ModelReadError, match=r"subgraph 0: operator 0: RELU: tensor index 7"):
        read_model(mb.build())


def test_subgraph_output_out_of_range() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1])
    sg.outputs = [3]
    with pytest.raises(ModelReadError, match="output tensor index 3 out of range"):
        read_model(mb.build())


def test_buffer_index_out_of_range() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    sg.tensor([1], buffer=9)
    with pytest.raises(ModelReadError, match="tensor 0: buffer index 9 out of range"):
        read_model(mb.build())


def test_opcode_index_out_of_range() -> None:
    mb = ModelBuilder()
    sg = mb.subgraph()
    a = sg.tensor([1])
    sg.op("RELU", [a], [a])
    mb.opcodes.clear()
    mb.opcodes.append((0, 1, None))
    sg.ops[0].opcode = 4
    with pytest.raises(ModelReadError, match="operator code index 4 out of range"):
        read_model(mb.build())


# --- files that are not models --------------------------------------------------------------


def _err(source: object) -> str:
    with pytest.raises(ModelReadError) as info:
        read_model(source)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert _err(tmp_path / "nope.tflite").endswith("nope.tflite: no such file")


def test_directory(tmp_path: Path) -> None:
    assert "is a directory" in _err(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "e.tflite"
    p.write_bytes(b"")
    assert "is empty" in _err(p)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opcompat.model import reader

    p = tmp_path / "locked.tflite"
    p.write_bytes(simple_model())

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # chmod does not stop root, so refuse the open itself.
    monkeypatch.setattr(reader, "open", denied, raising=False)
    assert _err(p) == f"{p}: permission denied"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.tflite"
    os.mkfifo(fifo)
    assert "is not a regular file" in _err(fifo)


def test_git_lfs_pointer(tmp_path: Path) -> None:
    p = tmp_path / "lfs.tflite"
    p.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n")
    assert _err(p) == f"{p}: is a Git LFS pointer, not a model; run `git lfs pull`"
    # Written by an editor that adds a byte-order mark, or with a blank line first.
    for prefix in (b"\xef\xbb\xbf", b"\r\n"):
        p.write_bytes(prefix + b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n")
        assert _err(p).endswith("is a Git LFS pointer, not a model; run `git lfs pull`")


def test_gzip_file(tmp_path: Path) -> None:
    import gzip

    p = tmp_path / "model.tflite"
    p.write_bytes(gzip.compress(simple_model()))
    assert _err(p) == f"{p}: is gzip-compressed, not a .tflite model (decompress it first)"


def test_zip_and_text_files() -> None:
    assert "ZIP archive" in _err(b"PK\x03\x04" + bytes(60))
    assert "file identifier" in _err(b"<html><body>not found</body></html>")
    assert "too small" in _err(b"\x08\x00")


def test_other_file_identifier_is_refused() -> None:
    data = bytearray(simple_model())
    data[4:8] = b"BFBS"
    assert _err(bytes(data)) == ("is not a .tflite model (file identifier 'BFBS', expected 'TFL3')"
                                 " (at byte offset 4)")


def test_missing_file_identifier_is_accepted() -> None:
    data = ModelBuilder(file_identifier=False).build()
    assert data[4:8] != b"TFL3"
    assert read_model(data).subgraphs == ()


def test_error_carries_offset() -> None:
    data = bytearray(simple_model())
    struct.pack_into("<I", data, 0, len(data) + 100)
    with pytest.raises(ModelReadError) as info:
        read_model(bytes(data))
    assert info.value.offset == 0
    assert "root table offset" in str(info.value)


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_of_random_graphs() -> None:
    """Whatever tests/builders.py writes, the reader gives back (seeded random graphs)."""
    import random

    from opcompat.model import schema

    rnd = random.Random(1234)
    codes = [c for c in schema.BUILTIN_OPERATORS if c != 32]
    for _ in range(60):
        mb = ModelBuilder()
        expected = []
        for s in range(rnd.randint(1, 3)):
            sg = mb.subgraph(f"sg{s}")
            tensors = []
            for _ in range(rnd.randint(1, 12)):
                shape = [rnd.randint(-1, 9) for _ in range(rnd.randint(0, 5))]
                dtype = rnd.randint(0, 22)
                data = bytes(rnd.randint(0, 40)) if rnd.random() < 0.3 else None
                quant = None
                if rnd.random() < 0.4:
                    n = rnd.randint(1, 4)
                    quant = Quant(scale=[rnd.random() for _ in range(n)],
                                  zero_point=[rnd.randint(-128, 127) for _ in range(n)],
                                  quantized_dimension=rnd.randint(0, 3))
                idx = sg.tensor(shape, dtype, data=data, quant=quant)
                tensors.append((idx, tuple(shape), dtype, data is not None, quant))
            ops = []
            nt = len(tensors)
            for _ in range(rnd.randint(0, 10)):
                code = rnd.choice(codes)
                ins = [rnd.randint(-1, nt - 1) for _ in range(rnd.randint(0, 4))]
                outs = [rnd.randint(0, nt - 1) for _ in range(rnd.randint(1, 2))]
                version = rnd.randint(1, 7)
                sg.op(code, ins, outs, version=version)
                ops.append((code, tuple(ins), tuple(outs), version))
            expected.append((tensors, ops))
        m = read_model(mb.build())
        assert len(m.subgraphs) == len(expected)
        for g, (tensors, ops) in zip(m.subgraphs, expected, strict=True):
            for t, (idx, shape, dtype, const, quant) in zip(g.tensors, tensors, strict=True):
                assert (t.index, t.shape, int(t.dtype), t.is_constant) == (idx, shape, dtype,
                                                                           const)
                if quant is None:
                    assert t.quantization is None
                else:
                    assert t.quantization is not None
                    assert t.quantization.zero_point == tuple(quant.zero_point)
                    assert t.quantization.scale == pytest.approx(quant.scale, rel=1e-6)
                    assert t.quantization.quantized_dimension == quant.quantized_dimension
            got = [(o.builtin_code, o.inputs, o.outputs, o.version) for o in g.operators]
            assert got == ops
            assert all(o.op == schema.BUILTIN_OPERATORS[o.builtin_code] for o in g.operators)


# --- long names: cut to MAX_NAME_CHARS as shown ------------------------------------------------

CUT = reader.TRUNCATED


def _named_model(name: str, tensor_name: str = "t") -> Model:
    """`name` as custom op code, subgraph, signature key, tensor map, metadata names and
    description; `tensor_name` for the tensor."""
    mb = ModelBuilder(description=name)
    sg = mb.subgraph(name)
    a = sg.tensor([1], name=tensor_name)
    sg.op("CUSTOM", [a], [a], custom_code=name)
    sg.inputs, sg.outputs = [a], [a]
    mb.add_metadata(name, b"x")
    mb.signature(name, 0, {name: a}, {name: a})
    return read_model(mb.build())


def _names(m: Model) -> list[str]:
    sig = m.signature_defs[0]
    return [m.description, m.subgraphs[0].name, str(m.subgraphs[0].operators[0].custom_code),
            m.metadata_names[0], sig.key, *sig.inputs, *sig.outputs]


def test_long_names_are_cut_to_their_start_and_marked() -> None:
    cap = reader.MAX_NAME_CHARS
    m = _named_model("A" * 10 + "B" * 100_000, tensor_name="n" * 100_000)
    expected = "A" * 10 + "B" * (cap - 10) + CUT
    assert _names(m) == [expected] * 7
    assert m.subgraphs[0].operators[0].display_name == "CUSTOM:" + expected
    assert m.subgraphs[0].tensors[0].name == "n" * reader.MAX_TENSOR_NAME_CHARS + CUT


def test_names_up_to_the_cap_are_kept_whole() -> None:
    cap = reader.MAX_NAME_CHARS
    for name in ("x" * cap, "é" * cap, "😀" * cap, "ab" * (cap // 2)):  # 1 to 4 bytes each
        assert _names(_named_model(name, tensor_name=name)) == [name] * 7
    t = "t;" * (reader.MAX_TENSOR_NAME_CHARS // 2)
    assert _named_model("n", tensor_name=t).subgraphs[0].tensors[0].name == t


def test_cut_never_splits_a_character() -> None:
    cap = reader.MAX_NAME_CHARS
    # Only the first 4 * (cap + 1) bytes are decoded: here they end inside a "€" (3 bytes).
    (name,) = set(_names(_named_model("a" + "€" * 10_000)))
    assert name == "a" + "€" * (cap - 1) + CUT
    (name,) = set(_names(_named_model("😀" * (cap + 1))))
    assert name == "😀" * cap + CUT


def test_escaped_names_are_cut_between_escapes() -> None:
    """The cap holds for the name as shown: a NUL shows as 4 characters, and an escape is
    never cut in two."""
    cap = reader.MAX_NAME_CHARS
    (name,) = set(_names(_named_model("\x00" * 10_000)))
    assert name == "\\x00" * (cap // 4) + CUT
    (name,) = set(_names(_named_model("ab\x1b" * cap)))
    assert name == "ab\\x1b" * (cap // 6) + "ab" + CUT  # 6 shown characters a repeat
    assert len(name) <= cap + len(CUT)
    short = "\r\n" * 10  # escaped (80 characters) but within the cap: not cut
    assert set(_names(_named_model(short))) == {"\\r\\n" * 10}


def test_the_cap_applies_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_NAME_CHARS", 5)
    monkeypatch.setattr(reader, "MAX_TENSOR_NAME_CHARS", 3)
    m = _named_model("abcdefgh", tensor_name="tensor")
    assert set(_names(m)) == {"abcde" + CUT}
    assert m.subgraphs[0].tensors[0].name == "ten" + CUT


def test_no_name_of_a_real_model_is_cut(corpus: list[Path]) -> None:
    """The caps are far above real names: the longest tensor names of the corpus (970
    characters) are the names of fused ops joined by ";", the others are under 50."""
    longest = {"name": 0, "tensor": 0}
    for path in corpus:
        m = read_model(path)
        names = [m.description, *m.metadata_names]
        for sig in m.signature_defs:
            names += [sig.key, *sig.inputs, *sig.outputs]
        for sg in m.subgraphs:
            names.append(sg.name)
            names += [op.custom_code or "" for op in sg.operators]
            longest["tensor"] = max([longest["tensor"], *(len(t.name) for t in sg.tensors)])
        longest["name"] = max(longest["name"], *map(len, names))
    assert longest["name"] <= reader.MAX_NAME_CHARS // 2, longest
    assert longest["tensor"] <= reader.MAX_TENSOR_NAME_CHARS // 2, longest
