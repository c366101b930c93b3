"""`opcompat check MODEL...`: what a delegate would do with each model: by default the NNAPI
delegate at one device level (`--target NAME` picks another target, `--target all` each).

The default `--api-level` is 33 (Android 13): the first level whose updatable NNAPI runtime
reports feature level 8 by default, so every feature-level-gated rule of the delegate applies.
Exit codes: 0 passed, 1 the `--fail-on`/`--min-delegated-ratio` policy failed, 2 usage error,
3 a model is unreadable (the others are still reported); 2 wins over 3, 3 over 1.
"""

from __future__ import annotations

import argparse
from typing import Any

from opcompat.commands._levels import add_level_arguments, int_in, level_options
from opcompat.commands._report_options import HASHED_FORMATS, add_report_arguments
from opcompat.errors import UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="per-operator delegation verdicts, partitions and refusals",
        description="For every operator of every subgraph: would TFLite's delegate (by default "
        "NNAPI, on a device of this API level; see --target) take it, or leave it on the CPU, "
        "and why.",
    )
    p.add_argument(
        "models",
        nargs="*",
        metavar="MODEL",
        help=".tflite file(s), directories (searched recursively) or globs; SavedModel/Keras/.pb "
        "with the convert extra",
    )
    from opcompat.examples import EXAMPLES

    p.add_argument(
        "--example",
        action="append",
        choices=sorted(EXAMPLES),
        metavar="NAME",
        help="check a small model shipped with opcompat (repeatable): "
        + "; ".join(f"{k}: {v.about}" for k, v in sorted(EXAMPLES.items())),
    )
    add_level_arguments(p)
    add_report_arguments(p)
    p.add_argument(
        "-j",
        "--jobs",
        type=int_in(1, 1024, "--jobs"),
        default=None,
        help="worker processes for many models (default: all cores)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.commands._report_options import emit, policy_from_args
    from opcompat.inputs import ModelInput, check_inputs, expand
    from opcompat.output import refuse_overwriting, stderr_progress
    from opcompat.targets import expand as targets_of

    # Flags first: a usage error needs no model to be read.
    policy = policy_from_args(args)
    models = list(args.models) + _examples(args.example or [])
    if not models:
        raise UsageError("no model given: name a MODEL, or --example NAME for a shipped one")
    try:
        inputs = expand(models)
    except OSError:
        # A path whose directory cannot even be searched: check each argument as a file, so
        # that the unreadable one is reported (exit 3) with the others.
        inputs = [ModelInput(m) for m in models]
    baseline = [args.baseline] if getattr(args, "baseline", None) else []
    refuse_overwriting(getattr(args, "output", None), [i.path for i in inputs] + baseline)
    # The formats that print each model's sha256, and baseline matching, need it: computed with
    # each check, in the workers. The other formats never read the weights.
    digests = args.format in HASHED_FORMATS or baseline != []
    checks = len(inputs) * len(targets_of(args.target))
    with stderr_progress(checks) as progress:  # erased before the report is written
        report = check_inputs(
            inputs, jobs=args.jobs, progress=progress, digests=digests, **level_options(args)
        )
    if not report.tables:
        from opcompat.analysis import table_provenance

        report = report._replace(tables=table_provenance())
    return emit(report, args, policy)


def _examples(names: list[str]) -> list[str]:
    from opcompat.examples import example_path

    return [str(example_path(n)) for n in names]
