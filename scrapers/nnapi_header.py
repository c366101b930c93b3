"""Parse an NNAPI NDK header (`NeuralNetworks.h` up to Android 11, `NeuralNetworksTypes.h` from 12)
into one `nnapi_<release>` table: operations, operand types per role with their levels, ranks,
operand signatures, and the operand-type enum.

The header formats and their irregularities are described in `research/nnapi_sources.md`
section 2; each rule below names the one it handles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from scrapers.cenum import EnumBlock, Enumerator, read_enums

PREFIX = "ANEURALNETWORKS_"

# FL1-FL5 are the API levels 27-31; later feature levels have no API level.
API_LEVEL_OF_FL: dict[int, int] = {1: 27, 2: 28, 3: 29, 4: 30, 5: 31}
FL_OF_API_LEVEL: dict[int, int] = {api: fl for fl, api in API_LEVEL_OF_FL.items()}

# What each release brings: the header wording differs (research section 2.4).
RELEASE_FEATURE_LEVEL: dict[str, int] = {"8.1": 1, "9": 2, "10": 3, "11": 4, "12": 5, "13": 8}
RELEASE_API_LEVEL: dict[str, int] = {"8.1": 27, "9": 28, "10": 29, "11": 30, "12": 31, "13": 33}
# Headers without any "since" text: levels come from the release (8.1) or the API guard (9).
RELEASES_WITHOUT_LEVEL_TEXT = frozenset({"8.1", "9"})

_LEVEL = re.compile(r"(?:NNAPI feature level|API level)\s+(\d+)")
_SECTION = re.compile(r"^Operations below are available since (.+?)\.?$")
_TOP_AVAILABLE = re.compile(r"^Available since (.+?)\.\s*$")
_BLOCK_AVAILABLE = re.compile(r"^Available since (.+?):\s*$")
_TYPES_HEADING = re.compile(
    r"^Supported (?:(?P<role>input|output|value) )?tensor (?:\{@link OperandCode\}|types)"
    r"(?: \([Tt]ype T\))?(?P<conf> configurations)?:\s*$"
)
_RANK = re.compile(r"^Supported (?:(?P<role>input|output|value) )?tensor rank:\s*(?P<text>.*)$")
_TYPE_BULLET = re.compile(
    r"^\* \{@link (?P<type>ANEURALNETWORKS_\w+)\}\.?\s*(?:\((?P<since>since [^)]*)\))?\s*"
    r"(?:\(full support since (?P<full>[^,)]+)[^)]*\))?\s*\.?\s*$"
)
_SINCE_PROSE = re.compile(r"^Since (?P<level>(?:NNAPI feature level|API level) \d+)")
_LINK = re.compile(r"\{@link (ANEURALNETWORKS_\w+)\}")
_SIG_HEADING = re.compile(r"^(?P<kind>Inputs?|Outputs?)(?: \((?P<variant>[^)]*)\))?:\s*$")
_SIG_ITEM = re.compile(r"^\* (?P<index>\d+(?: ~ \w+(?:-1)?)?|[a-zA-Z]): ?(?P<text>.*)$")
_NESTED_AVAILABLE = re.compile(r"^\s+Available since (.+?)\.\s*$")
_CONF_GROUP = re.compile(r"^\* (?!\* )(?P<text>.*)$")
_CONF_ITEM = re.compile(r"^\* \* (?!\* )(?P<text>.*)$")
_CONF_CONT = re.compile(r"^\* \* \* (?P<text>.*)$")
_ROLE_WORDS = ("input", "filter", "output", "bias")


class HeaderError(ValueError):
    """The header does not have the shape this parser expects."""


def level_of(text: str) -> int:
    """The feature level named by "API level N" (27..31) or "NNAPI feature level N" (1..8)."""
    m = _LEVEL.search(text)
    if m is None:
        raise HeaderError(f"no level in {text!r}")
    n = int(m.group(1))
    if "API level" in m.group(0) and "feature" not in m.group(0):
        if n not in FL_OF_API_LEVEL:
            raise HeaderError(f"API level {n} has no NNAPI feature level")
        return FL_OF_API_LEVEL[n]
    if not 1 <= n <= 8:
        raise HeaderError(f"feature level {n} out of range")
    return n


def _is_top(line: str) -> bool:
    return bool(line) and not line[0].isspace()


@dataclass
class _TypeEntry:
    type: str
    since: int
    full_support: int | None = None
    conditional: bool = False

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "since_feature_level": self.since}
        if self.full_support is not None:
            out["full_support_since_feature_level"] = self.full_support
        if self.conditional:
            out["conditional"] = True
        return out


@dataclass
class _Op:
    name: str
    code: int
    level: int
    level_source: str
    roles: dict[str, list[_TypeEntry]] = field(default_factory=dict)
    configurations: list[dict[str, Any]] = field(default_factory=list)
    ranks: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)


def _joined_list(lines: list[str], i: int) -> tuple[list[str], int]:
    """The lines of a flat type list from line i up to the blank line that ends it, each
    indented continuation line joined onto the line above (Android 10 wraps a bullet's
    "(full support since API" onto a second line; later headers put the qualifier alone there)."""
    out: list[str] = []
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        if line.startswith("  ") and out:
            out[-1] = f"{out[-1]} {line.strip()}"
        else:
            out.append(line)
        i += 1
    return out, i


def _parse_type_list(lines: list[str], i: int, role: str, op: _Op) -> int:
    """A flat type list from line i (after its heading); returns the index after it."""
    entries = op.roles.setdefault(role, [])
    block_level: int | None = None
    joined, end = _joined_list(lines, i)
    for line in joined:
        m = _TYPE_BULLET.match(line)
        if m is not None:
            since = op.level
            if m.group("since"):
                since = max(since, level_of(m.group("since")))
            if block_level is not None:
                since = max(since, block_level)
            known = next((e for e in entries if e.type == m.group("type")), None)
            if known is None:
                known = _TypeEntry(m.group("type"), since, conditional=block_level is not None)
                entries.append(known)
            if m.group("full"):
                level = level_of(m.group("full"))
                # The qualifier can sit under a bullet inserted later (PAD, SPACE_TO_BATCH_ND
                # from Android 11): it belongs to the nearest bullet so far whose level is below it.
                for entry in reversed(entries):
                    if entry.since < level:
                        entry.full_support = level
                        break
        elif (s := _SINCE_PROSE.match(line)) is not None:
            # CAST: "Since <level>, ... the following ... is supported:" opens a sub-list.
            block_level = level_of(s.group("level"))
        elif line.startswith("*"):
            raise HeaderError(f"{op.name}: unrecognised type-list line {line!r}")
        # Any other line is prose continuing a "Since ..." sentence.
    return end


def _roles_of(text: str) -> list[str]:
    """The role words of a configuration item ("for input, filter, and output.")."""
    after = text.split("}", 1)[1] if "}" in text else text
    after = after.split("(", 1)[0]
    words = re.findall(r"[a-z]+", after.lower())
    return [w for w in _ROLE_WORDS if w in words]


def _parse_configurations(lines: list[str], i: int, op: _Op) -> int:
    """A nested configuration list (CONV_2D and kin) from line i; returns the index after it."""
    block_level = op.level
    group: dict[str, Any] | None = None
    heading: list[str] = []
    item: list[str] = []

    def flush_item() -> None:
        if group is None or not item:
            item.clear()
            return
        text = " ".join(item)
        item.clear()
        m = _LINK.search(text)
        if m is None:
            return
        roles = _roles_of(text)
        if not roles:
            raise HeaderError(f"{op.name}: configuration item without a role: {text!r}")
        for role in roles:
            group["operands"].setdefault(role, [])
            if m.group(1) not in group["operands"][role]:
                group["operands"][role].append(m.group(1))

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            flush_item()
            i += 1
            continue
        if (
            _RANK.match(line)
            or _SIG_HEADING.match(line)
            or (_is_top(line) and not line.startswith("*") and not _BLOCK_AVAILABLE.match(line))
        ):
            break
        if (b := _BLOCK_AVAILABLE.match(line)) is not None:
            flush_item()
            block_level = max(op.level, level_of(b.group(1)))
        elif (c := _CONF_CONT.match(line)) is not None:
            item.append(c.group("text"))
        elif (it := _CONF_ITEM.match(line)) is not None:
            flush_item()
            item.append(it.group("text"))
        elif (g := _CONF_GROUP.match(line)) is not None or (heading and line.startswith("  ")):
            flush_item()
            text = g.group("text") if g is not None else line.strip()
            if g is not None:
                heading.clear()
            heading.append(text)
            if text.endswith(":"):
                title = " ".join(heading)[:-1]
                heading.clear()
                level = block_level
                since = re.search(r"\(since ([^)]*)\)", title)
                if since:
                    level = max(level, level_of(since.group(1)))
                    title = title[: since.start()].strip()
                group = {"group": title, "since_feature_level": level, "operands": {}}
                op.configurations.append(group)
        i += 1
    flush_item()
    for conf in op.configurations:
        for role, types in conf["operands"].items():
            entries = op.roles.setdefault(role, [])
            for t in types:
                known = next((e for e in entries if e.type == t), None)
                if known is None:
                    entries.append(_TypeEntry(t, conf["since_feature_level"]))
                elif conf["since_feature_level"] < known.since:
                    known.since = conf["since_feature_level"]
    return i


def parse_rank(text: str) -> dict[str, Any]:
    """Rank limits of a "Supported tensor rank:" text: min, max (null when unbounded), values."""
    t = text.strip()
    out: dict[str, Any] = {"min": None, "max": None}
    if m := re.match(r"at least (\d+) and up to (\d+)", t):
        out["min"], out["max"] = int(m.group(1)), int(m.group(2))
    elif m := re.match(r"up to (\d+)", t):
        out["max"] = int(m.group(1))
    elif m := re.match(r"from (\d+)", t):
        out["min"] = int(m.group(1))
    elif m := re.match(r"(\d+) or (\d+)\b", t):
        a, b = int(m.group(1)), int(m.group(2))
        out["min"], out["max"], out["values"] = min(a, b), max(a, b), sorted({a, b})
    elif m := re.match(r"(\d+)\b", t):
        out["min"] = out["max"] = int(m.group(1))
    else:
        raise HeaderError(f"unrecognised rank text {text!r}")
    if "NCHW" in t:
        out["layouts"] = ["NHWC", "NCHW"]
    elif "NHWC" in t:
        out["layouts"] = ["NHWC"]
    return out


def _parse_signature(lines: list[str], i: int, variant: str | None, op: _Op, kind: str) -> int:
    """An Inputs/Outputs section from line i; returns the index after it."""
    sig: dict[str, Any] = {"variant": None, "since_feature_level": op.level, "operands": []}
    if variant:
        since = re.search(r"since (.+)$", variant)
        if since:
            sig["since_feature_level"] = max(op.level, level_of(since.group(1)))
            variant = variant[: since.start()].rstrip(" ,")
        sig["variant"] = variant
    current: dict[str, Any] | None = None
    texts: list[str] = []

    def close() -> None:
        if current is None:
            return
        text = " ".join(texts)
        types = sorted(set(_LINK.findall(text)))
        current["mentioned_types"] = types
        # "An optional ...", "Optional.", "This output is optional ..." all mark an operand
        # that may be omitted.
        current["optional"] = re.search(r"\boptional\b", text, re.IGNORECASE) is not None
        texts.clear()

    while i < len(lines):
        line = lines[i]
        if _is_top(line) and not line.startswith("* "):
            break
        if (m := _SIG_ITEM.match(line)) is not None:
            close()
            current = {"index": m.group("index"), "since_feature_level": sig["since_feature_level"]}
            sig["operands"].append(current)
            texts.append(m.group("text"))
        elif current is not None and line.strip():
            if (n := _NESTED_AVAILABLE.match(line)) is not None:
                # The level of this operand only (an optional input added later), never the
                # op's: one such line even keeps the old "API level" wording in Android 13.
                current["since_feature_level"] = max(
                    sig["since_feature_level"], level_of(n.group(1))
                )
            else:
                texts.append(line.strip())
        i += 1
    close()
    (op.inputs if kind.startswith("Input") else op.outputs).append(sig)
    return i


def _op_level(e: Enumerator, release: str) -> tuple[int, str]:
    """The op's feature level and where it came from."""
    if release == "8.1":
        return 1, "release"
    if release == "9":
        # New ops of Android 9 sit inside an __ANDROID_API_P__ guard (research 2.1).
        return (2, "api_guard") if (e.guard_api_level or 0) >= 28 else (1, "api_guard")
    tops = [m.group(1) for line in e.doc if _is_top(line) and (m := _TOP_AVAILABLE.match(line))]
    if tops:
        return level_of(tops[-1]), "available_since"
    # QUANTIZED_16BIT_LSTM has no final "Available since" line: use the section marker.
    markers = [m.group(1) for c in e.line_comments if (m := _SECTION.match(c))]
    if markers:
        return level_of(markers[-1]), "section_marker"
    raise HeaderError(f"{e.name}: no level (no 'Available since' line and no section marker)")


def parse_operation(e: Enumerator, release: str) -> dict[str, Any]:
    """One OperationCode enumerator as a table entry."""
    level, source = _op_level(e, release)
    op = _Op(e.name, e.value, level, source)
    lines = list(e.doc)
    i = 0
    while i < len(lines):
        line = lines[i]
        if (h := _TYPES_HEADING.match(line)) is not None:
            if h.group("conf"):
                i = _parse_configurations(lines, i + 1, op)
            else:
                i = _parse_type_list(lines, i + 1, h.group("role") or "tensor", op)
            continue
        if (r := _RANK.match(line)) is not None:
            op.ranks[r.group("role") or "tensor"] = parse_rank(r.group("text"))
        elif (s := _SIG_HEADING.match(line)) is not None:
            i = _parse_signature(lines, i + 1, s.group("variant"), op, s.group("kind"))
            continue
        i += 1
    return {
        "name": op.name,
        "code": op.code,
        "since_feature_level": op.level,
        "since_api_level": API_LEVEL_OF_FL.get(op.level),
        "level_source": op.level_source,
        "operand_types": {role: [t.as_json() for t in ts] for role, ts in sorted(op.roles.items())},
        "configurations": op.configurations,
        "ranks": op.ranks,
        "inputs": op.inputs,
        "outputs": op.outputs,
    }


def parse_operand_type(e: Enumerator, release: str) -> dict[str, Any]:
    """One OperandCode enumerator: the first six have no level line and are FL1."""
    level = 1
    if release not in RELEASES_WITHOUT_LEVEL_TEXT:
        tops = [m.group(1) for line in e.doc if _is_top(line) and (m := _TOP_AVAILABLE.match(line))]
        if tops:
            level = level_of(tops[-1])
        elif e.guard_api_level in FL_OF_API_LEVEL:
            level = FL_OF_API_LEVEL[e.guard_api_level]
    elif e.guard_api_level in FL_OF_API_LEVEL:
        level = FL_OF_API_LEVEL[e.guard_api_level]
    return {
        "name": e.name,
        "code": e.value,
        "since_feature_level": level,
        "since_api_level": API_LEVEL_OF_FL.get(level),
        "scalar": "TENSOR_" not in e.name,
    }


def _block(blocks: dict[str, EnumBlock], name: str) -> EnumBlock:
    if name not in blocks or not blocks[name].enumerators:
        raise HeaderError(f"no 'typedef enum {{...}} {name};' block")
    return blocks[name]


def parse(text: str, release: str) -> dict[str, Any]:
    """The `nnapi_<release>` table of one header's text."""
    if release not in RELEASE_FEATURE_LEVEL:
        raise HeaderError(f"unknown release {release!r}")
    blocks = read_enums(text)
    operations = [parse_operation(e, release) for e in _block(blocks, "OperationCode").enumerators]
    operand_types = [
        parse_operand_type(e, release) for e in _block(blocks, "OperandCode").enumerators
    ]
    table: dict[str, Any] = {
        "table": "nnapi",
        "release": release,
        "api_level": RELEASE_API_LEVEL[release],
        "feature_level": RELEASE_FEATURE_LEVEL[release],
        "operations": sorted(operations, key=lambda o: o["code"]),
        "operand_types": sorted(operand_types, key=lambda o: o["code"]),
        "feature_levels": [],
    }
    if "FeatureLevelCode" in blocks:
        table["feature_levels"] = [
            {"name": e.name, "value": e.value, "feature_level": int(e.name.rsplit("_", 1)[1])}
            for e in blocks["FeatureLevelCode"].enumerators
        ]
    return table
