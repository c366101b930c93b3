"""The device-level options of commands that run a check (`baseline`, `diff`).

Standard library only at module level (see `opcompat.cli`).
"""

from __future__ import annotations

import argparse
from typing import Any

from opcompat.levels import MAX_API_LEVEL, MIN_API_LEVEL  # light: stdlib and errors only
from opcompat.targets.nnapi import DEFAULT_API_LEVEL


def int_in(lo: int, hi: int, flag: str) -> Any:
    """An argparse type: an integer in [lo, hi], else a usage error naming the flag."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{flag} must be between {lo} and {hi}, got {value}")
        return value

    return parse


def api_level_type() -> Any:
    """The argparse type of `--api-level`."""
    return int_in(MIN_API_LEVEL, MAX_API_LEVEL, "--api-level")


def add_level_arguments(parser: Any) -> None:
    """Add `--target`, `--api-level`, `--feature-level`, `--nnapi-cpu` and `--max-partitions`."""
    from opcompat.targets import DEFAULT_TARGET, TargetChoice

    infos = [t.info() for t in TargetChoice]
    parser.add_argument(
        "--target",
        choices=[t.value for t in TargetChoice],
        default=DEFAULT_TARGET.value,
        help="the delegate to check for: "
        + "; ".join(f"{i.name}: {i.delegate}" for i in infos)
        + f" (default {DEFAULT_TARGET.value})",
    )
    parser.add_argument(
        "--api-level",
        type=api_level_type(),
        default=DEFAULT_API_LEVEL,
        help=f"Android API level of the device, {MIN_API_LEVEL}-{MAX_API_LEVEL} "
        f"(default {DEFAULT_API_LEVEL})",
    )
    parser.add_argument(
        "--feature-level",
        type=int_in(1, 8, "--feature-level"),
        default=None,
        help="NNAPI runtime feature level, 1-8 (default: the usual one for the API level)",
    )
    parser.add_argument(
        "--nnapi-cpu",
        action="store_true",
        help="model disallow_nnapi_cpu=false with no accelerator named (Validate then sees the "
        "raw API level)",
    )
    parser.add_argument(
        "--max-partitions",
        type=int_in(0, 1 << 30, "--max-partitions"),
        default=None,
        metavar="K",
        help="the most partitions the delegate keeps, for every target (default: each "
        "delegate's own: "
        + ", ".join(f"{i.name} {i.default_max_partitions}" for i in infos)
        + "; 0 = no limit)",
    )


def level_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of `opcompat.analysis.check_many` from the parsed flags."""
    return {
        "target": args.target,
        "api_level": args.api_level,
        "feature_level": args.feature_level,
        "nnapi_cpu": args.nnapi_cpu,
        "max_partitions": args.max_partitions,
    }
