"""The report format interface, and the `--format` choices mapped to their implementations.

A format only renders a `Report` to text; it never decides exit codes (that is `opcompat.gate`).
Implementations are imported when chosen, so `opcompat check` pays only for the one it uses.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from typing import Any, NoReturn

from opcompat.report import Report


class ReportFormat(ABC):
    """Renders a whole `Report` as one string."""

    @abstractmethod
    def render(self, report: Report) -> str:
        """The report as text (ends with a newline)."""


class JsonFormat(ReportFormat):
    """`--format json`: the engine's `opcompat.formats.json` module, as published in the schema."""

    def render(self, report: Report) -> str:
        from opcompat.formats.json import render

        return render(report)


def assert_never(value: NoReturn) -> NoReturn:
    """Exhaustiveness check for enum dispatch (mypy proves it; this guards at runtime)."""
    raise AssertionError(f"unhandled value: {value!r}")


class FormatChoice(str, enum.Enum):
    """The values of `--format`."""

    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"
    SARIF = "sarif"
    HTML = "html"

    def __str__(self) -> str:
        return self.value

    def to_format(self, **table_options: Any) -> ReportFormat:
        """The implementation of this choice (`table_options`: the table's own, see
        `opcompat.formats.table.TableFormat`; the other formats have none)."""
        if self is FormatChoice.TABLE:
            from opcompat.formats.table import TableFormat

            return TableFormat(**table_options)
        if self is FormatChoice.MARKDOWN:
            from opcompat.formats.markdown import MarkdownFormat

            return MarkdownFormat()
        if self is FormatChoice.JSON:
            return JsonFormat()
        if self is FormatChoice.SARIF:
            from opcompat.formats.sarif import SarifFormat

            return SarifFormat()
        if self is FormatChoice.HTML:
            from opcompat.formats.html import HtmlFormat

            return HtmlFormat()
        assert_never(self)
