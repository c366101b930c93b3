"""The reader agrees with the `tflite` package (flatc-generated) on every corpus model."""
from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import Any

import pytest

from opcompat.model.graph import Model
from opcompat.model.reader import read_model

tflite = pytest.importorskip("tflite")


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def _vec(obj: Any, name: str) -> tuple[Any, ...] | None:
    """A vector field through the generated accessors; None when absent."""
    if getattr(obj, f"{name}IsNone")():
        return None
    return tuple(getattr(obj, name)(j) for j in range(getattr(obj, f"{name}Length")()))


def _raw_builtin_code(oc: Any) -> int:
    """OperatorCode.builtin_code as stored. The package's `BuiltinCode()` returns the deprecated
    field whenever the stored code is below 127, which is not what TFLite's `GetBuiltinCode`
    (schema_utils.cc: the max of the two) does for a file that sets only `builtin_code`."""
    import flatbuffers

    o = oc._tab.Offset(10)
    return oc._tab.Get(flatbuffers.number_types.Int32Flags, o + oc._tab.Pos) if o else 0


def _same_floats(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return len(a) == len(b) and all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True)
    )


def _check_options(op: Any, ref_op: Any, where: str) -> None:
    """Every decoded options field equals the generated accessor's value (schema defaults)."""
    if op.options_type is None:
        return
    try:
        module = importlib.import_module(f"tflite.{op.options_type}")
    except ImportError:
        return  # an options table newer than the tflite package
    cls = getattr(module, op.options_type)
    table = ref_op.BuiltinOptions() if ref_op.BuiltinOptionsType() else ref_op.BuiltinOptions2()
    assert table is not None, where
    ref = cls()
    ref.Init(table.Bytes, table.Pos)
    for field, value in op.options.items():
        accessor = _camel(field)
        if isinstance(value, tuple):
            if not hasattr(ref, f"{accessor}Length"):
                continue
            expected = tuple(getattr(ref, accessor)(j) for j in range(
                getattr(ref, f"{accessor}Length")()))
        elif isinstance(value, str):
            if not hasattr(ref, accessor):
                continue
            raw = getattr(ref, accessor)()
            expected = raw.decode("utf-8", "replace") if raw is not None else ""
        else:
            if not hasattr(ref, accessor):
                continue
            expected = getattr(ref, accessor)()
        if isinstance(value, float):
            assert value == pytest.approx(expected, nan_ok=True), (where, field)
        else:
            assert value == expected, (where, field, value, expected)


def _compare(model: Model, data: bytes) -> None:
    ref = tflite.Model.GetRootAsModel(data, 0)
    assert model.version == ref.Version()
    assert model.description == (ref.Description() or b"").decode("utf-8", "replace")
    assert len(model.subgraphs) == ref.SubgraphsLength()
    assert len(model.buffers) == ref.BuffersLength()
    for i, buf in enumerate(model.buffers):
        rb = ref.Buffers(i)
        assert buf.data_size == rb.DataLength()
        assert buf.offset == rb.Offset() and buf.size == rb.Size()
        assert buf.has_data == (not rb.DataIsNone())
    assert model.metadata_names == tuple(
        (ref.Metadata(i).Name() or b"").decode("utf-8", "replace")
        for i in range(ref.MetadataLength())
    )
    assert len(model.signature_defs) == ref.SignatureDefsLength()
    for sig, i in zip(model.signature_defs, range(ref.SignatureDefsLength()), strict=True):
        rs = ref.SignatureDefs(i)
        assert sig.key == (rs.SignatureKey() or b"").decode()
        assert sig.subgraph_index == rs.SubgraphIndex()
        assert dict(sig.inputs) == {
            rs.Inputs(j).Name().decode(): rs.Inputs(j).TensorIndex()
            for j in range(rs.InputsLength())
        }
        assert dict(sig.outputs) == {
            rs.Outputs(j).Name().decode(): rs.Outputs(j).TensorIndex()
            for j in range(rs.OutputsLength())
        }
    for sg, s in zip(model.subgraphs, range(ref.SubgraphsLength()), strict=True):
        rsg = ref.Subgraphs(s)
        assert sg.name == (rsg.Name() or b"").decode("utf-8", "replace")
        assert sg.inputs == (_vec(rsg, "Inputs") or ())
        assert sg.outputs == (_vec(rsg, "Outputs") or ())
        assert len(sg.tensors) == rsg.TensorsLength()
        for t in sg.tensors:
            rt = rsg.Tensors(t.index)
            where = f"subgraph {s} tensor {t.index}"
            assert int(t.dtype) == rt.Type(), where
            assert t.shape == (_vec(rt, "Shape") or ()), where
            assert t.shape_signature == _vec(rt, "ShapeSignature"), where
            assert t.buffer == rt.Buffer(), where
            assert t.name == (rt.Name() or b"").decode("utf-8", "replace"), where
            assert t.is_variable == rt.IsVariable(), where
            assert t.has_rank == (rt.HasRank() or rt.ShapeLength() > 0), where
            assert t.is_sparse == (rt.Sparsity() is not None), where
            rb = ref.Buffers(t.buffer)
            assert t.is_constant == (t.buffer > 0 and (not rb.DataIsNone() or rb.Offset() > 1))
            rq = rt.Quantization()
            if t.quantization is None:
                assert rq is None or not (
                    rq.ScaleLength() or rq.ZeroPointLength() or rq.MinLength()
                    or rq.MaxLength() or rq.DetailsType()
                ), where
            else:
                q = t.quantization
                assert _same_floats(q.scale, _vec(rq, "Scale") or ()), where
                assert q.zero_point == (_vec(rq, "ZeroPoint") or ()), where
                assert _same_floats(q.min, _vec(rq, "Min") or ()), where
                assert _same_floats(q.max, _vec(rq, "Max") or ()), where
                assert q.quantized_dimension == rq.QuantizedDimension(), where
                assert q.details_type == rq.DetailsType(), where
        assert len(sg.operators) == rsg.OperatorsLength()
        for op in sg.operators:
            ro = rsg.Operators(op.index)
            where = f"subgraph {s} operator {op.index}"
            oc = ref.OperatorCodes(ro.OpcodeIndex())
            code = max(_raw_builtin_code(oc), oc.DeprecatedBuiltinCode())
            assert op.opcode_index == ro.OpcodeIndex(), where
            assert op.builtin_code == code, where
            assert op.version == oc.Version(), where
            custom = oc.CustomCode()
            assert op.custom_code == (None if custom is None else custom.decode()), where
            assert op.inputs == (_vec(ro, "Inputs") or ()), where
            assert op.outputs == (_vec(ro, "Outputs") or ()), where
            assert op.intermediates == (_vec(ro, "Intermediates") or ()), where
            assert op.custom_options_size == ro.CustomOptionsLength(), where
            _check_options(op, ro, where)


@pytest.mark.slow
def test_reader_matches_tflite_package_on_corpus(corpus: list[Path]) -> None:
    failures = []
    for path in corpus:
        data = path.read_bytes()
        try:
            _compare(read_model(path), data)
        except AssertionError as exc:
            failures.append(f"{path.name}: {exc}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.slow
def test_op_names_match_tflite_enum(corpus: list[Path]) -> None:
    """Resolved op names equal the generated BuiltinOperator names, or UNKNOWN_<code>."""
    enum = importlib.import_module("tflite.BuiltinOperator").BuiltinOperator
    names = {v: k for k, v in vars(enum).items() if not k.startswith("_")}
    seen = set()
    for path in corpus:
        for sg in read_model(path).subgraphs:
            for op in sg.operators:
                seen.add((op.builtin_code, op.op))
    for code, name in seen:
        if code in names:
            assert name == names[code]
        else:
            assert name.startswith("UNKNOWN_") or name.startswith("STABLEHLO")
