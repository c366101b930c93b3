"""`opcompat tables`: not implemented yet."""
from __future__ import annotations

import argparse
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("tables", help="(not implemented yet)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.errors import UsageError

    raise UsageError("'tables' is not implemented yet")
