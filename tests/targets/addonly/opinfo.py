"""The test target's op information (the interface of opcompat/targets/base.py)."""

from __future__ import annotations

from opcompat.targets.base import OpsListing


def ops_listing(never: bool, api_level: int | None) -> OpsListing:
    if never:
        return OpsListing(("builtin",), [("CONV_2D",)], ["CONV_2D"], "")
    return OpsListing(("op",), [("ADD",)], {"ops": ["ADD"]}, "1 op")


def explain_text(name: str) -> str:
    ok = name.strip().upper() == "ADD"
    return f"{name.strip().upper()}: {'delegated' if ok else 'never delegated'}\n"
