"""`--format markdown`: a report for pull-request comments and CI job summaries.

Summary first; per-operator details folded in `<details>`; a mermaid flowchart of the delegated
partitions and CPU runs (GitHub and GitLab render mermaid code blocks). Large subgraphs are
drawn at partition level only, so the diagram stays readable and within renderer limits.
"""

from __future__ import annotations

from opcompat.formats import cost_view as v
from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.report import ModelError, ModelReport, OperatorResult, Report

MAX_OPS_DRAWN = 40
"""Above this many operators in a subgraph, the flowchart shows one node per partition/CPU run."""
MAX_SEGMENTS_DRAWN = 60
"""Above this many partitions/CPU runs, the middle of the chain is elided."""
MAX_SUBGRAPHS_DRAWN = 4

DELEGATED_STYLE = "fill:#dafbe1,stroke:#1a7f37,color:#0f3d1c"
CPU_STYLE = "fill:#fff1e5,stroke:#bc4c00,color:#4a1d00"


def cell(text: object) -> str:
    """Text safe inside a markdown table cell (GitHub-flavoured)."""
    out = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return out.replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    """Inline code that survives backticks in the text."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def cell_code(text: str) -> str:
    """Inline code inside a table cell: GitHub splits cells at a `|` even in a code span, unless
    it is escaped (GFM spec, tables extension)."""
    return code(text.replace("|", "\\|"))


def mermaid_label(text: str) -> str:
    """Text safe inside a quoted mermaid label."""
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _status(model: ModelReport) -> str:
    if model.refusal is not None:
        return "❌"
    if model.fully_delegated:
        return "✅"
    return "⚠️"


def _api(model: ModelReport) -> str:
    """The API column: the level checked, or the target's name for a target without levels."""
    return str(model.options.api_level) if s.has_levels(model) else s.target_label(model)


def _overview(report: Report, names: list[str]) -> list[str]:
    lines = [
        f"| | model | API | ops on {s.report_label(report)} | partitions | ops on CPU "
        "| full delegation from |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for m, shown in zip(report.models, names, strict=True):
        name = cell_code(shown)
        if isinstance(m, ModelError):
            lines.append(f"| ❗ | {name} | | | | | unreadable: {cell(m.error)} |")
            continue
        total = len(m.operators)
        pct = f" ({100 * m.delegated_ratio:.1f}%)" if total else ""
        lines.append(
            f"| {_status(m)} | {name} | {_api(m)} | {m.delegated_count}/{total}{pct}"
            f" | {m.partition_count} | {len(m.fallbacks)}"
            f" | {cell(s.full_delegation_text(m))} |"
        )
    return lines


def _op_row(op: OperatorResult, model: ModelReport) -> str:
    where = s.verdict(op, model)
    if op.delegated and op.partition is not None:
        where = f"{where} p{op.partition}"
    where += s.spec_note(op)
    reason = s.shown_reason(op, model)
    return (
        f"| {op.subgraph} | {op.index} | {cell_code(op.op)} | {op.version} | {v.macs_cell(op)} "
        f"| {cell(', '.join(op.operations) or '-')} | {where} | {cell(reason)} |"
    )


def _op_header(label: str) -> list[str]:
    return [
        f"| subgraph | index | op | version | MACs | {label} operation | verdict | reason |",
        "|---:|---:|---|---:|---:|---|---|---|",
    ]


def _segment_label(seg: s.Segment, label: str) -> str:
    n = len(seg.ops)
    where = f"{label} partition {seg.partition}" if seg.delegated else "CPU"
    text = f"{where}<br/>{s.plural(n, 'op')} ({s.span(seg.ops)})"
    if not seg.delegated:
        names = s.op_names(seg.ops)
        if len(names) > 60:
            names = names[:57] + "..."
        text += f"<br/>{names}"
    return text


def _label(text: str) -> str:
    # <br/> is mermaid's own line break; the rest is escaped.
    return "<br/>".join(mermaid_label(part) for part in text.split("<br/>"))


def flowchart(model: ModelReport, subgraph: int) -> str:
    """A mermaid flowchart of one subgraph's delegated partitions and CPU runs."""
    label = s.target_label(model)
    segs = s.segments(model, subgraph)
    n_ops = sum(len(x.ops) for x in segs)
    lines = ["```mermaid", "flowchart LR"]
    ids: list[str] = []
    if n_ops <= MAX_OPS_DRAWN:
        for k, seg in enumerate(segs):
            sid = f"s{subgraph}_{k}"
            ids.append(sid)
            title = f"{label} partition {seg.partition}" if seg.delegated else "CPU"
            lines.append(f'  subgraph {sid}["{mermaid_label(title)}"]')
            lines.append("    direction TB")
            prev = ""
            for op in seg.ops:
                oid = f"o{subgraph}_{op.index}"
                cls = "delegated" if op.delegated else "cpu"
                lines.append(f'    {oid}["{mermaid_label(f"{op.index}: {op.op}")}"]:::{cls}')
                if prev:
                    lines.append(f"    {prev} --> {oid}")
                prev = oid
            lines.append("  end")
            lines.append(f"  style {sid} {DELEGATED_STYLE if seg.delegated else CPU_STYLE}")
    else:
        shown: list[s.Segment | int] = list(segs)
        if len(segs) > MAX_SEGMENTS_DRAWN:
            half = MAX_SEGMENTS_DRAWN // 2
            shown = [*segs[:half], len(segs) - 2 * half, *segs[-half:]]
        for k, item in enumerate(shown):
            sid = f"s{subgraph}_{k}"
            ids.append(sid)
            if isinstance(item, int):
                lines.append(f'  {sid}["{item} more partitions and CPU runs"]')
                continue
            cls = "delegated" if item.delegated else "cpu"
            lines.append(f'  {sid}["{_label(_segment_label(item, label))}"]:::{cls}')
    for a, b in zip(ids, ids[1:], strict=False):
        lines.append(f"  {a} --> {b}")
    lines.append(f"  classDef delegated {DELEGATED_STYLE}")
    lines.append(f"  classDef cpu {CPU_STYLE}")
    lines.append("```")
    return "\n".join(lines)


def cost_list(model: ModelReport) -> list[str]:
    """The cost lines (`cost_view.cost_lines`) as a bullet list; none without a cost view."""
    lines = [f"- {cell(line)}" for line in v.cost_lines(model)]
    return [*lines, ""] if lines else []


def _titled(title: str, items: list[str], hidden: int) -> list[str]:
    lines = [f"**{title}**", "", *items]
    if hidden:
        lines += ["", f"({v.more_text(hidden)})"]
    return [*lines, ""]


def fix_lists(model: ModelReport) -> list[str]:
    """Each kind of fix, best first, as a bold title and a numbered list (a model change's
    remedy in a nested bullet); nothing without fixes."""
    lines: list[str] = []
    fixes, hidden = v.top(model.fixes)
    if fixes:
        items = []
        for k, f in enumerate(fixes, 1):
            items.append(f"{k}. {cell(v.fix_change(f, code))}: {v.effect(model, f)}")
            if f.remedy:
                items.append(f"   - {cell(f.remedy)}")
        lines += _titled(v.MODEL_CHANGES, items, hidden)
    apps, hidden = v.top(model.app_fixes)
    if apps:
        items = [f"{k}. {cell(v.app_fix_line(model, f))}" for k, f in enumerate(apps, 1)]
        lines += _titled(v.APP_CHANGES, items, hidden)
    return lines


def _findings(model: ModelReport) -> list[str]:
    """One-time operators, spec findings and the level matrix, each a line (summary.py's)."""
    out = []
    once = s.one_time_count(model)
    if once:
        out.append(f"- {s.plural(once, 'one-time op')} on the CPU (DEQUANTIZE of constant "
                   "weights: run once and kept, not per inference); delegated ratio per "
                   f"inference **{model.per_inference_ratio:.2f}**")
    spec = [(o, w) for o in model.operators for w in s.spec_findings_of(o)]
    if spec:
        o, w = spec[0]
        out.append(f"- ⚠️ **{s.plural(len(spec), 'spec finding')}** on delegated ops: the "
                   f"{s.target_label(model)} runtime may reject the model (first: "
                   f"{code(o.op)} at subgraph {o.subgraph}, index {o.index}: "
                   f"{code(w.code)}: {cell(w.message)})")
    matrix = s.level_matrix_text(model)
    if matrix:
        out.append(f"- By API level: {cell(matrix)}")
    return [*out, ""] if out else []


def render_model(model: ModelReport, name: str | None = None) -> list[str]:
    name = name or s.model_name(model.path)
    total = len(model.operators)
    parts = model.partition_count
    lines = [f"### {_status(model)} {code(name)}", ""]
    lines.append(
        f"**{model.delegated_count}/{total} ops on {s.target_label(model)}** in "
        f"{s.plural(parts, 'partition')}"
        + (f" at API {model.options.api_level} (feature level {model.options.feature_level})."
           f" Full delegation from: **{s.full_delegation_text(model)}**." if s.has_levels(model)
           else f" ({s.checked_at(model)}). Full delegation: **{s.full_delegation_text(model)}**.")
    )
    lines.append("")
    lines += cost_list(model)
    lines += _findings(model)
    if model.refusal is not None:
        lines += [
            f"> **Whole model refused**: {code(model.refusal.code)}: {cell(model.refusal.message)}",
            "",
        ]
    groups = s.causes(model)
    if groups:
        lines += ["| ops on CPU, by cause | count | ops |", "|---|---:|---|"]
        lines += [
            f"| {cell_code(c)} | {len(ops)} | {cell(s.op_names(ops))} |"
            for c, ops in groups.items()
        ]
        lines.append("")
    if model.warnings:
        lines += [f"- ⚠️ {code(w.code)}: {cell(w.message)}" for w in model.warnings]
        lines.append("")
    lines += fix_lists(model)
    subgraphs = s.subgraph_indices(model)
    for sg in subgraphs[:MAX_SUBGRAPHS_DRAWN]:
        if len(subgraphs) > 1:
            sg_name = s.subgraph_name(model, sg)
            lines += [f"Subgraph {sg}" + (f" ({code(sg_name)})" if sg_name else "") + ":", ""]
        lines += [flowchart(model, sg), ""]
    if len(subgraphs) > MAX_SUBGRAPHS_DRAWN:
        lines += [f"({len(subgraphs) - MAX_SUBGRAPHS_DRAWN} more subgraphs not drawn.)", ""]
    ops = sorted(model.operators, key=lambda o: (o.subgraph, o.index))
    cpu = [o for o in ops if not o.delegated]
    if cpu:
        lines += [f"<details><summary>Operators on the CPU ({len(cpu)})</summary>", ""]
        lines += _op_header(s.target_label(model)) + [_op_row(o, model) for o in cpu]
        lines += ["", "</details>", ""]
    if ops:
        lines += [f"<details><summary>All operators ({len(ops)})</summary>", ""]
        lines += _op_header(s.target_label(model)) + [_op_row(o, model) for o in ops]
        lines += ["", "</details>", ""]
    return lines


def _by_target(groups: list[tuple[str, list[ModelReport]]]) -> list[str]:
    """`--target all`: each model's targets side by side, one line per target."""
    lines = ["**By target**", ""]
    for path, models in groups:
        lines.append(f"- {code(s.model_name(path))}")
        lines.extend(f"  - {cell(s.target_line(m))}" for m in models)
    return [*lines, ""]


class MarkdownFormat(ReportFormat):
    def render(self, report: Report) -> str:
        lines = [f"## opcompat: {s.report_label(report)} delegation report", ""]
        lines.append(s.checked_text(report) + ".")
        lines.append("")
        names = s.entry_names(report)
        lines += _overview(report, names)
        lines.append("")
        side_by_side = s.by_model(report)
        if side_by_side:
            lines += _by_target(side_by_side)
        for m, name in zip(report.models, names, strict=True):
            if isinstance(m, ModelReport):
                lines += render_model(m, name)
        if report.tool_version:
            lines.append(f"<sub>opcompat {cell(report.tool_version)}</sub>")
        return "\n".join(lines).rstrip("\n") + "\n"
