"""A verifying .tflite reader on `struct.unpack_from`, without the flatbuffers runtime.

The file is memory-mapped read-only and walked with the field slots of TFLite's `schema.fbs`
(facts in `opcompat.model.schema`). Every offset and length is checked before it is followed,
vector lengths are checked against the bytes left before anything is allocated, and the work
is bounded by the file size, so a truncated, corrupted or hostile file raises `ModelReadError`
quickly instead of another exception or a hang. The walk follows the schema's fixed nesting
(Model > SubGraph > Tensor > QuantizationParameters), so it cannot recurse, and flatbuffers
offsets are unsigned and point forward, so it cannot loop. Weight buffers are never copied:
`buffer_data` returns a memoryview into the mapping.

Choices, where the file alone would be ambiguous (each as TFLite's loader reads it):

* op code: max(builtin_code, deprecated_builtin_code) (`GetBuiltinCode`); a code missing
  from the schema is named `UNKNOWN_<code>`;
* options: only when the union type is known and the table is present (as
  `builtin_options_as_<T>()`); else `options_type` None and `options` {}. Enum fields hold
  their raw ints (names in `schema.ENUMS`);
* `is_constant`: the buffer has a data vector, even an empty one, or data outside the
  flatbuffer (offset > 1) (`InterpreterBuilder::ParseTensors`);
* `quantization`: None when the table is absent or holds no scale, zero point, min, max or
  details;
* `has_rank`: true when the shape has dimensions or the flag is set (old converters never
  set it);
* strings: UTF-8 with errors replaced, and control, format and separator characters escaped
  (`\\x1b`), so that names printed in reports cannot drive a terminal or forge lines; cut to
  `MAX_NAME_CHARS` characters as shown (tensor names `MAX_TENSOR_NAME_CHARS`), ending in
  "..." when cut, and only that much of the string is decoded.

Standard library only: importing this module must stay cheap.
"""
from __future__ import annotations

import mmap
import os
import stat
import struct
from typing import Any, Union

from opcompat.digest import Fingerprint, fingerprint
from opcompat.errors import ModelReadError
from opcompat.gcpause import paused_gc
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

# Hard limits, far above real models (the 566 of the test corpus have at most 861 operators,
# 1097 tensors, 5 subgraphs) and far below what the format allows: minimal tables cost 8-16
# bytes, so 3 MB held 199k operators, 10-13 s and 300-600 MB for the engine and the reports.
# At these limits `opcompat check` of the densest files (50k operators or 100k tensors, each
# in 0.8 MB) takes 1-5 s in every format (tests/test_scale.py).
MAX_SUBGRAPHS = 10_000
MAX_OPERATORS = 50_000
"""Operators in all subgraphs together."""
MAX_TENSORS = 100_000
"""Tensors in all subgraphs together."""

# Names as shown, in characters after escaping, plus TRUNCATED when cut. Reports repeat
# names: one operator code, and its custom name, may legally serve every operator, so a 10 KB
# name on 5000 operators made 100 MB of every format. Real names are far shorter: in the test
# corpus custom op, subgraph, signature and metadata names and descriptions have at most 48
# characters ("Flex" + a TensorFlow op name stays under 64), tensor names (a converter joins
# the names of the ops it fused, with ";") up to 970, and those are printed once per message,
# not per operator.
MAX_NAME_CHARS = 128
"""Custom op codes, subgraph, signature, tensor map and metadata names, description, options."""
MAX_TENSOR_NAME_CHARS = 4096
"""Tensor names."""
TRUNCATED = "..."
"""Appended to a cut name. ASCII: one "…" would make every string that holds the name take
2 bytes a character (a third more memory for the table and JSON reports of 50k operators)."""

_MIN_SIZE = 8  # root offset + file identifier
_PAD = (0,) * 48  # absent trailing vtable slots read as 0 (field absent)

_I8 = struct.Struct("<b").unpack_from
_U8 = struct.Struct("<B").unpack_from
_U16x2 = struct.Struct("<HH").unpack_from
_I32 = struct.Struct("<i").unpack_from
_U32 = struct.Struct("<I").unpack_from
_U64 = struct.Struct("<Q").unpack_from
_BOOL = struct.Struct("<?").unpack_from

_SMALL = 32
_INTS = [struct.Struct(f"<{c}i").unpack_from for c in range(_SMALL)]

_SCALAR_SIZE = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8,
                "f": 4, "d": 8}

_UNPACK = {kind: struct.Struct("<" + kind).unpack_from for kind in _SCALAR_SIZE}

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
    out: list[_OptionField] = []
    for name, slot, kind, default in fields:
        if kind == "str":
            out.append((name, slot, None, 0, "s", default))
        elif kind.startswith("v"):
            out.append((name, slot, None, _SCALAR_SIZE[kind[1]], kind[1], default))
        else:
            out.append((name, slot, _UNPACK[kind], _SCALAR_SIZE[kind], "", default))
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
        reader = _Reader(_as_bytes_view(source), None)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        view, file_stat = _map_file(path)
        reader = _Reader(view, path, file_stat)
    else:
        raise TypeError(f"read_model() takes a path or bytes, not {type(source).__name__}")
    with paused_gc():
        return reader.model()


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


def custom_options(model: Model, op: Operator) -> memoryview | None:
    """The operator's inline `custom_options` bytes, as a view into the model (no copy); None
    when it has none inline (large custom options outside the flatbuffer are not located)."""
    view = model._data
    start, size = op.custom_options_offset, op.custom_options_size
    if view is None or start <= 0:
        return None
    if start + size > len(view):
        raise ModelReadError("custom options lie outside the file", offset=start)
    return view[start:start + size]


def _as_bytes_view(source: bytes | bytearray | memoryview) -> memoryview:
    view = memoryview(source)
    if view.format != "B" or view.ndim != 1:
        if not view.c_contiguous:
            raise TypeError("read_model() needs a contiguous buffer")
        view = view.cast("B")
    return view


def _map_file(path: str) -> tuple[memoryview, Fingerprint]:
    """Map `path` read-only; one-line errors for the usual ways a file is not a model. Also
    returns the file's identity when it was opened (`opcompat.digest.fingerprint`)."""

    shown = printable(path)  # a file name from a pull request may hold a newline or an escape
    try:
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            # open() of a FIFO nobody writes to would block for ever.
            raise ModelReadError(f"{shown}: is not a regular file (a pipe, socket or device)")
        with open(path, "rb") as f:
            opened = os.fstat(f.fileno())
            size = opened.st_size
            if size == 0:
                raise ModelReadError(f"{shown}: is empty (0 bytes), not a model")
            try:
                mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):
                # Not mappable (a pipe, a special file): read it instead.
                return memoryview(f.read()), fingerprint(opened)
    except FileNotFoundError:
        raise ModelReadError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ModelReadError(f"{shown}: is a directory, not a model file") from None
    except PermissionError:
        raise ModelReadError(f"{shown}: permission denied") from None
    except OSError as exc:
        raise ModelReadError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    return memoryview(mapped), fingerprint(opened)


def printable(text: str) -> str:
    """`text` as it may be shown on one line: unchanged when printable, else `_printable`."""
    return text if text.isprintable() else _printable(text)


def _printable(text: str) -> str:
    """`text` with control, format and separator characters escaped (`\\x1b`, `\\u202e`).

    Names in a hostile file must not move a terminal's cursor, forge lines in a CI log or
    break a Markdown table in a pull-request comment; the reports print them as given here.
    """
    return "".join(c if c.isprintable() or c == " " else ascii(c)[1:-1] for c in text)


def _clip(text: str, cap: int) -> str:
    """`text` escaped as by `_printable`, cut to `cap` characters (never inside an escape) and
    TRUNCATED when cut. `text` may have been cut already: it is never more than a few times
    `cap` long, and a text of more than `cap` characters is always marked."""
    if len(text) <= cap and text.isprintable():
        return text
    cut = len(text) > cap
    text = text[:cap]
    if not text.isprintable():
        pieces = []
        room = cap
        for c in text:
            piece = c if c.isprintable() else ascii(c)[1:-1]
            room -= len(piece)
            if room < 0:
                cut = True
                break
            pieces.append(piece)
        text = "".join(pieces)
    return text + TRUNCATED if cut else text


def _sniff(view: memoryview) -> tuple[str, int | None] | None:
    """Why these bytes are clearly not a .tflite flatbuffer, and where; or None.

    Another kind of file (a Git LFS pointer, a ZIP archive, an HDF5 file) is named as a whole,
    without an offset; a damaged header says where it is damaged."""
    head = bytes(view[:64])
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")  # a BOM or blank lines first
    if text.startswith(b"version https://git-lfs"):
        return "is a Git LFS pointer, not a model; run `git lfs pull`", None
    if head.startswith(b"PK\x03\x04"):
        return "is a ZIP archive, not a .tflite model", None
    if head.startswith(b"\x1f\x8b"):
        return "is gzip-compressed, not a .tflite model (decompress it first)", None
    if head.startswith(b"\x89HDF"):
        return "is an HDF5 file (a Keras model?), not a .tflite model", None
    if len(view) < _MIN_SIZE:
        return f"is too small to be a model ({len(view)} bytes)", 0
    ident = head[4:8]
    if ident == schema.FILE_IDENTIFIER:
        return None
    if all(0x21 <= c < 0x7F for c in ident) or all(0x20 <= c < 0x7F for c in head[:8]):
        # Another flatbuffer's identifier, or text. Without an identifier these bytes are
        # padding or a vtable's small 16-bit sizes, never four printable characters.
        shown = ident.decode("ascii", "replace")
        return f"is not a .tflite model (file identifier '{shown}', expected 'TFL3')", 4
    return None


class _Bad(Exception):
    """A malformed spot; callers up the walk prefix where it is, the top makes it a
    ModelReadError. Messages are built only on failure, so the walk stays fast."""

    def __init__(self, what: str, offset: int | None) -> None:
        super().__init__(what)
        self.what = what
        self.offset = offset

    def within(self, where: str) -> _Bad:
        return _Bad(f"{where}: {self.what}", self.offset)


def _within(exc: _Bad | struct.error, where: str, at: int) -> _Bad:
    """`exc` with `where` in front; a struct.error is a scalar field cut by the end of the
    file (a vtable entry inside its table, the table ending at the end of the file), and is
    placed at `at`, the position of the table being read."""
    if isinstance(exc, struct.error):
        exc = _Bad("a field runs past the end of the file", at)
    return exc.within(where)


class _Reader:
    """One pass over one file. Positions are absolute byte offsets into `buf`.

    `f` is a table's vtable entries (field offsets by slot, 0 = absent), as `table()` gives.
    """

    def __init__(
        self, view: memoryview, path: str | None, file_stat: Fingerprint | None = None
    ) -> None:
        self.buf = view
        self.n = len(view)
        self.path = path
        self.file_stat = file_stat
        self.vtables: dict[int, tuple[tuple[int, ...], int]] = {}
        self.work = _WORK_PER_BYTE * self.n + _WORK_BASE
        self.totals = {"tensors": 0, "operators": 0}  # for MAX_TENSORS, MAX_OPERATORS

    def _limit(self, what: str, count: int, cap: int, p: int, off: int) -> None:
        """Count `count` more `what` (the vector of the field at `p + off`) against `cap`."""
        total = self.totals.get(what, 0) + count
        self.totals[what] = total
        if total > cap:
            raise _Bad(f"{total} {what} or more, over opcompat's limit of {cap}; no real model "
                       "has that many (corrupted or hostile file)", self.target(p, off))

    def _index_at(self, p: int, off: int, values: tuple[int, ...], bad: int) -> int:
        """The position of the element `bad` of the int vector of the field at `p + off`."""
        return self.target(p, off) + 4 + 4 * values.index(bad)

    # -- primitives --------------------------------------------------------------------

    def table(self, p: int) -> tuple[int, ...]:
        """The vtable entries of the table at `p`."""
        if p < 0 or p + 4 > self.n:
            raise _Bad("table offset outside the file", p)
        vt = p - _I32(self.buf, p)[0]
        cached = self.vtables.get(vt)
        if cached is None:
            cached = self._vtable(vt, p)
        if p + cached[1] > self.n:
            raise _Bad("table runs past the end of the file", p)
        self.work -= 1
        if self.work < 0:
            raise _Bad("too many objects for the file size (corrupted or hostile file)", p)
        return cached[0]

    def _vtable(self, vt: int, p: int) -> tuple[tuple[int, ...], int]:
        if vt < 0 or vt + 4 > self.n:
            raise _Bad("vtable offset outside the file", p)
        vtsize, objsize = _U16x2(self.buf, vt)
        if vtsize < 4 or vtsize & 1 or vt + vtsize > self.n:
            raise _Bad(f"bad vtable size {vtsize}", vt)
        if objsize < 4:
            raise _Bad(f"bad table size {objsize}", vt)
        count = (vtsize - 4) // 2
        # Tables may point into one long vtable at many places: count the work it costs.
        self.work -= count
        if self.work < 0:
            raise _Bad("too many objects for the file size (corrupted or hostile file)", vt)
        entries = struct.unpack_from(f"<{count}H", self.buf, vt + 4)
        for e in entries:
            if e and (e < 4 or e >= objsize):
                raise _Bad(f"field offset {e} outside its table ({objsize} bytes)", vt)
        result = (entries + _PAD, objsize)
        self.vtables[vt] = result
        return result

    def target(self, p: int, off: int) -> int:
        """Where the uoffset field at `p + off` points."""
        q = p + off
        o = _U32(self.buf, q)[0]
        if not o:  # flatbuffers' Verifier::VerifyOffset: "May not point to itself"
            raise _Bad("offset points at itself", q)
        v = q + o
        if v + 4 > self.n:
            raise _Bad("offset points outside the file", q)
        return v

    def vector(self, p: int, off: int, size: int) -> tuple[int, int]:
        """(position of the first element, count) of the vector a field points to; the
        count is checked against the bytes left before anything is allocated."""
        q = p + off
        o = _U32(self.buf, q)[0]
        if not o:
            raise _Bad("offset points at itself", q)
        v = q + o
        n = self.n
        if v + 4 > n:
            raise _Bad("offset points outside the file", q)
        count = _U32(self.buf, v)[0]
        if v + 4 + count * size > n:
            raise _Bad(f"vector of {count} elements runs past the end of the file", v)
        return v + 4, count

    def scalars(self, p: int, off: int, code: str, size: int) -> tuple[Any, ...]:
        """A vector of scalars; () when the field is absent."""
        if not off:
            return ()
        start, count = self.vector(p, off, size)
        if not count:
            return ()
        self.work -= count
        return struct.unpack_from(f"<{count}{code}", self.buf, start)

    def ints(self, p: int, off: int) -> tuple[int, ...]:
        """A vector of int32 (shapes, tensor indices): `scalars` unrolled, it is the hot path."""
        if not off:
            return ()
        buf, n = self.buf, self.n
        q = p + off
        o = _U32(buf, q)[0]
        if not o:
            raise _Bad("offset points at itself", q)
        v = q + o
        if v + 4 > n:
            raise _Bad("offset points outside the file", q)
        count = _U32(buf, v)[0]
        if v + 4 + 4 * count > n:
            raise _Bad(f"vector of {count} elements runs past the end of the file", v)
        self.work -= count
        if count < _SMALL:
            return _INTS[count](buf, v + 4)
        return struct.unpack_from(f"<{count}i", buf, v + 4)

    def tables(self, p: int, off: int, distinct: bool = False) -> list[int]:
        """Positions of the tables of a vector of tables; [] when the field is absent.

        `distinct`: refuse a vector that lists one table twice. Writers never share subgraph,
        operator or tensor tables (only empty buffers), and a hostile file that lists one
        operator 100k times would cost the engine 100k operators' work for 4 bytes each.
        """
        if not off:
            return []
        start, count = self.vector(p, off, 4)
        if not count:
            return []
        self.work -= count
        offs = struct.unpack_from(f"<{count}I", self.buf, start)
        if 0 in offs:
            raise _Bad("table offset points at itself", start + 4 * offs.index(0))
        positions = [start + 4 * i + o for i, o in enumerate(offs)]
        if max(positions) + 4 > self.n:
            # Placed at the entry that holds the offset: the table it names is not there.
            i = next(i for i, t in enumerate(positions) if t + 4 > self.n)
            raise _Bad("table offset outside the file", start + 4 * i)
        if distinct and len(set(positions)) != count:
            raise _Bad("the same table is listed more than once (corrupted or hostile file)",
                       start)
        return positions

    def string(self, p: int, off: int, cap: int | None = None) -> str:
        """A string field, decoded with errors='replace' and escaped, at most `cap` characters
        (default MAX_NAME_CHARS) and TRUNCATED; "" when absent.

        Only the first 4 * (cap + 1) bytes are decoded (a character takes at most 4), so a
        100 MB string costs no more than a short one."""
        if not off:
            return ""
        start, count = self.vector(p, off, 1)
        if cap is None:
            cap = MAX_NAME_CHARS
        if count <= cap:  # the common case: no more characters than bytes
            self.work -= count
            text = str(self.buf[start:start + count], "utf-8", "replace")
            if text.isprintable():
                return text
        else:
            count = min(count, 4 * (cap + 1))
            self.work -= count
            text = str(self.buf[start:start + count], "utf-8", "replace")
        return _clip(text, cap)

    # -- the model ---------------------------------------------------------------------

    def model(self) -> Model:
        prefix = f"{printable(self.path)}: " if self.path is not None else ""
        try:
            return self._model()
        except struct.error:
            # A backstop (every table's reads are caught where the table is known): the
            # field is cut where the file ends.
            raise ModelReadError(f"{prefix}a field runs past the end of the file",
                                 offset=self.n) from None
        except _Bad as exc:
            raise ModelReadError(prefix + exc.what, offset=exc.offset) from None
        except (IndexError, ValueError, OverflowError, UnicodeError, RecursionError,
                MemoryError) as exc:
            # A backstop: the checks should catch every malformed file first.
            raise ModelReadError(
                f"{prefix}malformed flatbuffer ({type(exc).__name__}: {exc})") from None

    def _model(self) -> Model:
        sniffed = _sniff(self.buf)
        if sniffed is not None:
            raise _Bad(*sniffed)
        root = _U32(self.buf, 0)[0]
        if root < 4 or root + 4 > self.n:
            raise _Bad(f"root table offset {root} outside the file (not a .tflite model?)", 0)
        p = root
        try:
            f = self.table(p)
            version = _U32(self.buf, p + f[_M["version"]])[0] if f[_M["version"]] else 0
            description = self.string(p, f[_M["description"]])
        except (_Bad, struct.error) as exc:
            raise _within(exc, "model", p) from None
        buffers = self._buffers(p, f[_M["buffers"]])
        opcodes = self._opcodes(p, f[_M["operator_codes"]])
        subgraphs = []
        try:
            positions = self.tables(p, f[_M["subgraphs"]], distinct=True)
            self._limit("subgraphs", len(positions), MAX_SUBGRAPHS, p, f[_M["subgraphs"]])
        except (_Bad, struct.error) as exc:
            raise _within(exc, "subgraphs", p) from None
        for i, sp in enumerate(positions):
            try:
                subgraphs.append(self._subgraph(i, sp, opcodes, buffers))
            except (_Bad, struct.error) as exc:
                raise _within(exc, f"subgraph {i}", sp) from None
        metadata_names = []
        mp = p
        try:
            for mp in self.tables(p, f[_M["metadata"]]):
                metadata_names.append(self.string(mp, self.table(mp)[_MD["name"]]))
        except (_Bad, struct.error) as exc:
            raise _within(exc, "metadata", mp) from None
        signatures = []
        sp = p
        try:
            for sp in self.tables(p, f[_M["signature_defs"]]):
                signatures.append(self._signature(sp))
        except (_Bad, struct.error) as exc:
            raise _within(exc, "signature defs", sp) from None
        return Model(
            version=version,
            description=description,
            subgraphs=tuple(subgraphs),
            buffers=buffers,
            metadata_names=tuple(metadata_names),
            signature_defs=tuple(signatures),
            size=self.n,
            _data=self.buf,
            _file_stat=self.file_stat,
        )

    def _buffers(self, p: int, off: int) -> tuple[Buffer, ...]:
        out = []
        s_data, s_off, s_size = _BUF["data"], _BUF["offset"], _BUF["size"]
        buf, n = self.buf, self.n
        try:
            positions = self.tables(p, off)
        except (_Bad, struct.error) as exc:
            raise _within(exc, "buffers", p) from None
        for i, bp in enumerate(positions):
            try:
                f = self.table(bp)
                data_size = data_offset = 0
                has_data = bool(f[s_data])
                if has_data:
                    data_offset, data_size = self.vector(bp, f[s_data], 1)
                offset = _U64(buf, bp + f[s_off])[0] if f[s_off] else 0
                size = _U64(buf, bp + f[s_size])[0] if f[s_size] else 0
                if not has_data and offset > 1 and offset + size > n:
                    raise _Bad(f"external data (offset {offset}, {size} bytes) lies outside "
                               f"the file", bp)
            except (_Bad, struct.error) as exc:
                raise _within(exc, f"buffer {i}", bp) from None
            out.append(Buffer(i, data_size, offset, size, data_offset, has_data))
        return tuple(out)

    def _opcodes(self, p: int, off: int) -> list[tuple[int, str, int, str | None]]:
        """(code, name, version, custom_code) of every OperatorCode."""
        out = []
        s_dep, s_code = _OC["deprecated_builtin_code"], _OC["builtin_code"]
        s_ver, s_custom = _OC["version"], _OC["custom_code"]
        names, buf = schema.BUILTIN_OPERATORS, self.buf
        try:
            positions = self.tables(p, off)
        except (_Bad, struct.error) as exc:
            raise _within(exc, "operator codes", p) from None
        for i, op in enumerate(positions):
            try:
                f = self.table(op)
                # TFLite's GetBuiltinCode: the larger of the two fields (codes above 127
                # leave the placeholder 127 in the old one-byte field).
                code = max(_I8(buf, op + f[s_dep])[0] if f[s_dep] else 0,
                           _I32(buf, op + f[s_code])[0] if f[s_code] else 0)
                name = names.get(code) or f"UNKNOWN_{code}"
                version = _I32(buf, op + f[s_ver])[0] if f[s_ver] else 1
                custom = self.string(op, f[s_custom]) if f[s_custom] else None
            except (_Bad, struct.error) as exc:
                raise _within(exc, f"operator code {i}", op) from None
            out.append((code, name, version, custom))
        return out

    def _subgraph(self, index: int, p: int, opcodes: list[tuple[int, str, int, str | None]],
                  buffers: tuple[Buffer, ...]) -> Subgraph:
        f = self.table(p)
        name = self.string(p, f[_SG["name"]])
        tensors = self._tensors(p, f[_SG["tensors"]], buffers)
        nt = len(tensors)
        inputs = self.ints(p, f[_SG["inputs"]])
        outputs = self.ints(p, f[_SG["outputs"]])
        for label, slot, idx in (("input", _SG["inputs"], inputs),
                                 ("output", _SG["outputs"], outputs)):
            if idx and (min(idx) < -1 or max(idx) >= nt):
                bad = next(t for t in idx if t < -1 or t >= nt)
                raise _Bad(f"{label} tensor index {bad} out of range ({nt} tensors)",
                           self._index_at(p, f[slot], idx, bad))
        operators = self._operators(p, f[_SG["operators"]], opcodes, nt)
        return Subgraph(index, name, tensors, operators, inputs, outputs)

    def _tensors(self, p: int, off: int, buffers: tuple[Buffer, ...]) -> tuple[Tensor, ...]:
        buf = self.buf
        nb = len(buffers)
        s_shape, s_type, s_buffer, s_name = _T["shape"], _T["type"], _T["buffer"], _T["name"]
        s_quant, s_var, s_sparse = _T["quantization"], _T["is_variable"], _T["sparsity"]
        s_sig, s_rank = _T["shape_signature"], _T["has_rank"]
        table, ints, string = self.table, self.ints, self.string
        dtypes = _DTYPES
        name_cap = MAX_TENSOR_NAME_CHARS
        quant_cache: dict[int, Quantization | None] = {}
        out = []
        try:
            positions = self.tables(p, off, distinct=True)
            self._limit("tensors", len(positions), MAX_TENSORS, p, off)
        except (_Bad, struct.error) as exc:
            raise _within(exc, "tensors", p) from None
        for i, tp in enumerate(positions):
            try:
                f = table(tp)
                shape = ints(tp, f[s_shape])
                raw_type = _I8(buf, tp + f[s_type])[0] if f[s_type] else 0
                b = _U32(buf, tp + f[s_buffer])[0] if f[s_buffer] else 0
                if b and b >= nb:
                    raise _Bad(f"buffer index {b} out of range ({nb} buffers)",
                               tp + f[s_buffer])
                quant = None
                if f[s_quant]:
                    qp = self.target(tp, f[s_quant])
                    if qp in quant_cache:
                        quant = quant_cache[qp]
                    else:
                        quant = quant_cache[qp] = self._quantization(qp)
                constant = False
                if b:
                    bb = buffers[b]
                    # TFLite maps a tensor read-only when its buffer has a data vector
                    # (even an empty one) or data outside the flatbuffer (offset > 1).
                    constant = bb.has_data or bb.offset > 1
                tensor = Tensor(
                    i,
                    string(tp, f[s_name], name_cap),
                    dtypes.get(raw_type, raw_type),
                    shape,
                    ints(tp, f[s_sig]) if f[s_sig] else None,
                    b,
                    constant,
                    _BOOL(buf, tp + f[s_var])[0] if f[s_var] else False,
                    quant,
                    bool(f[s_sparse]) and self.target(tp, f[s_sparse]) > 0,
                    # The rank is known when the shape has dimensions, whatever the flag
                    # says: converters before `has_rank` existed never set it.
                    bool(shape) or (_BOOL(buf, tp + f[s_rank])[0] if f[s_rank] else False),
                )
            except (_Bad, struct.error) as exc:
                raise _within(exc, f"tensor {i}", tp) from None
            out.append(tensor)
        return tuple(out)

    def _quantization(self, p: int) -> Quantization | None:
        try:
            f = self.table(p)
            scalars = self.scalars
            mn = scalars(p, f[_QP["min"]], "f", 4)
            mx = scalars(p, f[_QP["max"]], "f", 4)
            scale = scalars(p, f[_QP["scale"]], "f", 4)
            zp = scalars(p, f[_QP["zero_point"]], "q", 8)
            s_dt, s_qd = _QP["details_type"], _QP["quantized_dimension"]
            details = _U8(self.buf, p + f[s_dt])[0] if f[s_dt] else 0
            qdim = _I32(self.buf, p + f[s_qd])[0] if f[s_qd] else 0
        except (_Bad, struct.error) as exc:
            raise _within(exc, "quantization", p) from None
        if not (mn or mx or scale or zp or details):
            return None
        return Quantization(scale, zp, qdim, mn, mx, details)

    def _operators(self, p: int, off: int, opcodes: list[tuple[int, str, int, str | None]],
                   num_tensors: int) -> tuple[Operator, ...]:
        buf = self.buf
        s_idx, s_in, s_out = _OP["opcode_index"], _OP["inputs"], _OP["outputs"]
        s_t1, s_o1 = _OP["builtin_options_type"], _OP["builtin_options"]
        s_t2, s_o2 = _OP["builtin_options_2_type"], _OP["builtin_options_2"]
        s_custom, s_inter = _OP["custom_options"], _OP["intermediates"]
        s_large = _OP["large_custom_options_size"]
        table, ints, options_of = self.table, self.ints, self._options
        nops = len(opcodes)
        names1, names2 = schema.BUILTIN_OPTIONS, schema.BUILTIN_OPTIONS_2
        n1, n2 = len(names1), len(names2)
        out = []
        try:
            positions = self.tables(p, off, distinct=True)
            self._limit("operators", len(positions), MAX_OPERATORS, p, off)
        except (_Bad, struct.error) as exc:
            raise _within(exc, "operators", p) from None
        for i, op in enumerate(positions):
            try:
                f = table(op)
                oi = _U32(buf, op + f[s_idx])[0] if f[s_idx] else 0
                if oi >= nops:
                    raise _Bad(f"operator code index {oi} out of range ({nops} codes)",
                               op + f[s_idx])
                code, name, version, custom = opcodes[oi]
                inputs = ints(op, f[s_in])
                outputs = ints(op, f[s_out])
                inter = ints(op, f[s_inter])
                for idx in (inputs, outputs, inter):
                    if idx and (min(idx) < -1 or max(idx) >= num_tensors):
                        bad = next(t for t in idx if t < -1 or t >= num_tensors)
                        slot = s_in if idx is inputs else s_out if idx is outputs else s_inter
                        raise _Bad(f"{name}: tensor index {bad} out of range "
                                   f"({num_tensors} tensors)",
                                   self._index_at(op, f[slot], idx, bad))
                # Like TFLite's `builtin_options_as_<T>()`, an options table counts only
                # when both its union type (known to the schema) and its offset are set.
                options_type: str | None = None
                options: dict[str, Any] = {}
                t1 = _U8(buf, op + f[s_t1])[0] if f[s_t1] else 0
                if t1:
                    if f[s_o1] and t1 < n1:
                        options_type = names1[t1]
                        options = options_of(self.target(op, f[s_o1]), options_type)
                else:
                    t2 = _U8(buf, op + f[s_t2])[0] if f[s_t2] else 0
                    if t2 and f[s_o2] and t2 < n2:
                        options_type = names2[t2]
                        options = options_of(self.target(op, f[s_o2]), options_type)
                custom_size = custom_at = 0
                if f[s_custom]:
                    custom_at, custom_size = self.vector(op, f[s_custom], 1)
                elif f[s_large]:
                    custom_size = _U64(buf, op + f[s_large])[0]
            except (_Bad, struct.error) as exc:
                raise _within(exc, f"operator {i}", op) from None
            out.append(Operator(i, oi, code, name, version, custom, inputs, outputs, inter,
                                options_type, options, custom_size, custom_at))
        return tuple(out)

    def _options(self, p: int, table_name: str | None) -> dict[str, Any]:
        """Decode one options table; absent fields take their schema defaults."""
        try:
            f = self.table(p)
            buf = self.buf
            out: dict[str, Any] = {}
            plan = _OPTIONS_PLAN.get(table_name or "", ())  # None: an unknown options type
            for name, slot, unpack, size, vcode, default in plan:
                off = f[slot]
                if not off:
                    out[name] = default
                elif unpack is not None:
                    out[name] = unpack(buf, p + off)[0]
                elif vcode == "s":
                    out[name] = self.string(p, off)
                else:
                    out[name] = self.scalars(p, off, vcode, size)
        except (_Bad, struct.error) as exc:
            raise _within(exc, str(table_name), p) from None
        return out

    def _signature(self, p: int) -> SignatureDef:
        f = self.table(p)
        key = self.string(p, f[_SD["signature_key"]])
        s_sub = _SD["subgraph_index"]
        sub = _U32(self.buf, p + f[s_sub])[0] if f[s_sub] else 0
        maps = []
        s_name, s_index = _TM["name"], _TM["tensor_index"]
        for slot in (_SD["inputs"], _SD["outputs"]):
            m: dict[str, int] = {}
            for tp in self.tables(p, f[slot]):
                tf = self.table(tp)
                m[self.string(tp, tf[s_name])] = (
                    _U32(self.buf, tp + tf[s_index])[0] if tf[s_index] else 0)
            maps.append(m)
        return SignatureDef(key, sub, maps[0], maps[1])
