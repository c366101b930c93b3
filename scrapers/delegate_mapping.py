"""Scrape the NNAPI delegate's builtin-op mapping table from `nnapi_delegate.cc`.

For every builtin that `NNAPIDelegateKernel::Validate` has a `case` for, the table records the
NNAPI operation(s) the delegate emits for it (from `NNAPIDelegateKernel::Map` and the lowering
helpers called from `NNAPIDelegateKernel::AddOpsAndTensors`), the lowest level Validate accepts
it at, the highest op version per level, and the kinds of condition too irregular to scrape.

`parse` is pure and deterministic: it takes the texts of the delegate source and of three
companion files (the level constants of `nnapi_delegate_kernel.h`, the `kTfLiteBuiltin*` codes of
`builtin_ops.h`, the `BuiltinOperator` enum of `schema.fbs`) and returns the table as a dict.
Only the C++ shapes the delegate uses are understood; anything else is reported, not guessed.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opcompat.errors import ScrapeError
from scrapers import jsonio

TABLE = "delegate_mapping"
REPOSITORY = "google-ai-edge/LiteRT"
REVISION = "f67457790c9c2ab67347d6fe53270e8d3df20868"
SOURCE_PATH = "tflite/delegates/nnapi/nnapi_delegate.cc"
# Companion files parse() needs, by keyword argument, as paths in the same repository.
COMPANION_PATHS: dict[str, str] = {
    "kernel_h": "tflite/delegates/nnapi/nnapi_delegate_kernel.h",
    "builtin_ops_h": "tflite/builtin_ops.h",
    "schema_fbs": "tflite/converter/schema/schema.fbs",
}

VALIDATE = "NNAPIDelegateKernel::Validate"
MAP = "NNAPIDelegateKernel::Map"
ADD_OPS = "NNAPIDelegateKernel::AddOpsAndTensors"
BASE_LEVEL = 27  # kMinSdkVersionForNNAPI: Validate is never asked below it.
LEVEL_VAR = "android_sdk_version"
VERSION_VAR = "version"
VERSION_CHECKS = ("ExpectMaxOpVersion", "ExpectOpVersion")  # both test `version <= N`
MIN_LEVEL_CHECK = "ExpectMinAndroidSdkVersion"

# --------------------------------------------------------------------------------------------
# C++ text helpers. Everything structural works on a "masked" copy of the source in which
# comments and the contents of string/char literals are blanked (same length, newlines kept),
# so offsets and line numbers are those of the original text.


def mask(text: str) -> str:
    """`text` with comments and literal contents replaced by spaces (newlines kept)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def match_close(masked: str, open_idx: int) -> int:
    """Index of the bracket closing the one at `open_idx`."""
    opener = masked[open_idx]
    closer = _PAIRS[opener]
    depth = 0
    for k in range(open_idx, len(masked)):
        ch = masked[k]
        if ch == opener:
            depth += 1
        elif ch == closer:
            depth -= 1
            if depth == 0:
                return k
    raise ScrapeError(f"unbalanced {opener!r} at offset {open_idx}")


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def split_args(masked_args: str) -> list[str]:
    """Top-level comma-separated arguments of a call (text between its parentheses)."""
    args: list[str] = []
    depth, start = 0, 0
    for k, ch in enumerate(masked_args):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            args.append(masked_args[start:k].strip())
            start = k + 1
    tail = masked_args[start:].strip()
    if tail or args:
        args.append(tail)
    return args


@dataclass(frozen=True)
class Span:
    start: int
    end: int  # exclusive

    def contains(self, offset: int) -> bool:
        return self.start <= offset < self.end


def function_body(masked: str, qualified_name: str) -> Span:
    """The span inside the braces of the definition of `qualified_name`."""
    for m in re.finditer(re.escape(qualified_name) + r"\s*\(", masked):
        close = match_close(masked, m.end() - 1)
        rest = re.match(r"\s*(?:const\s*)?(?:override\s*)?\{", masked[close + 1 :])
        if rest:
            open_idx = close + rest.end()
            return Span(open_idx + 1, match_close(masked, open_idx))
    raise ScrapeError(f"no definition of {qualified_name} found")


def defined_functions(masked: str) -> dict[str, Span]:
    """Every function or method defined in the text (name -> body span); the first wins."""
    found: dict[str, Span] = {}
    head = re.compile(r"\b(?:TfLiteStatus|void|bool|int|static\s+\w+)\s+(?:[\w:]+::)?(\w+)\s*\(")
    for m in head.finditer(masked):
        try:
            close = match_close(masked, m.end() - 1)
        except ScrapeError:
            continue
        rest = re.match(r"\s*(?:const\s*)?\{", masked[close + 1 :])
        if rest and m.group(1) not in found:
            open_idx = close + rest.end()
            found[m.group(1)] = Span(open_idx + 1, match_close(masked, open_idx))
    return found


@dataclass(frozen=True)
class CaseGroup:
    """`case A: case B: { ... } break;` of a switch: its labels and body."""

    labels: tuple[str, ...]
    label_start: int
    body: Span


def switch_cases(masked: str, within: Span, subject: str = "builtin_code") -> list[CaseGroup]:
    """The case groups of the first `switch (<subject>)` inside `within`."""
    m = re.compile(r"\bswitch\s*\(\s*" + re.escape(subject) + r"\s*\)\s*\{").search(
        masked, within.start, within.end
    )
    if m is None:
        raise ScrapeError(f"no switch ({subject}) found")
    open_idx = m.end() - 1
    body = Span(open_idx + 1, match_close(masked, open_idx))
    label_re = re.compile(r"\bcase\s+(\w+)\s*:(?!:)|\bdefault\s*:")
    labels: list[tuple[int, int, str]] = []  # (start, end, name)
    depth, pos = 0, body.start
    for lm in label_re.finditer(masked, body.start, body.end):
        seg = masked[pos : lm.start()]
        depth += seg.count("{") - seg.count("}")
        pos = lm.start()
        if depth == 0:
            labels.append((lm.start(), lm.end(), lm.group(1) or "default"))
    groups: list[CaseGroup] = []
    k = 0
    while k < len(labels):
        names = [labels[k][2]]
        first = labels[k][0]
        while k + 1 < len(labels) and not masked[labels[k][1] : labels[k + 1][0]].strip():
            k += 1
            names.append(labels[k][2])
        end = labels[k + 1][0] if k + 1 < len(labels) else body.end
        groups.append(CaseGroup(tuple(names), first, Span(labels[k][1], end)))
        k += 1
    return groups


def block_inside(masked: str, span: Span) -> Span:
    """The inside of the `{ ... }` block a case body starts with, else the body itself."""
    m = re.match(r"\s*\{", masked[span.start : span.end])
    if m is None:
        return span
    open_idx = span.start + m.end() - 1
    return Span(open_idx + 1, match_close(masked, open_idx))


@dataclass(frozen=True)
class IfStmt:
    """`if (cond) then [else other]` (an `else if` chain nests in `orelse`)."""

    span: Span
    cond: Span
    then: Span
    orelse: Span | None


def _statement_end(masked: str, start: int, limit: int) -> int:
    """End (exclusive) of the statement starting at `start`: a block or up to `;`."""
    m = re.match(r"\s*", masked[start:limit])
    k = start + (m.end() if m else 0)
    if k < limit and masked[k] == "{":
        return match_close(masked, k) + 1
    if re.match(r"if\b", masked[k:limit]):
        return _parse_if(masked, k, limit).span.end
    depth = 0
    while k < limit:
        ch = masked[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ";" and depth == 0:
            return k + 1
        k += 1
    return limit


def _parse_if(masked: str, if_idx: int, limit: int) -> IfStmt:
    paren = masked.index("(", if_idx)
    close = match_close(masked, paren)
    then_end = _statement_end(masked, close + 1, limit)
    then = Span(close + 1, then_end)
    orelse = None
    end = then_end
    m = re.match(r"\s*else\b", masked[then_end:limit])
    if m:
        else_start = then_end + m.end()
        end = _statement_end(masked, else_start, limit)
        orelse = Span(else_start, end)
    return IfStmt(Span(if_idx, end), Span(paren + 1, close), then, orelse)


def if_statements(masked: str, within: Span) -> list[IfStmt]:
    """Every `if` statement inside `within`, outermost first (else-if chains included)."""
    stmts = []
    for m in re.finditer(r"\bif\s*\(", masked[within.start : within.end]):
        idx = within.start + m.start()
        stmts.append(_parse_if(masked, idx, within.end))
    return stmts


def lambda_bodies(masked: str, within: Span) -> list[Span]:
    """Bodies of the lambdas inside `within` (a `return` there does not leave the function)."""
    spans = []
    for m in re.finditer(
        r"\]\s*\([^()]*\)\s*(?:->\s*[\w:]+\s*)?\{", masked[within.start : within.end]
    ):
        open_idx = within.start + m.end() - 1
        spans.append(Span(open_idx, match_close(masked, open_idx) + 1))
    return spans


def brace_depth(masked: str, within: Span, offset: int) -> int:
    seg = masked[within.start : offset]
    return seg.count("{") - seg.count("}")


@dataclass(frozen=True)
class Call:
    name: str
    span: Span  # from the name to the closing parenthesis
    args: tuple[str, ...]


def calls(masked: str, within: Span, name_pattern: str) -> list[Call]:
    found = []
    for m in re.finditer(r"\b(" + name_pattern + r")\s*\(", masked[within.start : within.end]):
        start = within.start + m.start()
        open_idx = within.start + m.end() - 1
        close = match_close(masked, open_idx)
        found.append(
            Call(
                m.group(1), Span(start, close + 1), tuple(split_args(masked[open_idx + 1 : close]))
            )
        )
    return found


# --------------------------------------------------------------------------------------------
# Companion files: names and constants.


def level_constants(*texts: str) -> dict[str, int]:
    """`constexpr int32_t kName = N;` constants (the kMinSdkVersion*/kNNAPIRuntimeFeatureLevel*)."""
    consts: dict[str, int] = {}
    for text in texts:
        for m in re.finditer(
            r"\bconstexpr\s+(?:u?int(?:32_t)?|auto)\s+(k\w+)\s*=\s*(\d+)\s*;", mask(text)
        ):
            consts.setdefault(m.group(1), int(m.group(2)))
    return consts


def builtin_codes(builtin_ops_h: str) -> dict[str, int]:
    """`kTfLiteBuiltinX = N` of builtin_ops.h."""
    codes = {
        m.group(1): int(m.group(2))
        for m in re.finditer(r"\b(kTfLiteBuiltin\w+)\s*=\s*(\d+)", mask(builtin_ops_h))
    }
    if not codes:
        raise ScrapeError("builtin_ops.h: no kTfLiteBuiltin* enumerators found")
    return codes


def schema_operators(schema_fbs: str) -> dict[int, str]:
    """`BuiltinOperator` enum of schema.fbs: code -> name."""
    masked = mask(schema_fbs)
    m = re.search(r"\benum\s+BuiltinOperator\s*:\s*\w+\s*\{", masked)
    if m is None:
        raise ScrapeError("schema.fbs: no enum BuiltinOperator found")
    body = masked[m.end() : match_close(masked, m.end() - 1)]
    ops: dict[int, str] = {}
    for em in re.finditer(r"\b([A-Z][A-Z0-9_]*)\s*=\s*(-?\d+)", body):
        code = int(em.group(2))
        if code in ops:
            raise ScrapeError(f"schema.fbs: code {code} is used twice ({ops[code]}, {em.group(1)})")
        ops[code] = em.group(1)
    return ops


# --------------------------------------------------------------------------------------------
# NNAPI operations: Map, lowering helpers, and AddOpsAndTensors' builtin-specific branches.

# Where an operation code (not an operand type or a fused-activation code) is named.
_OP_SITES = re.compile(
    r"\*\s*nn_op_type\s*=\s*(ANEURALNETWORKS_\w+)"
    r"|\b(?:FinalizeAddOperation|AddOperationToModel)\s*\(\s*(ANEURALNETWORKS_\w+)"
    r"|\b\w*op_(?:code|type)\w*\s*=\s*(ANEURALNETWORKS_\w+)"
)


def _direct_ops(masked: str, span: Span) -> set[str]:
    ops = set()
    for m in _OP_SITES.finditer(masked, span.start, span.end):
        ops.add(m.group(1) or m.group(2) or m.group(3))
    return ops


def _called_names(masked: str, span: Span) -> set[str]:
    return {m.group(1) for m in re.finditer(r"\b(\w+)\s*\(", masked[span.start : span.end])}


def helper_operations(masked: str, functions: Mapping[str, Span]) -> dict[str, set[str]]:
    """Per function: the NNAPI operations it adds, directly or through the functions it calls."""
    ops = {name: _direct_ops(masked, span) for name, span in functions.items()}
    callees = {
        name: _called_names(masked, span) & functions.keys() - {name}
        for name, span in functions.items()
    }
    changed = True
    while changed:
        changed = False
        for name in functions:
            for callee in callees[name]:
                if not ops[callee] <= ops[name]:
                    ops[name] |= ops[callee]
                    changed = True
    return ops


_EXCLUDED_HELPERS = {"AddOpsAndTensors", "Map", "Validate", "BuildGraph", "Init", "Prepare"}


def _ops_in(masked: str, span: Span, helpers: Mapping[str, set[str]]) -> set[str]:
    ops = _direct_ops(masked, span)
    for name in _called_names(masked, span):
        if name in helpers and name not in _EXCLUDED_HELPERS:
            ops |= helpers[name]
    return ops


def _post_switch_operations(
    masked: str, body: Span, helpers: Mapping[str, set[str]]
) -> dict[str, set[str]]:
    """Case label -> ops of a `switch (builtin_code)` helper, including those after the switch."""
    try:
        groups = switch_cases(masked, body)
    except ScrapeError:
        return {}
    default = [g for g in groups if "default" in g.labels]
    if not default or not re.search(
        r"\breturn\b", masked[default[0].body.start : default[0].body.end]
    ):
        return {}
    switch_end = max(g.body.end for g in groups) + 1  # the switch's closing brace
    after = _ops_in(masked, Span(switch_end, body.end), helpers)
    found: dict[str, set[str]] = {}
    for group in groups:
        if "default" in group.labels:
            continue
        returns = re.search(r"\breturn\b", masked[group.body.start : group.body.end])
        ops = _ops_in(masked, group.body, helpers) | (set() if returns else after)
        for label in group.labels:
            found.setdefault(label, set()).update(ops)
    return found


def map_operations(masked: str, enum_names: Iterable[str]) -> dict[str, set[str]]:
    """Builtin enum name (kTfLiteBuiltinX) -> NNAPI operation names (ANEURALNETWORKS_ stripped)."""
    functions = defined_functions(masked)
    helpers = helper_operations(masked, functions)
    result: dict[str, set[str]] = {name: set() for name in enum_names}
    for group in switch_cases(masked, function_body(masked, MAP)):
        ops = _ops_in(masked, group.body, helpers)
        for label in group.labels:
            if label in result:
                result[label] |= ops
    # Builtin-specific branches of AddOpsAndTensors: lowerings and ops added before/after Map's.
    add_ops = function_body(masked, ADD_OPS)
    # Helpers it calls with the builtin code that pick builtins with a switch whose default
    # returns: what they add after the switch is added for the builtins of their case labels.
    for name in sorted(_called_names(masked, add_ops) & functions.keys() - _EXCLUDED_HELPERS):
        for label, ops in _post_switch_operations(masked, functions[name], helpers).items():
            if label in result:
                result[label] |= ops
    stmts = if_statements(masked, add_ops)
    for stmt in stmts:
        cond = masked[stmt.cond.start : stmt.cond.end]
        builtins = set(re.findall(r"builtin_code\s*==\s*(kTfLiteBuiltin\w+)", cond))
        if not builtins:
            continue
        ops = _ops_in(masked, stmt.then, helpers)
        # An output index set in the branch and tested later selects an op added after Map's.
        written = set(re.findall(r"&\s*(\w+)", masked[stmt.then.start : stmt.then.end]))
        for later in stmts:
            later_cond = masked[later.cond.start : later.cond.end]
            if later.span.start > stmt.span.end and "builtin_code" not in later_cond:
                if any(
                    re.search(r"\b" + re.escape(w) + r"\s*>\s*-1\b", later_cond) for w in written
                ):
                    ops |= _ops_in(masked, later.then, helpers)
        for name in builtins:
            if name in result:
                result[name] |= ops
    return {
        name: {op.removeprefix("ANEURALNETWORKS_") for op in ops} for name, ops in result.items()
    }


# --------------------------------------------------------------------------------------------
# Validate: one case body at a time.

# Kinds of condition, tested in order on the residual body text (the regular checks removed).
# (key, description, pattern)
_KINDS: tuple[tuple[str, str, str], ...] = (
    (
        "type",
        "tensor type check",
        r"\.type\b|EXPECT_INPUT_TYPE_IN|ExpectTypeIn|ExpectIs\w*Operator|\bIs(?:Float|Quantized|Int32)\w*\(",
    ),
    ("option", "builtin option check", r"builtin_data"),
    ("constant", "constant-input check", r"allocation_type|kTfLiteMmapRo|IsConstantTensor"),
    ("rank", "rank check", r"dims->size"),
    (
        "shape",
        "shape/dimension value check",
        r"dims->data\s*\[|HasZeroes|TfLiteIntArrayEqual|\bdims\)",
    ),
    ("inputs", "input count check", r"inputs->size"),
    ("hybrid", "hybrid operator check", r"IsHybridOperator"),
    (
        "quantization",
        "quantization parameter check",
        r"\.params\b|\.scale\b|zero_point|quantization|ExpectIsRestrictedScalesCompliant",
    ),
    (
        "values",
        "constant tensor value check",
        r"\bdata\.(?:i32|i64|f|uint8|raw)\b|\.bytes\b|ComputeSplitV\w*",
    ),
    ("builtin", "condition on which builtin of the shared case it is", r"builtin_code\s*[=!]="),
    ("variant", "kernel variant check", r"\bis\w*Kernel\s*\("),
    ("broadcast", "broadcast check", r"IsBroadcast\w*"),
    ("accelerator", "depends on is_accelerator_specified", r"\bis_accelerator_specified\b"),
)


def _const_value(token: str, consts: Mapping[str, int]) -> int | None:
    token = token.strip()
    if token.isdigit():
        return int(token)
    return consts.get(token)


def _level_comparisons(text: str, consts: Mapping[str, int]) -> list[tuple[str, int]]:
    found = []
    for m in re.finditer(LEVEL_VAR + r"\s*(>=|<=|==|!=|<|>)\s*(\w+)", text):
        value = _const_value(m.group(2), consts)
        if value is None:
            raise ScrapeError(f"unknown level constant {m.group(2)!r}")
        found.append((m.group(1), value))
    return found


def _expand_locals(body_text: str) -> dict[str, str]:
    """Local variable -> initializer text, to see through `const auto x = ...;`."""
    decls: dict[str, str] = {}
    for m in re.finditer(r"\b(\w+)\s*=(?!=)\s*([^;]+);", body_text):
        decls.setdefault(m.group(1), m.group(2))
    return decls


def _with_locals(text: str, decls: Mapping[str, str], depth: int = 3) -> str:
    out = text
    frontier = text
    for _ in range(depth):
        extra = " ".join(decls[w] for w in set(re.findall(r"\b\w+\b", frontier)) if w in decls)
        if not extra:
            break
        out += " " + extra
        frontier = extra
    return out


@dataclass
class CaseFacts:
    min_level: int
    min_level_expect: str | None  # the check that sets min_level; None when it is 27 by default
    max_version: list[dict[str, Any]] | None
    version_check: str  # "steps" | "none" | "irregular"
    irregular: list[str]


def _version_steps(
    stmt: IfStmt, masked: str, consts: Mapping[str, int], version_calls: list[Call]
) -> list[dict[str, Any]] | None:
    """Steps of `if (level CMP K) {ExpectMaxOpVersion(A)} else {...}`, else None."""
    cond = masked[stmt.cond.start : stmt.cond.end].strip()
    m = re.fullmatch(LEVEL_VAR + r"\s*(>=|>|<|<=)\s*(\w+)", cond)
    if m is None or stmt.orelse is None:
        return None
    threshold = _const_value(m.group(2), consts)
    if threshold is None:
        return None
    op = m.group(1)
    if op in (">", "<="):
        threshold += 1
    then_v = _single_version(masked, stmt.then, consts, version_calls)
    if re.match(r"\s*if\b", masked[stmt.orelse.start : stmt.orelse.end]):
        inner = _parse_if(
            masked, stmt.orelse.start + masked[stmt.orelse.start :].index("if"), stmt.orelse.end
        )
        nested = _version_steps(inner, masked, consts, version_calls)
        if nested is None or op not in (">=", ">"):
            return None
        below_steps = nested
    else:
        else_v = _single_version(masked, stmt.orelse, consts, version_calls)
        if else_v is None:
            return None
        below_steps = [_step(BASE_LEVEL, else_v)]
    if then_v is None:
        return None
    if op in ("<", "<="):  # then-branch is the lower range: only the two-branch form
        if len(below_steps) != 1:
            return None
        upper = (below_steps[0]["max_version"], below_steps[0]["expect"])
        below_steps = [_step(BASE_LEVEL, then_v)]
        above = upper
    else:
        above = then_v
    steps = [s for s in below_steps if s["min_level"] < threshold]
    steps.append(_step(max(threshold, BASE_LEVEL), above))
    merged: list[dict[str, Any]] = []
    for s in steps:
        if merged and (merged[-1]["max_version"], merged[-1]["expect"]) == (
            s["max_version"],
            s["expect"],
        ):
            continue
        merged.append(s)
    return merged


def _step(min_level: int, check: tuple[int, str]) -> dict[str, Any]:
    return {"min_level": min_level, "max_version": check[0], "expect": check[1]}


def _single_version(
    masked: str, span: Span, consts: Mapping[str, int], version_calls: list[Call]
) -> tuple[int, str] | None:
    """(N, check name) of a branch that holds nothing but one version check, else None."""
    inside = [c for c in version_calls if span.contains(c.span.start)]
    text = masked[span.start : span.end]
    if len(inside) != 1 or len(re.findall(r"\b" + VERSION_VAR + r"\b", text)) != 1:
        return None
    # Only the check itself may be in the branch.
    rest = text.replace(masked[inside[0].span.start : inside[0].span.end], "")
    if re.sub(r"[\s{};]", "", rest):
        return None
    value = _const_value(inside[0].args[1], consts)
    return None if value is None else (value, inside[0].name)


def _returned(text: str) -> str:
    """What a `return X` at the start of `text` returns (X)."""
    m = re.match(r"return\s+([\w.]+)", text)
    if m is None:
        raise ScrapeError(f"cannot read the return statement {text[:40]!r}")
    return m.group(1)


def analyse_case(masked: str, inner: Span, consts: Mapping[str, int]) -> CaseFacts:
    """Scrape the regular facts of one Validate case body and name its other conditions."""
    consumed: list[Span] = []
    irregular: dict[str, str] = {}
    stmts = if_statements(masked, inner)

    def guards(offset: int) -> list[IfStmt]:
        return [
            s
            for s in stmts
            if (s.then.contains(offset) or (s.orelse is not None and s.orelse.contains(offset)))
        ]

    lambdas = lambda_bodies(masked, inner)
    returns = [
        inner.start + m.start()
        for m in re.finditer(r"\breturn\b", masked[inner.start : inner.end])
        if not any(lb.contains(inner.start + m.start()) for lb in lambdas)
    ]

    # Minimum level: unconditional ExpectMinAndroidSdkVersion, or a plain unconditional
    # Expect(android_sdk_version >= K, ...) that does the same with its own message.
    min_level = BASE_LEVEL
    min_level_expect: str | None = None
    for call in calls(masked, inner, MIN_LEVEL_CHECK):
        if call.args[0] != LEVEL_VAR:
            continue
        value = _const_value(call.args[1], consts)
        if value is None:
            raise ScrapeError(f"unknown level constant {call.args[1]!r}")
        if not guards(call.span.start) and not any(r < call.span.start for r in returns):
            if value > min_level:
                min_level, min_level_expect = value, call.name
            consumed.append(call.span)
    for call in calls(masked, inner, "Expect"):
        m = re.fullmatch(LEVEL_VAR + r"\s*>=\s*(\w+)", call.args[0]) if call.args else None
        if m and not guards(call.span.start) and not any(r < call.span.start for r in returns):
            value = _const_value(m.group(1), consts)
            if value is not None:
                if value > min_level:
                    min_level, min_level_expect = value, call.name
                consumed.append(call.span)
                irregular["min_level_expect"] = (
                    f"minimum level {value} is enforced by a plain Expect on {LEVEL_VAR}, "
                    "with its own failure type and message"
                )

    # Op version.
    version_calls = [
        c
        for c in calls(masked, inner, "|".join(VERSION_CHECKS))
        if c.args and c.args[0] == VERSION_VAR
    ]
    version_refs = [
        inner.start + m.start()
        for m in re.finditer(r"\b" + VERSION_VAR + r"\b", masked[inner.start : inner.end])
    ]
    max_version: list[dict[str, int]] | None = None
    version_check = "none"
    if version_refs:
        version_check = "irregular"
        early = any(r < min(version_refs) for r in returns)
        unguarded = [c for c in version_calls if not guards(c.span.start)]
        if not early and unguarded and len(unguarded) == len(version_calls) == len(version_refs):
            values = [(_const_value(c.args[1], consts), c.name) for c in unguarded]
            known = [(v, name) for v, name in values if v is not None]
            if len(known) == len(values):
                max_version = [_step(BASE_LEVEL, min(known))]
                version_check = "steps"
                consumed.extend(c.span for c in unguarded)
        elif not early and version_calls:
            for stmt in stmts:
                if brace_depth(masked, inner, stmt.span.start) != 0:
                    continue
                if not all(stmt.span.contains(r) for r in version_refs):
                    continue
                steps = _version_steps(stmt, masked, consts, version_calls)
                if steps is not None and not guards(stmt.span.start):
                    max_version = steps
                    version_check = "steps"
                    consumed.append(stmt.span)
                break
        if version_check == "irregular":
            irregular["version"] = _describe_version(
                masked, inner, version_calls, version_refs, guards, returns, consts
            )

    # Everything else: blank out what was consumed and classify the rest.
    chars = list(masked[inner.start : inner.end])
    for span in consumed:
        for k in range(span.start - inner.start, span.end - inner.start):
            if chars[k] != "\n":
                chars[k] = " "
    residual = "".join(chars)
    decls = _expand_locals(residual)
    residual_calls = calls(residual, Span(0, len(residual)), r"Expect\w*|EXPECT_\w+")
    used_text = " ".join(
        _with_locals(c.name + "(" + ",".join(c.args) + ")", decls) for c in residual_calls
    )
    guard_text = " ".join(
        residual[s.cond.start - inner.start : s.cond.end - inner.start]
        for s in stmts
        if s.cond.start >= inner.start
    )
    scan_text = _with_locals(used_text + " " + guard_text, decls)
    for key, label, pattern in _KINDS:
        if re.search(pattern, scan_text):
            irregular[key] = label + _kind_detail(
                key, residual, scan_text, residual_calls, stmts, inner, masked, decls
            )
    levels = _level_comparisons(scan_text, consts)
    guarded_min = [c for c in residual_calls if c.name == MIN_LEVEL_CHECK]
    if levels or guarded_min:
        parts = sorted({f"{LEVEL_VAR} {op} {value}" for op, value in levels})
        for c in guarded_min:
            value = _const_value(c.args[1], consts)
            parts.append(f"{MIN_LEVEL_CHECK}({value}) under a condition")
        irregular["level"] = "level-dependent condition: " + ", ".join(sorted(set(parts)))
    if returns:
        kinds = sorted({_returned(masked[r : r + 80]) for r in returns})
        irregular["return"] = (
            "returns early (" + ", ".join(kinds) + "), skipping the checks after it"
        )
    # Completeness: every remaining check must fall into some kind.
    for c in residual_calls:
        text = _with_locals(c.name + "(" + ",".join(c.args) + ")", decls)
        if c.name == MIN_LEVEL_CHECK or LEVEL_VAR in text:
            continue
        if not any(re.search(p, text) for _, _, p in _KINDS) and not re.search(
            r"\b" + VERSION_VAR + r"\b", text
        ):
            irregular.setdefault(
                "other:" + c.name, f"other check: {c.name} on {' '.join(c.args[:1])}"
            )
    return CaseFacts(
        min_level,
        min_level_expect,
        max_version,
        version_check,
        [irregular[k] for k in sorted(irregular)],
    )


def _kind_detail(
    key: str,
    residual: str,
    scan_text: str,
    residual_calls: list[Call],
    stmts: list[IfStmt],
    inner: Span,
    masked: str,
    decls: Mapping[str, str],
) -> str:
    if key == "type":
        helpers = sorted(
            {
                c.name
                for c in residual_calls
                if re.fullmatch(r"EXPECT_INPUT_TYPE_IN|ExpectTypeIn|ExpectIs\w*Operator", c.name)
            }
        )
        level_dependent = False
        for c in residual_calls:
            text = _with_locals(c.name + "(" + ",".join(c.args) + ")", decls)
            if not re.search(_KINDS[0][2], text):
                continue
            offset = inner.start + c.span.start
            conds = [
                masked[s.cond.start : s.cond.end]
                for s in stmts
                if s.then.contains(offset) or (s.orelse is not None and s.orelse.contains(offset))
            ]
            if LEVEL_VAR in text or any(LEVEL_VAR in cond for cond in conds):
                level_dependent = True
        detail = f" ({', '.join(helpers)})" if helpers else ""
        return detail + ("; the accepted types depend on the level" if level_dependent else "")
    if key == "option":
        fields = set(re.findall(r"builtin_data\s*\)\s*->\s*(\w+)", scan_text))
        for var, init in decls.items():
            if "builtin_data" in init:
                fields |= set(re.findall(r"\b" + re.escape(var) + r"\s*->\s*(\w+)", residual))
        return f" ({', '.join(sorted(fields))})" if fields else ""
    return ""


def _describe_version(
    masked: str,
    inner: Span,
    version_calls: list[Call],
    version_refs: list[int],
    guards: Any,
    returns: list[int],
    consts: Mapping[str, int],
) -> str:
    parts = []
    for c in version_calls:
        conds = []
        for s in guards(c.span.start):
            cond = re.sub(r"\s+", " ", masked[s.cond.start : s.cond.end].strip())
            in_else = s.orelse is not None and s.orelse.contains(c.span.start)
            conds.append(f"not ({cond})" if in_else else cond)
        value = _const_value(c.args[1], consts)
        where = f" when {' and '.join(conds)}" if conds else ""
        parts.append(f"max {value}{where}")
    other = [r for r in version_refs if not any(c.span.contains(r) for c in version_calls)]
    if other:
        allowed = sorted(
            {
                int(v)
                for r in other
                for v in re.findall(VERSION_VAR + r"\s*==\s*(\d+)", masked[r : r + 80])
            }
        )
        parts.append(
            "custom expression"
            + (f" accepting versions {', '.join(map(str, allowed))}" if allowed else "")
        )
    if any(r < min(version_refs) for r in returns):
        parts.append("an early return skips it")
    return "op version check not expressible as level steps: " + "; ".join(parts)


# --------------------------------------------------------------------------------------------
# The table.


def parse(
    source_text: str,
    *,
    kernel_h: str,
    builtin_ops_h: str,
    schema_fbs: str,
    revision: str = REVISION,
) -> dict[str, Any]:
    """The delegate_mapping table scraped from `nnapi_delegate.cc` (`source_text`).

    `kernel_h`, `builtin_ops_h` and `schema_fbs` are the texts of the companion files named in
    COMPANION_PATHS. Raises ScrapeError when the source does not have the expected shape.
    """
    masked = mask(source_text)
    consts = level_constants(kernel_h, source_text)
    codes = builtin_codes(builtin_ops_h)
    schema = schema_operators(schema_fbs)

    def schema_name(enum_name: str) -> str:
        if enum_name not in codes:
            raise ScrapeError(f"{enum_name} is not in builtin_ops.h")
        code = codes[enum_name]
        if code not in schema:
            raise ScrapeError(f"{enum_name} = {code} has no BuiltinOperator in schema.fbs")
        return schema[code]

    validate = function_body(masked, VALIDATE)
    groups = [g for g in switch_cases(masked, validate) if g.labels != ("default",)]
    if not groups:
        raise ScrapeError(f"{VALIDATE}: no case labels found")
    handled = [label for g in groups for label in g.labels if label != "default"]
    nn_ops = map_operations(masked, handled)

    builtins = []
    for group in groups:
        inner = block_inside(masked, group.body)
        facts = analyse_case(masked, inner, consts)
        body_end = group.body.start + len(masked[group.body.start : group.body.end].rstrip())
        labels = [label for label in group.labels if label != "default"]
        names = [schema_name(label) for label in labels]
        for label, name in zip(labels, names, strict=True):
            builtins.append(
                {
                    "name": name,
                    "builtin_code": codes[label],
                    "nnapi_operations": sorted(nn_ops.get(label, set())),
                    "min_level": facts.min_level,
                    "min_level_expect": facts.min_level_expect,
                    "max_version": facts.max_version,
                    "version_check": facts.version_check,
                    "irregular": facts.irregular,
                    "shares_case_with": sorted(n for n in names if n != name),
                    "source": {
                        "function": VALIDATE,
                        "line_start": line_of(source_text, group.label_start),
                        "line_end": line_of(source_text, body_end - 1),
                    },
                }
            )
    seen: set[str] = set()
    for entry in builtins:
        name = str(entry["name"])
        if name in seen:
            raise ScrapeError(f"{VALIDATE}: {name} has two case labels")
        seen.add(name)
    builtins.sort(key=lambda e: str(e["name"]))
    return {
        "table": TABLE,
        "provenance": {
            "repository": REPOSITORY,
            "path": SOURCE_PATH,
            "revision": revision,
            "source_sha256": hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
        },
        "builtins": builtins,
        "never_accepted": sorted(set(schema.values()) - seen),
    }


def dumps(table: Mapping[str, Any]) -> str:
    """The canonical text of a table: sorted keys, indent 1, trailing newline."""
    return jsonio.dumps(table, indent=1, ascii_only=False)


def schema_file() -> Path:
    return Path(__file__).resolve().parent.parent / "op_tables" / "schema" / f"{TABLE}.schema.json"


def validate(table: Mapping[str, Any], schema_path: Path | None = None) -> None:
    """Check `table` against its JSON Schema; raise ScrapeError naming the first bad field."""
    import jsonschema

    schema = json.loads((schema_path or schema_file()).read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(table),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    if errors:
        err = errors[0]
        where = "/" + "/".join(map(str, err.absolute_path))
        raise ScrapeError(f"{TABLE}: invalid at {where}: {err.message}")


def write(table: Mapping[str, Any], out_path: Path) -> None:
    """Validate and write `table` atomically (see `scrapers.jsonio.write_all`)."""
    validate(table)
    out_path = Path(out_path)
    jsonio.write_all(out_path.parent, {out_path.name: dumps(table)})


def read_sources(source_file: Path) -> tuple[str, dict[str, str]]:
    """The delegate source and its companions, found relative to the source's `tflite/` root."""
    source_file = Path(source_file)
    text = source_file.read_text(encoding="utf-8")
    parts = source_file.resolve().parts
    if "tflite" not in parts:
        raise ScrapeError(f"{source_file}: cannot find the tflite/ root above it")
    root = Path(*parts[: len(parts) - parts[::-1].index("tflite") - 1])
    companions = {
        key: (root / rel).read_text(encoding="utf-8") for key, rel in COMPANION_PATHS.items()
    }
    return text, companions


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m scrapers.delegate_mapping SOURCE_FILE OUT_FILE", file=sys.stderr)
        return 2
    try:
        text, companions = read_sources(Path(args[0]))
        write(parse(text, **companions), Path(args[1]))
    except (OSError, ScrapeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
