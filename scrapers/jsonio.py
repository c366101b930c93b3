"""Canonical JSON text and all-or-nothing writes of a set of files."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:  # POSIX; elsewhere writers of one directory are not serialised (and nothing is cleaned up)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "MANIFEST.json"

def _leftover_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """Names of write_all's own temporaries (`mkstemp`'s `.NAME.XXXXXXXX.tmp`) and backups
    (`.NAME.PID.bak`) for the files it writes: what a killed run leaves behind, and nothing of
    another program's (or of an `opcompat check -o` writing into the same directory)."""
    alternatives = "|".join(re.escape(n) for n in sorted(names))
    return re.compile(rf"\.(?:{alternatives})\.(?:[a-z0-9_]{{8}}\.tmp|\d+\.bak)")


def dumps(data: Any, indent: int = 2, ascii_only: bool = True) -> str:
    """Deterministic JSON: sorted keys, `indent`-space indent, trailing newline."""
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=ascii_only) + "\n"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def _locked(out_dir: Path) -> Iterator[bool]:
    """Hold an exclusive lock on `out_dir` itself (no lock file): True when locked.

    The kernel drops the lock when its holder dies, even by SIGKILL, so under the lock every
    temporary of ours in the directory is a leftover of a dead run, safe to remove.
    """
    if fcntl is None:
        yield False
        return
    try:
        fd = os.open(out_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = True
        except OSError:  # a file system without flock: write unlocked, as before
            locked = False
        yield locked
    finally:
        os.close(fd)  # releases the lock


def _remove_leftovers(out_dir: Path, names: Iterable[str]) -> None:
    """Remove the temporaries and backups a killed run left in `out_dir` for `names` (regular
    files only)."""
    leftover = _leftover_pattern(names)
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return
    for entry in entries:
        try:
            if leftover.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            pass


def _fsync_dir(out_dir: Path) -> None:
    """Make the renames durable (POSIX); a crash of the machine then keeps the new names."""
    try:
        fd = os.open(out_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_all(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write every `name -> text` into `out_dir`, all or nothing as far as a crash allows.

    Every file is always whole, the old or the new version: each is written to a temporary file
    in `out_dir` (same file system), fsync'ed, and renamed over the old one. Phase 1 writes all
    the temporaries; a failure or an interrupt there leaves every existing file untouched.
    Phase 2 renames them over the old files, `MANIFEST.json` last, after hard-linking each old
    file to a backup; if a rename fails (or is interrupted), the files already replaced are
    restored from their backups (and new ones removed), so the directory again holds the old set.

    Only a kill (SIGKILL, power loss) inside phase 2, a window of a few renames, can leave a
    mixed set: some new tables with the old MANIFEST.json, each file whole and valid, the new
    ones no longer matching the manifest's checksums (so the loader validates them against their
    schemas instead of trusting them), until a rerun writes the whole set. Writers of one directory
    are serialised by a lock on it, and each run first removes what a killed run left behind
    (`.NAME.*.tmp`, `.NAME.*.bak`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with _locked(out_dir) as locked:
        if locked:
            _remove_leftovers(out_dir, files)
        _write_all(out_dir, files)


def _write_all(out_dir: Path, files: Mapping[str, str]) -> None:
    temps: dict[str, str] = {}
    backups: dict[str, str] = {}
    done: list[str] = []
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir)
            temps[name] = tmp
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; tables are ordinary files
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
        order = sorted(temps, key=lambda n: (n == MANIFEST, n))
        for name in order:
            target = out_dir / name
            if target.is_file():
                backup = str(out_dir / f".{name}.{os.getpid()}.bak")
                if os.path.lexists(backup):
                    os.unlink(backup)
                os.link(target, backup)
                backups[name] = backup
        try:
            for name in order:
                os.replace(temps[name], out_dir / name)
                del temps[name]
                done.append(name)
        except BaseException:
            for name in reversed(done):
                if name in backups:
                    os.replace(backups.pop(name), out_dir / name)
                else:
                    os.unlink(out_dir / name)
            raise
        finally:
            _fsync_dir(out_dir)
    finally:
        for leftover in list(temps.values()) + list(backups.values()):
            try:
                os.unlink(leftover)
            except OSError:
                pass
