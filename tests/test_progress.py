"""Progress on stderr: `checking N/TOTAL models` while many models are checked on a terminal.

Only when stderr is a terminal and there are at least PROGRESS_MIN_MODELS models; the line
overwrites itself with `\\r` and is erased before the usual stderr lines, so that what remains
is byte for byte what a pipe gets. With stderr a pipe (CI logs, tests) nothing changes at all.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fuzz.synth import chain

from opcompat.analysis import check_many
from opcompat.output import PROGRESS_MIN_MODELS, stderr_progress

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 120
N_MODELS = PROGRESS_MIN_MODELS + 2
PROGRESS = re.compile(rb"\rchecking (\d+)/(\d+) models *")


def _models(directory: Path, n: int) -> Path:
    directory.mkdir()
    for i in range(n):
        (directory / f"m{i:02d}.tflite").write_bytes(chain(i + 1))
    return directory


@pytest.fixture
def many(tmp_path: Path) -> Path:
    return _models(tmp_path / "many", N_MODELS)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return env


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "opcompat", *args]


def _run_pipe(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        _argv(*args), capture_output=True, timeout=TIMEOUT, env=_env(), stdin=subprocess.DEVNULL
    )


def _run_tty(tmp_path: Path, *args: str) -> tuple[int, bytes, bytes]:
    """Run the CLI with stderr on a pseudo-terminal: exit code, stdout, what the terminal got."""
    try:
        master, slave = os.openpty()
    except (AttributeError, OSError) as exc:
        pytest.skip(f"no pseudo-terminal here: {exc}")
    out_path = tmp_path / "stdout.bin"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            _argv(*args), stdout=out, stderr=slave, stdin=subprocess.DEVNULL, env=_env()
        )
    os.close(slave)
    got = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal (Linux)
                break
            if not data:
                break
            got += data
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    # The terminal's output processing turns "\n" into "\r\n"; undo it to compare with a pipe.
    return code, out_path.read_bytes(), bytes(got).replace(b"\r\n", b"\n")


def _split_progress(stderr: bytes) -> tuple[list[tuple[int, int]], bytes]:
    """The (done, total) of every progress update, and what stays after the erased line."""
    assert stderr.startswith(b"\rchecking "), stderr[:200]
    end = stderr.rindex(b"\r") + 1
    progress, rest = stderr[:end], stderr[end:]
    updates = PROGRESS.findall(progress)
    erased = PROGRESS.sub(b"", progress)
    assert re.fullmatch(rb"\r +\r", erased), erased  # nothing but updates, then the erasure
    return [(int(d), int(t)) for d, t in updates], rest


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_on_a_terminal_shows_progress_then_the_usual_lines(
    tmp_path: Path, many: Path, jobs: str
) -> None:
    code, stdout, stderr = _run_tty(tmp_path, "check", str(many), "-j", jobs)
    piped = _run_pipe("check", str(many), "-j", jobs)
    assert code == piped.returncode == 0, stderr.decode(errors="replace")

    updates, rest = _split_progress(stderr)
    assert updates[0] == (0, N_MODELS)
    assert updates[-1] == (N_MODELS, N_MODELS)
    assert all(total == N_MODELS for _, total in updates)
    done = [d for d, _ in updates]
    assert done == sorted(done)
    # Once the line is erased, the terminal holds exactly the summary lines a pipe gets.
    assert rest == piped.stderr
    lines = rest.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == [f"m{i:02d}.tflite" for i in range(N_MODELS)]
    assert all("ops on NNAPI" in line for line in lines)
    assert stdout == piped.stdout  # the report itself is unchanged


def test_baseline_on_a_terminal_shows_progress(tmp_path: Path, many: Path) -> None:
    code, stdout, stderr = _run_tty(tmp_path, "baseline", str(many))
    piped = _run_pipe("baseline", str(many))
    assert code == piped.returncode == 0
    updates, rest = _split_progress(stderr)
    assert updates[-1] == (N_MODELS, N_MODELS)
    assert rest == piped.stderr
    assert stdout == piped.stdout


def test_no_progress_when_stderr_is_a_pipe(many: Path) -> None:
    proc = _run_pipe("check", str(many), "-j", "2")
    assert proc.returncode == 0
    assert b"checking" not in proc.stderr
    assert b"\r" not in proc.stderr
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == N_MODELS
    assert all(line.startswith(f"m{i:02d}.tflite: ") for i, line in enumerate(lines))


def test_no_progress_for_a_few_models_even_on_a_terminal(tmp_path: Path) -> None:
    few = _models(tmp_path / "few", PROGRESS_MIN_MODELS - 1)
    code, _, stderr = _run_tty(tmp_path, "check", str(few))
    assert code == 0
    assert b"checking" not in stderr
    assert b"\r" not in stderr
    assert len(stderr.decode().splitlines()) == PROGRESS_MIN_MODELS - 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stderr_progress_draws_and_erases_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with stderr_progress(100) as progress:
        assert progress is not None
        progress(5)
        progress(100)
        progress(7)  # going back (a pool fell back to in-process) leaves no stale characters
    text = term.getvalue()
    assert text == (
        "\rchecking 0/100 models"
        "\rchecking 5/100 models"
        "\rchecking 100/100 models"
        "\rchecking 7/100 models  "
        "\r" + " " * len("checking 100/100 models") + "\r"
    )


def test_stderr_progress_is_none_off_a_terminal_or_for_few_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with stderr_progress(1000) as progress:
        assert progress is None
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    with stderr_progress(PROGRESS_MIN_MODELS - 1) as progress:
        assert progress is None
    monkeypatch.setattr(sys, "stderr", None)
    with stderr_progress(1000) as progress:
        assert progress is None
    assert pipe.getvalue() == term.getvalue() == ""


@pytest.mark.parametrize("jobs", [1, 2])
def test_check_many_reports_progress_and_keeps_input_order(many: Path, jobs: int) -> None:
    paths = sorted(str(p) for p in many.iterdir())
    seen: list[int] = []
    report = check_many(paths, api_level=30, jobs=jobs, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == len(paths)
    assert [m.path for m in report.models] == [
        m.path for m in check_many(paths, api_level=30, jobs=1).models
    ]
