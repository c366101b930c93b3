"""Scrape which builtin and custom ops the TFLite GPU delegate's op parsers accept.

Reads `NewOperationParser` of `tflite/delegates/gpu/common/model_builder.cc`: for each
`case kTfLiteBuiltinX:` the parser class it returns (and whether only with `allow_quant_ops`),
then that class's `IsSupported` (the `CheckMaxSupportedOpVersion` cap, whether it calls
`CheckGpuDelegateCompatibility`, and whether anything else is checked) and `Parse` (the GPU
`OperationType` it creates unconditionally, spelled as `ToString` of `operations.cc` does).
Custom ops come from the `custom_name == "..."` branches of its `kTfLiteBuiltinCustom` case and
from `NewCustomOperationParser` (`default/custom_parsers.cc`); the ops `DelegatePrepare` of
`delegate.cc` excludes when OpenCL is unsupported come from its `OpenCLSupported()` branch.

`parse` is pure and deterministic. Only the C++ shapes these files use are understood; anything
else raises ScrapeError rather than being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from opcompat.errors import ScrapeError
from scrapers.delegate_mapping import (
    Span,
    builtin_codes,
    function_body,
    line_of,
    mask,
    match_close,
    schema_operators,
    split_args,
    switch_cases,
)

TABLE = "gpu_parsers"
FORMAT = 1
REPOSITORY = "google-ai-edge/LiteRT"
REVISION = "f67457790c9c2ab67347d6fe53270e8d3df20868"
SOURCE_PATH = "tflite/delegates/gpu/common/model_builder.cc"
# Companion files parse() needs, by keyword argument, as paths in the same repository.
COMPANION_PATHS: dict[str, str] = {
    "custom_parsers_cc": "tflite/delegates/gpu/common/default/custom_parsers.cc",
    "delegate_cc": "tflite/delegates/gpu/delegate.cc",
    "operations_cc": "tflite/delegates/gpu/common/operations.cc",
    "builtin_ops_h": "tflite/builtin_ops.h",
    "schema_fbs": "tflite/converter/schema/schema.fbs",
}

FUNCTION = "NewOperationParser"
CUSTOM_FUNCTION = "NewCustomOperationParser"
BASE_CLASS = "TFLiteOperationParser"
VERSION_CHECK = "CheckMaxSupportedOpVersion"
COMPAT_CHECK = "CheckGpuDelegateCompatibility"
QUANT_FLAG = "allow_quant_ops"
# Parsers that return an error for everything: never an entry.
REJECTING = {"UnsupportedOperationParser", "UnimplementedOperationParser"}

# What an IsSupported checks besides the version cap and the compatibility check, described in
# our own words per parser class. The scraper finds *whether* there is such a check; a class
# with one that is not described here (or described but without one) fails the scrape, so the
# notes cannot silently go stale. `{Name}` is replaced by the ops predicate `Name` lists.
CHECK_NOTES: dict[str, tuple[str, ...]] = {
    "ElementwiseOperationParser": (
        "logical ops ({IsLogicalOp}) only: the output tensor must have exactly one producer "
        "and one consumer, else rejected",
        "logical ops only: that consumer must be CAST, SELECT or SELECT_V2 with a FLOAT16 or "
        "FLOAT32 output; then accepted without CheckGpuDelegateCompatibility, else rejected",
    ),
    "CastOperationParser": (
        "BOOL input to FLOAT16/FLOAT32 output only: the input tensor must have exactly one "
        "producer and one consumer, and the output exactly one consumer (not a graph output), "
        "else rejected",
        "BOOL input to FLOAT16/FLOAT32 output whose producer is {IsLogicalCode}: accepted "
        "without CheckGpuDelegateCompatibility; any other cast goes to "
        "CheckGpuDelegateCompatibility",
    ),
}


@dataclass(frozen=True)
class ParserClass:
    """One `class X : public TFLiteOperationParser { ... }` of model_builder.cc."""

    name: str
    members: dict[str, int]
    """Constructor-initialised member -> index of the constructor argument it holds."""
    is_supported: Span
    parse: Span | None


def _literal(text: str, masked: str, start: int) -> str:
    """The string literal whose opening quote is the first `"` at or after `start`."""
    q = masked.index('"', start)
    return text[q + 1 : masked.index('"', q + 1)]


def _method(masked: str, within: Span, name: str) -> Span | None:
    """Body span of method `name` defined inside `within` (a class body)."""
    for m in re.finditer(r"\b" + name + r"\s*\(", masked[within.start : within.end]):
        close = match_close(masked, within.start + m.end() - 1)
        rest = re.match(r"\s*(?:const\s*)?(?:final|override)?\s*\{", masked[close + 1 :])
        if rest:
            open_idx = close + rest.end()
            return Span(open_idx + 1, match_close(masked, open_idx))
    return None


def _constructor_members(masked: str, cls: str, body: Span) -> dict[str, int]:
    """`explicit X(T a, U b) : m_(a), n_(b) {}` -> {"m_": 0, "n_": 1}."""
    m = re.compile(r"\b" + cls + r"\s*\(([^()]*)\)\s*:\s*([^{;]*)\{").search(
        masked, body.start, body.end
    )
    if m is None:
        return {}
    params = [p.split()[-1] for p in split_args(m.group(1)) if p.split()]
    members: dict[str, int] = {}
    for init in re.finditer(r"(\w+)\s*\(\s*(\w+)\s*\)", m.group(2)):
        if init.group(2) in params:
            members[init.group(1)] = params.index(init.group(2))
    return members


def parser_classes(masked: str) -> dict[str, ParserClass]:
    """Every class deriving from TFLiteOperationParser, with its IsSupported and Parse bodies."""
    found: dict[str, ParserClass] = {}
    head = re.compile(r"\bclass\s+(\w+)\s*(?:final\s*)?:\s*public\s+" + BASE_CLASS + r"\s*\{")
    for m in head.finditer(masked):
        body = Span(m.end(), match_close(masked, m.end() - 1))
        is_supported = _method(masked, body, "IsSupported")
        if is_supported is None:
            raise ScrapeError(f"{m.group(1)}: no IsSupported definition")
        members = _constructor_members(masked, m.group(1), body)
        found[m.group(1)] = ParserClass(
            m.group(1), members, is_supported, _method(masked, body, "Parse")
        )
    if not found:
        raise ScrapeError(f"no classes deriving from {BASE_CLASS}")
    return found


@dataclass(frozen=True)
class Returned:
    """A parser NewOperationParser returns for one op."""

    parser: str
    args: tuple[str, ...]
    needs_quant_ops: bool
    line: int


_MAKE = re.compile(r"\breturn\s+(?:std|absl)::make_unique\s*<\s*(\w+)\s*>\s*\(")


def _returned(masked: str, span: Span, line: int) -> list[Returned]:
    """The `return std::make_unique<P>(args)` statements in `span`, outside the rejecting ones."""
    out = []
    for m in _MAKE.finditer(masked, span.start, span.end):
        if m.group(1) in REJECTING:
            continue
        close = match_close(masked, m.end() - 1)
        args = tuple(re.sub(r"\s+", "", a) for a in split_args(masked[m.end() : close]))
        before = masked[span.start : m.start()]
        guarded = re.search(r"\bif\s*\(\s*" + QUANT_FLAG + r"\s*\)\s*\{?\s*$", before)
        out.append(Returned(m.group(1), args, guarded is not None, line))
    return out


def _label_lines(text: str, masked: str, switch: Span) -> dict[str, int]:
    return {
        m.group(1): line_of(text, m.start())
        for m in re.finditer(r"\bcase\s+(kTfLiteBuiltin\w+)\s*:", masked[: switch.end])
        if m.start() >= switch.start
    }


def switch_parsers(text: str, masked: str) -> tuple[dict[str, Returned], dict[str, Returned]]:
    """NewOperationParser: kTfLiteBuiltin label -> parser, custom name -> parser."""
    body = function_body(masked, FUNCTION)
    groups = switch_cases(masked, body)
    lines = _label_lines(text, masked, body)
    builtins: dict[str, Returned] = {}
    custom: dict[str, Returned] = {}
    for group in groups:
        if group.labels == ("kTfLiteBuiltinCustom",):
            custom = _custom_branches(text, masked, group.body)
            continue
        if "default" in group.labels:
            continue
        found = _returned(masked, group.body, lines[group.labels[0]])
        if len(found) != 1:
            raise ScrapeError(f"{FUNCTION}: {group.labels[0]} returns {len(found)} parsers")
        for label in group.labels:
            builtins[label] = Returned(
                found[0].parser, found[0].args, found[0].needs_quant_ops, lines[label]
            )
    if not builtins:
        raise ScrapeError(f"{FUNCTION}: no case labels returning a parser")
    return builtins, custom


def _custom_branches(text: str, masked: str, span: Span) -> dict[str, Returned]:
    """`if (custom_name == "X") { return std::make_unique<P>(...); }` branches of a case."""
    out: dict[str, Returned] = {}
    for m in re.finditer(r"\bif\s*\(\s*\w+\s*==\s*\"", masked[: span.end]):
        if m.start() < span.start:
            continue
        close = match_close(masked, masked.index("(", m.start()))
        name = _literal(text, masked, m.start())
        end = match_close(masked, masked.index("{", close)) + 1
        found = _returned(masked, Span(close, end), line_of(text, m.start()))
        if len(found) != 1:
            raise ScrapeError(f"{FUNCTION}: custom op {name!r} returns {len(found)} parsers")
        out[name] = found[0]
    return out


def custom_parsers(text: str) -> dict[str, str]:
    """NewCustomOperationParser of custom_parsers.cc: custom op name -> parser class."""
    masked = mask(text)
    body = function_body(masked, CUSTOM_FUNCTION)
    out: dict[str, str] = {}
    for m in re.finditer(r"\bif\s*\(\s*\w+\s*==\s*\"", masked[: body.end]):
        if m.start() < body.start:
            continue
        name = _literal(text, masked, m.start())
        ret = _MAKE.search(masked, m.end(), body.end)
        if ret is None:
            raise ScrapeError(f"{CUSTOM_FUNCTION}: {name!r} returns no parser")
        out[name] = ret.group(1)
    return out


def excluded_without_opencl(delegate_cc: str) -> list[str]:
    """DelegatePrepare of delegate.cc: the builtins inserted into excluded_ops without OpenCL."""
    masked = mask(delegate_cc)
    m = re.search(r"\bif\s*\(\s*!\s*(?:\w+::)*OpenCLSupported\s*\(\s*\)\s*\)\s*\{", masked)
    if m is None:
        raise ScrapeError("delegate.cc: no `if (!...OpenCLSupported())` block")
    block = masked[m.end() : match_close(masked, m.end() - 1)]
    labels = re.findall(r"\.insert\s*\(\s*(kTfLiteBuiltin\w+)\s*\)", block)
    if not labels:
        raise ScrapeError("delegate.cc: the OpenCLSupported() block excludes no builtins")
    return labels


def operation_names(operations_cc: str) -> dict[str, str]:
    """`ToString(enum OperationType)` of operations.cc: enumerator -> its string."""
    masked = mask(operations_cc)
    m = re.search(r"\bToString\s*\(\s*(?:enum\s+)?OperationType\b[^)]*\)\s*\{", masked)
    if m is None:
        raise ScrapeError("operations.cc: no ToString(OperationType) definition")
    end = match_close(masked, m.end() - 1)
    names = {
        c.group(1): _literal(operations_cc, masked, c.end() - 1)
        for c in re.finditer(r"\bcase\s+OperationType::(\w+)\s*:\s*return\s*\"", masked[:end])
        if c.start() > m.end()
    }
    if not names:
        raise ScrapeError("operations.cc: ToString(OperationType) has no cases")
    return names


def predicates(masked: str) -> dict[str, list[str]]:
    """`bool Name(...) { return x == A || x == B ...; }`: Name -> [A, B, ...] (qualifiers cut)."""
    out: dict[str, list[str]] = {}
    for m in re.finditer(r"\bbool\s+(\w+)\s*\([^()]*\)\s*\{", masked):
        body = masked[m.end() : match_close(masked, m.end() - 1)]
        names = re.findall(r"==\s*(?:\w+::)*(\w+)", body)
        if names and re.fullmatch(r"\s*return[\w\s:=|]*;\s*", body):
            out[m.group(1)] = names
    return out


# --------------------------------------------------------------------------------------------
# One parser class for one op: resolved with the constructor arguments NewOperationParser gives.


def _member_value(cls: ParserClass, member: str, args: tuple[str, ...]) -> str:
    if member not in cls.members or cls.members[member] >= len(args):
        raise ScrapeError(f"{cls.name}: cannot resolve member {member}")
    return args[cls.members[member]]


def _cap(masked: str, cls: ParserClass, args: tuple[str, ...]) -> int | None:
    """The N of `CheckMaxSupportedOpVersion(registration, N)` in IsSupported (None: no call)."""
    span = cls.is_supported
    body = masked[span.start : span.end]
    found = list(re.finditer(r"\b" + VERSION_CHECK + r"\s*\(", body))
    if not found:
        return None
    if len(found) > 1:
        raise ScrapeError(f"{cls.name}::IsSupported: {len(found)} {VERSION_CHECK} calls")
    open_idx = span.start + found[0].end() - 1
    call_args = split_args(masked[open_idx + 1 : match_close(masked, open_idx)])
    expr = call_args[-1]
    if not re.fullmatch(r"\d+", expr):
        decl = re.search(r"\bint\s+" + re.escape(expr) + r"\s*=\s*([^;]*);", body)
        if decl is None:
            raise ScrapeError(f"{cls.name}::IsSupported: cannot resolve {expr}")
        expr = re.sub(r"\s+", " ", decl.group(1)).strip()
    if re.fullmatch(r"\d+", expr):
        return int(expr)
    tern = re.fullmatch(r"\(?\s*(\w+)\s*==\s*([\w:]+)\s*\)?\s*\?\s*(\d+)\s*:\s*(\d+)", expr)
    if tern is None:
        raise ScrapeError(f"{cls.name}::IsSupported: unsupported version cap {expr!r}")
    value = _member_value(cls, tern.group(1), args)
    return int(tern.group(3) if value == tern.group(2) else tern.group(4))


_REGULAR = (
    r"RETURN_IF_ERROR\s*\(\s*" + VERSION_CHECK + r"\s*\([^;]*\)\s*\)\s*;",
    r"(?:const\s+)?int\s+\w+\s*=[^;]*;",
    r"return\s+" + COMPAT_CHECK + r"\s*\([^;]*\)\s*;",
    r"return\s+absl::OkStatus\s*\(\s*\)\s*;",
)


def _residual(masked: str, span: Span) -> str:
    """IsSupported's body without the regular statements: what else it checks."""
    rest = masked[span.start : span.end]
    for pattern in _REGULAR:
        rest = re.sub(pattern, " ", rest)
    return rest.strip()


Names = Callable[[str], list[str]]
"""A predicate's name -> the op names it lists, as the table spells them."""


def _other_checks(masked: str, cls: ParserClass, args: tuple[str, ...], preds: Names) -> list[str]:
    """The CHECK_NOTES of the class, when its extra checks apply to this op."""
    residual = _residual(masked, cls.is_supported)
    if bool(residual) != (cls.name in CHECK_NOTES):
        what = "has checks not described" if residual else "is described but has no checks"
        raise ScrapeError(f"{cls.name}::IsSupported {what} in CHECK_NOTES")
    if not residual:
        return []
    guard = re.match(r"if\s*\(\s*(\w+)\s*\(\s*(\w+)\s*\)\s*\)\s*\{", residual)
    whole = guard is not None and match_close(residual, guard.end() - 1) == len(residual) - 1
    if guard is not None and whole and guard.group(2) in cls.members:
        # `if (Pred(member_)) { ... }` and nothing else: only the ops Pred lists are checked.
        value = _member_value(cls, guard.group(2), args).split("::")[-1]
        if value not in preds(guard.group(1)):
            return []
    return [_fill(note, preds) for note in CHECK_NOTES[cls.name]]


def _fill(note: str, preds: Names) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ", ".join(preds(m.group(1))), note)


def _operation(
    masked: str, cls: ParserClass, args: tuple[str, ...], names: Mapping[str, str]
) -> str | None:
    """The OperationType Parse assigns at its top level (not inside a nested block), if one."""
    if cls.parse is None:
        return None
    top, depth = [], 0
    for ch in masked[cls.parse.start : cls.parse.end]:
        depth += (ch == "{") - (ch == "}")
        top.append(ch if depth == 0 and ch != "}" else " ")
    found = set()
    for m in re.finditer(r"\bToString\s*\(\s*([\w:]+)\s*\)", "".join(top)):
        value = m.group(1)
        if not value.startswith("OperationType::"):
            value = _member_value(cls, value, args)
        found.add(value.removeprefix("OperationType::"))
    if len(found) != 1:
        return None
    op = found.pop()
    if op not in names:
        raise ScrapeError(f"{cls.name}: OperationType::{op} has no ToString name")
    return names[op]


def _entry(
    masked: str,
    classes: Mapping[str, ParserClass],
    ret: Returned,
    names: Mapping[str, str],
    preds: Names,
) -> dict[str, Any]:
    if ret.parser not in classes:
        raise ScrapeError(f"{FUNCTION} returns {ret.parser}, which is not defined")
    cls = classes[ret.parser]
    span = cls.is_supported
    entry: dict[str, Any] = {
        "parser": ret.parser,
        "operation": _operation(masked, cls, ret.args, names),
        "max_version": _cap(masked, cls, ret.args),
        "checks_compatibility": COMPAT_CHECK in masked[span.start : span.end],
        "needs_quant_ops": ret.needs_quant_ops,
        "line": ret.line,
    }
    checks = _other_checks(masked, cls, ret.args, preds)
    if checks:
        entry["other_checks"] = checks
    return entry


def parse(
    model_builder_cc: str,
    *,
    custom_parsers_cc: str,
    delegate_cc: str,
    operations_cc: str,
    builtin_ops_h: str,
    schema_fbs: str,
    revision: str = REVISION,
) -> dict[str, Any]:
    """The gpu_parsers table scraped from `model_builder.cc` and its COMPANION_PATHS texts."""
    masked = mask(model_builder_cc)
    codes = builtin_codes(builtin_ops_h)
    schema = schema_operators(schema_fbs)

    def schema_name(label: str) -> str:
        if label not in codes or codes[label] not in schema:
            raise ScrapeError(f"{label} has no BuiltinOperator in schema.fbs")
        return schema[codes[label]]

    classes = parser_classes(masked)
    names = operation_names(operations_cc)
    listed = predicates(masked)

    def preds(name: str) -> list[str]:
        if name not in listed:
            raise ScrapeError(f"no predicate {name}(...) listing op names")
        return [schema_name(v) if v.startswith("kTfLiteBuiltin") else v for v in listed[name]]

    builtins, custom = switch_parsers(model_builder_cc, masked)
    extra = custom_parsers(custom_parsers_cc)
    for name, parser in extra.items():
        if name in custom:
            continue
        custom[name] = Returned(parser, (), False, 0)
    table_custom = {}
    for name, ret in sorted(custom.items()):
        if ret.parser in classes:
            table_custom[name] = _entry(masked, classes, ret, names, preds)
        else:  # defined in custom_parsers.cc or elsewhere: nothing known about it here
            table_custom[name] = _unknown_entry(ret)
    return {
        "format": FORMAT,
        "source": {
            "repository": REPOSITORY,
            "commit": revision,
            "path": SOURCE_PATH,
            "function": FUNCTION,
        },
        "builtins": {
            schema_name(label): _entry(masked, classes, ret, names, preds)
            for label, ret in sorted(builtins.items(), key=lambda kv: schema_name(kv[0]))
        },
        "custom": table_custom,
        "excluded_without_opencl": sorted(
            schema_name(x) for x in excluded_without_opencl(delegate_cc)
        ),
    }


def _unknown_entry(ret: Returned) -> dict[str, Any]:
    return {
        "parser": ret.parser,
        "operation": None,
        "max_version": None,
        "checks_compatibility": False,
        "needs_quant_ops": False,
        "line": ret.line,
    }
