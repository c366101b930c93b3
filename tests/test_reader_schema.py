"""opcompat/model/schema.py against schema.fbs (when the sources are here) and against the
flatc-generated `tflite` package (slots and defaults of the options fields it knows)."""
from __future__ import annotations

import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from opcompat.model import schema

SCHEMA_FBS = (
    Path(os.environ.get("OPCOMPAT_SOURCES", "$OPCOMPAT_SOURCES (unset)"))
    / "litert/tflite/converter/schema/schema.fbs"
)


@pytest.fixture(scope="module")
def fbs() -> str:
    if not SCHEMA_FBS.is_file():
        pytest.skip(f"{SCHEMA_FBS} not present")
    return re.sub(r"//[^\n]*", "", SCHEMA_FBS.read_text())


def _block(text: str, kind: str, name: str) -> str:
    match = re.search(rf"\b{kind}\s+{name}\s*(?::\s*\w+\s*)?(?:\([^)]*\))?\s*\{{(.*?)\}}",
                      text, re.S)
    assert match, f"{kind} {name} not in schema.fbs"
    return match.group(1)


def test_builtin_operators_match_schema(fbs: str) -> None:
    entries = {}
    for item in _block(fbs, "enum", "BuiltinOperator").split(","):
        item = item.replace("(deprecated)", "").strip()
        if item:
            name, value = (s.strip() for s in item.split("="))
            entries[int(value)] = name
    assert schema.BUILTIN_OPERATORS == entries
    assert len(entries) > 200
    assert schema.BUILTIN_OPERATORS[schema.PLACEHOLDER_FOR_GREATER_OP_CODES] == (
        "PLACEHOLDER_FOR_GREATER_OP_CODES")


@pytest.mark.parametrize(("union", "names"), [
    ("BuiltinOptions", schema.BUILTIN_OPTIONS),
    ("BuiltinOptions2", schema.BUILTIN_OPTIONS_2),
    ("QuantizationDetails", schema.QUANTIZATION_DETAILS),
])
def test_unions_match_schema(fbs: str, union: str, names: tuple[str | None, ...]) -> None:
    members = [m.replace("(deprecated)", "").strip()
               for m in _block(fbs, "union", union).split(",") if m.strip()]
    assert list(names) == [None, *members]


def _fields(fbs: str, table: str) -> list[tuple[str, str, str | None]]:
    """(name, type, default) by slot; a union field takes two slots."""
    out: list[tuple[str, str, str | None]] = []
    for decl in _block(fbs, "table", table).split(";"):
        decl = re.sub(r"\([^)]*\)", "", decl).strip()
        if not decl:
            continue
        name, rest = (s.strip() for s in decl.split(":", 1))
        ftype, _, default = (s.strip() for s in rest.partition("="))
        if re.search(rf"\bunion\s+{ftype}\b", fbs):
            out.append((f"{name}_type", "ubyte", None))
        out.append((name, ftype, default or None))
    return out


def test_options_fields_match_schema(fbs: str) -> None:
    every = {n for n in schema.BUILTIN_OPTIONS + schema.BUILTIN_OPTIONS_2 if n}
    assert set(schema.OPTIONS_FIELDS) == every
    for table, fields in schema.OPTIONS_FIELDS.items():
        declared = _fields(fbs, table)
        for name, slot, kind, default in fields:
            assert declared[slot][0] == name, (table, name)
            text = declared[slot][2]
            if text is None:
                continue
            if kind == "?":
                assert default == (text == "true"), (table, name)
            elif kind in "fd":
                assert default == float(text), (table, name)
            elif re.fullmatch(r"-?\d+", text):
                assert default == int(text), (table, name)
            else:  # an enum member name
                enum = schema.FIELD_ENUMS[(table, name)]
                assert default == schema.ENUMS[enum][text], (table, name)


def test_structural_slots_match_schema(fbs: str) -> None:
    for table, slots in schema.SLOTS.items():
        declared = [name for name, _, _ in _fields(fbs, table)]
        assert slots == {name: i for i, name in enumerate(declared)}, table


_ADD = re.compile(r"builder\.Prepend(\w+)Slot\((\d+), [^,]+, ([^)]*)\)")


def test_options_slots_and_defaults_match_tflite_package() -> None:
    pytest.importorskip("tflite")
    checked = 0
    for table, fields in schema.OPTIONS_FIELDS.items():
        try:
            module = importlib.import_module(f"tflite.{table}")
        except ImportError:
            continue
        for name, slot, kind, default in fields:
            camel = "".join(p[:1].upper() + p[1:] for p in name.split("_"))
            adder = getattr(module, f"{table}Add{camel}", None)
            if adder is None:
                continue
            match = _ADD.search(inspect.getsource(adder))
            assert match, (table, name)
            assert int(match.group(2)) == slot, (table, name)
            if kind in ("str",) or kind.startswith("v"):
                continue
            expected = match.group(3).strip()
            if kind == "?":
                assert default == (expected in ("1", "True")), (table, name)
            else:
                assert default == float(expected), (table, name)
            checked += 1
    assert checked > 150


def test_reader_import_is_light() -> None:
    """Importing the reader pulls in neither flatbuffers nor numpy."""
    code = ("import sys, opcompat.model.reader; "
            "print(sorted(m for m in ('flatbuffers', 'numpy', 'tflite') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
