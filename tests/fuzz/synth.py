"""Build small or huge synthetic .tflite models with the flatbuffers Builder.

Used for seeds when the corpus is absent, for the hypothesis strategies (structurally valid
flatbuffers whose *content* is hostile: indices out of range, subgraphs that call themselves),
and for the scale tests (a chain of 50k operators).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

import flatbuffers

from opcompat.model import schema

_SLOT = schema.SLOTS


@dataclass(frozen=True)
class TensorSpec:
    shape: tuple[int, ...] = (1, 4)
    dtype: int = 0
    buffer: int = 0
    name: str = ""
    scale: tuple[float, ...] = ()
    zero_point: tuple[int, ...] = ()
    shape_signature: tuple[int, ...] | None = None


@dataclass(frozen=True)
class OpSpec:
    opcode_index: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options_type: int = 0
    """BuiltinOptions union type (0: none)."""
    options: tuple[tuple[int, str, int | float], ...] = ()
    """(slot, struct code, value) scalar fields of the options table."""


@dataclass(frozen=True)
class SubgraphSpec:
    tensors: tuple[TensorSpec, ...]
    operators: tuple[OpSpec, ...]
    inputs: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class ModelSpec:
    subgraphs: tuple[SubgraphSpec, ...]
    operator_codes: tuple[tuple[int, int, str | None], ...] = ((0, 1, None),)
    """(builtin code, version, custom code)."""
    buffers: tuple[bytes, ...] = (b"",)
    description: str = "synthetic"
    version: int = 3
    extra: dict[str, object] = field(default_factory=dict)


def _ints(b: flatbuffers.Builder, values: Sequence[int], code: str = "i") -> int:
    size = struct.calcsize(code)
    b.StartVector(size, len(values), size)
    prepend = {"i": b.PrependInt32, "q": b.PrependInt64, "B": b.PrependUint8}[code]
    for v in reversed(values):
        prepend(v)
    return b.EndVector()


def _floats(b: flatbuffers.Builder, values: Sequence[float]) -> int:
    b.StartVector(4, len(values), 4)
    for v in reversed(values):
        b.PrependFloat32(v)
    return b.EndVector()


def _tables(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for o in reversed(offsets):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


_PREPEND_SLOT = {
    "b": "PrependInt8Slot",
    "B": "PrependUint8Slot",
    "?": "PrependBoolSlot",
    "h": "PrependInt16Slot",
    "i": "PrependInt32Slot",
    "I": "PrependUint32Slot",
    "q": "PrependInt64Slot",
    "f": "PrependFloat32Slot",
}


def _tensor(b: flatbuffers.Builder, t: TensorSpec) -> int:
    name = b.CreateString(t.name)
    shape = _ints(b, t.shape)
    sig = _ints(b, t.shape_signature) if t.shape_signature is not None else 0
    quant = 0
    if t.scale or t.zero_point:
        sc = _floats(b, t.scale)
        zp = _ints(b, t.zero_point, "q")
        b.StartObject(7)
        b.PrependUOffsetTRelativeSlot(_SLOT["QuantizationParameters"]["scale"], sc, 0)
        b.PrependUOffsetTRelativeSlot(_SLOT["QuantizationParameters"]["zero_point"], zp, 0)
        quant = b.EndObject()
    s = _SLOT["Tensor"]
    b.StartObject(11)
    b.PrependUOffsetTRelativeSlot(s["shape"], shape, 0)
    b.PrependInt8Slot(s["type"], t.dtype, 0)
    b.PrependUint32Slot(s["buffer"], t.buffer, 0)
    b.PrependUOffsetTRelativeSlot(s["name"], name, 0)
    if quant:
        b.PrependUOffsetTRelativeSlot(s["quantization"], quant, 0)
    if sig:
        b.PrependUOffsetTRelativeSlot(s["shape_signature"], sig, 0)
    return b.EndObject()


def _operator(
    b: flatbuffers.Builder, op: OpSpec, options_cache: dict[tuple[object, ...], int]
) -> int:
    ins = _ints(b, op.inputs)
    outs = _ints(b, op.outputs)
    opts = 0
    if op.options_type:
        key = (op.options_type, op.options)
        opts = options_cache.get(key, 0)
        if not opts:
            b.StartObject(max([slot for slot, _, _ in op.options], default=-1) + 1)
            for slot, code, value in op.options:
                getattr(b, _PREPEND_SLOT[code])(slot, value, 0 if code != "f" else 0.0)
                # Force the value even when it equals the default: a fuzz input may need it.
            opts = b.EndObject()
            options_cache[key] = opts
    s = _SLOT["Operator"]
    b.StartObject(14)
    b.PrependUint32Slot(s["opcode_index"], op.opcode_index, 0xFFFFFFFF)
    b.PrependUOffsetTRelativeSlot(s["inputs"], ins, 0)
    b.PrependUOffsetTRelativeSlot(s["outputs"], outs, 0)
    if op.options_type:
        b.PrependUint8Slot(s["builtin_options_type"], op.options_type, 0)
        b.PrependUOffsetTRelativeSlot(s["builtin_options"], opts, 0)
    return b.EndObject()


def build(spec: ModelSpec) -> bytes:
    """The .tflite bytes of `spec`."""
    b = flatbuffers.Builder(1024)
    b.ForceDefaults(True)
    buffers = []
    for data in spec.buffers:
        d = _ints(b, list(data), "B") if data else 0
        b.StartObject(3)
        if d:
            b.PrependUOffsetTRelativeSlot(_SLOT["Buffer"]["data"], d, 0)
        buffers.append(b.EndObject())
    codes = []
    for code, version, custom in spec.operator_codes:
        cc = b.CreateString(custom) if custom is not None else 0
        s = _SLOT["OperatorCode"]
        b.StartObject(4)
        b.PrependInt8Slot(s["deprecated_builtin_code"], min(code, 127), 0)
        if cc:
            b.PrependUOffsetTRelativeSlot(s["custom_code"], cc, 0)
        b.PrependInt32Slot(s["version"], version, 1)
        b.PrependInt32Slot(s["builtin_code"], code, 0)
        codes.append(b.EndObject())
    subgraphs = []
    for sg in spec.subgraphs:
        cache: dict[tuple[object, ...], int] = {}
        tensors = [_tensor(b, t) for t in sg.tensors]
        ops = [_operator(b, op, cache) for op in sg.operators]
        tv, ov = _tables(b, tensors), _tables(b, ops)
        iv, outv = _ints(b, sg.inputs), _ints(b, sg.outputs)
        name = b.CreateString(sg.name)
        s = _SLOT["SubGraph"]
        b.StartObject(6)
        b.PrependUOffsetTRelativeSlot(s["tensors"], tv, 0)
        b.PrependUOffsetTRelativeSlot(s["inputs"], iv, 0)
        b.PrependUOffsetTRelativeSlot(s["outputs"], outv, 0)
        b.PrependUOffsetTRelativeSlot(s["operators"], ov, 0)
        b.PrependUOffsetTRelativeSlot(s["name"], name, 0)
        subgraphs.append(b.EndObject())
    cv, sv, bv = _tables(b, codes), _tables(b, subgraphs), _tables(b, buffers)
    desc = b.CreateString(spec.description)
    s = _SLOT["Model"]
    b.StartObject(8)
    b.PrependUint32Slot(s["version"], spec.version, 0)
    b.PrependUOffsetTRelativeSlot(s["operator_codes"], cv, 0)
    b.PrependUOffsetTRelativeSlot(s["subgraphs"], sv, 0)
    b.PrependUOffsetTRelativeSlot(s["description"], desc, 0)
    b.PrependUOffsetTRelativeSlot(s["buffers"], bv, 0)
    b.Finish(b.EndObject(), file_identifier=schema.FILE_IDENTIFIER)
    return bytes(b.Output())


ADD = schema.BUILTIN_OPERATOR_CODES["ADD"]
ADD_OPTIONS = schema.BUILTIN_OPTIONS.index("AddOptions")


def chain(n_ops: int, shape: tuple[int, ...] = (1, 8, 8, 4)) -> bytes:
    """A float32 model of `n_ops` ADDs in a chain: t[i+1] = t[i] + t[i]."""
    tensors = tuple(TensorSpec(shape, 0, 0, f"t{i}") for i in range(n_ops + 1))
    ops = tuple(OpSpec(0, (i, i), (i + 1,), ADD_OPTIONS, ((0, "b", 0),)) for i in range(n_ops))
    sg = SubgraphSpec(tensors, ops, (0,), (n_ops,), "main")
    return build(ModelSpec((sg,), ((ADD, 1, None),)))
