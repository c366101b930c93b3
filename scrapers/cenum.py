"""Read `typedef enum { ... } Name;` blocks of a C header: enumerators with their doc comments.

Only the shapes the NNAPI headers use are handled: one enumerator per line (`NAME = value,`,
decimal, 7-digit or hex values, an optional trailing `//` remark), `/** ... */` doc comments
directly above an enumerator (the comment text may start on the `/**` line, as in Android 8.1),
`//` line comments between enumerators, and `#if __ANDROID_API__ >= X` / `#endif` guards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLOCK = re.compile(r"typedef\s+enum\s*\{(?P<body>.*?)\n\}\s*(?P<name>\w+)\s*;", re.S)
_ENUMERATOR = re.compile(
    r"^\s*(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>0[xX][0-9a-fA-F]+|-?\d+)\s*,?\s*(?://.*)?$"
)
_GUARD = re.compile(r"^\s*#\s*if\s+__ANDROID_API__\s*>=\s*(?P<level>\w+)")
_ENDIF = re.compile(r"^\s*#\s*endif")
_OTHER_IF = re.compile(r"^\s*#\s*if")

# The NDK's symbolic API-level macros that appear in the guards.
API_MACROS = {
    "__ANDROID_API_O_MR1__": 27,
    "__ANDROID_API_P__": 28,
    "__ANDROID_API_Q__": 29,
    "__ANDROID_API_R__": 30,
    "__ANDROID_API_S__": 31,
}


@dataclass(frozen=True)
class Enumerator:
    """One enumerator: its value, doc-comment lines, and what surrounds it."""

    name: str
    value: int
    doc: tuple[str, ...]
    """Comment lines with the leading `*` and one space removed; inner indentation kept."""
    guard_api_level: int | None
    """The highest `__ANDROID_API__ >= N` guard it sits in, if any."""
    line_comments: tuple[str, ...]
    """Every `//` line comment above it in the enum, in order (section markers among them)."""
    line: int
    """1-based line number in the header."""


@dataclass
class EnumBlock:
    name: str
    enumerators: list[Enumerator] = field(default_factory=list)


def comment_lines(raw: list[str]) -> tuple[str, ...]:
    """Strip the comment frame of a `/** ... */` comment, keeping inner indentation."""
    out: list[str] = []
    for i, line in enumerate(raw):
        text = line.strip("\n")
        if i == 0:
            text = text.split("/**", 1)[1]
            if text.startswith(" "):
                text = text[1:]
        else:
            stripped = text.lstrip()
            if stripped.startswith("*") and not stripped.startswith("*/"):
                stripped = stripped[1:]
                text = stripped[1:] if stripped.startswith(" ") else stripped
            else:
                text = stripped
        if "*/" in text:
            text = text.split("*/", 1)[0]
            if not text.strip():
                continue
        out.append(text.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return tuple(out)


def _api_level(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return API_MACROS.get(token)


def read_enums(text: str) -> dict[str, EnumBlock]:
    """Every `typedef enum {...} Name;` block of `text`, by name."""
    blocks: dict[str, EnumBlock] = {}
    for match in _BLOCK.finditer(text):
        start_line = text.count("\n", 0, match.start("body")) + 1
        block = EnumBlock(match.group("name"))
        lines = match.group("body").split("\n")
        pending_doc: tuple[str, ...] = ()
        line_comments: list[str] = []
        guards: list[int | None] = []
        i = 0
        while i < len(lines):
            line = lines[i]
            stripped = line.strip()
            if stripped.startswith("/*"):
                raw = [line]
                closed = "*/" in line[line.find("/*") + 2 :]
                while not closed and i + 1 < len(lines):
                    i += 1
                    raw.append(lines[i])
                    closed = "*/" in lines[i]
                if stripped.startswith("/**"):
                    pending_doc = comment_lines(raw)
            elif stripped.startswith("//"):
                line_comments.append(stripped[2:].strip())
            elif (m := _GUARD.match(line)) is not None:
                guards.append(_api_level(m.group("level")))
            elif _OTHER_IF.match(line):
                guards.append(None)
            elif _ENDIF.match(line):
                if guards:
                    guards.pop()
            elif (m := _ENUMERATOR.match(line)) is not None:
                levels = [g for g in guards if g is not None]
                block.enumerators.append(
                    Enumerator(
                        name=m.group("name"),
                        value=int(m.group("value"), 0),
                        doc=pending_doc,
                        guard_api_level=max(levels) if levels else None,
                        line_comments=tuple(line_comments),
                        line=start_line + i,
                    )
                )
                pending_doc = ()
            i += 1
        blocks[block.name] = block
    return blocks
