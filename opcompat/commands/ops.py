"""`opcompat ops [--api-level N] [--target T]`: the builtins a delegate can take (NNAPI: from
which level; other targets: their package's `opinfo.ops_listing`)."""

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
    add_target(p)
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument(
        "--never", action="store_true", help="list the builtins the delegate never accepts instead"
    )
    p.set_defaults(run=run)


def add_target(p: Any) -> None:
    from opcompat.targets import DEFAULT_TARGET, TargetChoice

    p.add_argument(
        "--target",
        choices=[t.value for t in TargetChoice],
        default=DEFAULT_TARGET.value,
        help=f"the delegate (default {DEFAULT_TARGET.value})",
    )


def _other_target(args: argparse.Namespace) -> int:
    """The listing of a target other than NNAPI, from its package's `opinfo`."""
    import importlib
    import json

    from opcompat.errors import UsageError

    if args.api_level is not None:
        raise UsageError(f"--api-level applies to --target nnapi only, not {args.target}")
    listing = importlib.import_module(f"opcompat.targets.{args.target}.opinfo").ops_listing(
        args.never
    )
    if args.format == "json":
        sys.stdout.write(json.dumps(listing.data, indent=1) + "\n")
        return 0
    if args.format == "markdown":
        lines = ["| " + " | ".join(listing.headers) + " |",
                 "|" + "---|" * len(listing.headers)]
        lines += ["| " + " | ".join(row) + " |" for row in listing.rows]
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        from tabulate import tabulate

        sys.stdout.write(
            tabulate(listing.rows, headers=listing.headers, disable_numparse=True) + "\n"
        )
    print(listing.summary, file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    import json

    from opcompat.targets.nnapi.opinfo import op_rows

    if args.target != "nnapi":
        return _other_target(args)

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
