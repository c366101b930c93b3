"""`opcompat ops [--api-level N]`: the builtins the NNAPI delegate can take, from which level."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcompat.commands._levels import api_level_type


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "ops",
        help="builtin ops the NNAPI delegate can map, their NNAPI operations and first level",
        description="Every TFLite builtin the NNAPI delegate has a Validate case for: the "
        "NNAPI operation(s) it maps to and the first API level it can be accepted at "
        "(default feature levels). Most have further conditions: see 'opcompat explain OP'.",
    )
    p.add_argument(
        "--api-level",
        type=api_level_type(),
        default=None,
        help="only the ops that can be accepted at this level, with their version limit there",
    )
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument(
        "--never", action="store_true", help="list the builtins the delegate never accepts instead"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from opcompat.opinfo import op_rows

    if args.never:
        from opcompat.tables import delegate_mapping as dm

        names = sorted(dm.never_accepted())
        text = (
            json.dumps(names, indent=1) + "\n" if args.format == "json" else "\n".join(names) + "\n"
        )
        sys.stdout.write(text)
        return 0
    rows = op_rows(args.api_level)
    version_head = f"max version at API {args.api_level}" if args.api_level else "max version"
    if args.format == "json":
        data = [
            {
                "op": r.op,
                "nnapi_operations": list(r.nnapi_operations),
                "first_api_level": r.first_api_level,
                "max_version": r.max_version,
                "conditional": r.conditional,
            }
            for r in rows
        ]
        sys.stdout.write(json.dumps({"api_level": args.api_level, "ops": data}, indent=1) + "\n")
        return 0
    table = [
        (
            r.op,
            ", ".join(r.nnapi_operations) or "-",
            r.first_api_level or "never",
            "-" if r.max_version is None else r.max_version,
            "yes" if r.conditional else "",
        )
        for r in rows
    ]
    headers = ("builtin", "NNAPI operation", "first API level", version_head, "other conditions")
    if args.format == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|---|---|---:|---:|---|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table]
        text = "\n".join(lines) + "\n"
    else:
        from tabulate import tabulate

        text = tabulate(table, headers=headers, disable_numparse=True) + "\n"
    sys.stdout.write(text)
    print(
        f"{len(rows)} builtins"
        + (
            f" can be accepted at API {args.api_level}"
            if args.api_level
            else " have a Validate case"
        ),
        file=sys.stderr,
    )
    return 0
