"""`opcompat check`: not implemented yet."""
from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("check", help="(not implemented yet)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.errors import UsageError

    raise UsageError("'check' is not implemented yet")
