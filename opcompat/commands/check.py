"""`opcompat check MODEL...`: what the NNAPI delegate would do with each model at one device level.

The default `--api-level` is 33 (Android 13): the first level whose updatable NNAPI runtime
reports feature level 8 by default, so every feature-level-gated rule of the delegate applies.
Exit codes: 0 when every model was read, 3 when any model is unreadable (the others are still
reported), 2 for usage errors.
"""

from __future__ import annotations

import argparse
from typing import Any

DEFAULT_API_LEVEL = 33  # keep equal to opcompat.analysis.DEFAULT_API_LEVEL (not imported: start-up)
DEFAULT_MAX_PARTITIONS = 3
FORMATS = ("table", "markdown", "json", "sarif", "html")  # opcompat.formats.base.FormatChoice


def _int_in(lo: int, hi: int, flag: str) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{flag} must be an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{flag} must be between {lo} and {hi}, got {value}")
        return value

    return parse


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--max-partitions must be an integer, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"--max-partitions must be 0 (no limit) or more, got {value}"
        )
    return value


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="per-operator NNAPI delegation verdicts, partitions and refusals",
        description="For every operator of every subgraph: would TFLite's NNAPI delegate "
        "hand it to "
        "NNAPI on a device of this API level, or leave it on the CPU, and why.",
    )
    p.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help=".tflite file(s), directories (searched recursively) or globs; SavedModel/Keras/.pb "
        "with the convert extra",
    )
    p.add_argument(
        "--api-level",
        type=_int_in(27, 35, "--api-level"),
        default=DEFAULT_API_LEVEL,
        help=f"Android API level of the device, 27-35 (default {DEFAULT_API_LEVEL})",
    )
    p.add_argument(
        "--feature-level",
        type=_int_in(1, 8, "--feature-level"),
        default=None,
        help="NNAPI runtime feature level of the device, 1-8 (default: the usual one "
        "for the API level: 27->1 ... 31/32->5, 33+->8)",
    )
    p.add_argument(
        "--nnapi-cpu",
        action="store_true",
        help="model disallow_nnapi_cpu=false (Validate then sees the raw API level)",
    )
    p.add_argument(
        "--max-partitions",
        type=_non_negative,
        default=DEFAULT_MAX_PARTITIONS,
        metavar="K",
        help="max_number_delegated_partitions (default 3; 0 = no limit)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="output format (default table)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=None,
        help="write the report to FILE (atomically: the whole report or nothing); default stdout",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=_int_in(1, 1024, "--jobs"),
        default=None,
        help="worker processes for many models (default: all cores)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.errors import EXIT_OK, EXIT_UNREADABLE
    from opcompat.inputs import ModelInput, check_inputs, expand
    from opcompat.report import ModelError

    try:
        inputs = expand(args.models)
    except OSError:
        # A path whose directory cannot even be searched: check each argument as a file, so
        # that the unreadable one is reported (exit 3) with the others.
        inputs = [ModelInput(m) for m in args.models]
    report = check_inputs(
        inputs,
        api_level=args.api_level,
        feature_level=args.feature_level,
        nnapi_cpu=args.nnapi_cpu,
        max_partitions=args.max_partitions,
        jobs=args.jobs,
    )
    import dataclasses
    import sys

    from opcompat.analysis import table_provenance
    from opcompat.output import emit_text

    if not report.tables:
        report = dataclasses.replace(report, tables=table_provenance())

    emit_text(lambda: _render(report, args.format), args.output)
    for m in report.models:
        if isinstance(m, ModelError):
            where = "" if m.error.startswith(m.path) else f"{m.path}: "
            print(f"opcompat: error: {where}{m.error}", file=sys.stderr)
    return EXIT_UNREADABLE if any(isinstance(m, ModelError) for m in report.models) else EXIT_OK


def _render(report: Any, fmt: str) -> str:
    if fmt == "json":
        from opcompat.formats.json import render  # standard library only: a fast CI path

        return render(report)
    if fmt == "table":
        return _render_table(report)
    from opcompat.formats.base import FormatChoice

    return FormatChoice(fmt).to_format().render(report)


def _render_table(report: Any) -> str:
    try:
        from opcompat.formats.table import render  # the formats engineer's table, when present
    except ImportError:
        render = None
    if render is not None:
        try:
            return str(render(report))
        except Exception:  # noqa: BLE001  (fall back to the minimal table below)
            pass
    from opcompat.report import ModelError

    lines: list[str] = []
    for m in report.models:
        if isinstance(m, ModelError):
            lines.append(f"== {m.path}\nunreadable: {m.error}")
            continue
        lines.append(
            f"== {m.path}  (API {m.options.api_level}, feature level {m.options.feature_level})"
        )
        for op in m.operators:
            verdict = "NNAPI" if op.delegated else "CPU"
            why = "; ".join(r.message for r in op.reasons)
            lines.append(
                f"  {op.subgraph}:{op.index:<5} {op.op:<28} v{op.version:<3} {verdict:<6} {why}"
            )
        if m.refusal is not None:
            lines.append(f"  refused: {m.refusal.message}")
        lines.append(
            f"  delegated {m.delegated_count}/{len(m.operators)}; partitions "
            f"{[list(p) for p in m.partitions]}; min API level {m.min_api_level}"
        )
    return "\n".join(lines) + "\n"
