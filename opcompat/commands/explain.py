"""`opcompat explain OP`: per API level, how the delegate maps OP and every condition it checks."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="how the NNAPI delegate handles one builtin op, per API level",
        description="For one TFLite builtin (e.g. CONV_2D): its NNAPI operation(s), the op "
        "versions accepted at each API level, and every condition Validate checks, with "
        "the source each comes from.",
    )
    p.add_argument(
        "op", metavar="OP", help="builtin op name, as in the schema (CONV_2D, mean, ...)"
    )
    from opcompat.commands.ops import add_target

    add_target(p)
    p.set_defaults(run=run)


def render(e: Any) -> str:
    from tabulate import tabulate

    lines = [f"{e.op}"]
    if not e.handled:
        lines.append(
            "The NNAPI delegate has no Validate case for it: it always stays on the CPU "
            "(kUnsupportedOperator)."
        )
        return "\n".join(lines) + "\n"
    lines.append(f"NNAPI operation(s): {', '.join(e.nnapi_operations) or '-'}")
    first = f"API {e.first_api_level}" if e.first_api_level else "never"
    lines.append(f"first API level: {first}")
    if e.rule_doc:
        lines.append(f"rule: {e.rule_doc}")
    if e.rule_source:
        lines.append(f"  source: {e.rule_source}")
    if e.table_source:
        lines.append(f"mapping table: {e.table_source}")
    lines.append("")
    rows = [
        (
            r.api_level,
            r.feature_level,
            r.validate_level,
            ("<= " + str(r.max_version))
            if r.accepted and r.max_version is not None
            else ("any" if r.accepted else "not accepted"),
        )
        for r in e.levels
    ]
    lines.append(
        tabulate(
            rows,
            headers=("API level", "feature level", "Validate level", "op versions"),
            disable_numparse=True,
        )
    )
    if e.conditions:
        lines += ["", "conditions (every one must hold; each failure is a reason):"]
        for c in e.conditions:
            lines.append(f"- {c.code}: {c.message}")
            if c.when:
                lines.append(f"    when: {c.when}")
            if c.requires:
                lines.append(f"    requires: {c.requires}")
            if c.source:
                lines.append(f"    source: {c.source}")
    if e.irregular:
        lines += ["", "kinds of check in the delegate's case (from the mapping table):"]
        lines += [f"- {k}" for k in e.irregular]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    from opcompat.errors import UsageError
    from opcompat.targets.nnapi.opinfo import explain, known_ops

    if args.target != "nnapi":
        import importlib

        from opcompat.model.schema import BUILTIN_OPERATOR_CODES

        op = args.op.strip()
        if not op.upper().startswith("CUSTOM:") and op.upper() not in BUILTIN_OPERATOR_CODES:
            raise UsageError(f"unknown builtin op {args.op!r} (custom ops: CUSTOM:<name>)")
        module = importlib.import_module(f"opcompat.targets.{args.target}.opinfo")
        sys.stdout.write(module.explain_text(op))
        return 0
    name = args.op.strip().upper()
    if name not in known_ops():
        import difflib

        close = difflib.get_close_matches(name, sorted(known_ops()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise UsageError(f"unknown builtin op {args.op!r}{hint}")
    sys.stdout.write(render(explain(name)))
    return 0
