"""Atomic report files: `-o FILE` is either the whole new report or left untouched.

The text is written to a temporary file in the target's directory (same file system, so the
rename is atomic), flushed and fsync'ed, then renamed over the target with `os.replace`. The
caller renders first and calls `write_atomic` only with the finished text, so a failed or killed
render never leaves a partial or empty file; a kill during the write leaves at most a temporary
`.FILE.*.tmp`, never a truncated FILE.

`stderr_progress(total)` is the `checking N/TOTAL models` line that commands checking many
models show on stderr while they work, when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from opcompat.errors import UsageError

PROGRESS_MIN_MODELS = 8
"""Fewer models than this are checked too soon for a progress line to help: none is shown."""


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


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed, or not a real file
        return False


class _ProgressLine:
    """One self-overwriting line (`\\r`, no escape sequences) on a terminal stream."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.width = 0

    def __call__(self, done: int) -> None:
        text = f"checking {done}/{self.total} models"
        self._write("\r" + text.ljust(self.width))
        self.width = max(self.width, len(text))

    def clear(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth an error
            pass


@contextmanager
def stderr_progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A `progress(done)` callback drawing `checking DONE/TOTAL models` on stderr, or None.

    None (nothing is written) unless stderr is a terminal and there are at least
    PROGRESS_MIN_MODELS models, so logs, pipes and tests see byte-identical output. The line is
    erased on leaving, also on an error, so that only the usual stderr lines remain.
    """
    stream = sys.stderr
    if total < PROGRESS_MIN_MODELS or not _is_terminal(stream):
        yield None
        return
    line = _ProgressLine(total, stream)
    try:
        line(0)  # at once: the first results may take a while
        yield line
    finally:
        line.clear()
