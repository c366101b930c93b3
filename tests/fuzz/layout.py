"""A map of where a .tflite flatbuffer keeps its structure, for structure-aware mutation.

`walk(data)` follows a valid model from the root table down (Model -> SubGraph -> Operator ->
options, Tensor -> QuantizationParameters, ...) and records every *site* a mutator may aim at:
uoffsets, a table's soffset to its vtable, vtable sizes and entries, vector and string lengths,
union types, and the scalars that are indices. The walker is written for the fuzzer alone and does
not share code with `opcompat.model.reader`, so a bug in one does not hide a bug in the other.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from opcompat.model import schema

# Field kinds: ("s", fmt) scalar, ("idx", fmt) scalar index, ("str",), ("v", fmt) vector of
# scalars, ("vt", table) vector of tables, ("t", table) table, ("ut", union) union type,
# ("u", union) union value.
_Kind = tuple[str, ...]

UNIONS: dict[str, tuple[str | None, ...]] = {
    "BuiltinOptions": schema.BUILTIN_OPTIONS,
    "BuiltinOptions2": schema.BUILTIN_OPTIONS_2,
    "QuantizationDetails": schema.QUANTIZATION_DETAILS,
    "SparseIndexVector": schema.SPARSE_INDEX_VECTOR,
}

TABLES: dict[str, dict[int, _Kind]] = {
    "Model": {
        0: ("s", "I"),
        1: ("vt", "OperatorCode"),
        2: ("vt", "SubGraph"),
        3: ("str",),
        4: ("vt", "Buffer"),
        5: ("v", "i"),
        6: ("vt", "Metadata"),
        7: ("vt", "SignatureDef"),
    },
    "SubGraph": {
        0: ("vt", "Tensor"),
        1: ("v", "i"),
        2: ("v", "i"),
        3: ("vt", "Operator"),
        4: ("str",),
        5: ("s", "i"),
    },
    "Tensor": {
        0: ("v", "i"),
        1: ("s", "b"),
        2: ("idx", "I"),
        3: ("str",),
        4: ("t", "QuantizationParameters"),
        5: ("s", "?"),
        6: ("t", "SparsityParameters"),
        7: ("v", "i"),
        8: ("s", "?"),
        9: ("vt", "VariantSubType"),
        10: ("s", "Q"),
    },
    "Operator": {
        0: ("idx", "I"),
        1: ("v", "i"),
        2: ("v", "i"),
        3: ("ut", "BuiltinOptions"),
        4: ("u", "BuiltinOptions"),
        5: ("v", "B"),
        6: ("s", "b"),
        7: ("v", "?"),
        8: ("v", "i"),
        9: ("s", "Q"),
        10: ("s", "Q"),
        11: ("ut", "BuiltinOptions2"),
        12: ("u", "BuiltinOptions2"),
        13: ("s", "i"),
    },
    "OperatorCode": {0: ("s", "b"), 1: ("str",), 2: ("s", "i"), 3: ("s", "i")},
    "Buffer": {0: ("v", "B"), 1: ("s", "Q"), 2: ("s", "Q")},
    "QuantizationParameters": {
        0: ("v", "f"),
        1: ("v", "f"),
        2: ("v", "f"),
        3: ("v", "q"),
        4: ("ut", "QuantizationDetails"),
        5: ("u", "QuantizationDetails"),
        6: ("s", "i"),
    },
    "CustomQuantization": {0: ("v", "B")},
    "BlockwiseQuantization": {0: ("idx", "i"), 1: ("idx", "i"), 2: ("s", "i")},
    "MultiAxisQuantization": {0: ("idx", "i"), 1: ("idx", "i"), 2: ("s", "i"), 3: ("v", "i")},
    "SparsityParameters": {0: ("v", "i"), 1: ("v", "i"), 2: ("vt", "DimensionMetadata")},
    "DimensionMetadata": {
        0: ("s", "b"),
        1: ("s", "i"),
        2: ("ut", "SparseIndexVector"),
        3: ("u", "SparseIndexVector"),
        4: ("ut", "SparseIndexVector"),
        5: ("u", "SparseIndexVector"),
    },
    "Int32Vector": {0: ("v", "i")},
    "Uint16Vector": {0: ("v", "H")},
    "Uint8Vector": {0: ("v", "B")},
    "Metadata": {0: ("str",), 1: ("idx", "I")},
    "SignatureDef": {
        0: ("vt", "TensorMap"),
        1: ("vt", "TensorMap"),
        2: ("str",),
        3: ("str",),
        4: ("idx", "I"),
    },
    "TensorMap": {0: ("str",), 1: ("idx", "I")},
    "VariantSubType": {0: ("v", "i"), 1: ("s", "b"), 2: ("s", "?")},
}

# Options tables come from the reader's schema facts; "*subgraph_index*" fields are indices.
for _name, _fields in schema.OPTIONS_FIELDS.items():
    _slots: dict[int, _Kind] = {}
    for _fname, _slot, _code, _default in _fields:
        if _code == "str":
            _slots[_slot] = ("str",)
        elif _code.startswith("v"):
            _slots[_slot] = ("v", _code[1:])
        elif "subgraph" in _fname:
            _slots[_slot] = ("idx", _code)
        else:
            _slots[_slot] = ("s", _code)
    TABLES.setdefault(_name, _slots)


@dataclass(frozen=True, slots=True)
class Site:
    """One place in the file a mutator may aim at."""

    kind: str
    """root, soffset, vt_size, vt_tblsize, vt_entry, uoffset, vec_len, str_len, str_body,
    scalar, index, union_type, vec_elem (an element of a vector of scalars)."""
    pos: int
    fmt: str = "I"
    """struct code of the value at `pos`."""
    table: str = ""
    depth: int = 0
    """Nesting depth of the owning table (Model 0, SubGraph 1, Operator 2, options 3, ...)."""
    target: int = -1
    """For uoffsets: where the offset points. For vec_len/str_len: the vector or string start."""
    extra: int = 0
    """vec_len/str_len: the stored length; vec_elem: element size; vt_entry: slot."""


@dataclass(slots=True)
class Layout:
    """Every site of one file, and where each table starts."""

    size: int
    sites: list[Site] = field(default_factory=list)
    tables: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """table name -> [(position, depth)]."""

    def of(self, *kinds: str) -> list[Site]:
        return [s for s in self.sites if s.kind in kinds]


class _Walker:
    def __init__(self, data: bytes, max_sites: int) -> None:
        self.data = data
        self.layout = Layout(len(data))
        self.seen: set[int] = set()
        self.max_sites = max_sites

    def u32(self, pos: int) -> int:
        return struct.unpack_from("<I", self.data, pos)[0]

    def add(self, site: Site) -> None:
        if len(self.layout.sites) < self.max_sites:
            self.layout.sites.append(site)

    def table(self, pos: int, name: str, depth: int) -> None:
        if pos in self.seen or not 0 <= pos <= len(self.data) - 4:
            return
        self.seen.add(pos)
        self.layout.tables.setdefault(name, []).append((pos, depth))
        soff = struct.unpack_from("<i", self.data, pos)[0]
        vt = pos - soff
        self.add(Site("soffset", pos, "i", name, depth, vt))
        if not 0 <= vt <= len(self.data) - 4:
            return
        vt_size, tbl_size = struct.unpack_from("<HH", self.data, vt)
        self.add(Site("vt_size", vt, "H", name, depth, extra=vt_size))
        self.add(Site("vt_tblsize", vt + 2, "H", name, depth, extra=tbl_size))
        fields = TABLES.get(name, {})
        for slot in range((vt_size - 4) // 2):
            epos = vt + 4 + 2 * slot
            if epos + 2 > len(self.data):
                break
            off = struct.unpack_from("<H", self.data, epos)[0]
            self.add(Site("vt_entry", epos, "H", name, depth, extra=slot))
            if off == 0 or slot not in fields:
                continue
            self.field(pos + off, fields[slot], name, depth, pos, slot)

    def field(self, fpos: int, kind: _Kind, table: str, depth: int, tpos: int, slot: int) -> None:
        tag = kind[0]
        if tag in ("s", "idx", "ut"):
            fmt = kind[1] if tag != "ut" else "B"
            site_kind = {"s": "scalar", "idx": "index", "ut": "union_type"}[tag]
            self.add(Site(site_kind, fpos, fmt, table, depth, extra=slot))
            return
        if fpos + 4 > len(self.data):
            return
        target = fpos + self.u32(fpos)
        self.add(Site("uoffset", fpos, "I", table, depth, target, slot))
        if target + 4 > len(self.data):
            return
        if tag == "str":
            n = self.u32(target)
            self.add(Site("str_len", target, "I", table, depth, target, n))
            if n:
                self.add(Site("str_body", target + 4, "B", table, depth, target, n))
        elif tag == "v":
            n = self.u32(target)
            self.add(Site("vec_len", target, "I", table, depth, target, n))
            size = struct.calcsize(kind[1])
            for i in range(min(n, 64)):
                self.add(
                    Site("vec_elem", target + 4 + i * size, kind[1], table, depth, target, size)
                )
        elif tag == "vt":
            n = self.u32(target)
            self.add(Site("vec_len", target, "I", table, depth, target, n))
            for i in range(n):
                epos = target + 4 + 4 * i
                if epos + 4 > len(self.data):
                    break
                self.add(Site("uoffset", epos, "I", kind[1], depth + 1, epos + self.u32(epos), -1))
                self.table(epos + self.u32(epos), kind[1], depth + 1)
        elif tag == "t":
            self.table(target, kind[1], depth + 1)
        elif tag == "u":
            # The union's type sits in the slot before its value.
            type_slot_off = self._slot_offset(tpos, slot - 1)
            if type_slot_off:
                utype = self.data[tpos + type_slot_off]
                members = UNIONS[kind[1]]
                if 0 < utype < len(members) and members[utype]:
                    self.table(target, members[utype], depth + 1)

    def _slot_offset(self, tpos: int, slot: int) -> int:
        vt = tpos - struct.unpack_from("<i", self.data, tpos)[0]
        vt_size = struct.unpack_from("<H", self.data, vt)[0]
        if slot < 0 or 4 + 2 * slot >= vt_size:
            return 0
        return int(struct.unpack_from("<H", self.data, vt + 4 + 2 * slot)[0])


def walk(data: bytes, max_sites: int = 200_000) -> Layout:
    """The sites of a valid model; a damaged one yields what could be followed."""
    w = _Walker(data, max_sites)
    if len(data) < 8:
        return w.layout
    w.add(Site("root", 0, "I", "", -1, w.u32(0)))
    try:
        w.table(w.u32(0), "Model", 0)
    except (struct.error, IndexError, RecursionError):
        pass
    return w.layout
