"""Report and gate options shared by commands that produce a `Report` (`check`).

`add_report_arguments(parser)` adds `--format`, `-o/--output`, `--fail-on`,
`--min-delegated-ratio` and `--baseline`; `emit(report, args)` checks the policy flags, renders
the report, writes it (atomically with `-o`), prints a short summary to stderr and returns the
gate's exit code. Standard library only at module level (see `opcompat.cli`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opcompat.report import Report

# Kept in step with opcompat.formats.base.FormatChoice and opcompat.gate.FailOn (tested).
FORMATS = ("table", "markdown", "json", "sarif", "html")
FAIL_ON = ("any-fallback", "new-fallback", "refusal", "spec", "none")
HASHED_FORMATS = ("json", "sarif")
"""The formats that print each model's sha256 (the others never read a model's weights)."""


def add_report_arguments(parser: Any) -> None:
    """Add the output and gate options to a subcommand parser."""
    out = parser.add_argument_group("report")
    out.add_argument(
        "--format", choices=FORMATS, default="table", help="report format (default: table)"
    )
    out.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write the report to FILE (atomically) instead of stdout",
    )
    out.add_argument(
        "--only-fallbacks",
        action="store_true",
        help="table: list only the operators left on the CPU",
    )
    out.add_argument(
        "--summary",
        action="store_true",
        help="table: each model's summary without its operator table",
    )
    gate = parser.add_argument_group("gate (exit code 1 when the policy fails)")
    gate.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="none",
        help="any-fallback: any op on the CPU; new-fallback: an op on the CPU that "
        "--baseline does not accept; refusal: a model delegated not at all; spec: a "
        "delegated op the NNAPI specification cross-check says the runtime rejects; "
        "none (default)",
    )
    gate.add_argument(
        "--strict-count",
        action="store_true",
        help="count one-time ops on the CPU (DEQUANTIZEs of constants, run once and kept) as "
        "fallbacks too, in --fail-on and --min-delegated-ratio",
    )
    gate.add_argument(
        "--min-delegated-ratio",
        metavar="R",
        default=None,
        help="fail when a model has fewer than R (0..1) of its per-inference ops on the "
        "delegate",
    )
    gate.add_argument(
        "--baseline",
        metavar="FILE",
        default=None,
        help="accepted fallbacks, from 'opcompat baseline' (for --fail-on new-fallback)",
    )


def policy_from_args(args: argparse.Namespace) -> Any:
    """The gate policy of the parsed flags; UsageError for bad values or combinations."""
    from opcompat.baseline import load
    from opcompat.gate import make_policy

    fail_on = getattr(args, "fail_on", "none") or "none"
    if fail_on == "spec":
        _spec_target_needed(getattr(args, "target", None))
    ratio = getattr(args, "min_delegated_ratio", None)
    baseline_path = getattr(args, "baseline", None)
    # Check the combination before reading the baseline: a usage error needs no file.
    strict = bool(getattr(args, "strict_count", False))
    make_policy(fail_on, ratio, baseline_given=baseline_path is not None, strict_count=strict)
    baseline = load(baseline_path) if baseline_path is not None else None
    return make_policy(fail_on, ratio, baseline, strict_count=strict)


def emit(report: Report, args: argparse.Namespace, policy: Any = None) -> int:
    """Render and write the report, print the summary to stderr, return the gate's exit code.

    `policy` is `policy_from_args(args)`, when the caller already checked the flags before
    doing the work.
    """
    from opcompat.formats.base import FormatChoice
    from opcompat.formats.summary import display_names, one_line
    from opcompat.gate import evaluate
    from opcompat.output import emit_text

    if policy is None:
        policy = policy_from_args(args)
    fmt = FormatChoice(getattr(args, "format", "table") or "table").to_format(
        **_table_options(args)
    )
    emit_text(lambda: fmt.render(report), getattr(args, "output", None))
    result = evaluate(report, policy)
    for entry, name in zip(
        report.models, display_names([m.path for m in report.models]), strict=True
    ):
        print(one_line(entry, name), file=sys.stderr)
    mismatch = _baseline_level_mismatch(report, policy)
    if mismatch:
        print(f"warning: {mismatch}", file=sys.stderr)
    for failure in result.failures:
        print(f"policy failed: {failure}", file=sys.stderr)
    return result.exit_code


def _spec_target_needed(target: str | None) -> None:
    """UsageError when none of the checked targets makes spec findings (`--fail-on spec`
    would then pass whatever the models are)."""
    from opcompat.errors import UsageError
    from opcompat.targets import TargetChoice, choose, expand

    if not any(choose(n).info().spec_findings for n in expand(target)):
        having = ", ".join(t.value for t in TargetChoice if t.info().spec_findings)
        raise UsageError(f"--fail-on spec needs a target with a specification cross-check "
                         f"({having}); --target {target} has none")


def _table_options(args: argparse.Namespace) -> dict[str, Any]:
    """The table's options: `--only-fallbacks`, `--summary`, and the terminal's width when the
    table goes to a terminal (a file or a pipe gets whole lines)."""
    import shutil

    to_terminal = getattr(args, "output", None) is None and sys.stdout.isatty()
    return {
        "only_fallbacks": bool(getattr(args, "only_fallbacks", False)),
        "summary_only": bool(getattr(args, "summary", False)),
        "width": shutil.get_terminal_size().columns if to_terminal else None,
    }


def _baseline_level_mismatch(report: Report, policy: Any) -> str | None:
    """Why the baseline may not fit this check: it was taken at another API level."""
    from opcompat.report import ModelReport

    baseline = getattr(policy, "baseline", None)
    if baseline is None or baseline.api_level is None:
        return None
    levels = sorted(
        {m.options.api_level for m in report.models
         if isinstance(m, ModelReport) and m.options.api_level is not None}
        - {baseline.api_level}
    )
    if not levels:
        return None
    return (
        f"the baseline was taken at API {baseline.api_level}, this check is at API "
        f"{', '.join(map(str, levels))}: fallbacks that differ between levels count as new"
    )
