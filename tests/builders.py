"""A small .tflite writer for test fixtures, on the `flatbuffers` package's Builder.

    mb = ModelBuilder()
    sg = mb.subgraph("main")
    x = sg.tensor([1, 8, 8, 3], "FLOAT32", name="x")
    w = sg.tensor([4, 3, 3, 3], "FLOAT32", data=bytes(4 * 108))   # a constant
    y = sg.tensor([1, 8, 8, 4], "FLOAT32", name="y")
    sg.op("CONV_2D", [x, w, -1], [y], options={"padding": 0, "stride_w": 1, "stride_h": 1},
          version=3)
    sg.inputs, sg.outputs = [x], [y]
    data = mb.build()                  # bytes; or mb.write(tmp_path / "m.tflite")

Op names and options tables come from `opcompat.model.schema`; the options table of an op is
looked up by name (`options_type=` to choose another, `options=None` for none). Field slots
follow schema.fbs, so files read the same with TFLite, the `tflite` package and opcompat.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flatbuffers

from opcompat.model import schema
from opcompat.model.graph import TensorType
from opcompat.model.reader import read_model

_S = schema.SLOTS

# Default options table per op, for the common ops (others: pass options_type=).
OPTIONS_FOR_OP: dict[str, str] = {
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "CONCATENATION": "ConcatenationOptions",
    "RESHAPE": "ReshapeOptions",
    "SOFTMAX": "SoftmaxOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "LOCAL_RESPONSE_NORMALIZATION": "LocalResponseNormalizationOptions",
    "LSTM": "LSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "BidirectionalSequenceLSTMOptions",
    "RNN": "RNNOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "BIDIRECTIONAL_SEQUENCE_RNN": "BidirectionalSequenceRNNOptions",
    "SVDF": "SVDFOptions",
    "RESIZE_BILINEAR": "ResizeBilinearOptions",
    "RESIZE_NEAREST_NEIGHBOR": "ResizeNearestNeighborOptions",
    "STRIDED_SLICE": "StridedSliceOptions",
    "SPLIT": "SplitOptions",
    "SPLIT_V": "SplitVOptions",
    "GATHER": "GatherOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "TRANSPOSE_CONV": "TransposeConvOptions",
    "PACK": "PackOptions",
    "UNPACK": "UnpackOptions",
    "MIRROR_PAD": "MirrorPadOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "SQUEEZE": "SqueezeOptions",
    "CAST": "CastOptions",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
    "LSH_PROJECTION": "LSHProjectionOptions",
    "SPACE_TO_DEPTH": "SpaceToDepthOptions",
    "DEPTH_TO_SPACE": "DepthToSpaceOptions",
    "TOPK_V2": "TopKV2Options",
    "SHAPE": "ShapeOptions",
    "FILL": "FillOptions",
    "BATCH_MATMUL": "BatchMatMulOptions",
    "GELU": "GeluOptions",
    "HARD_SWISH": "HardSwishOptions",
    "DEQUANTIZE": "DequantizeOptions",
    "QUANTIZE": "QuantizeOptions",
    "WHILE": "WhileOptions",
    "IF": "IfOptions",
    "CALL_ONCE": "CallOnceOptions",
    "PAD": "PadOptions",
    "PADV2": "PadV2Options",
    "TRANSPOSE": "TransposeOptions",
    "SLICE": "SliceOptions",
    "EXPAND_DIMS": "ExpandDimsOptions",
    "SELECT": "SelectOptions",
    "SELECT_V2": "SelectV2Options",
    "TILE": "TileOptions",
    "EQUAL": "EqualOptions",
    "NOT_EQUAL": "NotEqualOptions",
    "LESS": "LessOptions",
    "GREATER": "GreaterOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "POW": "PowOptions",
    "EXP": "ExpOptions",
    "LOG_SOFTMAX": "LogSoftmaxOptions",
    "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions",
    "CUMSUM": "CumsumOptions",
    "BROADCAST_TO": "BroadcastToOptions",
    "STABLEHLO_COMPOSITE": "StableHLOCompositeOptions",
}

_OPTIONS_INDEX = {name: i for i, name in enumerate(schema.BUILTIN_OPTIONS) if name}
_OPTIONS2_INDEX = {name: i for i, name in enumerate(schema.BUILTIN_OPTIONS_2) if name}

_PREPEND_SLOT = {
    "?": "PrependBoolSlot", "b": "PrependInt8Slot", "B": "PrependUint8Slot",
    "h": "PrependInt16Slot", "H": "PrependUint16Slot", "i": "PrependInt32Slot",
    "I": "PrependUint32Slot", "q": "PrependInt64Slot", "Q": "PrependUint64Slot",
    "f": "PrependFloat32Slot", "d": "PrependFloat64Slot",
}
_PREPEND = {
    "?": "PrependBool", "b": "PrependInt8", "B": "PrependUint8", "h": "PrependInt16",
    "H": "PrependUint16", "i": "PrependInt32", "I": "PrependUint32", "q": "PrependInt64",
    "Q": "PrependUint64", "f": "PrependFloat32", "d": "PrependFloat64",
}
_SIZE = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8, "f": 4, "d": 8}


def dtype_code(dtype: str | int) -> int:
    """A TensorType by name (`"INT8"`) or number."""
    return int(TensorType[dtype]) if isinstance(dtype, str) else int(dtype)


@dataclass
class Quant:
    """QuantizationParameters to write."""

    scale: Sequence[float] = ()
    zero_point: Sequence[int] = ()
    quantized_dimension: int = 0
    min: Sequence[float] = ()
    max: Sequence[float] = ()
    details_type: int = 0
    """1: CustomQuantization (written with `custom` bytes), 2: BlockwiseQuantization."""
    custom: bytes = b""


@dataclass
class TensorSpec:
    index: int
    shape: Sequence[int] | None
    dtype: int
    name: str
    buffer: int
    quant: Quant | None
    is_variable: bool
    shape_signature: Sequence[int] | None
    sparse: bool
    has_rank: bool | None


@dataclass
class OpSpec:
    opcode: int
    inputs: Sequence[int]
    outputs: Sequence[int]
    options_type: str | None
    options: dict[str, Any] | None
    intermediates: Sequence[int] | None
    custom_options: bytes | None


@dataclass
class BufferSpec:
    data: bytes | None = None
    external: bytes | None = None
    """Data to place after the flatbuffer, found through Buffer.offset/size."""


@dataclass
class SubgraphBuilder:
    model: ModelBuilder
    name: str = ""
    tensors: list[TensorSpec] = field(default_factory=list)
    ops: list[OpSpec] = field(default_factory=list)
    inputs: Sequence[int] = ()
    outputs: Sequence[int] = ()

    def tensor(
        self,
        shape: Sequence[int] | None,
        dtype: str | int = "FLOAT32",
        *,
        name: str | None = None,
        data: bytes | None = None,
        buffer: int | None = None,
        external: bytes | None = None,
        quant: Quant | None = None,
        is_variable: bool = False,
        shape_signature: Sequence[int] | None = None,
        sparse: bool = False,
        has_rank: bool | None = True,
    ) -> int:
        """Add a tensor; `data` (or `external`) makes it a constant with a new buffer."""
        if buffer is None:
            buffer = 0
            if data is not None or external is not None:
                buffer = self.model.buffer(data, external=external)
        index = len(self.tensors)
        self.tensors.append(TensorSpec(
            index, shape, dtype_code(dtype), f"t{index}" if name is None else name, buffer,
            quant, is_variable, shape_signature, sparse, has_rank,
        ))
        return index

    def op(
        self,
        op: str | int,
        inputs: Sequence[int],
        outputs: Sequence[int],
        *,
        options: dict[str, Any] | None = None,
        options_type: str | None = None,
        version: int = 1,
        custom_code: str | None = None,
        intermediates: Sequence[int] | None = None,
        custom_options: bytes | None = None,
    ) -> int:
        """Add an operator; returns its index. `op` is a schema name or a raw code."""
        code = schema.BUILTIN_OPERATOR_CODES[op] if isinstance(op, str) else int(op)
        if custom_code is not None and isinstance(op, str) and op != "CUSTOM":
            raise ValueError("custom_code needs op='CUSTOM'")
        opcode = self.model.opcode(code, version, custom_code)
        if options_type is None and isinstance(op, str) and options is not None:
            options_type = OPTIONS_FOR_OP.get(op)
            if options_type is None:
                raise ValueError(f"no default options table for {op}: pass options_type=")
        self.ops.append(OpSpec(opcode, list(inputs), list(outputs), options_type,
                               options if options is not None else ({} if options_type else None),
                               intermediates, custom_options))
        return len(self.ops) - 1


@dataclass
class ModelBuilder:
    """Collects subgraphs, op codes and buffers; `build()` writes the flatbuffer."""

    description: str = "opcompat test model"
    version: int = 3
    file_identifier: bool = True
    legacy_opcodes: bool = False
    """Write only `deprecated_builtin_code` for codes up to 127 (old converters)."""
    subgraphs: list[SubgraphBuilder] = field(default_factory=list)
    opcodes: list[tuple[int, int, str | None]] = field(default_factory=list)
    buffers: list[BufferSpec] = field(default_factory=lambda: [BufferSpec()])
    metadata: list[tuple[str, bytes]] = field(default_factory=list)
    signatures: list[tuple[str, int, dict[str, int], dict[str, int]]] = field(
        default_factory=list)

    def subgraph(self, name: str = "") -> SubgraphBuilder:
        sg = SubgraphBuilder(self, name)
        self.subgraphs.append(sg)
        return sg

    def opcode(self, code: int, version: int = 1, custom_code: str | None = None) -> int:
        key = (code, version, custom_code)
        if key not in self.opcodes:
            self.opcodes.append(key)
        return self.opcodes.index(key)

    def buffer(self, data: bytes | None, *, external: bytes | None = None) -> int:
        self.buffers.append(BufferSpec(data, external))
        return len(self.buffers) - 1

    def add_metadata(self, name: str, data: bytes) -> None:
        self.metadata.append((name, data))

    def signature(self, key: str, subgraph: int, inputs: dict[str, int],
                  outputs: dict[str, int]) -> None:
        self.signatures.append((key, subgraph, inputs, outputs))

    # -- writing ---------------------------------------------------------------------------

    def build(self) -> bytes:
        """The model file. External buffer data is appended after the flatbuffer, 16-aligned."""
        externals = [b.external for b in self.buffers if b.external is not None]
        if not externals:
            return self._flatbuffer({})
        # The flatbuffer's size does not depend on the offsets' values (always written as
        # 8 bytes), so build once to learn it, then again with the real offsets.
        probe = self._flatbuffer({i: (2, 0) for i, b in enumerate(self.buffers)
                                  if b.external is not None})
        pos = (len(probe) + 15) & ~15
        places: dict[int, tuple[int, int]] = {}
        tail = bytearray()
        for i, b in enumerate(self.buffers):
            if b.external is not None:
                places[i] = (pos + len(tail), len(b.external))
                tail += b.external + bytes(-len(b.external) % 16)
        data = self._flatbuffer(places)
        assert len(data) == len(probe)
        return data + bytes(pos - len(data)) + bytes(tail)

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.build())
        return path

    def _flatbuffer(self, external: dict[int, tuple[int, int]]) -> bytes:
        b = flatbuffers.Builder(1024)
        m = _S["Model"]
        buffers = [self._buffer(b, i, spec, external.get(i)) for i, spec in
                   enumerate(self.buffers)]
        meta_buffers = [self._buffer(b, 0, BufferSpec(data), None) for _, data in self.metadata]
        buffers_vec = _table_vector(b, buffers + meta_buffers)
        metadata = []
        for j, (name, _) in enumerate(self.metadata):
            s = b.CreateString(name)
            b.StartObject(2)
            b.PrependUOffsetTRelativeSlot(_S["Metadata"]["name"], s, 0)
            b.PrependUint32Slot(_S["Metadata"]["buffer"], len(buffers) + j, 0)
            metadata.append(b.EndObject())
        opcodes = [self._opcode(b, *key) for key in self.opcodes]
        subgraphs = [self._subgraph(b, sg) for sg in self.subgraphs]
        sigs = [self._signature(b, *sig) for sig in self.signatures]
        opcodes_vec = _table_vector(b, opcodes)
        subgraphs_vec = _table_vector(b, subgraphs)
        metadata_vec = _table_vector(b, metadata) if metadata else None
        sigs_vec = _table_vector(b, sigs) if sigs else None
        desc = b.CreateString(self.description)
        b.StartObject(len(m))
        b.PrependUint32Slot(m["version"], self.version, None)
        b.PrependUOffsetTRelativeSlot(m["operator_codes"], opcodes_vec, 0)
        b.PrependUOffsetTRelativeSlot(m["subgraphs"], subgraphs_vec, 0)
        b.PrependUOffsetTRelativeSlot(m["description"], desc, 0)
        b.PrependUOffsetTRelativeSlot(m["buffers"], buffers_vec, 0)
        if metadata_vec is not None:
            b.PrependUOffsetTRelativeSlot(m["metadata"], metadata_vec, 0)
        if sigs_vec is not None:
            b.PrependUOffsetTRelativeSlot(m["signature_defs"], sigs_vec, 0)
        root = b.EndObject()
        b.Finish(root, file_identifier=schema.FILE_IDENTIFIER if self.file_identifier else None)
        return bytes(b.Output())

    @staticmethod
    def _buffer(b: flatbuffers.Builder, index: int, spec: BufferSpec,
                place: tuple[int, int] | None) -> int:
        s = _S["Buffer"]
        data = None
        if spec.data is not None:
            b.StartVector(1, len(spec.data), 16)
            b.head = b.head - len(spec.data)
            b.Bytes[b.head:b.head + len(spec.data)] = spec.data
            data = b.EndVector()
        b.StartObject(3)
        if data is not None:
            b.PrependUOffsetTRelativeSlot(s["data"], data, 0)
        if place is not None:
            b.PrependUint64Slot(s["offset"], place[0], None)
            b.PrependUint64Slot(s["size"], place[1], None)
        return int(b.EndObject())

    def _opcode(self, b: flatbuffers.Builder, code: int, version: int,
                custom: str | None) -> int:
        s = _S["OperatorCode"]
        cs = b.CreateString(custom) if custom is not None else None
        b.StartObject(4)
        deprecated = min(code, schema.PLACEHOLDER_FOR_GREATER_OP_CODES)
        b.PrependInt8Slot(s["deprecated_builtin_code"], deprecated, 0)
        if cs is not None:
            b.PrependUOffsetTRelativeSlot(s["custom_code"], cs, 0)
        b.PrependInt32Slot(s["version"], version, 1)
        if not (self.legacy_opcodes and code <= schema.PLACEHOLDER_FOR_GREATER_OP_CODES):
            b.PrependInt32Slot(s["builtin_code"], code, 0)
        return int(b.EndObject())

    def _subgraph(self, b: flatbuffers.Builder, sg: SubgraphBuilder) -> int:
        s = _S["SubGraph"]
        tensors = _table_vector(b, [self._tensor(b, t) for t in sg.tensors])
        ops = _table_vector(b, [self._operator(b, op) for op in sg.ops])
        inputs = _scalar_vector(b, "i", sg.inputs)
        outputs = _scalar_vector(b, "i", sg.outputs)
        name = b.CreateString(sg.name)
        b.StartObject(len(s))
        b.PrependUOffsetTRelativeSlot(s["tensors"], tensors, 0)
        b.PrependUOffsetTRelativeSlot(s["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(s["outputs"], outputs, 0)
        b.PrependUOffsetTRelativeSlot(s["operators"], ops, 0)
        b.PrependUOffsetTRelativeSlot(s["name"], name, 0)
        return int(b.EndObject())

    def _tensor(self, b: flatbuffers.Builder, t: TensorSpec) -> int:
        s = _S["Tensor"]
        shape = _scalar_vector(b, "i", t.shape) if t.shape is not None else None
        sig = _scalar_vector(b, "i", t.shape_signature) if t.shape_signature is not None else None
        name = b.CreateString(t.name)
        quant = _quantization(b, t.quant) if t.quant is not None else None
        sparsity = _sparsity(b, len(t.shape or ())) if t.sparse else None
        b.StartObject(len(s))
        if shape is not None:
            b.PrependUOffsetTRelativeSlot(s["shape"], shape, 0)
        b.PrependInt8Slot(s["type"], t.dtype, 0)
        b.PrependUint32Slot(s["buffer"], t.buffer, 0)
        b.PrependUOffsetTRelativeSlot(s["name"], name, 0)
        if quant is not None:
            b.PrependUOffsetTRelativeSlot(s["quantization"], quant, 0)
        b.PrependBoolSlot(s["is_variable"], t.is_variable, False)
        if sparsity is not None:
            b.PrependUOffsetTRelativeSlot(s["sparsity"], sparsity, 0)
        if sig is not None:
            b.PrependUOffsetTRelativeSlot(s["shape_signature"], sig, 0)
        if t.has_rank is not None:
            b.PrependBoolSlot(s["has_rank"], t.has_rank, None)
        return int(b.EndObject())

    def _operator(self, b: flatbuffers.Builder, op: OpSpec) -> int:
        s = _S["Operator"]
        inputs = _scalar_vector(b, "i", op.inputs)
        outputs = _scalar_vector(b, "i", op.outputs)
        inter = _scalar_vector(b, "i", op.intermediates) if op.intermediates else None
        custom = b.CreateByteVector(op.custom_options) if op.custom_options is not None else None
        options = None
        if op.options_type is not None:
            options = _options(b, op.options_type, op.options or {})
        b.StartObject(len(s))
        b.PrependUint32Slot(s["opcode_index"], op.opcode, 0)
        b.PrependUOffsetTRelativeSlot(s["inputs"], inputs, 0)
        b.PrependUOffsetTRelativeSlot(s["outputs"], outputs, 0)
        if options is not None and op.options_type is not None:
            if op.options_type in _OPTIONS_INDEX:
                b.PrependUint8Slot(s["builtin_options_type"], _OPTIONS_INDEX[op.options_type], 0)
                b.PrependUOffsetTRelativeSlot(s["builtin_options"], options, 0)
            else:
                b.PrependUint8Slot(s["builtin_options_2_type"],
                                   _OPTIONS2_INDEX[op.options_type], 0)
                b.PrependUOffsetTRelativeSlot(s["builtin_options_2"], options, 0)
        if custom is not None:
            b.PrependUOffsetTRelativeSlot(s["custom_options"], custom, 0)
        if inter is not None:
            b.PrependUOffsetTRelativeSlot(s["intermediates"], inter, 0)
        return int(b.EndObject())

    @staticmethod
    def _signature(b: flatbuffers.Builder, key: str, subgraph: int, inputs: dict[str, int],
                   outputs: dict[str, int]) -> int:
        s, tm = _S["SignatureDef"], _S["TensorMap"]

        def maps(items: dict[str, int]) -> int:
            tables = []
            for name, index in items.items():
                n = b.CreateString(name)
                b.StartObject(2)
                b.PrependUOffsetTRelativeSlot(tm["name"], n, 0)
                b.PrependUint32Slot(tm["tensor_index"], index, 0)
                tables.append(b.EndObject())
            return _table_vector(b, tables)

        ins, outs = maps(inputs), maps(outputs)
        k = b.CreateString(key)
        b.StartObject(len(s))
        b.PrependUOffsetTRelativeSlot(s["inputs"], ins, 0)
        b.PrependUOffsetTRelativeSlot(s["outputs"], outs, 0)
        b.PrependUOffsetTRelativeSlot(s["signature_key"], k, 0)
        b.PrependUint32Slot(s["subgraph_index"], subgraph, 0)
        return int(b.EndObject())


def _table_vector(b: flatbuffers.Builder, offsets: Sequence[int]) -> int:
    b.StartVector(4, len(offsets), 4)
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return int(b.EndVector())


def _scalar_vector(b: flatbuffers.Builder, code: str, values: Sequence[Any]) -> int:
    size = _SIZE[code]
    b.StartVector(size, len(values), size)
    prepend = getattr(b, _PREPEND[code])
    for v in reversed(values):
        prepend(v)
    return int(b.EndVector())


def _options(b: flatbuffers.Builder, table: str, values: dict[str, Any]) -> int:
    """An options table; only the fields given in `values` are written (others: defaults)."""
    fields = {name: (slot, kind) for name, slot, kind, _ in schema.OPTIONS_FIELDS[table]}
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"{table} has no fields {sorted(unknown)}")
    refs: dict[str, int] = {}
    for name, value in values.items():
        kind = fields[name][1]
        if kind == "str":
            refs[name] = b.CreateString(value)
        elif kind.startswith("v"):
            refs[name] = _scalar_vector(b, kind[1], value)
    b.StartObject(max((slot for slot, _ in fields.values()), default=-1) + 1)
    for name, value in values.items():
        slot, kind = fields[name]
        if name in refs:
            b.PrependUOffsetTRelativeSlot(slot, refs[name], 0)
        else:
            getattr(b, _PREPEND_SLOT[kind])(slot, value, None)
    return int(b.EndObject())


def _quantization(b: flatbuffers.Builder, q: Quant) -> int:
    s = _S["QuantizationParameters"]
    vecs = {
        "min": _scalar_vector(b, "f", q.min) if q.min else None,
        "max": _scalar_vector(b, "f", q.max) if q.max else None,
        "scale": _scalar_vector(b, "f", q.scale) if q.scale else None,
        "zero_point": _scalar_vector(b, "q", q.zero_point) if q.zero_point else None,
    }
    details = None
    if q.details_type == 1:
        custom = b.CreateByteVector(q.custom)
        b.StartObject(1)
        b.PrependUOffsetTRelativeSlot(0, custom, 0)
        details = b.EndObject()
    elif q.details_type == 2:
        b.StartObject(3)
        b.PrependInt32Slot(0, 0, None)  # scales tensor index
        b.PrependInt32Slot(1, -1, None)  # zero points tensor index
        b.PrependInt32Slot(2, 32, None)  # block size
        details = b.EndObject()
    b.StartObject(len(s))
    for name, ref in vecs.items():
        if ref is not None:
            b.PrependUOffsetTRelativeSlot(s[name], ref, 0)
    if q.details_type:
        b.PrependUint8Slot(s["details_type"], q.details_type, 0)
        if details is not None:
            b.PrependUOffsetTRelativeSlot(s["details"], details, 0)
    b.PrependInt32Slot(s["quantized_dimension"], q.quantized_dimension, 0)
    return int(b.EndObject())


def _sparsity(b: flatbuffers.Builder, rank: int) -> int:
    """SparsityParameters: every dimension dense but the last, stored CSR (segments 0..1)."""
    s = _S["SparsityParameters"]
    dims = []
    for d in range(rank):
        if d == rank - 1:
            segments = _scalar_vector(b, "i", [0, 1])
            b.StartObject(1)
            b.PrependUOffsetTRelativeSlot(0, segments, 0)
            seg_table = b.EndObject()
            indices = _scalar_vector(b, "i", [0])
            b.StartObject(1)
            b.PrependUOffsetTRelativeSlot(0, indices, 0)
            idx_table = b.EndObject()
            b.StartObject(6)
            b.PrependInt8Slot(0, 1, 0)  # format: SPARSE_CSR
            b.PrependUint8Slot(2, 1, 0)  # array_segments_type: Int32Vector
            b.PrependUOffsetTRelativeSlot(3, seg_table, 0)
            b.PrependUint8Slot(4, 1, 0)  # array_indices_type: Int32Vector
            b.PrependUOffsetTRelativeSlot(5, idx_table, 0)
        else:
            b.StartObject(6)
            b.PrependInt8Slot(0, 0, None)  # format: DENSE
            b.PrependInt32Slot(1, 1, 0)  # dense_size
        dims.append(b.EndObject())
    dim_vec = _table_vector(b, dims)
    order = _scalar_vector(b, "i", list(range(rank)))
    b.StartObject(3)
    b.PrependUOffsetTRelativeSlot(s["traversal_order"], order, 0)
    b.PrependUOffsetTRelativeSlot(s["dim_metadata"], dim_vec, 0)
    return int(b.EndObject())


def simple_model(op: str = "ADD", *, dtype: str = "FLOAT32", shape: Sequence[int] = (1, 4),
                 version: int = 1, options: dict[str, Any] | None = None) -> bytes:
    """One binary (or unary, for ops that take one input) op on two graph inputs."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    a = sg.tensor(shape, dtype, name="a")
    b_ = sg.tensor(shape, dtype, name="b")
    out = sg.tensor(shape, dtype, name="out")
    sg.op(op, [a, b_], [out], version=version, options=options)
    sg.inputs, sg.outputs = [a, b_], [out]
    return mb.build()


def sparse_weights_model(path: Path, weight_bytes: int) -> Path:
    """A model whose one constant holds `weight_bytes` of inline data, as a sparse file.

    The builder writes buffer 1's data near the end of the file (only buffer 0's small table
    follows), so its length word can be raised and the file extended with a hole, without
    writing the bytes. The extended vector then overlaps that small table: harmless."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    w = sg.tensor([weight_bytes // 4], "FLOAT32", data=bytes(16))
    out = sg.tensor([weight_bytes // 4], "FLOAT32")
    sg.op("RELU", [w], [out])
    sg.inputs, sg.outputs = [], [out]
    data = bytearray(mb.build())
    buf = read_model(bytes(data)).buffers[1]
    assert buf.data_offset + weight_bytes > len(data)
    struct.pack_into("<I", data, buf.data_offset - 4, weight_bytes)
    with path.open("wb") as f:
        f.write(data)
        f.truncate(buf.data_offset + weight_bytes)
    return path
