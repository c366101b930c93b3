"""A verifying .tflite reader on `struct.unpack_from`, without the flatbuffers runtime.

The file is memory-mapped read-only and walked with the field slots of TFLite's `schema.fbs`
(facts in `opcompat.model.schema`). Every offset and length is checked before it is followed,
vector lengths are checked against the bytes left before anything is allocated, and the work
is bounded by the file size, so a truncated, corrupted or hostile file raises `ModelReadError`
quickly instead of another exception or a hang. The walk follows the schema's fixed nesting
(Model > SubGraph > Tensor > QuantizationParameters), so it cannot recurse, and flatbuffers
offsets are unsigned and point forward, so it cannot loop. Weight buffers are never copied:
`buffer_data` returns a memoryview into the mapping.

Standard library only: importing this module must stay cheap.
"""
from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable
from typing import Any, NoReturn, Union

from opcompat.errors import ModelReadError
from opcompat.model import schema
from opcompat.model.graph import (
    Buffer,
    Model,
    Operator,
    Quantization,
    SignatureDef,
    Subgraph,
    Tensor,
    TensorType,
)

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

# The work allowed per file: elements decoded (tables, vector items, string bytes) may not
# exceed this multiple of the file size plus a constant. Every element of a well-formed file
# occupies at least one byte of it, so only files that reuse one object many times (a
# quadratic blow-up) hit the limit.
_WORK_PER_BYTE = 2
_WORK_BASE = 100_000

_MIN_SIZE = 8  # root offset + file identifier
_PAD = (0,) * 48  # absent trailing vtable slots read as 0 (field absent)

_I8 = struct.Struct("<b").unpack_from
_U8 = struct.Struct("<B").unpack_from
_U16x2 = struct.Struct("<HH").unpack_from
_I32 = struct.Struct("<i").unpack_from
_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from
_BOOL = struct.Struct("<?").unpack_from

_SCALAR_SIZE = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8,
                "f": 4, "d": 8}

_DTYPES: dict[int, TensorType] = {t.value: t for t in TensorType}

# Vtable slots of the structural tables.
_S = schema.SLOTS
_M, _SG, _T, _OP, _OC, _BUF = (_S["Model"], _S["SubGraph"], _S["Tensor"], _S["Operator"],
                               _S["OperatorCode"], _S["Buffer"])
_QP, _MD, _SD, _TM = (_S["QuantizationParameters"], _S["Metadata"], _S["SignatureDef"],
                      _S["TensorMap"])

_CUSTOM = schema.BUILTIN_OPERATOR_CODES["CUSTOM"]

# Options decoding plan: table name -> ((field, slot, unpack or None, size, vector code,
# default), ...); built once at import from schema.OPTIONS_FIELDS.
_OptionField = tuple[str, int, Any, int, str, Any]


def _plan(fields: tuple[tuple[str, int, str, object], ...]) -> tuple[_OptionField, ...]:
    out = []
    for name, slot, kind, default in fields:
        if kind == "str":
            out.append((name, slot, None, 0, "s", default))
        elif kind.startswith("v"):
            out.append((name, slot, None, _SCALAR_SIZE[kind[1]], kind[1], default))
        else:
            out.append((name, slot, struct.Struct("<" + kind).unpack_from, _SCALAR_SIZE[kind],
                        "", default))
    return tuple(out)


_OPTIONS_PLAN: dict[str, tuple[_OptionField, ...]] = {
    name: _plan(fields) for name, fields in schema.OPTIONS_FIELDS.items()
}


def read_model(source: Source) -> Model:
    """Read a .tflite model from a path (memory-mapped, never copied) or from bytes.

    Raises ModelReadError with a one-line message for a missing, unreadable, truncated,
    corrupted or hostile file.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _Reader(_as_bytes_view(source), None).model()
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        view = _map_file(path)
        return _Reader(view, path).model()
    raise TypeError(f"read_model() takes a path or bytes, not {type(source).__name__}")


def buffer_data(model: Model, tensor: Tensor) -> memoryview | None:
    """The bytes of a constant tensor, as a view into the model (no copy); None when none.

    External data (models over 2 GB) is located by its offset from the start of the file.
    """
    view = model._data
    index = tensor.buffer
    if view is None or index <= 0 or index >= len(model.buffers):
        return None
    buf = model.buffers[index]
    if buf.data_offset > 0:
        start, size = buf.data_offset, buf.data_size
    elif buf.is_external:
        start, size = buf.offset, buf.size
    else:
        return None
    if start < 0 or size < 0 or start + size > len(view):
        raise ModelReadError(f"buffer {index} lies outside the file", offset=start)
    return view[start:start + size]


def _as_bytes_view(source: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(source)
    if view.format != "B" or view.ndim != 1:
        if not view.c_contiguous:
            raise TypeError("read_model() needs a contiguous buffer")
        view = view.cast("B")
    return view


def _map_file(path: str) -> memoryview:
    """Map `path` read-only; one-line errors for the usual ways a file is not a model."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                raise ModelReadError(f"{path}: is empty (0 bytes), not a model")
            try:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                # Not mappable (a pipe, a special file): read it instead.
                return memoryview(f.read())
    except FileNotFoundError:
        raise ModelReadError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelReadError(f"{path}: is a directory, not a model file") from None
    except PermissionError:
        raise ModelReadError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ModelReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return memoryview(mapped)


def _sniff(view: memoryview) -> str | None:
    """Why these bytes are clearly not a .tflite flatbuffer, or None."""
    head = bytes(view[:64])
    if head.startswith(b"version https://git-lfs"):
        return "is a Git LFS pointer, not a model; run `git lfs pull`"
    if head.startswith(b"PK\x03\x04"):
        return "is a ZIP archive, not a .tflite model"
    if head.startswith(b"\x89HDF"):
        return "is an HDF5 file (a Keras model?), not a .tflite model"
    if len(view) < _MIN_SIZE:
        return f"is too small to be a model ({len(view)} bytes)"
    ident = head[4:8]
    if ident != schema.FILE_IDENTIFIER and all(0x20 <= c < 0x7F for c in head[:8]):
        # Eight printable bytes: text, or another format's magic. A root offset of a real
        # flatbuffer is small, so its high bytes are not printable.
        return f"is not a .tflite model (file identifier {ident!r}, expected b'TFL3')"
    return None


class _Reader:
    """One pass over one file. Positions are absolute byte offsets into `buf`."""

    def __init__(self, view: memoryview, path: str | None) -> None:
        self.buf = view
        self.n = len(view)
        self.path = path
        self.vtables: dict[int, tuple[tuple[int, ...], int]] = {}
        self.work = _WORK_PER_BYTE * self.n + _WORK_BASE

    # -- errors ------------------------------------------------------------------------

    def fail(self, what: str, offset: int | None = None) -> NoReturn:
        prefix = f"{self.path}: " if self.path is not None else ""
        raise ModelReadError(prefix + what, offset=offset)

    def spend(self, amount: int, at: int) -> None:
        self.work -= amount
        if self.work < 0:
            self.fail("too many objects for the file size (corrupted or hostile file)", at)

    # -- primitives --------------------------------------------------------------------

    def table(self, p: int, what: str) -> tuple[int, ...]:
        """The vtable entries of the table at `p` (field offsets by slot; 0 = absent)."""
        n = self.n
        if p < 0 or p + 4 > n:
            self.fail(f"{what}: table offset outside the file", p)
        vt = p - _I32(self.buf, p)[0]
        cached = self.vtables.get(vt)
        if cached is None:
            cached = self._vtable(vt, p, what)
        fields, objsize = cached
        if p + objsize > n:
            self.fail(f"{what}: table runs past the end of the file", p)
        self.work -= 1
        return fields

    def _vtable(self, vt: int, p: int, what: str) -> tuple[tuple[int, ...], int]:
        if vt < 0 or vt + 4 > self.n:
            self.fail(f"{what}: vtable offset outside the file", p)
        vtsize, objsize = _U16x2(self.buf, vt)
        if vtsize < 4 or vtsize & 1 or vt + vtsize > self.n:
            self.fail(f"{what}: bad vtable size {vtsize}", vt)
        if objsize < 4:
            self.fail(f"{what}: bad table size {objsize}", vt)
        entries = struct.unpack_from(f"<{(vtsize - 4) // 2}H", self.buf, vt + 4)
        for e in entries:
            if e and (e < 4 or e >= objsize):
                self.fail(f"{what}: field offset {e} outside its table ({objsize} bytes)", vt)
        result = (entries + _PAD, objsize)
        self.vtables[vt] = result
        return result

    def ref(self, p: int, fields: tuple[int, ...], slot: int, what: str) -> int:
        """Absolute position of the object a uoffset field points to; 0 when absent."""
        off = fields[slot]
        if not off:
            return 0
        q = p + off
        target = q + _U32(self.buf, q)[0]
        if target >= self.n:
            self.fail(f"{what}: offset points outside the file", q)
        return target

    def length(self, v: int, elem: int, what: str) -> int:
        """Element count of the vector at `v`, checked against the bytes left."""
        if v + 4 > self.n:
            self.fail(f"{what}: vector outside the file", v)
        count = _U32(self.buf, v)[0]
        if v + 4 + count * elem > self.n:
            self.fail(f"{what}: vector of {count} elements runs past the end of the file", v)
        return count

    def scalars(self, v: int, code: str, size: int, what: str) -> tuple[Any, ...]:
        if not v:
            return ()
        count = self.length(v, size, what)
        if count == 0:
            return ()
        self.spend(count, v)
        return struct.unpack_from(f"<{count}{code}", self.buf, v + 4)

    def tables(self, v: int, what: str) -> list[int]:
        """Positions of the tables of a vector of tables."""
        if not v:
            return []
        count = self.length(v, 4, what)
        if count == 0:
            return []
        self.spend(count, v)
        base = v + 4
        offs = struct.unpack_from(f"<{count}I", self.buf, base)
        return [base + 4 * i + o for i, o in enumerate(offs)]

    def string(self, v: int, what: str) -> str:
        if not v:
            return ""
        count = self.length(v, 1, what)
        self.spend(count, v)
        return str(self.buf[v + 4:v + 4 + count], "utf-8", "replace")

    def opt_string(self, p: int, fields: tuple[int, ...], slot: int, what: str) -> str | None:
        v = self.ref(p, fields, slot, what)
        return self.string(v, what) if v else None

    def scalar(self, p: int, fields: tuple[int, ...], slot: int, unpack: Callable[..., Any],
               default: Any) -> Any:
        off = fields[slot]
        return unpack(self.buf, p + off)[0] if off else default

    # -- the model ---------------------------------------------------------------------

    def model(self) -> Model:
        try:
            return self._model()
        except ModelReadError:
            raise
        except (struct.error, IndexError, ValueError, OverflowError, UnicodeError,
                RecursionError, MemoryError) as exc:
            # A backstop: the checks above should catch every malformed file first.
            self.fail(f"malformed flatbuffer ({type(exc).__name__}: {exc})")

    def _model(self) -> Model:
        why = _sniff(self.buf)
        if why is not None:
            self.fail(why)
        root = _U32(self.buf, 0)[0]
        if root < 4 or root + 4 > self.n:
            self.fail(f"root table offset {root} outside the file (not a .tflite model?)", 0)
        p = root
        f = self.table(p, "model")
        version = self.scalar(p, f, _M["version"], _U32, 0)
        description = self.string(self.ref(p, f, _M["description"], "description"),
                                  "description")
        buffers = self._buffers(self.ref(p, f, _M["buffers"], "buffers"))
        opcodes = self._opcodes(self.ref(p, f, _M["operator_codes"], "operator codes"))
        subgraphs = tuple(
            self._subgraph(i, sp, opcodes, buffers)
            for i, sp in enumerate(self.tables(self.ref(p, f, _M["subgraphs"], "subgraphs"),
                                               "subgraphs"))
        )
        metadata_names = tuple(
            self.string(self.ref(mp, mf, _MD["name"], "metadata name"), "metadata name")
            for mp in self.tables(self.ref(p, f, _M["metadata"], "metadata"), "metadata")
            for mf in (self.table(mp, "metadata"),)
        )
        signatures = tuple(
            self._signature(sp)
            for sp in self.tables(self.ref(p, f, _M["signature_defs"], "signature defs"),
                                  "signature defs")
        )
        return Model(
            version=version,
            description=description,
            subgraphs=subgraphs,
            buffers=buffers,
            metadata_names=metadata_names,
            signature_defs=signatures,
            size=self.n,
            _data=self.buf,
        )

    def _buffers(self, v: int) -> tuple[Buffer, ...]:
        out = []
        slot_data, slot_off, slot_size = _BUF["data"], _BUF["offset"], _BUF["size"]
        for i, p in enumerate(self.tables(v, "buffers")):
            f = self.table(p, f"buffer {i}")
            data_size = data_offset = offset = size = 0
            has_data = False
            if f[slot_data]:
                d = self.ref(p, f, slot_data, f"buffer {i} data")
                data_size = self.length(d, 1, f"buffer {i} data")
                data_offset = d + 4
                has_data = True
            if f[slot_off]:
                offset = _U64(self.buf, p + f[slot_off])[0]
            if f[slot_size]:
                size = _U64(self.buf, p + f[slot_size])[0]
            if not has_data and offset > 1 and offset + size > self.n:
                self.fail(f"buffer {i}: external data (offset {offset}, {size} bytes) lies "
                          f"outside the file", p)
            out.append(Buffer(i, data_size, offset, size, data_offset, has_data))
        return tuple(out)

    def _opcodes(self, v: int) -> list[tuple[int, str, int, str | None]]:
        """(code, name, version, custom_code) of every OperatorCode."""
        out = []
        s_dep, s_code = _OC["deprecated_builtin_code"], _OC["builtin_code"]
        s_ver, s_custom = _OC["version"], _OC["custom_code"]
        names = schema.BUILTIN_OPERATORS
        for i, p in enumerate(self.tables(v, "operator codes")):
            f = self.table(p, f"operator code {i}")
            code = max(self.scalar(p, f, s_dep, _I8, 0), self.scalar(p, f, s_code, _I32, 0))
            name = names.get(code) or f"UNKNOWN_{code}"
            version = self.scalar(p, f, s_ver, _I32, 1)
            custom = self.opt_string(p, f, s_custom, f"operator code {i} custom code")
            out.append((code, name, version, custom))
        return out

    def _subgraph(self, index: int, p: int, opcodes: list[tuple[int, str, int, str | None]],
                  buffers: tuple[Buffer, ...]) -> Subgraph:
        what = f"subgraph {index}"
        f = self.table(p, what)
        name = self.string(self.ref(p, f, _SG["name"], what), what)
        tensors = self._tensors(self.ref(p, f, _SG["tensors"], what), buffers, what)
        nt = len(tensors)
        inputs = self.scalars(self.ref(p, f, _SG["inputs"], what), "i", 4, f"{what} inputs")
        outputs = self.scalars(self.ref(p, f, _SG["outputs"], what), "i", 4, f"{what} outputs")
        for label, idx in (("input", inputs), ("output", outputs)):
            for t in idx:
                if t < -1 or t >= nt:
                    self.fail(f"{what}: {label} tensor index {t} out of range ({nt} tensors)")
        operators = self._operators(self.ref(p, f, _SG["operators"], what), opcodes, nt, what)
        return Subgraph(index, name, tensors, operators, inputs, outputs)

    def _tensors(self, v: int, buffers: tuple[Buffer, ...], where: str) -> tuple[Tensor, ...]:
        buf = self.buf
        nb = len(buffers)
        s_shape, s_type, s_buffer, s_name = _T["shape"], _T["type"], _T["buffer"], _T["name"]
        s_quant, s_var, s_sparse = _T["quantization"], _T["is_variable"], _T["sparsity"]
        s_sig, s_rank = _T["shape_signature"], _T["has_rank"]
        table, ref, scalars, string = self.table, self.ref, self.scalars, self.string
        dtypes = _DTYPES
        quant_cache: dict[int, Quantization | None] = {}
        out = []
        for i, p in enumerate(self.tables(v, f"{where} tensors")):
            what = f"{where} tensor {i}"
            f = table(p, what)
            shape = scalars(ref(p, f, s_shape, what), "i", 4, what) if f[s_shape] else ()
            raw_type = _I8(buf, p + f[s_type])[0] if f[s_type] else 0
            dtype = dtypes.get(raw_type, raw_type)
            b = _U32(buf, p + f[s_buffer])[0] if f[s_buffer] else 0
            if b >= nb and (b or nb):
                self.fail(f"{what}: buffer index {b} out of range ({nb} buffers)")
            name = string(ref(p, f, s_name, what), what) if f[s_name] else ""
            quant = None
            if f[s_quant]:
                qp = ref(p, f, s_quant, what)
                if qp in quant_cache:
                    quant = quant_cache[qp]
                else:
                    quant = quant_cache[qp] = self._quantization(qp, what)
            sig = scalars(ref(p, f, s_sig, what), "i", 4, what) if f[s_sig] else None
            constant = False
            if b:
                bb = buffers[b]
                constant = bb.has_data or bb.offset > 1
            out.append(Tensor(
                i, name, dtype, shape, sig, b, constant,
                _BOOL(buf, p + f[s_var])[0] if f[s_var] else False,
                quant,
                bool(f[s_sparse]) and ref(p, f, s_sparse, what) != 0,
                _BOOL(buf, p + f[s_rank])[0] if f[s_rank] else False,
            ))
        return tuple(out)

    def _quantization(self, p: int, what: str) -> Quantization | None:
        what = f"{what} quantization"
        f = self.table(p, what)
        ref, scalars = self.ref, self.scalars
        mn = scalars(ref(p, f, _QP["min"], what), "f", 4, what)
        mx = scalars(ref(p, f, _QP["max"], what), "f", 4, what)
        scale = scalars(ref(p, f, _QP["scale"], what), "f", 4, what)
        zp = scalars(ref(p, f, _QP["zero_point"], what), "q", 8, what)
        details = self.scalar(p, f, _QP["details_type"], _U8, 0)
        qdim = self.scalar(p, f, _QP["quantized_dimension"], _I32, 0)
        if not (mn or mx or scale or zp or details):
            return None
        return Quantization(scale, zp, qdim, mn, mx, details)

    def _operators(self, v: int, opcodes: list[tuple[int, str, int, str | None]],
                   num_tensors: int, where: str) -> tuple[Operator, ...]:
        buf = self.buf
        s_idx, s_in, s_out = _OP["opcode_index"], _OP["inputs"], _OP["outputs"]
        s_t1, s_o1 = _OP["builtin_options_type"], _OP["builtin_options"]
        s_t2, s_o2 = _OP["builtin_options_2_type"], _OP["builtin_options_2"]
        s_custom, s_inter = _OP["custom_options"], _OP["intermediates"]
        s_large = _OP["large_custom_options_size"]
        table, ref, scalars = self.table, self.ref, self.scalars
        nops = len(opcodes)
        names1, names2 = schema.BUILTIN_OPTIONS, schema.BUILTIN_OPTIONS_2
        out = []
        for i, p in enumerate(self.tables(v, f"{where} operators")):
            what = f"{where} operator {i}"
            f = table(p, what)
            oi = _U32(buf, p + f[s_idx])[0] if f[s_idx] else 0
            if oi >= nops:
                self.fail(f"{what}: operator code index {oi} out of range ({nops} codes)")
            code, name, version, custom = opcodes[oi]
            inputs = scalars(ref(p, f, s_in, what), "i", 4, what) if f[s_in] else ()
            outputs = scalars(ref(p, f, s_out, what), "i", 4, what) if f[s_out] else ()
            inter = scalars(ref(p, f, s_inter, what), "i", 4, what) if f[s_inter] else ()
            for idx in (inputs, outputs, inter):
                for t in idx:
                    if t < -1 or t >= num_tensors:
                        self.fail(f"{what} ({name}): tensor index {t} out of range "
                                  f"({num_tensors} tensors)")
            options_type: str | None = None
            options: dict[str, Any] = {}
            t1 = _U8(buf, p + f[s_t1])[0] if f[s_t1] else 0
            t2 = _U8(buf, p + f[s_t2])[0] if f[s_t2] else 0
            # Like TFLite's `builtin_options_as_<T>()`, an options table counts only when
            # both its union type (known to the schema) and its offset are present.
            if t1 and f[s_o1] and t1 < len(names1):
                options_type = names1[t1]
                options = self._options(ref(p, f, s_o1, what), options_type, what)
            elif t2 and f[s_o2] and t2 < len(names2):
                options_type = names2[t2]
                options = self._options(ref(p, f, s_o2, what), options_type, what)
            custom_size = 0
            if f[s_custom]:
                custom_size = self.length(ref(p, f, s_custom, what), 1, what)
            elif f[s_large]:
                custom_size = _U64(buf, p + f[s_large])[0]
            out.append(Operator(i, oi, code, name, version, custom, inputs, outputs, inter,
                                options_type, options, custom_size))
        return tuple(out)

    def _options(self, p: int, table_name: str, what: str) -> dict[str, Any]:
        """Decode one options table; absent fields take their schema defaults."""
        plan = _OPTIONS_PLAN.get(table_name, ())
        what = f"{what} {table_name}"
        f = self.table(p, what)
        buf = self.buf
        out: dict[str, Any] = {}
        for name, slot, unpack, size, vcode, default in plan:
            off = f[slot]
            if not off:
                out[name] = default
            elif unpack is not None:
                out[name] = unpack(buf, p + off)[0]
            elif vcode == "s":
                out[name] = self.string(self.ref(p, f, slot, what), what)
            else:
                out[name] = self.scalars(self.ref(p, f, slot, what), vcode, size, what)
        return out

    def _signature(self, p: int) -> SignatureDef:
        f = self.table(p, "signature def")
        key = self.string(self.ref(p, f, _SD["signature_key"], "signature key"),
                          "signature key")
        sub = self.scalar(p, f, _SD["subgraph_index"], _U32, 0)
        maps = []
        for slot in (_SD["inputs"], _SD["outputs"]):
            m: dict[str, int] = {}
            for tp in self.tables(self.ref(p, f, slot, "signature tensors"),
                                  "signature tensors"):
                tf = self.table(tp, "signature tensor")
                tname = self.string(self.ref(tp, tf, _TM["name"], "signature tensor name"),
                                    "signature tensor name")
                m[tname] = self.scalar(tp, tf, _TM["tensor_index"], _U32, 0)
            maps.append(m)
        return SignatureDef(key, sub, maps[0], maps[1])
