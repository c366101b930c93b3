"""MODEL arguments: files, directories (searched recursively for *.tflite) and globs.

TensorFlow inputs (a SavedModel directory, a Keras `.keras`/`.h5` file, a frozen GraphDef `.pb`)
are converted with TensorFlow's `TFLiteConverter` when the `convert` extra is installed, in a
child process (`opcompat.tfconvert`): TensorFlow is imported only for them. Conversion keeps
Select TF (Flex) and custom ops, which the report shows as custom operators on the CPU. Keras
files are loaded with `safe_mode=True`: nothing in the file is executed.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from opcompat.errors import ModelReadError, UsageError

CONVERT_HINT = 'install the convert extra: pip install "opcompat[convert]"'
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
GLOB_CHARS = frozenset("*?[")
KIND_LABELS = {"saved_model": "SavedModel", "keras": "Keras model", "frozen_graph": "frozen graph"}


class ModelInput(NamedTuple):
    """One model to check: what the report calls it, and how to get its bytes."""

    path: str
    """The name shown in reports (the file as given, or the TensorFlow input it came from)."""
    kind: str = "tflite"
    """`tflite`, `saved_model`, `keras` or `frozen_graph`."""

    @property
    def needs_conversion(self) -> bool:
        return self.kind != "tflite"


def _kind(path: Path) -> str:
    if path.is_dir():
        return "saved_model" if is_saved_model(path) else "dir"
    suffix = path.suffix.lower()
    if suffix in KERAS_SUFFIXES:
        return "keras"
    if suffix == ".pb":
        # A SavedModel's own saved_model.pb given as a file: its directory is the SavedModel.
        return "saved_model" if path.name == "saved_model.pb" else "frozen_graph"
    return "tflite"


def is_saved_model(path: Path) -> bool:
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()


def _tflite_under(directory: Path) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()  # deterministic order, and os.walk follows the sorted list
        found.extend(os.path.join(root, f) for f in sorted(files) if f.lower().endswith(".tflite"))
    return found


def expand(args: Sequence[str]) -> list[ModelInput]:
    """The models named by MODEL arguments, in order, without repeats.

    A path that does not exist is kept (the check reports it unreadable, exit code 3); a
    directory without models and a glob that matches nothing are usage errors (exit code 2).
    """
    out: list[ModelInput] = []
    seen: set[str] = set()

    def add(path: str, kind: str) -> None:
        key = os.path.normpath(path)
        if key not in seen:
            seen.add(key)
            out.append(ModelInput(path, kind))

    for arg in args:
        p = Path(arg)
        if not _exists(p) and GLOB_CHARS & set(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise UsageError(f"{arg}: no file matches this pattern")
            for m in matches:
                _add_path(Path(m), m, add, from_glob=True)
            continue
        _add_path(p, arg, add, from_glob=False)
    return out


def _exists(p: Path) -> bool:
    """Path.exists, but a path that cannot be looked at (a parent without search permission)
    counts as existing: the reader then reports it unreadable instead of a traceback here."""
    try:
        return p.exists()
    except OSError:
        return True


def _add_path(p: Path, arg: str, add: Callable[[str, str], None], from_glob: bool) -> None:
    try:
        kind = _kind(p) if p.exists() else "tflite"
    except OSError:
        kind = "tflite"  # cannot be looked at: the reader says why (permission denied, ...)
    if kind == "dir":
        models = _tflite_under(p)
        if not models and not from_glob:
            raise UsageError(f"{arg}: directory contains no .tflite models (searched recursively)")
        for m in models:
            add(m, "tflite")
        return
    add(arg, kind)


def expand_paths(args: Sequence[str]) -> list[str]:
    """`expand`, for callers that take .tflite paths only; UsageError for TensorFlow inputs."""
    inputs = expand(args)
    for i in inputs:
        if i.needs_conversion:
            raise UsageError(
                f"{i.path}: a TensorFlow {KIND_LABELS[i.kind]}; convert it first "
                "or use 'opcompat check'"
            )
    return [i.path for i in inputs]


CONVERT_TIMEOUT = 900.0
"""Seconds one conversion may take before its child process is killed: a generous bound (small
models convert in 2-3 s, most of it importing TensorFlow)."""


CHILD = (
    "import sys; sys.path.append(sys.argv.pop(1)); "
    "from opcompat.tfconvert import main; sys.exit(main(sys.argv[1:]))"
)
"""The child process's program: `opcompat.tfconvert.main(KIND, PATH, OUT)`."""


def tensorflow_available() -> bool:
    """Whether TensorFlow is installed, found without importing it."""
    import importlib.util

    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def require_tensorflow(items: Iterable[ModelInput]) -> None:
    """UsageError (exit code 2) naming the extra when a TensorFlow input is given without TF."""
    first = next((i for i in items if i.needs_conversion), None)
    if first is not None and not tensorflow_available():
        from opcompat.model.reader import printable

        raise UsageError(
            f"{printable(first.path)}: a TensorFlow {KIND_LABELS[first.kind]}; converting it needs "
            f"TensorFlow: {CONVERT_HINT}"
        )


def convert(item: ModelInput) -> bytes:
    """The .tflite flatbuffer of a TensorFlow input (needs the convert extra).

    Converted by `opcompat.tfconvert` in a child process (`CHILD`) with its own temporary
    directory, removed afterwards whatever happens. Raises UsageError (TensorFlow missing)
    or ModelReadError (cannot be converted, refused as unsafe, crashed, timed out), one line.
    """
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    from opcompat.model.reader import printable

    shown = printable(item.path)  # a file name may hold a newline or an escape
    if item.kind not in ("saved_model", "keras", "frozen_graph"):
        raise UsageError(f"{shown}: not a TensorFlow model")
    require_tensorflow([item])
    if not sys.executable:
        raise UsageError("cannot start a Python child process to run TensorFlow")
    workdir = tempfile.mkdtemp(prefix="opcompat-convert-")
    try:
        out = os.path.join(workdir, "model.tflite")
        env = dict(os.environ)
        # TensorFlow and Keras write their scratch files (Keras exports a SavedModel) here.
        env.update(TMPDIR=workdir, TEMP=workdir, TMP=workdir, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("TF_USE_LEGACY_KERAS", None)  # Keras 3: the one with a safe mode for .h5
        # The child finds opcompat where it is installed, else where this one was imported from
        # (appended, so that nothing next to a source checkout shadows TensorFlow's imports).
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        source = os.path.abspath(item.path)
        if item.kind == "saved_model" and os.path.basename(source) == "saved_model.pb":
            source = os.path.dirname(source)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, here, item.kind, source, out],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                cwd=workdir,
                timeout=CONVERT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ModelReadError(
                f"{shown}: TensorFlow did not convert it within {CONVERT_TIMEOUT:g} s"
            ) from None
        if proc.returncode == 0 and os.path.isfile(out):
            with open(out, "rb") as fh:
                return fh.read()
        try:
            with open(out + ".error", encoding="utf-8") as fh:
                failure = json.load(fh)
        except (OSError, ValueError):
            failure = None
        if isinstance(failure, dict):
            message = printable(" ".join(str(failure.get("message", "")).split()))
            if failure.get("error") == "usage":
                raise UsageError(f"{shown}: {message}; {CONVERT_HINT}")
            raise ModelReadError(f"{shown}: {message}")
        raise ModelReadError(f"{shown}: TensorFlow crashed converting it ({_died(proc)})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _died(proc: Any) -> str:
    """How a child process ended, with the last line it wrote to stderr."""
    import signal

    from opcompat.model.reader import printable

    code = proc.returncode
    if code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"killed by signal {-code}"
    else:
        how = f"exit status {code}"
    lines = [ln.strip() for ln in proc.stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    if lines:
        last = printable(lines[-1])
        how += f": {last[:200]}{'...' if len(last) > 200 else ''}"
    return how


def check_inputs(
    inputs: Iterable[ModelInput], progress: Callable[[int], None] | None = None, **options: Any
) -> Any:
    """Check every input (converting TensorFlow ones) into one `Report`, in input order.

    `options` are those of `opcompat.analysis.check_many` (api_level, feature_level, ...);
    `progress`, when given, is called with the number of inputs done so far as they finish.
    """
    from opcompat import __version__
    from opcompat.analysis import check, check_many
    from opcompat.model.reader import printable
    from opcompat.report import ModelError, ModelReport, Report
    from opcompat.targets import expand

    items = list(inputs)
    require_tensorflow(items)  # before any work: exit code 2 naming the extra
    plain = [i.path for i in items if not i.needs_conversion]
    checked = iter(check_many(plain, progress=progress, **options).models if plain else ())
    targets = expand(options.get("target"))
    done = len(plain) * len(targets)  # progress counts checks: one per input and target
    single = {k: v for k, v in options.items() if k not in ("jobs", "digests", "target")}
    models: list[ModelReport | ModelError] = []
    for i in items:
        if not i.needs_conversion:
            entries = [next(checked) for _ in targets]
            if all(isinstance(e, ModelError) for e in entries):
                entries = entries[:1]  # an unreadable model is one error, not one per target
            models.extend(entries)
            continue
        try:
            converted = convert(i)
            models.extend(check(converted, path=i.path, target=t, **single) for t in targets)
        except ModelReadError as exc:
            models.append(ModelError(printable(i.path), str(exc), exc.exit_code))
        done += len(targets)
        if progress is not None:
            progress(done)
    return Report(models=tuple(models), tool_version=__version__)
