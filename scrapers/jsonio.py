"""Canonical JSON text and all-or-nothing writes of a set of files."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def dumps(data: Any) -> str:
    """Deterministic JSON: sorted keys, 2-space indent, ASCII, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_all(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write every `name -> text` into `out_dir`, all or nothing.

    Each file first goes to a temporary file in `out_dir` (same file system, so the rename is
    atomic) and is fsynced; only when all of them are written are they renamed over the old
    files, `MANIFEST.json` last. A failure or an interrupt before the renames leaves every
    existing file untouched and removes the temporary files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    temps: dict[str, str] = {}
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
            os.replace(temps.pop(name), out_dir / name)
    finally:
        for tmp in temps.values():
            try:
                os.unlink(tmp)
            except OSError:
                pass
