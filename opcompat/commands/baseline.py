"""`opcompat baseline MODEL... -o FILE`: record today's CPU fallbacks as accepted.

A later `opcompat check MODEL --fail-on new-fallback --baseline FILE` fails only on fallbacks
the baseline does not hold. Nothing is written when a model cannot be read (exit code 3).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcompat.commands._levels import add_level_arguments, level_options


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "baseline",
        help="record the current CPU fallbacks as accepted (for --fail-on new-fallback)",
        description="Check the models and write every operator left on the CPU to a "
        "baseline file, for 'opcompat check --fail-on new-fallback --baseline FILE'.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL", help=".tflite files, directories or globs")
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write the baseline to FILE (atomically; default: stdout)",
    )
    add_level_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat import __version__
    from opcompat.baseline import dumps, from_report
    from opcompat.errors import EXIT_OK
    from opcompat.inputs import check_inputs, expand
    from opcompat.output import emit_text, refuse_overwriting, stderr_progress
    from opcompat.report import ModelError

    inputs = expand(args.models)
    refuse_overwriting(args.output, [i.path for i in inputs])
    with stderr_progress(len(inputs)) as progress:  # erased before anything else is printed
        report = check_inputs(
            inputs, progress=progress, digests=True, **level_options(args)
        )  # a baseline entry records its model's sha256
    errors = [m for m in report.models if isinstance(m, ModelError)]
    for e in errors:  # one line per unreadable model, as `check` prints
        where = "" if e.error.startswith(e.path) else f"{e.path}: "  # the reader names it
        print(f"opcompat: error: {where}{e.error} (no baseline written)", file=sys.stderr)
    if errors:
        return max(e.exit_code for e in errors)
    baseline = from_report(report, tool=f"opcompat {__version__}")
    emit_text(lambda: dumps(baseline), args.output)
    total = sum(len(m.fallbacks) for m in baseline.models)
    print(
        f"baseline: {total} accepted fallback{'s' if total != 1 else ''} in "
        f"{len(baseline.models)} model{'s' if len(baseline.models) != 1 else ''}",
        file=sys.stderr,
    )
    return EXIT_OK
