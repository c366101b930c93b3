"""`--format json`: the report as one JSON document.

`report_to_dict(report)` builds plain dicts/lists (reused by other formats and by tests);
`render(report)` serialises it. Standard library only.
"""

from __future__ import annotations

import json
from typing import Any

from opcompat.report import (
    REPORT_SCHEMA_VERSION,
    AppFix,
    BoundaryTensor,
    CheckOptions,
    Fix,
    ModelCost,
    ModelError,
    ModelReport,
    OperatorResult,
    Partition,
    PartitionCost,
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


def operator_to_dict(op: OperatorResult, model: ModelReport | None = None) -> dict[str, Any]:
    """One operator; with its `model`, each reason of an operator on the CPU carries its
    `remedy` (for the model's target)."""
    reasons = [reason_to_dict(r) for r in op.reasons]
    if model is not None and not op.delegated:
        from opcompat.formats.cost_view import remedy

        for r, out in zip(op.reasons, reasons, strict=True):
            out["remedy"] = remedy(op, r, model)
    return {
        "subgraph": op.subgraph,
        "index": op.index,
        "op": op.op,
        "version": op.version,
        "supported": op.supported,
        "delegated": op.delegated,
        "reasons": reasons,
        "operations": list(op.operations),
        "nnapi_operations": list(op.operations),  # the 1.0 name, kept for one release
        "first_api_level": op.first_api_level,
        "partition": op.partition,
        "warnings": [reason_to_dict(r) for r in op.warnings],
        "macs": op.macs,
        "elements": op.elements,
        "one_time": op.one_time,
        "delegated_levels": list(op.delegated_levels),
    }


def tensor_to_dict(t: BoundaryTensor) -> dict[str, Any]:
    return {"subgraph": t.subgraph, "index": t.index, "name": t.name, "dtype": t.dtype,
            "shape": list(t.shape), "bytes": t.bytes}


def partition_cost_to_dict(p: PartitionCost) -> dict[str, Any]:
    return {
        "subgraph": p.subgraph,
        "partition": p.partition,
        "ops": p.ops,
        "macs": p.macs,
        "inputs": [tensor_to_dict(t) for t in p.inputs],
        "outputs": [tensor_to_dict(t) for t in p.outputs],
    }


def cost_to_dict(cost: ModelCost | None) -> dict[str, Any] | None:
    """The model's cost view; None when it was not computed."""
    if cost is None:
        return None
    return {
        "macs": cost.macs,
        "macs_delegated": cost.macs_delegated,
        "delegated_share": cost.delegated_share,
        "boundary_bytes": cost.boundary_bytes,
        "boundary_tensors": cost.boundary_tensors,
        "io_bytes": cost.io_bytes,
        "io_tensors": [tensor_to_dict(t) for t in cost.io_tensors],
        "partitions": [partition_cost_to_dict(p) for p in cost.partitions],
        "unknown_ops": cost.unknown_ops,
    }


def fix_to_dict(fix: Fix) -> dict[str, Any]:
    return {
        "operators": [{"subgraph": sg, "index": i} for sg, i in fix.operators],
        "op": fix.op,
        "codes": list(fix.codes),
        "remedy": fix.remedy,
        "delegated_ops_after": fix.delegated_ops_after,
        "macs_delegated_after": fix.macs_delegated_after,
        "partitions_after": fix.partitions_after,
    }


def app_fix_to_dict(fix: AppFix) -> dict[str, Any]:
    return dict(fix._asdict())  # its fields are the schema's, in its order


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


def model_to_dict(model: ModelReport, operators: bool = True) -> dict[str, Any]:
    """One model entry (`operators`: False leaves its operator list empty)."""
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
        "operators": [operator_to_dict(x, model) for x in model.operators] if operators else [],
        "warnings": [reason_to_dict(r) for r in model.warnings],
        "cost": cost_to_dict(model.cost),
        "fixes": [fix_to_dict(f) for f in model.fixes],
        "app_fixes": [app_fix_to_dict(f) for f in model.app_fixes],
        "levels": [
            {"api_level": r.api_level, "delegated": r.delegated, "partitions": r.partitions,
             "refused": r.refused}
            for r in model.levels
        ],
        "per_inference_ratio": model.per_inference_ratio,
    }


def error_to_dict(error: ModelError) -> dict[str, Any]:
    return {"path": error.path, "error": error.error}


def report_to_dict(report: Report, operators: bool = True) -> dict[str, Any]:
    """The whole report as JSON-ready data: `{schema_version, tool, models}` (`operators`:
    False leaves the models' operator lists empty)."""
    return {
        "schema_version": REPORT_SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": report.tool_version, "tables": dict(report.tables)},
        "models": [
            error_to_dict(m) if isinstance(m, ModelError) else model_to_dict(m, operators)
            for m in report.models
        ],
    }


COMPACT_ABOVE = 5000
"""Above this many operators in a report, JSON is written without indentation (the C encoder
only runs without it; indenting a 50k-operator report costs seconds)."""


def render(report: Report) -> str:
    """One JSON document, newline-terminated; indented unless the report is large."""
    total = sum(len(m.operators) for m in report.models if isinstance(m, ModelReport))
    if total > COMPACT_ABOVE:
        return _render_compact(report) + "\n"
    return json.dumps(report_to_dict(report), indent=1, ensure_ascii=False) + "\n"


def _render_compact(report: Report) -> str:
    """The compact document, each model's operators encoded one at a time and spliced in:
    equal to `json.dumps(report_to_dict(report), separators=(",", ":"))`, without holding
    every operator's dict at once (tens of MB for 50k operators)."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    data = report_to_dict(report, operators=False)
    marks: list[tuple[str, ModelReport]] = []
    for k, (m, entry) in enumerate(zip(report.models, data["models"], strict=True)):
        if isinstance(m, ModelReport):
            mark = f"\u0000operators {k}\u0000"
            entry["operators"] = mark
            marks.append((dumps(mark), m))
    text = dumps(data)
    for mark, m in marks:
        ops = "[" + ",".join(dumps(operator_to_dict(o, m)) for o in m.operators) + "]"
        text = text.replace(mark, ops, 1)
    return text
