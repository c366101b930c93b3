"""What opcompat knows about one builtin op, without a model: `opcompat ops` and `opcompat explain`.

The facts come from two places that are already the engine's: the delegate mapping table
(`opcompat.tables.delegate_mapping`: NNAPI operations, minimum level, op-version limits, source
lines) and the Validate rules (`opcompat.targets.nnapi.rules.context.RULES`: the rule's
docstring, and every
check it makes, read from its code: the `expect_*` predicates with their reason and `Source:`,
and the `ctx.expect(...)` calls with their code, message and source).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opcompat.targets.nnapi.levels import API_LEVELS, make_target

if TYPE_CHECKING:
    from opcompat.targets.base import OpsListing


def first_api_level(validate_level: int) -> int | None:
    """The lowest API level (default feature levels) whose Validate level is `validate_level`+
    (`levels.first_api_for_validate_level`)."""
    from opcompat.targets.nnapi.levels import first_api_for_validate_level

    return first_api_for_validate_level(validate_level)


@dataclass(frozen=True, slots=True)
class OpRow:
    op: str
    nnapi_operations: tuple[str, ...]
    first_api_level: int | None
    max_version: int | None
    """Highest op version accepted at the level asked for (or at the first level)."""
    conditional: bool
    """Validate has checks beyond the op version and level (types, ranks, options...)."""


def op_rows(api_level: int | None = None) -> list[OpRow]:
    """Every builtin Validate handles; with `api_level`, only those it can accept there."""
    from opcompat.tables import delegate_mapping as dm

    level = make_target(api_level).validate_level if api_level is not None else None
    rows = []
    for name in sorted(dm.handled_builtins()):
        entry = dm.mapping(name)
        assert entry is not None
        first = first_api_level(entry.min_level)
        if api_level is not None and (first is None or first > api_level):
            continue
        at = (
            level
            if level is not None
            else make_target(first).validate_level
            if first
            else entry.min_level
        )
        rows.append(
            OpRow(name, entry.nnapi_operations, first, entry.max_op_version(at), not entry.regular)
        )
    return rows


@dataclass(frozen=True, slots=True)
class Condition:
    code: str
    message: str
    source: str
    when: str = ""
    """The `if` tests around the check, as written in the rule ("" when unconditional)."""
    requires: str = ""
    """What must hold, for a rule's own `ctx.expect(...)` ("" for a shared predicate)."""


@dataclass(frozen=True, slots=True)
class LevelRow:
    api_level: int
    feature_level: int
    validate_level: int
    accepted: bool
    """False when the level is below the op's unconditional minimum."""
    max_version: int | None


@dataclass(frozen=True, slots=True)
class Explanation:
    op: str
    handled: bool
    nnapi_operations: tuple[str, ...]
    first_api_level: int | None
    rule_doc: str
    rule_source: str
    table_source: str
    irregular: tuple[str, ...]
    levels: tuple[LevelRow, ...]
    conditions: tuple[Condition, ...]


def _doc_parts(fn: Callable[..., Any]) -> tuple[str, str]:
    doc = inspect.getdoc(fn) or ""
    text, _, source = doc.partition("Source:")
    return " ".join(text.split()), " ".join(source.split())


def _value(node: ast.expr, env: dict[str, Any], local: dict[str, ast.expr]) -> str:
    """A string argument as the rule computes it, when that needs no operator; else its code."""
    if isinstance(node, ast.Name) and node.id in local:
        node = local[node.id]
    try:
        value = eval(compile(ast.Expression(node), "<rule>", "eval"), dict(env))  # noqa: S307 (own rule code)
    except Exception:  # noqa: BLE001  (depends on the operator: show the expression)
        return ast.unparse(node)
    return str(value)


class _Inline(ast.NodeTransformer):
    """Replace a local name by the expression assigned to it.

    E.g. `pre_12` -> `ctx.level < SDK_NNAPI12`.
    """

    def __init__(self, local: dict[str, ast.expr]) -> None:
        self.local = local

    def visit_Name(self, node: ast.Name) -> ast.AST:
        value = self.local.get(node.id)
        if value is None or isinstance(value, ast.Call):
            return node
        return value


def _level_names() -> dict[str, str]:
    from opcompat.targets.nnapi import levels

    names = {f"SDK_NNAPI1{k}": str(27 + k) for k in range(4)}
    names["FL5"] = "31"
    names.update({f"FL{k}": f"feature level {k}" for k in (6, 7, 8)})
    assert all(hasattr(levels, n) for n in names)  # the constants the rules compare with
    return names


_TYPE_TUPLE = re.compile(r"<\(((?:T\.[A-Z0-9_]+,? ?)+)\)>")
_PLACEHOLDERS = {
    "<table_max_version(ctx)>": "the limit for this level (op versions, above)",
    "<table_min_level(ctx)>": "the first level (above)",
}


def readable(text: str) -> str:
    """A check's message or condition as a user reads it: the rule's level constants as levels,
    tensor type tuples as type names, `ctx.` dropped."""
    for placeholder, words in _PLACEHOLDERS.items():
        text = text.replace(placeholder, words)
    text = _TYPE_TUPLE.sub(
        lambda m: ", ".join(
            t.strip().removeprefix("T.").lower() for t in m.group(1).split(",") if t.strip()
        ),
        text,
    )
    names = _level_names()
    text = re.sub(r"<?\b(SDK_NNAPI1[0-3]|FL[5-8])\b>?", lambda m: names[m.group(1)], text)
    text = re.sub(r"\bT\.([A-Z][A-Z0-9_]*)\b", lambda m: m.group(1).lower(), text)
    text = text.replace("ctx.level", "level").replace("ctx.num_inputs", "number of inputs")
    text = text.replace("ctx.target.is_accelerator_specified", "an accelerator is named")
    # The operator being validated is implicit: `is_hybrid_operator(ctx)` -> `..._operator()`.
    text = re.sub(r"\(ctx\)", "()", text)
    text = re.sub(r"\(ctx, ", "(", text)
    return re.sub(r"\bctx\.", "", text)


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def _shown(node: ast.expr, env: dict[str, Any]) -> str:
    """An argument as `<expr>`; a module constant holding tensor types as `<(T.A, T.B)>`."""
    if isinstance(node, ast.Name) and isinstance(env.get(node.id), (tuple, frozenset)):
        members = list(env[node.id])
        if members and all(hasattr(m, "name") and isinstance(m, int) for m in members):
            order = sorted(members) if isinstance(env[node.id], frozenset) else members
            return "<(" + ", ".join(f"T.{m.name}" for m in order) + ")>"
    return f"<{ast.unparse(node)}>"


def _fill(predicate: Any, call: ast.Call, env: dict[str, Any] | None = None) -> str:
    """A predicate's reason with its arguments shown as the rule passes them: `<expr>`."""
    template = str(getattr(predicate, "reason_template", ""))
    env = env or {}
    try:
        params = list(inspect.signature(inspect.unwrap(predicate)).parameters)[1:]
        values = {p: _shown(a, env) for p, a in zip(params, call.args[1:], strict=False)}
        values.update({k.arg: _shown(k.value, env) for k in call.keywords if k.arg})
        return template.format(**values)
    except (KeyError, IndexError, ValueError, TypeError):
        return template


def conditions_of(fn: Callable[..., Any], _seen: set[Any] | None = None) -> list[Condition]:
    """Every check a rule (or a helper it calls with ctx) makes, in source order."""
    seen = _seen if _seen is not None else set()
    target = inspect.unwrap(fn)
    if target in seen:
        return []
    seen.add(target)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
    except (OSError, TypeError, SyntaxError):
        return []
    env = dict(getattr(target, "__globals__", {}))
    local: dict[str, ast.expr] = {}
    out: list[Condition] = []

    def visit(node: ast.AST, when: tuple[str, ...]) -> None:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            local[node.targets[0].id] = node.value
        if isinstance(node, ast.If):
            test = ast.unparse(_Inline(local).visit(_copy(node.test)))
            visit(node.test, when)
            for child in node.body:
                visit(child, (*when, test))
            for child in node.orelse:
                visit(child, (*when, f"not ({test})"))
            return
        if isinstance(node, ast.Call):
            _call(node, " and ".join(when))
        for sub_node in ast.iter_child_nodes(node):
            visit(sub_node, when)

    def _call(call: ast.Call, when: str) -> None:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr == "expect" and len(call.args) >= 3:
            source = _value(call.args[3], env, local) if len(call.args) > 3 else ""
            requires = ast.unparse(_Inline(local).visit(_copy(call.args[0])))
            out.append(
                Condition(
                    _value(call.args[1], env, local),
                    _value(call.args[2], env, local),
                    source,
                    when,
                    requires,
                )
            )
            return
        if not isinstance(func, ast.Name):
            return
        obj = env.get(func.id)
        if obj is None:
            return
        code = getattr(obj, "reason_code", None)
        if code is not None:
            message = _fill(obj, call, env)
            out.append(Condition(code, message, str(getattr(obj, "source", "")), when))
            return
        passes_ctx = any(isinstance(a, ast.Name) and a.id == "ctx" for a in call.args)
        module = getattr(obj, "__module__", "") or ""
        in_rules = module.startswith("opcompat.targets.nnapi.rules")
        if passes_ctx and inspect.isfunction(obj) and in_rules:
            for c in conditions_of(obj, seen):
                out.append(
                    Condition(
                        c.code,
                        c.message,
                        c.source,
                        " and ".join(x for x in (when, c.when) if x),
                        c.requires,
                    )
                )

    for stmt in tree.body:
        for child in ast.iter_child_nodes(stmt):
            visit(child, ())
    return out


def explain(op: str) -> Explanation:
    """Everything known about builtin `op` (schema name, e.g. CONV_2D; case-insensitive)."""
    from opcompat.tables import delegate_mapping as dm
    from opcompat.targets.nnapi.rules.engine import rule_for

    name = op.strip().upper()
    entry = dm.mapping(name)
    fn = rule_for(name)
    levels = []
    for api in API_LEVELS:
        t = make_target(api)
        accepted = entry is not None and t.validate_level >= entry.min_level
        levels.append(
            LevelRow(
                api,
                t.feature_level,
                t.validate_level,
                accepted,
                entry.max_op_version(t.validate_level) if entry is not None and accepted else None,
            )
        )
    doc, rule_source = _doc_parts(fn) if fn is not None else ("", "")
    table_source = ""
    if entry is not None:
        table_source = (
            f"tflite/delegates/nnapi/nnapi_delegate.cc, {entry.source.function}, "
            f"lines {entry.source.line_start}-{entry.source.line_end}"
        )
    return Explanation(
        op=name,
        handled=entry is not None or fn is not None,
        nnapi_operations=entry.nnapi_operations if entry is not None else (),
        first_api_level=first_api_level(entry.min_level) if entry is not None else None,
        rule_doc=doc,
        rule_source=rule_source,
        table_source=table_source,
        irregular=entry.irregular if entry is not None else (),
        levels=tuple(levels),
        conditions=tuple(
            Condition(
                c.code,
                readable(c.message),
                # A source computed per operator (`_source(case)`): the rule's own citation.
                c.source if c.source.startswith("tflite/") else rule_source,
                readable(c.when),
                readable(c.requires),
            )
            for c in (conditions_of(fn) if fn is not None else ())
        ),
    )


def known_ops() -> set[str]:
    """Every BuiltinOperator name of the schema the table knows (handled or not)."""
    from opcompat.tables import delegate_mapping as dm

    return set(dm.handled_builtins()) | set(dm.never_accepted())


def ops_listing(never: bool = False, api_level: int | None = None) -> OpsListing:
    """`opcompat ops`: every builtin with a Validate case, its NNAPI operation(s), first API
    level and version limit (only those accepted at `api_level`); with `never`, the builtins
    the delegate never accepts."""
    from opcompat.targets.base import OpsListing

    if never:
        from opcompat.tables import delegate_mapping as dm

        names = sorted(dm.never_accepted())
        return OpsListing(("builtin",), [(n,) for n in names], names, "")
    rows = op_rows(api_level)
    version_head = f"max version at API {api_level}" if api_level else "max version"
    data = {"api_level": api_level, "ops": [
        {"op": r.op, "nnapi_operations": list(r.nnapi_operations),
         "first_api_level": r.first_api_level, "max_version": r.max_version,
         "conditional": r.conditional} for r in rows]}
    table = [(r.op, ", ".join(r.nnapi_operations) or "-", str(r.first_api_level or "never"),
              "-" if r.max_version is None else str(r.max_version),
              "yes" if r.conditional else "") for r in rows]
    headers = ("builtin", "NNAPI operation", "first API level", version_head, "other conditions")
    where = f" can be accepted at API {api_level}" if api_level else " have a Validate case"
    return OpsListing(headers, table, data, f"{len(rows)} builtins{where}",
                      "|---|---|---:|---:|---|")


def explain_text(name: str) -> str:
    """`opcompat explain OP`: per API level, the versions accepted and every condition, with
    sources; UsageError for a name that is no builtin (with the nearest names)."""
    from opcompat.errors import UsageError

    op = name.strip().upper()
    if op not in known_ops():
        import difflib

        close = difflib.get_close_matches(op, sorted(known_ops()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"unknown builtin op {name!r}{hint}")
    return render_explanation(explain(op))


def render_explanation(e: Explanation) -> str:
    """An explanation as the terminal shows it."""
    from tabulate import tabulate

    lines = [f"{e.op}"]
    if not e.handled:
        lines.append("The NNAPI delegate has no Validate case for it: it always stays on the CPU "
                     "(kUnsupportedOperator).")
        return "\n".join(lines) + "\n"
    lines.append(f"NNAPI operation(s): {', '.join(e.nnapi_operations) or '-'}")
    lines.append(f"first API level: {f'API {e.first_api_level}' if e.first_api_level else 'never'}")
    if e.rule_doc:
        lines.append(f"rule: {e.rule_doc}")
    if e.rule_source:
        lines.append(f"  source: {e.rule_source}")
    if e.table_source:
        lines.append(f"mapping table: {e.table_source}")
    lines.append("")
    rows = [(r.api_level, r.feature_level, r.validate_level,
             ("<= " + str(r.max_version)) if r.accepted and r.max_version is not None
             else ("any" if r.accepted else "not accepted")) for r in e.levels]
    lines.append(tabulate(rows, headers=("API level", "feature level", "Validate level",
                                         "op versions"), disable_numparse=True))
    if e.conditions:
        lines += ["", "conditions (every one must hold; each failure is a reason):"]
        for c in e.conditions:
            lines.append(f"- {c.code}: {c.message}")
            lines += [f"    {k}: {v}" for k, v in (("when", c.when), ("requires", c.requires),
                                                  ("source", c.source)) if v]
    if e.irregular:
        lines += ["", "kinds of check in the delegate's case (from the mapping table):"]
        lines += [f"- {k}" for k in e.irregular]
    return "\n".join(lines) + "\n"
