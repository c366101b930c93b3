"""`--format sarif`: SARIF 2.1.0 for code-scanning dashboards.

One result per operator left on the CPU; one rule per reason code (the first reason of the
operator is its rule, the others are in the message). Unreadable models are tool execution
notifications, not results. A model is a binary artifact, so results carry a logical location
(`subgraph[S]/op[I]:NAME`) beside the file, and a stable partial fingerprint for de-duplication.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from typing import Any

from opcompat import __version__
from opcompat.formats import cost_view as v
from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.reasons import CODES
from opcompat.report import ModelError, ModelReport, OperatorResult, Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

def _rule_id(op: OperatorResult, model: ModelReport) -> str:
    return s.cause(op, model)


def _message(op: OperatorResult, model: ModelReport) -> str:
    head = f"{op.op} (v{op.version}) at subgraph {op.subgraph}, index {op.index} runs on the CPU"
    if model.options.api_level is not None:
        head += f" at API {model.options.api_level}"
    else:
        head += f" with the {s.target_label(model)} delegate"
    reasons = s.reason_text(op)
    if not reasons and model.refusal is not None:
        reasons = f"{model.refusal.code}: {model.refusal.message}"
    if op.supported and not reasons:
        reasons = "supported, but not delegated"
    text = f"{head}: {reasons}" if reasons else head + "."
    fix = _remedy(op, model)
    return f"{text} Fix: {fix}" if fix else text


def _remedy(op: OperatorResult, model: ModelReport) -> str:
    """The remedy of the operator's first reason (`cost_view.remedy`); empty without one."""
    return v.remedy(op, op.reasons[0], model) if op.reasons else ""


def _fingerprint(op: OperatorResult, model: ModelReport) -> str:
    key = "|".join(
        [
            s.model_name(model.path),
            str(op.subgraph),
            op.op,
            str(op.index),
            ",".join(r.code for r in op.reasons),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(op: OperatorResult, model: ModelReport, rule_index: int) -> dict[str, Any]:
    fqn = f"subgraph[{op.subgraph}]/op[{op.index}]:{op.op}"
    return {
        "ruleId": _rule_id(op, model),
        "ruleIndex": rule_index,
        "level": "warning",
        "message": {"text": _message(op, model)},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": _location(model.path)},
                "logicalLocations": [
                    {"name": op.op, "fullyQualifiedName": fqn, "kind": "function"}
                ],
            }
        ],
        "partialFingerprints": {"opcompatOperator/v1": _fingerprint(op, model)},
        "properties": {
            "subgraph": op.subgraph,
            "index": op.index,
            "op": op.op,
            "version": op.version,
            "supported": op.supported,
            "reasonCodes": [r.code for r in op.reasons],
            "apiLevel": model.options.api_level,
            "firstApiLevel": op.first_api_level,
            "remedies": [v.remedy(op, r, model) for r in op.reasons],
            "macs": op.macs,
        },
    }


def _location(path: str) -> dict[str, str]:
    """The model file as a SARIF artifactLocation: relative to the checkout root (`%SRCROOT%`,
    which code scanning maps to the repository) when it lies below the working directory, else
    an absolute file URI."""
    try:
        cwd: str | None = os.getcwd()
    except OSError:  # the working directory was removed: absolute paths stay absolute
        cwd = None
    return dict(_location_from(path, cwd))  # a copy: the cached one is shared


@functools.lru_cache(maxsize=64)
def _location_from(path: str, cwd: str | None) -> dict[str, str]:
    from pathlib import PurePosixPath
    from urllib.parse import quote

    posix = path.replace("\\", "/")
    full = path if os.path.isabs(path) else (os.path.join(cwd, path) if cwd else None)
    if full is not None:
        full = os.path.normpath(full)
        try:
            inside = cwd is not None and os.path.commonpath([cwd, full]) == cwd
        except ValueError:  # another drive
            inside = False
        if not inside:
            full_posix = full.replace("\\", "/")
            return {
                "uri": "file://"
                + quote(full_posix if full_posix.startswith("/") else "/" + full_posix)
            }
        posix = os.path.relpath(full, cwd).replace("\\", "/")
    return {"uri": quote(str(PurePosixPath(posix))), "uriBaseId": "%SRCROOT%"}


def _rule(code: str, example: str, label: str) -> dict[str, Any]:
    known = CODES.get(code)
    text = known.help if known is not None and known.help else example
    return {
        "id": code,
        "name": code.lstrip("k") if code.startswith("k") else code,
        "shortDescription": {"text": text},
        "fullDescription": {"text": f"Operators left on the CPU by the {label} delegate: {text}"},
        "defaultConfiguration": {"level": "warning"},
    }


def _plan(report: Report) -> tuple[dict[str, Any], list[tuple[OperatorResult, ModelReport, int]]]:
    """The log without its results, and what each result is made of (built one at a time by
    `render`: 50k results as dicts would cost hundreds of MB)."""
    rules: dict[str, int] = {}
    rule_objs: list[dict[str, Any]] = []
    planned: list[tuple[OperatorResult, ModelReport, int]] = []
    notifications: list[dict[str, Any]] = []
    artifacts: list[dict[str, Any]] = []
    seen: set[str] = set()  # a model checked for several targets is one artifact
    for m in report.models:
        if isinstance(m, ModelError):
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": m.error if m.error.startswith(m.path)
                                else f"{m.path}: {m.error}"},
                    "locations": [{"physicalLocation": {"artifactLocation": _location(m.path)}}],
                }
            )
            continue
        if m.path not in seen:
            seen.add(m.path)
            artifacts.append(
                {"location": _location(m.path), "hashes": {"sha-256": m.sha256}}
                if m.sha256
                else {"location": _location(m.path)}
            )
        for op in sorted(m.fallbacks, key=lambda o: (o.subgraph, o.index)):
            rid = _rule_id(op, m)
            if rid not in rules:
                rules[rid] = len(rule_objs)
                example = (
                    op.reasons[0].message
                    if op.reasons
                    else (m.refusal.message if m.refusal else "Left on the CPU.")
                )
                rule_objs.append(_rule(rid, example, s.target_label(m)))
            planned.append((op, m, rules[rid]))
    run: dict[str, Any] = {
        "properties": {"models": [_cost_properties(m) for m in report.models
                                  if isinstance(m, ModelReport)]},
        "tool": {
            "driver": {
                "name": "opcompat",
                "version": report.tool_version or __version__,
                "rules": rule_objs,
            }
        },
        "artifacts": artifacts,
        "results": [],
        "invocations": [
            {
                "executionSuccessful": not notifications,
                "toolExecutionNotifications": notifications,
            }
        ],
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, planned


def _cost_properties(model: ModelReport) -> dict[str, Any]:
    """The model's cost summary for the run's property bag: the numbers, and the same lines
    as the other formats (`cost_view`), every ranked change best first."""
    c = model.cost
    out: dict[str, Any] = {"path": model.path, "target": model.target}
    if c is not None:
        out.update(macs=c.macs, macsDelegated=c.macs_delegated,
                   delegatedShare=c.delegated_share, boundaryBytes=c.boundary_bytes,
                   boundaryTensors=c.boundary_tensors, ioBytes=c.io_bytes)
    out["summary"] = v.cost_lines(model)
    out["modelChanges"] = [v.fix_line(model, f) for f in model.fixes]
    out["appChanges"] = [v.app_fix_line(model, f) for f in model.app_fixes]
    return out


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict."""
    log, planned = _plan(report)
    log["runs"][0]["results"] = [_result(op, m, k) for op, m, k in planned]
    return log


_RESULTS_MARK = "\x00opcompat-results\x00"
_RESULTS_INDENT = " " * 8  # runs[0].results[i] in json.dumps(log, indent=2)


class SarifFormat(ReportFormat):
    def render(self, report: Report) -> str:
        """`to_sarif(report)` as indented JSON, but one result a line: each is built and
        encoded on its own (by json's C encoder, which indented output cannot use), so that
        50k results cost neither hundreds of MB of dicts nor seconds of pure-Python encoding."""
        log, planned = _plan(report)
        if not planned:
            return json.dumps(log, indent=2) + "\n"
        log["runs"][0]["results"] = _RESULTS_MARK
        head, tail = json.dumps(log, indent=2).split(json.dumps(_RESULTS_MARK))
        parts = [head, "[\n"]
        for k, (op, m, rule) in enumerate(planned):
            if k:
                parts.append(",\n")
            parts += [_RESULTS_INDENT, json.dumps(_result(op, m, rule), ensure_ascii=True)]
        parts += ["\n", _RESULTS_INDENT[:-2], "]", tail, "\n"]
        return "".join(parts)
