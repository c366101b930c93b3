"""Check models: per-operator verdicts, partitions, refusals and the lowest fully delegated level.

`check(model) -> ModelReport` for one model, in-process; `check_many(paths) -> Report` for
several (in parallel over all cores when there are many).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opcompat import __version__
from opcompat.digest import ModelDigest
from opcompat.errors import ModelReadError, OpcompatError, UsageError
from opcompat.model.graph import Model
from opcompat.report import (
    ModelError,
    ModelReport,
    Report,
)
from opcompat.targets import DEFAULT_TARGET, choose, expand
from opcompat.targets.nnapi import DEFAULT_API_LEVEL as NNAPI_API_LEVEL

DEFAULT_API_LEVEL = NNAPI_API_LEVEL
"""API level checked when none is given (`opcompat.targets.nnapi.DEFAULT_API_LEVEL`)."""

_PARALLEL_THRESHOLD = 4
_MAX_CHUNK = 16
"""Models per pool task at most: small enough that progress advances as workers finish."""


def _digest(model: Model, source: Any) -> ModelDigest:
    """The model's sha256, to be computed when asked for: from the file for a path (never from
    the mapping, whose weight pages would then count against this process), now for bytes."""
    if model._file_stat is not None and isinstance(source, (str, os.PathLike)):
        return ModelDigest(os.fspath(source), model._file_stat)
    return ModelDigest.of_bytes(model._data if model._data is not None else source)


def check(
    path_or_bytes: Any,
    api_level: int = DEFAULT_API_LEVEL,
    feature_level: int | None = None,
    nnapi_cpu: bool = False,
    max_partitions: int | None = None,
    *,
    path: str | None = None,
    target: str = DEFAULT_TARGET.value,
    **target_options: Any,
) -> ModelReport:
    """Check one model (a path, or the bytes of a .tflite file) for one target: by default
    the NNAPI delegate at one device level. `target_options` are other targets' own options
    (the keys their `cli.options` gives); a target ignores the options of the others.

    Raises ModelReadError for an unreadable model and UsageError for bad levels or targets.
    """
    from opcompat.gcpause import paused_gc

    choose(target)  # an unknown target: a usage error
    options = _options(api_level, feature_level, nnapi_cpu, max_partitions, target_options)
    with paused_gc():  # many objects, no cycles: see opcompat.gcpause
        return _check(path_or_bytes, target, options, path)


def _options(
    api_level: int,
    feature_level: int | None,
    nnapi_cpu: bool,
    max_partitions: int | None,
    target_options: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The options handed to a target's `prepare`; a cap not given is the target's own."""
    options: dict[str, Any] = {
        "api_level": api_level, "feature_level": feature_level, "nnapi_cpu": nnapi_cpu
    }
    if max_partitions is not None:
        options["max_partitions"] = max_partitions
    options.update(target_options or {})
    return options


def _check(
    path_or_bytes: Any, target: str, options: Mapping[str, Any], path: str | None
) -> ModelReport:
    from opcompat.model import read_model
    from opcompat.model.reader import printable

    engine = choose(target).engine()
    prepared = engine.prepare(options)  # bad options: a usage error before any model is read
    model = read_model(path_or_bytes)
    if path is None:
        path = (
            os.fspath(path_or_bytes) if isinstance(path_or_bytes, (str, os.PathLike)) else "<bytes>"
        )
    digest = _digest(model, path_or_bytes)
    path = printable(path)  # reports show it: no newline or escape from a hostile file name
    result = engine.check_model(model, prepared)
    report = ModelReport(
        path, digest, result.options, result.operators, result.subgraphs, result.refusal,
        result.min_api_level, result.warnings, result.status, target=target,
        levels=result.levels,
    )
    return _with_cost_and_fixes(model, report, engine, prepared)


def _with_cost_and_fixes(
    model: Model, report: ModelReport, engine: Any, prepared: Any
) -> ModelReport:
    """The report with each operator's MACs, the model's cost and the ranked fixes."""
    from opcompat.cost.model import model_cost, operator_costs, with_costs
    from opcompat.fixes import app_fixes, model_fixes
    from opcompat.model.dataflow import dataflow_edges
    from opcompat.remedies import remedy_for

    costs = operator_costs(model)
    report = report._replace(operators=with_costs(model, report.operators, costs))
    macs = {key: c.macs for key, c in costs.items()}

    def remedy(op: Any) -> str:
        r = op.reasons[0]
        return remedy_for(r.code, op.op, r.message, report.target).text

    return report._replace(
        subgraphs=tuple(sg._replace(edges=dataflow_edges(model.subgraphs[sg.index]))
                        if 0 <= sg.index < len(model.subgraphs) else sg
                        for sg in report.subgraphs),
        cost=model_cost(model, report, costs),
        fixes=model_fixes(model, report, engine, prepared, macs, remedy),
        app_fixes=app_fixes(model, report, engine, prepared, macs),
    )


def _check_one(args: tuple[str, dict[str, Any], bool]) -> ModelReport | ModelError:
    path, kwargs, digest = args
    from opcompat.model.reader import printable

    shown = printable(path)  # a file name from a pull request may hold a newline or an escape
    try:
        report = check(path, **kwargs)
        if digest:
            report.digest.hexdigest()  # here, in the worker: in parallel, errors per model
        return report
    except ModelReadError as exc:
        return ModelError(shown, str(exc), exc.exit_code)
    except UsageError:
        raise
    except OpcompatError as exc:
        return ModelError(shown, str(exc), exc.exit_code)
    except (OSError, MemoryError, RecursionError) as exc:
        return ModelError(shown, f"{type(exc).__name__}: {exc}", 3)


def _check_chunk(
    work: Sequence[tuple[str, dict[str, Any], bool]],
) -> list[ModelReport | ModelError]:
    return [_check_one(w) for w in work]


def check_many(
    paths: Sequence[str],
    api_level: int = DEFAULT_API_LEVEL,
    feature_level: int | None = None,
    nnapi_cpu: bool = False,
    max_partitions: int | None = None,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    digests: bool = False,
    target: str = DEFAULT_TARGET.value,
    **target_options: Any,
) -> Report:
    """Check several models; unreadable ones become `ModelError` entries, in input order.

    `target` names one target, or is `"all"`: then each model is checked for every target,
    one entry per model and target (the models in input order, each model's targets in
    `TargetChoice` order).

    Models are independent: with many of them, a process pool uses every core; a few are checked
    in this process (start-up of workers costs more than it saves). `progress`, when given, is
    called with the number of checks done so far each time results arrive (in whatever order
    the workers finish them; the report keeps the input order). With `digests`, each model's
    sha256 is computed with its check (else when first asked for, see `opcompat.digest`).
    """
    targets = expand(target)
    # Bad options: one usage error, up front, before any model is read.
    for name in targets:
        choose(name).engine().prepare(
            _options(api_level, feature_level, nnapi_cpu, max_partitions, target_options)
        )
    common = {
        "api_level": api_level,
        "feature_level": feature_level,
        "nnapi_cpu": nnapi_cpu,
        "max_partitions": max_partitions,
        **target_options,
    }
    work = [
        (os.fspath(p), {**common, "target": name}, digests) for p in paths for name in targets
    ]
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    results: list[ModelReport | ModelError]
    results = []
    if workers > 1 and len(work) >= _PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from concurrent.futures.process import BrokenProcessPool

        chunk = max(1, min(_MAX_CHUNK, len(work) // (4 * workers)))
        try:
            with ProcessPoolExecutor(max_workers=min(workers, len(work))) as pool:
                futures = [
                    pool.submit(_check_chunk, work[i : i + chunk])
                    for i in range(0, len(work), chunk)
                ]
                done = 0
                try:
                    for future in as_completed(futures):  # as they finish, for `progress`
                        done += len(future.result())
                        if progress is not None:
                            progress(done)
                except BaseException:  # incl. KeyboardInterrupt: start no more chunks
                    for future in futures:
                        future.cancel()
                    raise
                results = [r for future in futures for r in future.result()]
        except (OSError, BrokenProcessPool):
            # No process pool here (sandbox, no /dev/shm) or a worker died: check in-process.
            results = []
    if not results:
        for w in work:
            results.append(_check_one(w))
            if progress is not None:
                progress(len(results))
    return Report(models=tuple(results), tool_version=__version__, tables=table_provenance())


def table_provenance() -> dict[str, str]:
    """Op table name -> sha256 of the shipped table (from the manifest; empty without one)."""
    try:
        from opcompat.tables.loader import tables_provenance

        return {name: str(e.get("sha256", "")) for name, e in tables_provenance().items()}
    except Exception:  # noqa: BLE001  (provenance is informative only)
        return {}
