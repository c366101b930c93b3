"""The sha256 of a model file: computed only when something asks for it, in bounded memory.

A check reads the graph, never the weights; only the JSON and SARIF reports, baselines and the
gate's baseline matching need the file's sha256. `ModelDigest.hexdigest()` computes it on first
use by streaming the file through one fixed buffer (so peak memory stays flat whatever the
file's size, and the weights' pages never enter the process) and keeps it.

The file is identified by what `os.stat` says of it when the model was read (device, inode,
size, mtime and ctime in nanoseconds). If that has changed by the time the hash is computed,
the hash would not be that of the model checked: `ModelChangedError` says so instead.

Hashes of large files are cached, keyed by that identity and the real path, one small file per
entry under `$OPCOMPAT_CACHE_DIR`, else `$XDG_CACHE_HOME/opcompat`, else `~/.cache/opcompat`
(`OPCOMPAT_CACHE_DIR=` empty turns the cache off; no cache without a home directory). A file
written to in place gets a new ctime, which the user cannot set back, so a stale entry is not
found (on file systems with coarse or unreliable timestamps, turn the cache off). Entries are
trusted only in a directory of this user that no one else can write to, and written with
exclusive creation, never through a symlink. A cache directory that cannot be written is
skipped silently: the hash is then computed each time.
"""

from __future__ import annotations

import os
from typing import Final

from opcompat.errors import ModelReadError

Fingerprint = tuple[int, ...]
"""(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns) of a model file."""

_CHUNK: Final = 1 << 20
"""Bytes read at a time: the only memory the hash needs."""
CACHE_MIN_SIZE: Final = 8 << 20
"""Files at least this large have their hash cached (hashing a smaller one is about as cheap
as a cache look-up)."""


class ModelChangedError(ModelReadError):
    """The model file changed on disk after it was read, before its hash was computed."""


def fingerprint(st: os.stat_result) -> Fingerprint:
    """The identity of a file's contents as `os.stat` reports it."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ModelDigest:
    """The sha256 of a model: known already (bytes, a given hex digest) or of a file, computed
    on first use. Pickles with what is known (reports cross process pools)."""

    __slots__ = ("_path", "_stat", "_value")

    def __init__(
        self, path: str | None = None, stat: Fingerprint | None = None, value: str | None = None
    ) -> None:
        # Absolute: the hash may be asked for after the working directory has changed.
        self._path = os.path.abspath(path) if path is not None else None
        self._stat = stat
        self._value = value

    @classmethod
    def of_bytes(cls, data: bytes | bytearray | memoryview) -> ModelDigest:
        import hashlib

        return cls(value=hashlib.sha256(data).hexdigest())

    @property
    def known(self) -> bool:
        """Whether the hash has been computed already (asking for it costs nothing then)."""
        return self._value is not None

    def hexdigest(self) -> str:
        """The sha256 as 64 hex digits ('' for a model with no file or bytes behind it)."""
        if self._value is None:
            if self._path is None or self._stat is None:
                self._value = ""
            else:
                self._value = _file_sha256(self._path, self._stat)
        return self._value

    def _identity(self) -> tuple[object, ...]:
        """What equality means, whether or not the hash is known yet: the file (path and
        fingerprint) for a file, else the hash itself."""
        if self._path is not None and self._stat is not None:
            return ("file", self._path, self._stat)
        return ("value", self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelDigest):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __reduce__(self) -> tuple[type, tuple[str | None, Fingerprint | None, str | None]]:
        return (type(self), (self._path, self._stat, self._value))

    def __repr__(self) -> str:
        return f"ModelDigest({self._value or self._path!r})"


def _file_sha256(path: str, expected: Fingerprint) -> str:
    """The sha256 of `path`, from the cache or streamed; ModelChangedError if the file is no
    longer the one that was read."""
    import hashlib

    from opcompat.model.reader import printable

    changed = ModelChangedError(
        f"{printable(path)}: changed on disk after it was read; check it again"
    )
    try:
        with open(path, "rb") as f:
            if fingerprint(os.fstat(f.fileno())) != expected:
                raise changed
            cached = _cache_get(path, expected)
            if cached is not None:
                return cached
            h = hashlib.sha256()
            buf = bytearray(_CHUNK)
            view = memoryview(buf)
            while n := f.readinto(buf):
                h.update(view[:n])
            if fingerprint(os.fstat(f.fileno())) != expected:
                raise changed  # written to while it was being hashed
    except FileNotFoundError:
        raise ModelChangedError(
            f"{printable(path)}: removed after it was read; check it again"
        ) from None
    except OSError as exc:
        raise ModelReadError(f"{printable(path)}: cannot read: {exc.strerror or exc}") from None
    value = h.hexdigest()
    _cache_put(path, expected, value)
    return value


def cache_dir() -> str | None:
    """Where hashes are cached; None when the cache is off."""
    given = os.environ.get("OPCOMPAT_CACHE_DIR")
    if given is not None:
        return given or None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home.startswith("~"):  # no home directory known: no cache (never the cwd)
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "opcompat")


def _entry(path: str, stat: Fingerprint) -> str | None:
    root = cache_dir()
    if root is None or stat[2] < CACHE_MIN_SIZE:
        return None
    import hashlib

    key = "\0".join([os.path.realpath(path), *map(str, stat)])
    return os.path.join(root, "sha256", hashlib.sha256(key.encode("utf-8", "replace")).hexdigest())


def _private_folder(folder: str) -> bool:
    """`folder` is a real directory of this user that no one else may write to: only then are
    its entries trusted (a planted hash would make a baseline match the wrong model)."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    import stat as stat_module

    return (
        stat_module.S_ISDIR(st.st_mode)
        and (not hasattr(os, "getuid") or st.st_uid == os.getuid())
        and not st.st_mode & 0o022
    )


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _cache_get(path: str, stat: Fingerprint) -> str | None:
    entry = _entry(path, stat)
    if entry is None or not _private_folder(os.path.dirname(entry)):
        return None
    try:
        fd = os.open(entry, os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, encoding="ascii") as f:
            value = f.read(65).strip()
    except (OSError, UnicodeDecodeError):
        return None
    if len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value
    return None  # a damaged entry: computed again and rewritten


def _cache_put(path: str, stat: Fingerprint, value: str) -> None:
    entry = _entry(path, stat)
    if entry is None:
        return
    folder = os.path.dirname(entry)
    tmp = f"{entry}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if not _private_folder(folder):
            return
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(value + "\n")
        os.replace(tmp, entry)  # whole or absent: parallel workers may write the same entry
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
