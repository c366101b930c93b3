"""`--format table`: a plain-text table per model for the terminal, then its summary."""

from __future__ import annotations

from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.report import ModelError, ModelReport, OperatorResult, Report

HEADERS = ("subgraph", "index", "op", "version", "NNAPI operation", "verdict", "reason")


def _row(op: OperatorResult, model: ModelReport) -> tuple[object, ...]:
    verdict = s.verdict(op)
    if op.delegated and op.partition is not None:
        verdict = f"NNAPI p{op.partition}"
    reason = s.reason_text(op)
    if not reason and not op.delegated:
        reason = s.cause(op, model)
    return (
        op.subgraph,
        op.index,
        op.op,
        op.version,
        ", ".join(op.nnapi_operations) or "-",
        verdict,
        reason,
    )


def render_model(model: ModelReport) -> str:
    """One model: its operator table, then the summary."""
    from tabulate import tabulate  # only when a table is really rendered

    ops = sorted(model.operators, key=lambda o: (o.subgraph, o.index))
    lines = [f"== {model.path}"]
    if ops:
        lines.append(
            tabulate(
                [_row(o, model) for o in ops],
                headers=HEADERS,
                tablefmt="simple",
                disable_numparse=True,
            )
        )
    else:
        lines.append("(no operators)")
    lines.append("")
    lines.extend(s.summary_lines(model))
    return "\n".join(lines) + "\n"


def render_error(error: ModelError) -> str:
    return f"== {error.path}\nunreadable: {error.error}\n"


class TableFormat(ReportFormat):
    def render(self, report: Report) -> str:
        parts = [
            render_error(m) if isinstance(m, ModelError) else render_model(m) for m in report.models
        ]
        return "\n".join(parts) if parts else "no models\n"


def render(report: Report) -> str:
    """`TableFormat().render(report)`."""
    return TableFormat().render(report)
