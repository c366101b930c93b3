"""How a diff of two checks is shown: a table for the terminal, markdown for a pull request,
JSON (`opcompat.diff` finds the changes)."""

from __future__ import annotations

import json
from typing import Any

from opcompat.diff import ModelDiff, reason_codes
from opcompat.formats.markdown import cell, code
from opcompat.formats.summary import full_delegation_phrase, target_label
from opcompat.names import model_name, plural
from opcompat.report import ModelReport, OperatorResult


def _where(op: OperatorResult | None, target: str) -> str:
    if op is None:
        return "-"
    if op.delegated:
        return target if op.partition is None else f"{target} p{op.partition}"
    codes = ", ".join(reason_codes(op))
    return f"CPU ({codes})" if codes else "CPU"


def _sizes(d: dict[int, list[int]]) -> str:
    return (
        "; ".join(
            f"subgraph {k}: {len(v)} [{', '.join(map(str, v))}]" for k, v in sorted(d.items()) if v
        )
        or "none"
    )


def _side(label: str, m: ModelReport) -> str:
    return (
        f"{label}: {m.path} ({m.delegated_count}/{len(m.operators)} ops on {target_label(m)}, "
        f"{plural(m.partition_count, 'partition')}, {full_delegation_phrase(m, never='')})"
    )


def summary_lines(d: ModelDiff) -> list[str]:
    o, n = d.old, d.new
    lines = [
        _side("old", o),
        _side("new", n),
        f"partitions: {_sizes(d.partition_sizes('old'))} → {_sizes(d.partition_sizes('new'))}",
    ]
    if (o.refusal is None) != (n.refusal is None):
        lines.append(
            f"refusal: {o.refusal.code if o.refusal else 'none'} → "
            f"{n.refusal.code if n.refusal else 'none'}"
        )
    lines.append(
        f"new fallbacks: {len(d.new_fallbacks)}; fixed: {len(d.fixed)}; "
        f"operator changes: {len(d.changes)}"
        + (
            f" (and {plural(d.version_only, 'operator')} with only a new op version)"
            if d.version_only
            else ""
        )
    )
    return lines


def _label(op: OperatorResult | None) -> str:
    return "-" if op is None else f"{op.subgraph}:{op.index} {op.op} v{op.version}"


def render_text(d: ModelDiff) -> str:
    from tabulate import tabulate

    lines = summary_lines(d)
    if d.changes:
        rows = [
            (
                c.kind + (" (new fallback)" if c.new_fallback else " (fixed)" if c.fixed else ""),
                _label(c.old),
                _where(c.old, target_label(d.old)),
                _label(c.new),
                _where(c.new, target_label(d.new)),
            )
            for c in d.changes
        ]
        lines += [
            "",
            tabulate(
                rows,
                headers=("change", "old op", "old verdict", "new op", "new verdict"),
                disable_numparse=True,
            ),
        ]
    else:
        lines += ["", "no operator changed"]
    return "\n".join(lines) + "\n"


def render_markdown(d: ModelDiff) -> str:
    status = "❌" if d.new_fallbacks else "✅"
    lines = [
        f"## {status} opcompat diff: "
        f"{code(model_name(d.old.path))} → {code(model_name(d.new.path))}",
        "",
    ]
    lines += [f"- {cell(x)}" for x in summary_lines(d)]
    if d.changes:
        lines += [
            "",
            "| change | old op | old verdict | new op | new verdict |",
            "|---|---|---|---|---|",
        ]
        old, new = target_label(d.old), target_label(d.new)
        for c in d.changes:
            tag = " **new fallback**" if c.new_fallback else " (fixed)" if c.fixed else ""
            lines.append(
                f"| {c.kind}{tag} | {cell(_label(c.old))} | {cell(_where(c.old, old))} "
                f"| {cell(_label(c.new))} | {cell(_where(c.new, new))} |"
            )
    return "\n".join(lines) + "\n"


def _op_dict(op: OperatorResult | None) -> dict[str, Any] | None:
    if op is None:
        return None
    return {
        "subgraph": op.subgraph,
        "index": op.index,
        "op": op.op,
        "version": op.version,
        "delegated": op.delegated,
        "supported": op.supported,
        "partition": op.partition,
        "reasons": [{"code": r.code, "message": r.message} for r in op.reasons],
    }


def to_dict(d: ModelDiff) -> dict[str, Any]:
    def side(m: ModelReport) -> dict[str, Any]:
        return {
            "path": m.path,
            "sha256": m.sha256,
            "delegated": m.delegated_count,
            "operators": len(m.operators),
            "partitions": m.partition_count,
            "min_api_level": m.min_api_level,
            "refusal": None if m.refusal is None else m.refusal.code,
        }

    return {
        "diff_version": 1,
        "api_level": d.new.options.api_level,
        "old": side(d.old),
        "new": side(d.new),
        "partition_sizes": {"old": d.partition_sizes("old"), "new": d.partition_sizes("new")},
        "changes": [
            {
                "kind": c.kind,
                "new_fallback": c.new_fallback,
                "fixed": c.fixed,
                "old": _op_dict(c.old),
                "new": _op_dict(c.new),
            }
            for c in d.changes
        ],
        "version_only_changes": d.version_only,
    }


def render_json(d: ModelDiff) -> str:
    return json.dumps(to_dict(d), indent=2) + "\n"
