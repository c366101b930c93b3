"""Structure-aware mutators for .tflite flatbuffers, and the hostile inputs that are not models.

A `Mutator` starts from valid seed models and, using their `layout.walk` map, rewrites the
things a reader trusts: uoffsets (out of range, misaligned, self-referencing, pointing at an
ancestor table to make a cycle, or at a table of another type), vector and string lengths (huge,
off by one, just past the end), vtable soffsets, sizes and entries, union types (type confusion),
index scalars (opcode, buffer, tensor and subgraph indices), and the file's length (truncation,
insertion, deletion, splicing). Every input is named by the mutations that made it, so a failure
can be understood from its name alone.
"""

from __future__ import annotations

import gzip
import random
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .layout import Layout, Site, walk

# Values that break readers: zero, one, the extremes of 16/32 bits, and near-misses.
_U32_EVIL = (0, 1, 2, 3, 4, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x3FFFFFFF, 0x10000)
_U16_EVIL = (0, 1, 2, 3, 4, 5, 0x7FFF, 0x8000, 0xFFFF, 0xFFFE)
_INT_LIMITS = {
    "b": (-128, 127),
    "B": (0, 255),
    "?": (0, 255),
    "h": (-(2**15), 2**15 - 1),
    "H": (0, 2**16 - 1),
    "i": (-(2**31), 2**31 - 1),
    "I": (0, 2**32 - 1),
    "q": (-(2**63), 2**63 - 1),
    "Q": (0, 2**64 - 1),
}


def _pack(fmt: str, value: int | float) -> bytes:
    if fmt == "?":
        fmt = "B"
    if fmt in "fd":
        return struct.pack("<" + fmt, value)
    lo, hi = _INT_LIMITS[fmt]
    return struct.pack("<" + fmt, min(max(int(value), lo), hi))


def _patch(data: bytes, pos: int, value: bytes) -> bytes:
    if pos < 0 or pos + len(value) > len(data):
        return data
    return data[:pos] + value + data[pos + len(value) :]


@dataclass(frozen=True, slots=True)
class Seed:
    name: str
    data: bytes
    layout: Layout


# ---------------------------------------------------------------- inputs that are not models

LFS_POINTER = (
    b"version https://git-lfs.github.com/spec/v1\n"
    b"oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    b"size 12345678\n"
)

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def _zip_bytes() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model.tflite", b"TFL3" * 16)
    return buf.getvalue()


def not_models() -> dict[str, bytes]:
    """Files a pull request may carry under a .tflite name that are not flatbuffers."""
    return {
        "empty": b"",
        "one_byte": b"\x00",
        "seven_bytes": b"\x08\x00\x00\x00TFL",
        "lfs_pointer": LFS_POINTER,
        "lfs_pointer_crlf": LFS_POINTER.replace(b"\n", b"\r\n"),
        "text": b"This is not a model, it is a README.\n" * 4,
        "json": b'{"model": "mobilenet", "layers": [1, 2, 3]}\n',
        "html_error_page": b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n",
        "png": PNG_1PX,
        "zip": _zip_bytes(),
        "gzip": gzip.compress(b"TFL3" * 64, mtime=0),
        "zlib": zlib.compress(b"TFL3" * 64),
        "zeros_4k": bytes(4096),
        "ones_4k": b"\xff" * 4096,
        "identifier_only": b"\x00\x00\x00\x00TFL3",
        "root_past_end": struct.pack("<I", 0xFFFFFFF0) + b"TFL3" + bytes(8),
        "root_self": struct.pack("<I", 0) + b"TFL3" + bytes(8),
        "utf16_text": "not a model\n".encode("utf-16"),
        "elf_header": b"\x7fELF\x02\x01\x01" + bytes(57),
    }


# ---------------------------------------------------------------- mutations

Mutation = Callable[["Mutator", Seed], tuple[str, bytes]]


class Mutator:
    """Deterministic for a given seed list and `random.Random` seed."""

    def __init__(self, seeds: Sequence[tuple[str, bytes]], rng: random.Random) -> None:
        self.rng = rng
        self.seeds = [Seed(n, d, walk(d)) for n, d in seeds]
        self.others = list(not_models().items())
        self.ops: list[tuple[Mutation, int]] = [
            (Mutator.m_uoffset, 12),
            (Mutator.m_cycle, 6),
            (Mutator.m_alias, 4),
            (Mutator.m_vec_len, 10),
            (Mutator.m_str, 5),
            (Mutator.m_soffset, 6),
            (Mutator.m_vtable, 8),
            (Mutator.m_vt_entry, 8),
            (Mutator.m_union, 6),
            (Mutator.m_index, 10),
            (Mutator.m_scalar, 4),
            (Mutator.m_vec_elem, 8),
            (Mutator.m_truncate, 6),
            (Mutator.m_bytes, 6),
            (Mutator.m_insert_delete, 3),
            (Mutator.m_splice, 2),
            (Mutator.m_identifier, 1),
            (Mutator.m_opcode, 8),
            (Mutator.m_dtype, 6),
        ]
        self._weights = [w for _, w in self.ops]

    def pick(self, sites: list[Site]) -> Site | None:
        return self.rng.choice(sites) if sites else None

    def one(self, seed: Seed) -> tuple[str, bytes]:
        """Apply 1 to 4 mutations to `seed` (the later ones use the seed's map, now stale:
        that is intended, it is how damage compounds)."""
        data = seed.data
        names = []
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4))):
            op = self.rng.choices(self.ops, self._weights)[0][0]
            current = Seed(seed.name, data, seed.layout)
            try:
                name, data = op(self, current)
            except (struct.error, IndexError, ValueError):
                # A stale map aimed past the end of an already shortened input.
                name, data = self.m_bytes(current)
            names.append(name)
        return f"{seed.name}:{'+'.join(names)}", data

    def next(self) -> tuple[str, bytes]:
        r = self.rng.random()
        if r < 0.01:
            name, data = self.rng.choice(self.others)
            if self.rng.random() < 0.5 and data:
                cut = self.rng.randrange(len(data))
                return f"{name}[:{cut}]", data[:cut]
            return name, data
        return self.one(self.rng.choice(self.seeds))

    # Each mutation returns (short description, new bytes).

    def m_uoffset(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("uoffset", "root"))
        if site is None:
            return self.m_bytes(s)
        size = len(s.data)
        choices = [
            *_U32_EVIL,
            size - site.pos,  # just past the end
            size - site.pos - 1,
            size - site.pos - 4,  # the last four bytes
            (site.target - site.pos) + self.rng.choice((-4, -2, -1, 1, 2, 4)),
            self.rng.randrange(0, max(1, size)),
        ]
        value = self.rng.choice(choices)
        return f"uoff@{site.pos}={value:#x}", _patch(
            s.data, site.pos, _pack("I", value & 0xFFFFFFFF)
        )

    def m_cycle(self, s: Seed) -> tuple[str, bytes]:
        """Point an offset back at its own table or an ancestor (a cycle), or at itself."""
        site = self.pick(s.layout.of("uoffset"))
        if site is None:
            return self.m_bytes(s)
        ancestors = [
            p
            for tables in s.layout.tables.values()
            for p, d in tables
            if d < site.depth + 1 and p < site.pos
        ]
        if ancestors and self.rng.random() < 0.8:
            # uoffsets are unsigned: a backward target wraps around 2**32, which a reader
            # that adds without a check turns into a huge position or, in C, a cycle.
            tgt = self.rng.choice(ancestors)
            value = (tgt - site.pos) & 0xFFFFFFFF
            return f"cycle@{site.pos}->{tgt}", _patch(s.data, site.pos, _pack("I", value))
        return f"selfref@{site.pos}", _patch(s.data, site.pos, _pack("I", 0))

    def m_alias(self, s: Seed) -> tuple[str, bytes]:
        """Retarget an offset at another table: same type (sharing) or another (confusion)."""
        site = self.pick(s.layout.of("uoffset"))
        tables = (
            [p for ts in s.layout.tables.values() for p, _ in ts if p > site.pos] if site else []
        )
        if site is None or not tables:
            return self.m_bytes(s)
        tgt = self.rng.choice(tables)
        return f"alias@{site.pos}->{tgt}", _patch(s.data, site.pos, _pack("I", tgt - site.pos))

    def m_vec_len(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("vec_len"))
        if site is None:
            return self.m_bytes(s)
        remaining = (len(s.data) - site.pos - 4) // 4
        value = self.rng.choice(
            (
                *_U32_EVIL,
                site.extra + 1,
                site.extra - 1,
                site.extra * 2,
                remaining,
                remaining + 1,
                site.extra + self.rng.randrange(1, 1 << 20),
            )
        )
        return f"vlen@{site.pos}={value:#x}", _patch(
            s.data, site.pos, _pack("I", value & 0xFFFFFFFF)
        )

    def m_str(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("str_len", "str_body"))
        if site is None:
            return self.m_bytes(s)
        if site.kind == "str_body":
            n = site.extra
            if self.rng.random() < 0.5:  # lose the NUL terminator
                return f"strnul@{site.pos + n}", _patch(s.data, site.pos + n, b"X")
            bad = self.rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\n", b"\x1b[31m"))
            pos = site.pos + self.rng.randrange(max(1, n))
            return f"strbody@{pos}", _patch(s.data, pos, bad)
        value = self.rng.choice(
            (*_U32_EVIL, site.extra + 1, len(s.data) - site.pos - 4, len(s.data))
        )
        return f"slen@{site.pos}={value:#x}", _patch(
            s.data, site.pos, _pack("I", value & 0xFFFFFFFF)
        )

    def m_soffset(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("soffset"))
        if site is None:
            return self.m_bytes(s)
        others = [x.target for x in s.layout.of("soffset")]
        value = self.rng.choice(
            (
                0,
                1,
                -1,
                2,
                -4,
                4,
                2**31 - 1,
                -(2**31),
                site.pos + 1,
                site.pos - len(s.data),
                -len(s.data),
                site.pos - self.rng.choice(others),
                self.rng.randrange(-site.pos - 8, site.pos + 8),
            )
        )
        return f"soff@{site.pos}={value}", _patch(s.data, site.pos, _pack("i", value))

    def m_vtable(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("vt_size", "vt_tblsize"))
        if site is None:
            return self.m_bytes(s)
        value = self.rng.choice((*_U16_EVIL, site.extra + 2, site.extra - 2, site.extra + 64))
        return f"{site.kind}@{site.pos}={value}", _patch(s.data, site.pos, _pack("H", value))

    def m_vt_entry(self, s: Seed) -> tuple[str, bytes]:
        entries = s.layout.of("vt_entry")
        site = self.pick(entries)
        if site is None:
            return self.m_bytes(s)
        if self.rng.random() < 0.2 and len(entries) > 1:
            other = self.rng.choice(entries)  # a field read from another field's place
            value = struct.unpack_from("<H", s.data, other.pos)[0]
        else:
            value = self.rng.choice((*_U16_EVIL, self.rng.randrange(0, 64)))
        return f"vte@{site.pos}={value}", _patch(s.data, site.pos, _pack("H", value))

    def m_union(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("union_type"))
        if site is None:
            return self.m_index(s)
        value = self.rng.choice((0, 1, 2, 3, 255, 127, 128, self.rng.randrange(256)))
        return f"utype@{site.pos}={value}", _patch(s.data, site.pos, _pack("B", value))

    def m_index(self, s: Seed) -> tuple[str, bytes]:
        sites = s.layout.of("index") + [x for x in s.layout.of("vec_elem") if x.fmt == "i"]
        site = self.pick(sites)
        if site is None:
            return self.m_bytes(s)
        value = self.rng.choice(
            (-1, -2, 0, 1, 2, 3, 64, 255, 1 << 16, 2**31 - 1, -(2**31), 2**32 - 1)
        )
        if site.fmt in "BbH":
            value &= 0x7F
        return f"idx@{site.pos}={value}", _patch(s.data, site.pos, _pack(site.fmt, value))

    def m_scalar(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("scalar"))
        if site is None:
            return self.m_bytes(s)
        if site.fmt in "fd":
            value: float = self.rng.choice(
                (float("nan"), float("inf"), -float("inf"), -0.0, 1e38, 5e-324)
            )
        else:
            lo, hi = _INT_LIMITS[site.fmt]
            value = self.rng.choice((lo, hi, -1, 0, 1, 2, 7, self.rng.randint(lo, hi)))
        return f"scal@{site.pos}={value}", _patch(s.data, site.pos, _pack(site.fmt, value))

    def m_vec_elem(self, s: Seed) -> tuple[str, bytes]:
        site = self.pick(s.layout.of("vec_elem"))
        if site is None:
            return self.m_bytes(s)
        if site.fmt in "fd":
            value: float = self.rng.choice(
                (float("nan"), float("inf"), -float("inf"), 0.0, -1.0, 1e-45, 3e38)
            )
        else:
            lo, hi = _INT_LIMITS[site.fmt]
            value = self.rng.choice((lo, hi, -1, 0, 1, -2, 1 << 30, self.rng.randint(lo, hi)))
        return f"elem@{site.pos}={value}", _patch(s.data, site.pos, _pack(site.fmt, value))

    def m_opcode(self, s: Seed) -> tuple[str, bytes]:
        """Turn an operator into another builtin (ADD into CONV_2D...): the rules of one op then
        see the inputs, options and version of another."""
        sites = [
            x for x in s.layout.of("scalar") if x.table == "OperatorCode" and x.extra in (0, 3)
        ]
        site = self.pick(sites)
        if site is None:
            return self.m_scalar(s)
        code = self.rng.choice((*self._codes, 32, 127, 255, 1000))
        if site.extra == 0:  # deprecated_builtin_code is an int8
            return f"opcode8@{site.pos}={code}", _patch(
                s.data, site.pos, _pack("b", min(code, 127))
            )
        return f"opcode@{site.pos}={code}", _patch(s.data, site.pos, _pack("i", code))

    def m_dtype(self, s: Seed) -> tuple[str, bytes]:
        sites = [x for x in s.layout.of("scalar") if x.table == "Tensor" and x.extra == 1]
        site = self.pick(sites)
        if site is None:
            return self.m_scalar(s)
        value = self.rng.choice((*range(23), 23, 99, -1, 127))
        return f"dtype@{site.pos}={value}", _patch(s.data, site.pos, _pack("b", value))

    @property
    def _codes(self) -> tuple[int, ...]:
        from opcompat.model.schema import BUILTIN_OPERATORS

        return tuple(BUILTIN_OPERATORS)

    def m_truncate(self, s: Seed) -> tuple[str, bytes]:
        n = len(s.data)
        cut = (
            self.rng.randrange(min(n, 4096))
            if self.rng.random() < 0.7
            else self.rng.randrange(max(1, n))
        )
        return f"trunc@{cut}", s.data[:cut]

    def m_bytes(self, s: Seed) -> tuple[str, bytes]:
        if not s.data:
            return "bytes:empty", s.data
        data = bytearray(s.data)
        k = self.rng.choice((1, 1, 2, 4, 16))
        for _ in range(k):
            pos = self.rng.randrange(len(data))
            if self.rng.random() < 0.5:
                data[pos] ^= 1 << self.rng.randrange(8)
            else:
                data[pos] = self.rng.choice((0, 0xFF, 0x7F, 0x80, self.rng.randrange(256)))
        return f"bytes*{k}", bytes(data)

    def m_insert_delete(self, s: Seed) -> tuple[str, bytes]:
        if not s.data:
            return "ins:empty", b"\x00" * 4
        pos = self.rng.randrange(len(s.data))
        k = self.rng.choice((1, 2, 3, 4, 8, 64))
        if self.rng.random() < 0.5:
            return f"ins@{pos}+{k}", s.data[:pos] + bytes(
                self.rng.randrange(256) for _ in range(k)
            ) + s.data[pos:]
        return f"del@{pos}-{k}", s.data[:pos] + s.data[pos + k :]

    def m_splice(self, s: Seed) -> tuple[str, bytes]:
        other = self.rng.choice(self.seeds)
        if not s.data or not other.data:
            return self.m_bytes(s)
        a = self.rng.randrange(len(s.data))
        b = self.rng.randrange(len(other.data))
        return f"splice@{a}:{other.name}@{b}", s.data[:a] + other.data[b:]

    def m_identifier(self, s: Seed) -> tuple[str, bytes]:
        ident = self.rng.choice((b"TFL2", b"tfl3", b"\x00\x00\x00\x00", b"ABCD"))
        return f"ident={ident!r}", _patch(s.data, 4, ident)


def truncations(data: bytes, limit: int = 4096) -> list[tuple[str, bytes]]:
    """Every prefix of `data` shorter than `limit` bytes (and shorter than the file)."""
    return [(f"trunc@{n}", data[:n]) for n in range(min(limit, len(data)))]
