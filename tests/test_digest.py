"""A model's sha256: computed only when asked for, streamed in bounded memory, cached safely.

`check` in the table, markdown and HTML formats never reads the weights; JSON, SARIF and the
baseline hash the file through a fixed buffer. Peak RSS is that of the graph, whatever the
file's size.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from builders import sparse_weights_model

from opcompat import analysis, digest
from opcompat.digest import ModelChangedError, ModelDigest

FORMATS = ("table", "markdown", "json", "sarif", "html")


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPCOMPAT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture()
def big_model(tmp_path: Path) -> Path:
    """A model just over the size whose hash is cached (sparse: no bytes are written)."""
    return sparse_weights_model(tmp_path / "big.tflite", digest.CACHE_MIN_SIZE + (1 << 20))


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "sha256").glob("*")) if (cache / "sha256").is_dir() else []


def test_the_hash_is_computed_when_first_asked_for(big_model: Path, cache: Path) -> None:
    report = analysis.check(big_model, api_level=30)
    assert not report.digest.known  # the check itself read no weights
    assert report.sha256 == _sha(big_model)
    assert report.digest.known
    assert len(_entries(cache)) == 1


def test_a_model_read_from_bytes_is_hashed_at_once() -> None:
    data = Path(__file__).read_bytes()  # any bytes: ModelDigest does not parse them
    d = ModelDigest.of_bytes(data)
    assert d.known and d.hexdigest() == hashlib.sha256(data).hexdigest()


def test_a_cached_hash_is_used(big_model: Path, cache: Path) -> None:
    first = analysis.check(big_model, api_level=30).sha256
    (entry,) = _entries(cache)
    entry.write_text("f" * 64 + "\n")  # a planted value shows that the cache was read
    assert analysis.check(big_model, api_level=30).sha256 == "f" * 64
    entry.write_text("not a hash\n")  # a damaged entry is computed again and rewritten
    assert analysis.check(big_model, api_level=30).sha256 == first
    assert entry.read_text().strip() == first


def test_a_model_changed_on_disk_after_a_cached_hash_gets_a_fresh_hash(
    big_model: Path, cache: Path
) -> None:
    old = analysis.check(big_model, api_level=30).sha256
    st = big_model.stat()
    with big_model.open("r+b") as f:  # same size, new weight bytes
        f.seek(st.st_size - 4096)
        f.write(b"\x01" * 16)
    os.utime(big_model, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with the old mtime
    new = analysis.check(big_model, api_level=30).sha256
    assert new != old and new == _sha(big_model)


def test_a_model_changed_after_it_was_read_is_not_given_a_wrong_hash(
    tmp_path: Path, cache: Path
) -> None:
    model = sparse_weights_model(tmp_path / "m.tflite", 1 << 16)
    report = analysis.check(model, api_level=30)
    with model.open("ab") as f:
        f.write(b"\0" * 8)
    with pytest.raises(ModelChangedError, match="changed on disk after it was read"):
        report.sha256  # noqa: B018


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_an_unwritable_cache_is_skipped(
    big_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    target = blocker if where == "a file" else blocker / "cache"
    monkeypatch.setenv("OPCOMPAT_CACHE_DIR", str(target))
    assert analysis.check(big_model, api_level=30).sha256 == _sha(big_model)


def test_the_cache_can_be_turned_off(
    big_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPCOMPAT_CACHE_DIR", "")
    assert digest.cache_dir() is None
    assert analysis.check(big_model, api_level=30).sha256 == _sha(big_model)


def test_small_files_are_not_cached(tmp_path: Path, cache: Path) -> None:
    model = sparse_weights_model(tmp_path / "small.tflite", 1 << 16)
    assert analysis.check(model, api_level=30).sha256 == _sha(model)
    assert _entries(cache) == []


def test_a_digest_pickles_with_what_is_known(big_model: Path, cache: Path) -> None:
    report = analysis.check(big_model, api_level=30)
    lazy = pickle.loads(pickle.dumps(report))
    assert not lazy.digest.known and lazy.sha256 == _sha(big_model)
    report.sha256  # noqa: B018
    done = pickle.loads(pickle.dumps(report))
    assert done.digest.known and done == report


def test_check_many_computes_the_hashes_when_asked(big_model: Path, cache: Path) -> None:
    lazy, eager = (
        analysis.check_many([str(big_model)] * 4, api_level=30, jobs=2, digests=d).models
        for d in (False, True)
    )
    assert not any(m.digest.known for m in lazy)  # type: ignore[union-attr]
    assert all(m.digest.known and m.sha256 == _sha(big_model) for m in eager)  # type: ignore[union-attr]


_PEAK = (
    "import atexit, runpy, sys\n"
    "def report():\n"
    "    hwm = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "    sys.stderr.write(f'VmHWM={hwm}\\n')\n"
    "atexit.register(report)\n"
    "sys.argv = ['opcompat', *sys.argv[1:]]\n"
    "runpy.run_module('opcompat', run_name='__main__')\n"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("fmt", FORMATS)
def test_check_of_a_1_gib_model_stays_small_in_every_format(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, fmt: str
) -> None:
    folder = tmp_path_factory.getbasetemp() / "gib"
    folder.mkdir(exist_ok=True)
    model = folder / "huge.tflite"
    if not model.exists():
        sparse_weights_model(model, 1 << 30)
    env = {**os.environ, "OPCOMPAT_CACHE_DIR": ""}  # hashed every time, never from the cache
    proc = subprocess.run(
        [sys.executable, "-c", _PEAK, "check", str(model), "--format", fmt, "-o",
         str(tmp_path / f"report.{fmt}")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    peak_kib = int(proc.stderr.split("VmHWM=")[1].split()[0])
    assert peak_kib < 60 * 1024, f"{fmt}: peak RSS {peak_kib / 1024:.0f} MiB"
    text = (tmp_path / f"report.{fmt}").read_text()
    if fmt in ("json", "sarif"):
        assert _sha(model) in text


def test_the_hash_survives_a_change_of_directory(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = sparse_weights_model(tmp_path / "m.tflite", 1 << 16)
    monkeypatch.chdir(tmp_path)
    report = analysis.check("m.tflite", api_level=30)
    monkeypatch.chdir("/")
    assert report.sha256 == _sha(model)


def test_a_removed_model_is_named_as_such(tmp_path: Path, cache: Path) -> None:
    model = sparse_weights_model(tmp_path / "m.tflite", 1 << 16)
    report = analysis.check(model, api_level=30)
    model.unlink()
    with pytest.raises(ModelChangedError, match="removed after it was read"):
        report.sha256  # noqa: B018


def test_digests_compare_by_file_whether_or_not_computed(big_model: Path, cache: Path) -> None:
    a, b = analysis.check(big_model, api_level=30), analysis.check(big_model, api_level=30)
    a.sha256  # noqa: B018  (one known, one not: still the same file)
    assert a == b and hash(a.digest) == hash(b.digest)
    known = ModelDigest(value=a.sha256)
    assert known == ModelDigest(value=a.sha256) != a.digest


def test_a_cache_others_can_write_to_is_not_trusted(
    big_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    monkeypatch.setenv("OPCOMPAT_CACHE_DIR", str(shared))
    real = analysis.check(big_model, api_level=30).sha256
    (entry,) = _entries(shared)
    entry.write_text("f" * 64 + "\n")
    (shared / "sha256").chmod(0o777)  # anyone may plant an entry now
    assert analysis.check(big_model, api_level=30).sha256 == real


def test_no_home_directory_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPCOMPAT_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda p: p)  # as with no HOME and no passwd entry
    assert digest.cache_dir() is None
