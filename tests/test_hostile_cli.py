"""The CLI on bad input: one line on stderr, no traceback, exit 3; bad flags exit 2.

Each kind of file a pull request can carry under a .tflite name (truncated download, Git LFS
pointer, empty file, text, PNG, zip, a hostile flatbuffer), and each kind of path that is not a
readable file (missing, directory, no permission, a FIFO nobody writes to), is given to
`opcompat inspect` and `opcompat check`.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fuzz import crafted
from fuzz.mutators import LFS_POINTER, PNG_1PX, not_models
from fuzz.synth import ModelSpec, OpSpec, SubgraphSpec, TensorSpec, build, chain

from opcompat.model import schema

COMMANDS = ("inspect", "check")
TIMEOUT = 60


def _run(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opcompat", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _truncated(tmp: Path) -> bytes:
    return chain(20)[:100]


BAD_FILES: dict[str, Callable[[Path], bytes]] = {
    "empty": lambda tmp: b"",
    "truncated": _truncated,
    "lfs_pointer": lambda tmp: LFS_POINTER,
    "text": lambda tmp: not_models()["text"],
    "html_error_page": lambda tmp: not_models()["html_error_page"],
    "png": lambda tmp: PNG_1PX,
    "zip": lambda tmp: not_models()["zip"],
    "zeros": lambda tmp: bytes(4096),
    "random": lambda tmp: bytes((i * 193 + 71) % 256 for i in range(5000)),
    "alias_bomb": lambda tmp: crafted.alias_operators(100_000, 100_000),
    "huge_vector": lambda tmp: _huge_vector(),
    "too_many_subgraphs": lambda tmp: crafted.dense_subgraphs(10_001),
}


def _huge_vector() -> bytes:
    data = bytearray(chain(5))
    # The subgraphs vector: the root table's field 2; patch its length to 2**31-1.
    from fuzz.layout import walk

    site = next(s for s in walk(bytes(data)).of("uoffset") if s.table == "Model" and s.extra == 2)
    data[site.target : site.target + 4] = (0x7FFFFFFF).to_bytes(4, "little")
    return bytes(data)


def _assert_one_clear_line(proc: subprocess.CompletedProcess[str], code: int = 3) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    return lines[0]


def _one_line_each(proc: subprocess.CompletedProcess[str], bad: list[str], good: list[str]) -> None:
    """Each bad model is named on exactly one stderr line; any other line names a good model
    (a per-model summary line, where the command prints one)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    for name in bad:
        assert sum(name in line for line in lines) == 1, (name, lines)
    for line in lines:
        assert any(n in line for n in bad + good), (line, lines)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file(tmp_path: Path, command: str, kind: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(BAD_FILES[kind](tmp_path))
    t0 = time.perf_counter()
    line = _assert_one_clear_line(_run(command, str(model)))
    assert time.perf_counter() - t0 < 20
    assert model.name in line
    assert "malformed flatbuffer (" not in line  # a deliberate check, not the backstop


@pytest.mark.parametrize("command", COMMANDS)
def test_lfs_pointer_says_what_it_is_and_how_to_fetch(tmp_path: Path, command: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(LFS_POINTER)
    line = _assert_one_clear_line(_run(command, str(model)))
    assert "Git LFS pointer" in line and "git lfs pull" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_missing_file(tmp_path: Path, command: str) -> None:
    line = _assert_one_clear_line(_run(command, str(tmp_path / "nope.tflite")))
    assert "no such file" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_directory(tmp_path: Path, command: str) -> None:
    """A directory stands for the models under it: none is a usage error (exit 2); models
    that are all LFS pointers give one line each and exit 3."""
    empty = tmp_path / "empty"
    empty.mkdir()
    line = _assert_one_clear_line(_run(command, str(empty)), code=2)
    assert "directory" in line
    pointers = tmp_path / "pointers"
    pointers.mkdir()
    for name in ("a.tflite", "b.tflite"):
        (pointers / name).write_bytes(LFS_POINTER)
    proc = _run(command, str(pointers))
    assert "Traceback" not in proc.stderr and proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and all("git lfs pull" in x for x in lines), lines


def _as_nobody(args: list[str]) -> list[str] | None:
    """`args` run as an unprivileged user (root reads any file), or None when not possible."""
    if os.geteuid() != 0:
        return args
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *args]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("where", ["file", "parent"])
def test_unreadable_file(tmp_path: Path, command: str, where: str) -> None:
    """A file without read permission, and one in a directory the user cannot search."""
    import tempfile

    if where == "file":  # under /tmp, so that only the file itself is unreadable
        folder = Path(tempfile.mkdtemp(prefix="opcompat-hostile-"))
        folder.chmod(0o755)
    else:  # pytest's own 0700 base directory: the path cannot even be looked at
        folder = tmp_path
        tmp_path.chmod(0o755)
    model = folder / "model.tflite"
    model.write_bytes(chain(3))
    model.chmod(0)
    cmd = _as_nobody([sys.executable, "-m", "opcompat", command, str(model)])
    if cmd is None:
        pytest.skip("running as root without setpriv: every file is readable")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd="/",  # the unprivileged user may not be able to enter the checkout
        )
    finally:
        if where == "file":
            shutil.rmtree(folder, ignore_errors=True)
    first = proc.stderr.split("\n")[0]
    if (
        first.startswith("setpriv:")
        or "Fatal Python error" in proc.stderr
        or "No module named 'opcompat'" in proc.stderr
        or "No module named opcompat" in proc.stderr  # `python -m` words it without quotes
        or ("Traceback" in proc.stderr and "/opcompat/" not in proc.stderr)
    ):
        # e.g. CI's virtual environment in a 0700 temporary directory
        pytest.skip(f"the unprivileged user cannot run this installation: {first[:200]}")
    line = _assert_one_clear_line(proc)
    assert "permission denied" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_fifo_without_writer_does_not_hang(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "model.tflite"
    os.mkfifo(fifo)
    line = _assert_one_clear_line(_run(command, str(fifo), timeout=20))
    assert "not a regular file" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_one_bad_among_good_models(tmp_path: Path, command: str) -> None:
    good = tmp_path / "good.tflite"
    good.write_bytes(chain(3))
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(LFS_POINTER)
    proc = _run(command, str(good), str(bad))
    assert proc.returncode == 3, proc.stderr
    _one_line_each(proc, ["bad.tflite"], ["good.tflite"])
    assert "ADD" in proc.stdout  # the good model is still reported


# -- strings from the file must not drive the terminal or break a Markdown PR comment ---------


def _evil_strings_model() -> bytes:
    custom = schema.BUILTIN_OPERATOR_CODES["CUSTOM"]
    evil = (
        "\x1b[2J\x1b[31mRED",
        "a|b\n| fake | row |",
        "x\r== other.tflite",
        "\u202eevil",
        "ok\x00nul",
    )
    codes = tuple((custom, 1, e) for e in evil)
    tensors = (TensorSpec((1, 4), 0, 0, "\x1b]0;title\x07t"),)
    ops = tuple(OpSpec(i, (0,), (0,)) for i in range(len(evil)))
    sg = SubgraphSpec(tensors, ops, (0,), (0,), "\x1b[2Jsub\ngraph")
    return build(ModelSpec((sg,), codes))


def _controls(text: str) -> list[str]:
    return sorted(
        {
            repr(c)
            for c in text
            if (ord(c) < 32 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2028\u2029"
        }
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_file_strings_cannot_drive_the_terminal(tmp_path: Path, command: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(_evil_strings_model())
    proc = _run(command, str(model))
    assert proc.returncode == 0, proc.stderr
    assert _controls(proc.stdout) == []
    assert "\n== other.tflite" not in proc.stdout


def test_file_strings_stay_inside_their_cells_in_every_format() -> None:
    targets = pytest.importorskip("fuzz.targets")
    analysis = pytest.importorskip("opcompat.analysis")
    report = analysis.check(_evil_strings_model(), api_level=30)
    renderers = targets.renderers()
    assert renderers
    for name, render in renderers.items():
        text = render(report)
        assert _controls(text) == [], name
        if name == "markdown":
            assert "\n| fake | row |" not in text


# -- bad flags -----------------------------------------------------------------------------


BAD_FLAGS = [
    ["check", "{model}", "--api-level", "99"],
    ["check", "{model}", "--api-level", "thirty"],
    ["check", "{model}", "--feature-level", "0"],
    ["check", "{model}", "--max-partitions", "-1"],
    ["check", "{model}", "--format", "pdf"],
    ["check", "{model}", "--no-such-flag"],
    ["check"],
    ["inspect"],
    ["inspect", "{model}", "--no-such-flag"],
    ["inspect", "{model}", "--format", "pdf"],
]


@pytest.mark.parametrize("argv", BAD_FLAGS, ids=lambda a: " ".join(a))
def test_bad_flags_exit_2(tmp_path: Path, argv: list[str]) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(chain(2))
    proc = _run(*[a.replace("{model}", str(model)) for a in argv])
    _assert_one_clear_line(proc, code=2)


@pytest.mark.parametrize("command", ["check", "baseline"])
def test_sigkill_leaves_no_partial_output(tmp_path: Path, command: str) -> None:
    """`check -o FILE` / `baseline -o FILE` killed at any moment of the run: FILE is absent or
    complete JSON, never partial (a `.FILE.*.tmp` may remain beside it)."""
    import json

    model = tmp_path / "big.tflite"
    model.write_bytes(chain(15_000))
    extra = ["--format", "json"] if command == "check" else []

    def argv(out: Path) -> list[str]:
        return [sys.executable, "-m", "opcompat", command, str(model), *extra, "-o", str(out)]

    t0 = time.perf_counter()
    complete = subprocess.run(
        argv(tmp_path / "whole.json"), capture_output=True, text=True, timeout=TIMEOUT
    )
    duration = time.perf_counter() - t0
    assert complete.returncode == 0, complete.stderr
    whole = json.loads((tmp_path / "whole.json").read_bytes())
    out = tmp_path / "report.json"
    for fraction in (0.3, 0.6, 0.85, 0.95, 1.0):
        if out.exists():
            out.unlink()
        proc = subprocess.Popen(argv(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            got = json.loads(out.read_bytes())  # a partial file fails here
            assert sorted(got) == sorted(whole), f"unexpected report after SIGKILL at {fraction}"
        for p in tmp_path.iterdir():
            if p.name.startswith(".report.json"):
                assert stat.S_ISREG(p.stat().st_mode)


# -- baseline files (committed in the repository, so a pull request can change them) -------

BAD_BASELINES = {
    "empty": b"",
    "not_json": b"fallbacks: none\n",
    "not_utf8": b'{"models": "\xff"}',
    "array": b"[]",
    "nested": b"[" * 100_000 + b"]" * 100_000,
    "nested_objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "wrong_types": b'{"models": [{"file": 3, "fallbacks": "x"}], "api_level": "thirty"}',
    "lfs_pointer": LFS_POINTER,
}


@pytest.mark.parametrize("kind", sorted(BAD_BASELINES))
def test_bad_baseline_is_one_clear_error(tmp_path: Path, kind: str) -> None:
    baseline = pytest.importorskip("opcompat.baseline")
    from opcompat.errors import OpcompatError

    path = tmp_path / "baseline.json"
    path.write_bytes(BAD_BASELINES[kind])
    with pytest.raises(OpcompatError) as info:
        baseline.load(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg


# -- every output format and -o ------------------------------------------------------------

FORMATS = ("table", "markdown", "json", "sarif", "html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_model_in_every_format(tmp_path: Path, fmt: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(LFS_POINTER)
    line = _assert_one_clear_line(_run("check", str(model), "--format", fmt))
    assert "git lfs pull" in line


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_strings_in_every_format_cli(tmp_path: Path, fmt: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(_evil_strings_model())
    proc = _run("check", str(model), "--format", fmt)
    assert proc.returncode == 0, proc.stderr
    assert _controls(proc.stdout) == []


@pytest.mark.parametrize("where", ["missing_dir", "a_directory"])
def test_output_to_an_impossible_place(tmp_path: Path, where: str) -> None:
    model = tmp_path / "model.tflite"
    model.write_bytes(chain(3))
    target = tmp_path / "nope" / "r.txt" if where == "missing_dir" else tmp_path
    _assert_one_clear_line(_run("check", str(model), "-o", str(target)), code=2)


@pytest.mark.parametrize("command", ["diff", "baseline"])
def test_other_commands_name_a_bad_model_once(tmp_path: Path, command: str) -> None:
    good = tmp_path / "good.tflite"
    good.write_bytes(chain(3))
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(LFS_POINTER)
    args = [str(bad), str(good)] if command == "diff" else [str(bad)]
    proc = _run(command, *args)
    assert "Traceback" not in proc.stderr and proc.returncode == 3, proc.stderr
    first = proc.stderr.strip().splitlines()[0]
    assert first.count(str(bad)) == 1, first
    assert "git lfs pull" in first


def test_many_bad_models_in_parallel_one_line_each(tmp_path: Path) -> None:
    """Enough models for the worker pool: one line per bad model, the good one reported."""
    files = {
        "lfs.tflite": LFS_POINTER,
        "empty.tflite": b"",
        "truncated.tflite": chain(20)[:100],
        "text.tflite": b"hello\n",
        "alias.tflite": crafted.alias_operators(20_000, 20_000),
        "good.tflite": chain(3),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    proc = _run("check", "-j", "2", *(str(tmp_path / n) for n in files))
    assert "Traceback" not in proc.stderr and proc.returncode == 3, proc.stderr
    _one_line_each(proc, [n for n in files if n != "good.tflite"], ["good.tflite"])
    assert "ADD" in proc.stdout


# -- file names from a pull request: git allows newlines and escapes in them ---------------


@pytest.mark.parametrize("command", COMMANDS)
def test_hostile_file_names_cannot_forge_lines(tmp_path: Path, command: str) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "a\x1b[2Jx.tflite").write_bytes(chain(3))
    (folder / "b\nopcompat: all fine.tflite").write_bytes(LFS_POINTER)
    proc = _run(command, str(folder))
    assert "Traceback" not in proc.stderr and proc.returncode == 3, proc.stderr
    _one_line_each(proc, ["opcompat: all fine.tflite"], ["x.tflite"])
    bad = [line for line in proc.stderr.splitlines() if "all fine" in line]
    assert "git lfs pull" in bad[0] and "b\\nopcompat" in bad[0]  # the newline, escaped
    assert _controls(proc.stdout + proc.stderr) == []


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", ["symlink_loop", "dangling_symlink", "dev_zero"])
def test_special_paths(tmp_path: Path, command: str, kind: str) -> None:
    path = tmp_path / "model.tflite"
    if kind == "symlink_loop":
        path.symlink_to(path)
    elif kind == "dangling_symlink":
        path.symlink_to(tmp_path / "nowhere.tflite")
    else:
        path = Path("/dev/zero")  # endless: reading it would never finish
    t0 = time.perf_counter()
    _assert_one_clear_line(_run(command, str(path), timeout=20))
    assert time.perf_counter() - t0 < 15
