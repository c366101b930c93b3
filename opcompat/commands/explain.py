"""`opcompat explain OP [--target T]`: how a delegate handles OP and every condition it checks,
from the target's `opinfo` module (NNAPI: per API level)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    from opcompat.commands.ops import add_target

    p = sub.add_parser(
        "explain",
        help="how a delegate handles one op: for NNAPI, per API level",
        description="For one TFLite builtin (e.g. CONV_2D): what the delegate maps it to, the "
        "op versions it accepts (NNAPI: at each API level), and every condition it checks, "
        "with the source each comes from.",
    )
    p.add_argument(
        "op", metavar="OP", help="builtin op name, as in the schema (CONV_2D, mean, ...)"
    )
    add_target(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.targets import choose

    sys.stdout.write(choose(args.target).opinfo().explain_text(args.op))
    return 0
