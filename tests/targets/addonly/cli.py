"""The test target has no flags of its own."""

from __future__ import annotations

from typing import Any


def add_arguments(parser: Any) -> None:
    del parser


def options(args: Any) -> dict[str, Any]:
    del args
    return {}
