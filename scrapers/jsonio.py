"""Canonical JSON text and all-or-nothing writes of a set of files."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def dumps(data: Any, indent: int = 2, ascii_only: bool = True) -> str:
    """Deterministic JSON: sorted keys, `indent`-space indent, trailing newline."""
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=ascii_only) + "\n"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_all(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write every `name -> text` into `out_dir`, all or nothing.

    Phase 1 writes each file to a temporary file in `out_dir` (same file system, so renames are
    atomic) and fsyncs it; a failure or an interrupt there leaves every existing file untouched.
    Phase 2 renames them over the old files, `MANIFEST.json` last, after hard-linking each old
    file to a backup; if a rename fails, the files already replaced are restored from their
    backups (and new ones removed), so the directory again holds the old set.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
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
        order = sorted(temps, key=lambda n: (n == "MANIFEST.json", n))
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
        for leftover in list(temps.values()) + list(backups.values()):
            try:
                os.unlink(leftover)
            except OSError:
                pass
