"""Build the `tflite_builtins` table from three LiteRT sources.

- `converter/schema/schema.fbs`: the `enum BuiltinOperator : int32 { NAME = code, ... }` block.
- `core/kernels/register.cc`: `AddBuiltin(BuiltinOperator_X, Register_X(), min, max)` calls of
  the builtin op resolver (without the two numbers, the resolver registers version 1 only).
- `converter/tools/versioning/runtime_version.cc`: `{{BuiltinOperator_X, version}, "a.b.c"}`
  entries: the first TFLite runtime that runs each op version.
"""

from __future__ import annotations

import re
from typing import Any

_ENUM = re.compile(r"enum\s+BuiltinOperator\s*:\s*\w+\s*\{(?P<body>.*?)\}", re.S)
_MEMBER = re.compile(
    r"^\s*(?P<name>[A-Z][A-Z0-9_]*)\s*=\s*(?P<code>-?\d+)\s*(?:\((?P<attrs>[^)]*)\))?\s*,?\s*$"
)
_ADD_BUILTIN = re.compile(r"AddBuiltin\s*\((?P<args>[^;]*?)\)\s*;", re.S)
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_LINE_COMMENT = re.compile(r"//[^\n]*")
_RUNTIME = re.compile(
    r"\{\s*\{\s*BuiltinOperator_(?P<name>\w+)\s*,\s*(?P<version>\d+)\s*\}\s*,\s*\"(?P<rt>[^\"]*)\"\s*\}"
)

# The resolver's default version range when AddBuiltin is called without one.
DEFAULT_VERSIONS = (1, 1)


class SourceError(ValueError):
    """A LiteRT source does not have the expected shape."""


def parse_schema(text: str) -> list[tuple[str, int, bool]]:
    """(name, code, deprecated) of every BuiltinOperator member, in file order.

    A member may carry flatbuffers attributes, e.g. `NAME = 205 (deprecated),`.
    """
    m = _ENUM.search(_BLOCK_COMMENT.sub("", text))
    if m is None:
        raise SourceError("schema.fbs: no 'enum BuiltinOperator' block")
    out: list[tuple[str, int, bool]] = []
    for line in m.group("body").split("\n"):
        line = _LINE_COMMENT.sub("", line).strip()
        if not line:
            continue
        mm = _MEMBER.match(line)
        if mm is None:
            raise SourceError(f"schema.fbs: unexpected line in enum BuiltinOperator: {line!r}")
        attrs = [a.strip() for a in (mm.group("attrs") or "").split(",") if a.strip()]
        out.append((mm.group("name"), int(mm.group("code")), "deprecated" in attrs))
    if not out:
        raise SourceError("schema.fbs: enum BuiltinOperator is empty")
    return out


def parse_register(text: str) -> dict[str, tuple[int, int]]:
    """Builtin name -> (min_version, max_version) registered by the builtin op resolver."""
    code = _LINE_COMMENT.sub("", _BLOCK_COMMENT.sub("", text))
    out: dict[str, tuple[int, int]] = {}
    for m in _ADD_BUILTIN.finditer(code):
        args = [a.strip() for a in m.group("args").split(",")]
        first = args[0]
        if not first.startswith("BuiltinOperator_"):
            continue  # the method's own definition, not a call
        name = first[len("BuiltinOperator_") :]
        numbers = [int(a) for a in args[1:] if re.fullmatch(r"\d+", a)]
        if len(numbers) == 2:
            versions = (numbers[0], numbers[1])
        elif not numbers:
            versions = DEFAULT_VERSIONS
        else:
            raise SourceError(
                f"register.cc: AddBuiltin({name}, ...) has {len(numbers)} version numbers"
            )
        if name in out:
            lo, hi = out[name]
            versions = (min(lo, versions[0]), max(hi, versions[1]))
        out[name] = versions
    if not out:
        raise SourceError("register.cc: no AddBuiltin(BuiltinOperator_..., ...) calls")
    return out


def parse_runtime_versions(text: str) -> dict[str, dict[int, str]]:
    """Builtin name -> {op version: first TFLite runtime version}."""
    out: dict[str, dict[int, str]] = {}
    for m in _RUNTIME.finditer(_LINE_COMMENT.sub("", text)):
        out.setdefault(m.group("name"), {})[int(m.group("version"))] = m.group("rt")
    if not out:
        raise SourceError('runtime_version.cc: no {{BuiltinOperator_..., N}, "x.y.z"} entries')
    return out


def build(schema_text: str, register_text: str, runtime_text: str) -> dict[str, Any]:
    """The `tflite_builtins` table."""
    members = parse_schema(schema_text)
    names = {m[0] for m in members}
    registered = parse_register(register_text)
    runtime = parse_runtime_versions(runtime_text)
    unknown = sorted((set(registered) | set(runtime)) - names)
    if unknown:
        raise SourceError(f"names not in enum BuiltinOperator: {', '.join(unknown)}")
    builtins = []
    for name, code, deprecated in sorted(members, key=lambda m: (m[1], m[0])):
        reg = registered.get(name)
        builtins.append(
            {
                "name": name,
                "code": code,
                "deprecated": deprecated,
                "registered": reg is not None,
                "min_version": reg[0] if reg else None,
                "max_version": reg[1] if reg else None,
                "runtime_versions": [
                    {"op_version": v, "runtime_version": rt}
                    for v, rt in sorted(runtime.get(name, {}).items())
                ],
            }
        )
    return {"table": "tflite_builtins", "builtins": builtins}
