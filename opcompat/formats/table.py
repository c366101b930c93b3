"""`--format table`: a plain-text table per model for the terminal, then its summary."""

from __future__ import annotations

from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.report import ModelError, ModelReport, OperatorResult, Report


def headers(label: str) -> tuple[str, ...]:
    """The column titles, naming the target (`NNAPI operation`)."""
    return ("subgraph", "index", "op", "version", f"{label} operation", "verdict", "reason")


def _row(op: OperatorResult, model: ModelReport) -> tuple[str, ...]:
    """One operator's cells, as tabulate shows them (str() of each value)."""
    verdict = s.verdict(op, model)
    if op.delegated and op.partition is not None:
        verdict = f"{verdict} p{op.partition}"
    reason = s.reason_text(op)
    if not reason and not op.delegated:
        reason = s.cause(op, model)
    return (
        str(op.subgraph),
        str(op.index),
        op.op,
        str(op.version),
        ", ".join(op.operations) or "-",
        verdict,
        reason,
    )


def _plain(rows: list[tuple[str, ...]], titles: tuple[str, ...]) -> str | None:
    """The table exactly as `tabulate(..., tablefmt="simple", disable_numparse=True)` draws it,
    in a fraction of the time (tabulate infers a type for every cell: seconds for 50k rows).
    None when a cell holds anything but printable ASCII (wide or invisible characters, line
    breaks), or the word True or False: tabulate handles those its own way."""
    rows = [tuple([cell.strip() for cell in row]) for row in rows]  # as tabulate strips cells
    for row in rows:
        joined = "".join(row)  # one test a row: every cell printable ASCII
        if not (joined.isascii() and joined.isprintable()) or "True" in row or "False" in row:
            return None
    # tabulate's minimum padding of 2 around each header
    widths = [len(h) + 2 for h in titles]
    if rows:
        columns = zip(*rows, strict=True)
        widths = [max(w, *map(len, col)) for w, col in zip(widths, columns, strict=True)]
    # Every column is left-aligned text; tabulate strips the end of each line.
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*titles).rstrip(), "  ".join("-" * w for w in widths)]
    out.extend(fmt.format(*row).rstrip() for row in rows)
    return "\n".join(out)


def render_model(model: ModelReport, tagged: bool = False) -> str:
    """One model: its operator table, then the summary (`tagged`: its target in the title)."""
    ops = sorted(model.operators, key=lambda o: (o.subgraph, o.index))
    lines = [f"== {model.path} [{s.target_label(model)}]" if tagged else f"== {model.path}"]
    if ops:
        rows = [_row(o, model) for o in ops]
        titles = headers(s.target_label(model))
        table = _plain(rows, titles)
        if table is None:
            from tabulate import tabulate  # only when a table is really rendered

            table = tabulate(rows, headers=titles, tablefmt="simple", disable_numparse=True)
        lines.append(table)
    else:
        lines.append("(no operators)")
    lines.append("")
    lines.extend(s.summary_lines(model))
    return "\n".join(lines) + "\n"


def render_error(error: ModelError) -> str:
    return f"== {error.path}\nunreadable: {error.error}\n"


class TableFormat(ReportFormat):
    def render(self, report: Report) -> str:
        side_by_side = s.by_model(report)
        parts = [
            render_error(m) if isinstance(m, ModelError) else render_model(m, bool(side_by_side))
            for m in report.models
        ]
        for path, models in side_by_side:  # --target all: the targets side by side
            parts.append(f"== {path}: by target\n"
                         + "".join(f"  {s.target_line(m)}\n" for m in models))
        return "\n".join(parts) if parts else "no models\n"


def render(report: Report) -> str:
    """`TableFormat().render(report)`."""
    return TableFormat().render(report)
