"""The NNAPI target's command-line flags (`--api-level`, `--feature-level`, `--nnapi-cpu`).

Standard library only at module level (see `opcompat.cli`).
"""

from __future__ import annotations

import argparse
from typing import Any

from opcompat.targets.nnapi import DEFAULT_API_LEVEL
from opcompat.targets.nnapi.levels import (  # light: stdlib and errors only
    MAX_API_LEVEL,
    MIN_API_LEVEL,
)


def add_arguments(parser: Any) -> None:
    """Add the NNAPI delegate's device options to a subcommand parser."""
    from opcompat.commands._levels import api_level_type, int_in

    group = parser.add_argument_group("NNAPI target (--target nnapi)")
    group.add_argument(
        "--api-level",
        type=api_level_type(),
        default=DEFAULT_API_LEVEL,
        help=f"Android API level of the device, {MIN_API_LEVEL}-{MAX_API_LEVEL} "
        f"(default {DEFAULT_API_LEVEL})",
    )
    group.add_argument(
        "--feature-level",
        type=int_in(1, 8, "--feature-level"),
        default=None,
        help="NNAPI runtime feature level, 1-8 (default: the usual one for the API level)",
    )
    group.add_argument(
        "--nnapi-cpu",
        action="store_true",
        help="model disallow_nnapi_cpu=false with no accelerator named (Validate then sees the "
        "raw API level)",
    )


def options(args: argparse.Namespace) -> dict[str, Any]:
    """The NNAPI options of the parsed flags (keyword arguments of `opcompat.analysis.check`)."""
    return {
        "api_level": args.api_level,
        "feature_level": args.feature_level,
        "nnapi_cpu": args.nnapi_cpu,
    }
