"""`--format table`: a plain-text table per model for the terminal, then its summary."""

from __future__ import annotations

from opcompat.formats import cost_view as v
from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.report import ModelError, ModelReport, OperatorResult, Report


def headers(label: str, levels: bool = False) -> tuple[str, ...]:
    """The column titles, naming the target (`NNAPI operation`); `levels`: with the API levels
    each operator is delegated at."""
    return ("subgraph", "index", "op", "version", "MACs", f"{label} operation", "verdict",
            *(("API levels",) if levels else ()), "reason")


def _row(op: OperatorResult, model: ModelReport) -> tuple[str, ...]:
    """One operator's cells, as tabulate shows them (str() of each value)."""
    verdict = s.verdict(op, model)
    if op.delegated and op.partition is not None:
        verdict = f"{verdict} p{op.partition}"
    verdict += s.spec_note(op)
    reason = s.shown_reason(op, model)
    levels = (s.levels_cell(op, model),) if s.has_levels(model) else ()
    return (
        str(op.subgraph),
        str(op.index),
        op.op,
        str(op.version),
        v.macs_cell(op),
        ", ".join(op.operations) or "-",
        verdict,
        *levels,
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


MIN_REASON_WIDTH = 24
"""A reason cell is never cut shorter than this to fit the terminal."""


def _fit(rows: list[tuple[str, ...]], titles: tuple[str, ...], width: int) -> list[tuple[str, ...]]:
    """Rows whose last cell (the reason) is cut with `…` so that each line fits `width`."""
    widths = [max(len(t) + 2, *(len(r[k]) for r in rows)) for k, t in enumerate(titles[:-1])]
    room = max(MIN_REASON_WIDTH, width - sum(widths) - 2 * (len(widths)))
    return [r if len(r[-1]) <= room else (*r[:-1], r[-1][: room - 1] + "…") for r in rows]


def render_model(model: ModelReport, tagged: bool = False, only_fallbacks: bool = False,
                 summary_only: bool = False, width: int | None = None) -> str:
    """One model: its operator table (only those on the CPU with `only_fallbacks`; none with
    `summary_only`; reasons cut to `width` columns), then the summary (`tagged`: its target
    in the title)."""
    ops = sorted(model.operators, key=lambda o: (o.subgraph, o.index))
    if only_fallbacks:
        ops = [o for o in ops if not o.delegated]
    lines = [f"== {model.path} [{s.target_label(model)}]" if tagged else f"== {model.path}"]
    if summary_only:
        pass
    elif ops:
        rows = [_row(o, model) for o in ops]
        titles = headers(s.target_label(model), s.has_levels(model))
        if width:
            rows = _fit(rows, titles, width)
        table = _plain(rows, titles)
        if table is None:
            from tabulate import tabulate  # only when a table is really rendered

            table = tabulate(rows, headers=titles, tablefmt="simple", disable_numparse=True)
        lines.append(table)
    else:
        lines.append("(no operators on the CPU)" if only_fallbacks and model.operators
                     else "(no operators)")
    if not summary_only:
        lines.append("")
    lines.extend(s.summary_lines(model))
    lines.extend(v.cost_lines(model))
    lines.extend(fix_lines(model))
    return "\n".join(lines) + "\n"


def fix_lines(model: ModelReport) -> list[str]:
    """The ranked fixes, a titled list per kind (`cost_view.fix_sections`); none: no lines."""
    lines = []
    for section in v.fix_sections(model):
        lines.append(f"{section.title}:")
        lines.extend(f"  {k}. {line}" for k, line in enumerate(section.lines, 1))
        if section.hidden:
            lines.append(f"  ({v.more_text(section.hidden)})")
    return lines


def render_error(error: ModelError) -> str:
    return f"== {error.path}\nunreadable: {error.error}\n"


class TableFormat(ReportFormat):
    """`only_fallbacks`: list the operators on the CPU only; `summary_only`: no operator
    table; `width`: cut reasons so that lines fit this many columns (a terminal's)."""

    def __init__(self, only_fallbacks: bool = False, summary_only: bool = False,
                 width: int | None = None) -> None:
        self.only_fallbacks = only_fallbacks
        self.summary_only = summary_only
        self.width = width

    def render(self, report: Report) -> str:
        side_by_side = s.by_model(report)
        parts = [
            render_error(m) if isinstance(m, ModelError)
            else render_model(m, bool(side_by_side), self.only_fallbacks, self.summary_only,
                              self.width)
            for m in report.models
        ]
        for path, models in side_by_side:  # --target all: the targets side by side
            parts.append(f"== {path}: by target\n"
                         + "".join(f"  {s.target_line(m)}\n" for m in models))
        return "\n".join(parts) if parts else "no models\n"


def render(report: Report) -> str:
    """`TableFormat().render(report)`."""
    return TableFormat().render(report)
