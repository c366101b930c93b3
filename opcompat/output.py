"""Report files for `-o FILE`: the whole new report, or the file as it was.

A regular file (or a path that does not exist yet) is replaced atomically: the text is written to
a temporary file in the target's directory (same file system, so the rename is atomic), flushed
and fsync'ed, then renamed over the target with `os.replace`. The caller renders first and calls
`write_atomic` only with the finished text, so a failed or killed render never leaves a partial
or empty file; a kill during the write leaves at most a temporary `.FILE.*.tmp`, never a
truncated FILE. A symlink is kept: the file it points to is the one replaced.

Anything else that exists (a FIFO, a character device such as /dev/null or a terminal,
/dev/stdout, a process substitution /dev/fd/N) is written to directly, as a shell redirection
would: renaming over it would replace the pipe or device itself. /dev/fd/N and /proc/self/fd/N
write to this process's descriptor N, like `-o -` does for stdout. A block device is refused.

`refuse_overwriting(output, inputs)` is the usage error for `-o` naming one of the inputs.

`stderr_progress(total)` is the `checking N/TOTAL models` line that commands checking many
models show on stderr while they work, when stderr is a terminal.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from opcompat.errors import UsageError

PROGRESS_MIN_MODELS = 8
"""Fewer models than this are checked too soon for a progress line to help: none is shown."""

_MAX_SYMLINKS = 40


def _cannot_write(target: object, exc: OSError) -> UsageError:
    return UsageError(f"-o {target}: cannot write: {exc.strerror or exc}")


def _own_fd_dirs() -> tuple[str, ...]:
    return ("/dev/fd", f"/proc/{os.getpid()}/fd")


_TASK_FD = re.compile(r"/proc/(\d+)/task/\d+/fd")


def _own_fd(path: str) -> int | None:
    """N when `path` is, or is a chain of symlinks ending in, /dev/fd/N or /proc/self/fd/N (also
    /dev/stdout and /dev/stderr, which link there): a descriptor of this process."""
    try:
        current = os.path.abspath(path)
    except OSError:  # a relative path and a working directory that was removed
        return None  # os.stat then says why, in one line
    own = _own_fd_dirs()
    for _ in range(_MAX_SYMLINKS):
        parent, name = os.path.split(current)
        if name.isascii() and name.isdigit():
            real_parent = os.path.realpath(parent)
            task = _TASK_FD.fullmatch(real_parent)
            if real_parent in own or (task is not None and int(task.group(1)) == os.getpid()):
                return int(name)
        try:
            link = os.readlink(current)
        except OSError:  # not a symlink (or cannot be looked at)
            return None
        current = os.path.join(os.path.realpath(parent), link)
    return None


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _write_through(target: Path, data: bytes, own_fd: int | None) -> None:
    """Write `data` to an existing pipe, device or descriptor, no temporary file, no rename."""
    try:
        if own_fd is not None:
            for stream in (sys.stdout, sys.stderr):  # keep the order of what was already written
                try:
                    stream.flush()
                except (OSError, ValueError, AttributeError):
                    pass
            _write_fd(own_fd, data)
            return
        flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(target, flags)  # no O_CREAT, no O_TRUNC: it exists and is not a file
        try:
            _write_fd(fd, data)
        finally:
            os.close(fd)
    except BrokenPipeError:
        raise  # the reader went away, as with `| head`: the CLI treats it as for stdout
    except OSError as exc:
        raise _cannot_write(target, exc) from None


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path`; raise UsageError when it cannot be written.

    A regular file or a new path is replaced atomically (through a symlink, the file it points
    to; the symlink stays); an existing FIFO, character device or descriptor is written to
    directly (see the module docstring).
    """
    target = Path(path)
    data = text.encode("utf-8")
    try:
        own_fd = _own_fd(os.fspath(target))
    except ValueError:  # an embedded NUL
        raise UsageError(f"-o {target}: not a valid file name") from None
    try:
        st: os.stat_result | None = os.fstat(own_fd) if own_fd is not None else os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # EBADF (/dev/fd/N not open), ELOOP, ENOTDIR, EACCES, ...
        raise _cannot_write(target, exc) from None
    except ValueError:  # an embedded NUL
        raise UsageError(f"-o {target}: not a valid file name") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise UsageError(f"-o {target}: is a directory")
        if stat.S_ISBLK(st.st_mode):
            raise UsageError(f"-o {target}: is a block device; refusing to write a report to it")
        if own_fd is not None or not stat.S_ISREG(st.st_mode):
            _write_through(target, data, own_fd)
            return
    # A regular file, or nothing yet. Through a symlink (also a dangling one, as open() would)
    # the file it resolves to is replaced, so that the symlink stays a symlink.
    real = Path(os.path.realpath(target)) if os.path.islink(target) else target
    directory = real.parent if str(real.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"-o {target}: directory {directory} does not exist")
    try:
        import tempfile  # only when writing a file: cheaper start-up for stdout

        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; a report is an ordinary file, so honour the umask like open() does.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, real)
    except BaseException as exc:  # incl. KeyboardInterrupt: never leave the temporary behind
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _cannot_write(target, exc) from None
        raise


def refuse_overwriting(output: str | None, inputs: Iterable[str]) -> None:
    """UsageError when `-o output` is the same regular file as one of `inputs` (through a
    symlink or hard link too): the report would overwrite the model it is about."""
    if output is None or output == "-":
        return
    try:
        out = os.stat(output)
    except (OSError, ValueError):  # does not exist yet, or the write will say why
        return
    if not stat.S_ISREG(out.st_mode):
        return
    for path in inputs:
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            continue
        if (st.st_dev, st.st_ino) == (out.st_dev, out.st_ino):
            raise UsageError(f"-o {output}: is the input {path}; refusing to overwrite it")


def emit_text(render: Callable[[], str], output: str | None) -> None:
    """Render, then write to `output` (see `write_atomic`), or to stdout when it is None or `-`."""
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
