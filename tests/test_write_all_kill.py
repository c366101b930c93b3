"""`tables update` killed for real (SIGKILL) while `write_all` replaces the tables.

A child process runs `scrapers.jsonio.write_all` over an `op_tables/` holding an old set of
tables, with every fsync, link and rename reported on stdout. In lock-step mode it then waits
for the parent, which kills it after a chosen step (every step in turn); in free-running mode it
pauses a moment after each step and the parent kills it at a random time. After every kill each
table must be valid JSON equal to its old or its new version, a new MANIFEST.json only with all
tables new, schema/ untouched; then a real `tables update` rerun must leave exactly the new set
and no leftover temporaries.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_scrapers_update import GOLDEN, fixture_options

from scrapers import jsonio
from scrapers.update import run

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and flock are POSIX")

CHILD = r"""
import json, os, sys, time
from pathlib import Path
from scrapers import jsonio

out, files, mode = Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()), sys.argv[3]

def reporting(name, real):
    def call(*args, **kwargs):
        result = real(*args, **kwargs)
        sys.stdout.write(name + "\n")
        sys.stdout.flush()
        if mode == "step":
            sys.stdin.readline()  # the parent kills us here, or lets us go on
        else:
            time.sleep(0.002)
        return result
    return call

for name in ("fsync", "link", "replace", "unlink"):
    setattr(os, name, reporting(name, getattr(os, name)))
print("ready", flush=True)
if mode == "step":
    sys.stdin.readline()
jsonio.write_all(out, files)
print("done", flush=True)
"""


def _new_set() -> dict[str, str]:
    """What `tables update` on the fixtures writes (the golden files)."""
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(GOLDEN.iterdir()) if p.is_file()}


def _old_set(new: dict[str, str]) -> dict[str, str]:
    """A previous set: every table different, one table (nnapi_13) not there yet."""
    old = {}
    for name, text in new.items():
        if name == "nnapi_13.json":
            continue
        data = json.loads(text)
        data["previous_generation"] = True
        old[name] = jsonio.dumps(data)
    return old


SCHEMA = {"nnapi.schema.json": '{"type": "object"}\n'}


def _prepare(out: Path, old: dict[str, str]) -> None:
    out.mkdir()
    (out / "schema").mkdir()
    for name, text in SCHEMA.items():
        (out / "schema" / name).write_text(text, encoding="utf-8")
    for name, text in old.items():
        (out / name).write_text(text, encoding="utf-8")


def _check_consistent(out: Path, old: dict[str, str], new: dict[str, str]) -> str:
    """Assert the killed directory is sound; return 'old', 'new' or 'mixed'."""
    visible = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert visible <= set(old) | set(new) | {"schema"}, visible
    versions: dict[str, str] = {}
    for name in sorted(set(old) | set(new)):
        path = out / name
        if name not in old and not path.exists():
            versions[name] = "old"  # not written yet: as before
            continue
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # whole, valid JSON
        if text == new[name]:
            versions[name] = "new"
        else:
            assert text == old.get(name), f"{name} is neither the old nor the new version"
            versions[name] = "old"
    if versions["MANIFEST.json"] == "new":
        assert set(versions.values()) == {"new"}, f"new MANIFEST.json before the tables: {versions}"
    for name, text in SCHEMA.items():
        assert (out / "schema" / name).read_text(encoding="utf-8") == text
    states = set(versions.values())
    return states.pop() if len(states) == 1 else "mixed"


def _child(out: Path, files_json: Path, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), str(files_json), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def _finish(proc: subprocess.Popen[str], kill: bool) -> None:
    if kill:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except BrokenPipeError:
                pass
    if kill:
        assert proc.returncode in (-signal.SIGKILL, 0)


def _steps(proc: subprocess.Popen[str]) -> list[str]:
    """Let a lock-step child run to the end; the steps it reported."""
    assert proc.stdin is not None and proc.stdout is not None
    steps = []
    while True:
        line = proc.stdout.readline().strip()
        if line == "done" or not line:
            return steps
        if line != "ready":
            steps.append(line)
        proc.stdin.write("\n")
        proc.stdin.flush()


def _kill_after(proc: subprocess.Popen[str], k: int) -> None:
    """Kill a lock-step child right after its k-th step (0: just before write_all)."""
    assert proc.stdin is not None and proc.stdout is not None
    for i in range(k + 1):  # "ready", then k steps
        line = proc.stdout.readline().strip()
        assert line and line != "done", "the child finished early"
        if i < k:
            proc.stdin.write("\n")
            proc.stdin.flush()
    _finish(proc, kill=True)


def _rerun_completes(out: Path, new: dict[str, str], update: bool = True) -> None:
    """A rerun over what the kill left: a real `tables update`, or just its write_all."""
    if update:
        run(fixture_options(out))
    else:
        jsonio.write_all(out, new)
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()}
    assert files == new
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    for name, text in SCHEMA.items():
        assert (out / "schema" / name).read_text(encoding="utf-8") == text


@pytest.fixture()
def sets(tmp_path: Path) -> tuple[dict[str, str], dict[str, str], Path]:
    new = _new_set()
    old = _old_set(new)
    files_json = tmp_path / "files.json"
    files_json.write_text(json.dumps(new), encoding="utf-8")
    return old, new, files_json


def test_sigkill_after_every_step_leaves_whole_files(
    tmp_path: Path, sets: tuple[dict[str, str], dict[str, str], Path]
) -> None:
    old, new, files_json = sets
    probe = tmp_path / "probe"
    _prepare(probe, old)
    proc = _child(probe, files_json, "step")
    steps = _steps(proc)
    _finish(proc, kill=False)
    assert proc.returncode == 0
    assert _check_consistent(probe, old, new) == "new"
    renames = [i for i, s in enumerate(steps, 1) if s == "replace"]
    assert len(renames) == len(new), steps

    seen = set()
    for k in range(len(steps)):  # after step k; never after the last (then it is done)
        out = tmp_path / f"k{k}"
        _prepare(out, old)
        _kill_after(_child(out, files_json, "step"), k)
        state = _check_consistent(out, old, new)
        seen.add(state)
        if k < renames[0]:
            assert state == "old"
        if k >= renames[-1]:
            assert state == "new"
        _rerun_completes(out, new, update=k % 4 == 0)  # the scrape is the slow part
    assert seen == {"old", "mixed", "new"}


def test_sigkill_at_random_moments_leaves_whole_files(
    tmp_path: Path, sets: tuple[dict[str, str], dict[str, str], Path]
) -> None:
    old, new, files_json = sets
    rng = random.Random(20240607)
    for i in range(8):
        out = tmp_path / f"r{i}"
        _prepare(out, old)
        proc = _child(out, files_json, "free")
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.08))
        _finish(proc, kill=True)
        _check_consistent(out, old, new)
        _rerun_completes(out, new)


def test_leftovers_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "t"
    out.mkdir()
    (out / ".nnapi_13.json.ab12cd_9.tmp").write_text("{")
    (out / ".MANIFEST.json.4242.bak").write_text("{}")
    (out / ".keep").write_text("not ours")
    (out / ".report.md.ab12cd_9.tmp").write_text("another writer's, in flight")
    jsonio.write_all(out, {"nnapi_13.json": "{}\n", "MANIFEST.json": "{}\n"})
    assert sorted(p.name for p in out.iterdir()) == [
        ".keep",
        ".report.md.ab12cd_9.tmp",
        "MANIFEST.json",
        "nnapi_13.json",
    ]
