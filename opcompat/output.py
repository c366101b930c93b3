"""Atomic report files: `-o FILE` is either the whole new report or left untouched.

The text is written to a temporary file in the target's directory (same file system, so the
rename is atomic), flushed and fsync'ed, then renamed over the target with `os.replace`. The
caller renders first and calls `write_atomic` only with the finished text, so a failed or killed
render never leaves a partial or empty file; a kill during the write leaves at most a temporary
`.FILE.*.tmp`, never a truncated FILE.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from opcompat.errors import UsageError


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically; raise UsageError when it cannot be written."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise UsageError(f"-o {target}: is a directory")
    if not directory.is_dir():
        raise UsageError(f"-o {target}: directory {directory} does not exist")
    data = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"-o {target}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask like open() does.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:  # incl. KeyboardInterrupt: never leave the temporary behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"-o {target}: cannot write: {exc.strerror or exc}") from None
        raise


def emit_text(render: Callable[[], str], output: str | None) -> None:
    """Render, then write to `output` atomically, or to stdout when `output` is None or `-`."""
    text = render()  # fully rendered before anything is opened
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomic(output, text)
