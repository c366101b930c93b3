"""`--format json`: the report as one JSON document.

`report_to_dict(report)` builds plain dicts/lists (reused by other formats and by tests);
`render(report)` serialises it. Standard library only.
"""

from __future__ import annotations

import json
from typing import Any

from opcompat.report import (
    REPORT_SCHEMA_VERSION,
    CheckOptions,
    ModelError,
    ModelReport,
    OperatorResult,
    Partition,
    PlanEntry,
    Reason,
    Refusal,
    Report,
)

TOOL_NAME = "opcompat"


def reason_to_dict(reason: Reason) -> dict[str, Any]:
    from opcompat.plain_words import plain_words

    out: dict[str, Any] = {"code": reason.code, "message": reason.message}
    if reason.source:
        out["source"] = reason.source
    plain = plain_words(reason.message)
    if plain:
        out["plain"] = plain
    return out


def operator_to_dict(op: OperatorResult) -> dict[str, Any]:
    return {
        "subgraph": op.subgraph,
        "index": op.index,
        "op": op.op,
        "version": op.version,
        "supported": op.supported,
        "delegated": op.delegated,
        "reasons": [reason_to_dict(r) for r in op.reasons],
        "operations": list(op.operations),
        "nnapi_operations": list(op.operations),  # the 1.0 name, kept for one release
        "first_api_level": op.first_api_level,
        "partition": op.partition,
        "warnings": [reason_to_dict(r) for r in op.warnings],
    }


def partition_to_dict(p: Partition) -> dict[str, Any]:
    return {
        "subgraph": p.subgraph,
        "nodes": list(p.nodes),
        "input_tensors": list(p.input_tensors),
        "output_tensors": list(p.output_tensors),
    }


def refusal_to_dict(refusal: Refusal | None) -> dict[str, Any] | None:
    if refusal is None:
        return None
    return {
        "code": refusal.code,
        "message": refusal.message,
        "tensors": [{"subgraph": s, "tensor": t} for s, t in refusal.tensors],
    }


def options_to_dict(o: CheckOptions) -> dict[str, Any]:
    """The check's options: NNAPI's level fields (null for a target without levels), the
    partition cap, then the target's own options."""
    out: dict[str, Any] = {
        "api_level": o.api_level,
        "feature_level": o.feature_level,
        "validate_level": o.validate_level,
        "is_accelerator_specified": o.is_accelerator_specified,
        "nnapi_cpu": o.nnapi_cpu,
        "max_partitions": o.max_partitions,
    }
    out.update(o.target_options)
    return out


def plan_entry_to_dict(e: PlanEntry) -> dict[str, Any]:
    """`{"node": i}` for an operator on the CPU, `{"partition": k, "nodes": [...]}` for a
    delegate kernel (the shape of the reference data's `execution_plan`)."""
    if e.node is not None:
        return {"node": e.node}
    return {"partition": e.partition, "nodes": list(e.nodes)}


def model_to_dict(model: ModelReport) -> dict[str, Any]:
    o = model.options
    return {
        "path": model.path,
        "target": model.target,
        "sha256": model.sha256,
        "options": options_to_dict(o),
        "status": model.status,
        "refusal": refusal_to_dict(model.refusal),
        "min_api_level": model.min_api_level,
        "summary": {
            "operators": len(model.operators),
            "supported": sum(1 for x in model.operators if x.supported),
            "delegated": model.delegated_count,
            "partitions": sum(len(sg.partitions) for sg in model.subgraphs),
        },
        "partitions": [list(nodes) for nodes in model.partitions],
        "partitions_by_subgraph": {
            str(sg.index): [list(p.nodes) for p in sg.partitions] for sg in model.subgraphs
        },
        "execution_plan": {
            str(sg.index): [plan_entry_to_dict(e) for e in sg.execution_plan]
            for sg in model.subgraphs
        },
        "partition_details": [
            {
                "subgraph": sg.index,
                "name": sg.name,
                "status": sg.status,
                "partitions": [partition_to_dict(p) for p in sg.partitions],
                "dropped_partitions": [partition_to_dict(p) for p in sg.dropped_partitions],
            }
            for sg in model.subgraphs
        ],
        "operators": [operator_to_dict(x) for x in model.operators],
        "warnings": [reason_to_dict(r) for r in model.warnings],
    }


def error_to_dict(error: ModelError) -> dict[str, Any]:
    return {"path": error.path, "error": error.error}


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as JSON-ready data: `{schema_version, tool, models}`."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.tool_version, "tables": dict(report.tables)},
        "models": [
            error_to_dict(m) if isinstance(m, ModelError) else model_to_dict(m)
            for m in report.models
        ],
    }


COMPACT_ABOVE = 5000
"""Above this many operators in a report, JSON is written without indentation (the C encoder
only runs without it; indenting a 50k-operator report costs seconds)."""


def render(report: Report) -> str:
    """One JSON document, newline-terminated; indented unless the report is large."""
    data = report_to_dict(report)
    total = sum(len(m.operators) for m in report.models if isinstance(m, ModelReport))
    if total > COMPACT_ABOVE:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
