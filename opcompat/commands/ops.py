"""`opcompat ops [--target T] [--api-level N]`: the ops a delegate can take, from the target's
`opinfo` module (NNAPI: the builtins with a Validate case, their operations and first level)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcompat.commands._levels import api_level_type


def add_target(p: Any) -> None:
    """`--target`: one of the targets (not `all`: these commands describe one delegate)."""
    from opcompat.targets import DEFAULT_TARGET, TargetChoice

    p.add_argument(
        "--target",
        choices=[t.value for t in TargetChoice],
        default=DEFAULT_TARGET.value,
        help=f"the delegate (default {DEFAULT_TARGET.value})",
    )


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "ops",
        help="the ops a delegate can take: for NNAPI, the builtins it can map, their NNAPI "
        "operations and first level",
        description="Every op the delegate handles: for NNAPI (the default), every TFLite "
        "builtin the NNAPI delegate has a Validate case for, the NNAPI operation(s) it maps to "
        "and the first API level it can be accepted at (default feature levels); for the GPU, "
        "every op with a parser and its version cap. Most have further conditions: see "
        "'opcompat explain OP'.",
    )
    add_target(p)
    p.add_argument(
        "--api-level",
        type=api_level_type(),
        default=None,
        help="NNAPI: only the ops that can be accepted at this level, with their version "
        "limit there",
    )
    p.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    p.add_argument(
        "--never", action="store_true", help="list the builtins the delegate never takes instead"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import json

    from opcompat.targets import choose

    listing = choose(args.target).opinfo().ops_listing(args.never, args.api_level)
    if args.format == "json":
        sys.stdout.write(json.dumps(listing.data, indent=1) + "\n")
        return 0
    if args.never:  # one name a line
        sys.stdout.write("\n".join(r[0] for r in listing.rows) + "\n")
    elif args.format == "markdown":
        lines = ["| " + " | ".join(listing.headers) + " |",
                 listing.align or "|" + "---|" * len(listing.headers)]
        lines += ["| " + " | ".join(row) + " |" for row in listing.rows]
        sys.stdout.write("\n".join(lines) + "\n")
    else:
        from tabulate import tabulate

        sys.stdout.write(
            tabulate(listing.rows, headers=listing.headers, disable_numparse=True) + "\n"
        )
    if listing.summary:
        print(listing.summary, file=sys.stderr)
    return 0
