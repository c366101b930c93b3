"""The target options of commands that run a check (`check`, `baseline`, `diff`).

Standard library only at module level (see `opcompat.cli`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcompat.targets.nnapi import DEFAULT_API_LEVEL  # noqa: F401  (the CLI's default, tested)
from opcompat.targets.nnapi.levels import (  # light: stdlib and errors only
    MAX_API_LEVEL,
    MIN_API_LEVEL,
)


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
    """Add `--target` and `--max-partitions`, then each target's own flags."""
    from opcompat.targets import ALL_TARGETS, DEFAULT_TARGET, TargetChoice

    infos = [t.info() for t in TargetChoice]
    parser.add_argument(
        "--target",
        choices=[t.value for t in TargetChoice] + [ALL_TARGETS],
        default=DEFAULT_TARGET.value,
        help="the delegate to check for: "
        + "; ".join(f"{i.name}: {i.delegate}" for i in infos)
        + f"; {ALL_TARGETS}: each of them, one report entry per model and target "
        f"(default {DEFAULT_TARGET.value})",
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
    flags: dict[str, list[tuple[str, str, Any]]] = {}
    for t in TargetChoice:
        # argparse keeps every action in order: those a target adds are its own flags.
        before = len(parser._actions)
        t.cli().add_arguments(parser)
        flags[t.value] = [(a.dest, a.option_strings[0], a.default)
                          for a in parser._actions[before:] if a.option_strings]
    parser.set_defaults(**{_TARGET_FLAGS: flags})


_TARGET_FLAGS = "_opcompat_target_flags"
"""The parsed namespace's record of which target each target flag belongs to."""


def level_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of `opcompat.analysis.check_many` from the parsed flags: the target,
    the partition cap and every target's own options."""
    from opcompat.targets import TargetChoice

    for note in ignored_flags(args):
        print(f"opcompat: note: {note}", file=sys.stderr)
    out: dict[str, Any] = {"target": args.target, "max_partitions": args.max_partitions}
    for t in TargetChoice:
        out.update(t.cli().options(args))
    return out


def ignored_flags(args: argparse.Namespace) -> list[str]:
    """One note per flag of a target that this check does not run (`--gpu-no-quant` with
    `--target nnapi`): the check ignores it, and a user should know that it did."""
    from opcompat.targets import expand

    checked = set(expand(args.target))
    notes = []
    for target, flags in getattr(args, _TARGET_FLAGS, {}).items():
        if target in checked:
            continue
        for dest, flag, default in flags:
            if getattr(args, dest, default) != default:
                notes.append(f"{flag} is an option of --target {target}, which this check does "
                             f"not run (--target {args.target}): ignored")
    return notes
