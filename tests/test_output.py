"""`-o FILE` is atomic: the whole new report, or the file as it was (never partial, never empty)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import synthetic as syn

from opcompat.commands._report_options import add_report_arguments, emit
from opcompat.errors import UsageError
from opcompat.formats.markdown import MarkdownFormat
from opcompat.output import emit_text, write_atomic


def listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    write_atomic(target, "one\n")
    write_atomic(target, "two ✓\n")
    assert target.read_text(encoding="utf-8") == "two ✓\n"
    assert listing(tmp_path) == ["r.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_render_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    target.write_text("old report\n")

    def boom() -> str:
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        emit_text(boom, str(target))
    assert target.read_text() == "old report\n"
    assert listing(tmp_path) == ["r.md"]


def test_failed_render_creates_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object, report: object) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setattr(MarkdownFormat, "render", boom)
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    target = tmp_path / "report.md"
    args = parser.parse_args(["--format", "markdown", "-o", str(target)])
    with pytest.raises(RuntimeError):
        emit(syn.report_of(syn.partial_model()), args)
    assert listing(tmp_path) == []


@pytest.mark.parametrize("fail_in", ["fsync", "replace"])
@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_interrupted_write_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_in: str, exc: BaseException
) -> None:
    target = tmp_path / "r.json"
    target.write_text("old\n")

    def fail(*args: object) -> None:
        raise exc

    monkeypatch.setattr(os, fail_in, fail)
    expected = UsageError if isinstance(exc, OSError) else KeyboardInterrupt
    with pytest.raises(expected):
        write_atomic(target, "new\n" * 1000)
    assert target.read_text() == "old\n"
    assert listing(tmp_path) == ["r.json"]


def test_bad_targets_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "r.md", "x")
    with pytest.raises(UsageError, match="is a directory"):
        write_atomic(tmp_path, "x")


def test_stdout_when_no_file(capsys: pytest.CaptureFixture[str]) -> None:
    emit_text(lambda: "hello\n", None)
    emit_text(lambda: "dash\n", "-")
    assert capsys.readouterr().out == "hello\ndash\n"


def test_killed_during_render_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("previous\n")
    code = (
        "import sys, time\n"
        "from opcompat.output import emit_text\n"
        "def slow():\n"
        "    print('rendering', flush=True)\n"
        "    time.sleep(30)\n"
        "    return 'x' * 10\n"
        f"emit_text(slow, {str(target)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "rendering"
    time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    assert target.read_text() == "previous\n"
    assert listing(tmp_path) == ["r.html"]
