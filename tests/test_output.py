"""`-o FILE` is atomic: the whole new report, or the file as it was (never partial, never empty).

A symlink is kept (the file it points to is replaced); FIFOs, devices and descriptors are
written through; `-o` naming an input is a usage error.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import synthetic as syn
from builders import simple_model

from opcompat.cli import main
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


# ---- symlinks, FIFOs, devices, descriptors; -o naming an input ----------------------------------


def test_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    (tmp_path / "links").mkdir()
    real = tmp_path / "reports" / "r.md"
    real.write_text("old\n")
    link = tmp_path / "links" / "latest.md"
    link.symlink_to(Path("..") / "reports" / "r.md")
    chain = tmp_path / "links" / "chain.md"
    chain.symlink_to("latest.md")
    write_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "reports", "r.md")
    assert real.read_text() == "new\n"
    write_atomic(chain, "newer\n")
    assert chain.is_symlink() and link.is_symlink()
    assert real.read_text() == "newer\n"
    assert listing(tmp_path / "reports") == ["r.md"]  # no temporary left in either directory
    assert listing(tmp_path / "links") == ["chain.md", "latest.md"]


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "r.md"
    link.symlink_to("made.md")
    write_atomic(link, "x\n")
    assert link.is_symlink() and (tmp_path / "made.md").read_text() == "x\n"


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    text = "report ✓\n" * 20000  # more than a pipe buffer
    write_atomic(fifo, text)
    thread.join(timeout=10)
    assert got == [text.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert listing(tmp_path) == ["report.fifo"]


def test_descriptor_paths_are_written_through(tmp_path: Path) -> None:
    """/dev/fd/N (a process substitution), and a symlink to /proc/self/fd/N like `stdout`."""
    for make in (lambda fd: f"/dev/fd/{fd}", lambda fd: _link(tmp_path, f"/proc/self/fd/{fd}")):
        read_end, write_end = os.pipe()
        try:
            target = make(write_end)
            if not os.path.exists(target):
                pytest.skip(f"no {target} on this system")
            write_atomic(target, "through the pipe\n")
            os.close(write_end)
            write_end = -1
            with os.fdopen(read_end, "rb") as fh:
                read_end = -1
                assert fh.read() == b"through the pipe\n"
        finally:
            for fd in (read_end, write_end):
                if fd >= 0:
                    os.close(fd)
        if os.path.islink(target):
            assert os.readlink(target).startswith("/proc/self/fd/")
            os.unlink(target)


def _link(directory: Path, to: str) -> str:
    link = directory / "stdout"
    link.symlink_to(to)
    return str(link)


def test_character_device_is_written_through(tmp_path: Path) -> None:
    """A terminal (a pty: its /dev/pts/N cannot be replaced even by root, unlike /dev/null)."""
    try:
        master, slave = os.openpty()
    except OSError:
        pytest.skip("no pty")
    try:
        name = os.ttyname(slave)
        link = tmp_path / "tty"
        link.symlink_to(name)
        for target in (name, str(link)):
            write_atomic(target, "to the terminal\n")
            got = b""
            while not got.endswith(b"\n"):
                got += os.read(master, 1024)
            assert got.replace(b"\r\n", b"\n") == b"to the terminal\n"
        assert stat.S_ISCHR(os.stat(name).st_mode) and link.is_symlink()
        assert listing(tmp_path) == ["tty"]
    finally:
        os.close(slave)
        os.close(master)


def test_unopened_descriptor_is_a_usage_error() -> None:
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)  # now surely not open
    if not os.path.exists("/dev/fd"):
        pytest.skip("no /dev/fd")
    with pytest.raises(UsageError, match=f"-o /dev/fd/{fd}: cannot write"):
        write_atomic(f"/dev/fd/{fd}", "x")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{m}", "-o", "{m}"],
        ["check", "{other}", "{m}", "--format", "json", "-o", "{alias}"],
        ["check", "{dir}", "-o", "{m}"],
        ["baseline", "{m}", "-o", "{m}"],
        ["diff", "{other}", "{m}", "-o", "{alias}"],
    ],
)
def test_output_naming_an_input_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    models = tmp_path / "models"
    models.mkdir()
    model = models / "m.tflite"
    data = simple_model()
    model.write_bytes(data)
    (tmp_path / "other.tflite").write_bytes(simple_model("MUL"))
    (tmp_path / "alias.tflite").symlink_to(model)
    names = {
        "m": str(model),
        "other": str(tmp_path / "other.tflite"),
        "alias": str(tmp_path / "alias.tflite"),
        "dir": str(models),
    }
    code, err = _cli([a.format(**names) for a in argv], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "refusing to overwrite it" in err and "m.tflite" in err
    assert model.read_bytes() == data


def test_output_naming_the_baseline_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(simple_model())
    baseline = tmp_path / "b.json"
    assert main(["baseline", str(model), "-o", str(baseline)]) == 0
    before = baseline.read_bytes()
    capsys.readouterr()
    argv = ["check", str(model), "--fail-on", "new-fallback", "--baseline", str(baseline)]
    code, err = _cli([*argv, "-o", str(baseline)], capsys)
    assert code == 2 and err.count("\n") == 1 and "refusing to overwrite" in err
    assert baseline.read_bytes() == before


def test_output_beside_the_inputs_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(simple_model())
    code, _ = _cli(["check", str(model), "-o", str(tmp_path / "m.md")], capsys)
    assert code == 0 and (tmp_path / "m.md").read_text().startswith("== ")


def test_a_removed_working_directory_gives_one_line_not_a_traceback(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from fuzz.synth import chain

    model = tmp_path / "m.tflite"
    model.write_bytes(chain(2))
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]);"
        "from opcompat.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    for argv, expect in (
        (["--format", "sarif", "-o", str(tmp_path / "s.sarif")], 0),
        (["--format", "json", "-o", "rel.json"], 2),
    ):
        proc = subprocess.run(
            [sys.executable, "-c", code, str(gone), "check", str(model), *argv],
            capture_output=True,
            text=True,
            env=env,
        )
        assert proc.returncode == expect, proc.stderr
        assert "Traceback" not in proc.stderr
        gone.mkdir()
    assert '"uri": "file://' in (tmp_path / "s.sarif").read_text()
