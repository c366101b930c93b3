"""`opcompat diff OLD.tflite NEW.tflite`: operators and partitions that changed between two models.

`--fail-on new-fallback` exits 1 when NEW has an operator on the CPU that OLD did not have
(matched by op name in execution order, so shifted indices do not count as new).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from opcompat.commands._levels import add_level_arguments, level_options

FORMATS = ("table", "markdown", "json")
FAIL_ON = ("new-fallback", "any-fallback", "refusal", "none")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "diff",
        help="what changed for NNAPI between two versions of a model",
        description="Check OLD and NEW at the same level and show the operators and "
        "partitions that changed.",
    )
    p.add_argument("old", metavar="OLD", help="the model before (.tflite)")
    p.add_argument("new", metavar="NEW", help="the model after (.tflite)")
    add_level_arguments(p)
    p.add_argument(
        "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", default=None, help="write to FILE (atomically)"
    )
    p.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="none",
        help="new-fallback: NEW has an op on the CPU that OLD did not; any-fallback / "
        "refusal: about NEW alone; none (default)",
    )
    p.set_defaults(run=run)


SHOWN = 5
"""New fallbacks named in the one `policy failed:` line; the others are counted."""


def new_fallback_failures(d: Any) -> list[str]:
    """One line for all the new fallbacks of a diff (the report lists each one), as `check`'s
    gate summarises: the count, the first few, how many more."""
    from opcompat.names import plural

    new = [c.new for c in d.new_fallbacks if c.new is not None]
    if not new:
        return []
    listed = ", ".join(f"{o.op} at subgraph {o.subgraph}, index {o.index}" for o in new[:SHOWN])
    more = f"; and {len(new) - SHOWN} more" if len(new) > SHOWN else ""
    return [f"{plural(len(new), 'new fallback')}: {listed}{more}"]


def run(args: argparse.Namespace) -> int:
    from opcompat.diff import diff_models
    from opcompat.errors import EXIT_OK, EXIT_POLICY
    from opcompat.formats.diff import render_json, render_markdown, render_text
    from opcompat.gate import FailOn, evaluate, make_policy
    from opcompat.inputs import check_inputs, expand
    from opcompat.output import emit_text, refuse_overwriting
    from opcompat.report import ModelError, ModelReport, Report

    inputs = []
    for arg in (args.old, args.new):
        found = expand([arg])
        if len(found) != 1:
            from opcompat.errors import UsageError

            raise UsageError(f"{arg}: diff takes one model on each side, this names {len(found)}")
        inputs.extend(found)
    refuse_overwriting(args.output, [i.path for i in inputs])
    # JSON names each side's sha256: computed with the checks, not while rendering.
    report = check_inputs(inputs, digests=args.format == "json", **level_options(args))
    old, new = report.models
    errors = [m for m in (old, new) if isinstance(m, ModelError)]
    if errors:
        for e in errors:
            where = "" if e.error.startswith(e.path) else f"{e.path}: "  # the reader names it
            print(f"opcompat: error: {where}{e.error}", file=sys.stderr)
        return max(e.exit_code for e in errors)
    assert isinstance(old, ModelReport) and isinstance(new, ModelReport)
    d = diff_models(old, new)
    render = {"table": render_text, "markdown": render_markdown, "json": render_json}[args.format]
    emit_text(lambda: render(d), args.output)
    failures: list[str] = []
    if args.fail_on == "new-fallback":
        failures += new_fallback_failures(d)
    elif args.fail_on != "none":
        failures += evaluate(Report((new,)), make_policy(FailOn(args.fail_on))).failures
    for f in failures:
        print(f"policy failed: {f}", file=sys.stderr)
    return EXIT_POLICY if failures else EXIT_OK
