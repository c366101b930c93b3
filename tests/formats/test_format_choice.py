"""`--format` choices: every enum member maps to an implementation, and the CLI offers them all."""

from __future__ import annotations

import subprocess
import sys

import pytest

from opcompat.commands import _report_options
from opcompat.formats.base import FormatChoice, ReportFormat
from opcompat.gate import FailOn
from opcompat.report import Report


@pytest.mark.parametrize("choice", list(FormatChoice))
def test_every_choice_has_an_implementation(choice: FormatChoice, partial_report: Report) -> None:
    fmt = choice.to_format()
    assert isinstance(fmt, ReportFormat)
    if choice is FormatChoice.JSON:
        pytest.importorskip("opcompat.formats.json")
    text = fmt.render(partial_report)
    assert text.endswith("\n") and len(text) > 50


def test_implementations_are_distinct() -> None:
    kinds = {type(c.to_format()) for c in FormatChoice}
    assert len(kinds) == len(FormatChoice)


def test_cli_choices_match_the_enums() -> None:
    assert _report_options.FORMATS == tuple(c.value for c in FormatChoice)
    assert _report_options.FAIL_ON == tuple(c.value for c in FailOn)


def test_choosing_a_format_imports_only_that_format() -> None:
    code = (
        "import sys\n"
        "from opcompat.formats.base import FormatChoice\n"
        "FormatChoice('markdown').to_format()\n"
        "bad = [m for m in ('tabulate', 'jsonschema', 'opcompat.formats.html',"
        " 'opcompat.formats.sarif') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_tabulate_is_imported_only_when_a_table_is_rendered() -> None:
    code = (
        "import sys\n"
        "from opcompat.formats.base import FormatChoice\n"
        "from opcompat.report import Report\n"
        "f = FormatChoice('table').to_format()\n"
        "before = 'tabulate' in sys.modules\n"
        "f.render(Report(()))\n"
        "print(before)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("fmt", ["json", "sarif", "html", "markdown"])
def test_emit_imports_neither_jsonschema_nor_tabulate(fmt: str) -> None:
    """The check path stays lean: no jsonschema ever, tabulate only for the table format."""
    code = (
        "import argparse, io, sys, contextlib\n"
        "from opcompat.commands._report_options import add_report_arguments, emit\n"
        "from opcompat.report import Report\n"
        "p = argparse.ArgumentParser(); add_report_arguments(p)\n"
        f"args = p.parse_args(['--format', {fmt!r}, '--fail-on', 'any-fallback'])\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = emit(Report(()), args)\n"
        "print(code, 'jsonschema' in sys.modules, 'tabulate' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False", "False"]
