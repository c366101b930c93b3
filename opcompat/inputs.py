"""MODEL arguments: files, directories (searched recursively for *.tflite) and globs.

TensorFlow inputs (a SavedModel directory, a Keras `.keras`/`.h5` file, a frozen GraphDef `.pb`)
are converted in memory with TensorFlow's `TFLiteConverter` when the `convert` extra is
installed. Conversion allows Select TF (Flex) and custom ops, so such ops reach the report as
custom operators, which the NNAPI delegate leaves on the CPU. Keras files are loaded with
`safe_mode=True` (no arbitrary code from the file).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opcompat.errors import ModelReadError, UsageError

CONVERT_HINT = 'install the convert extra: pip install "opcompat[convert]"'
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class ModelInput:
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
    if suffix == ".pb" and path.name != "saved_model.pb":
        return "frozen_graph"
    return "tflite"


def is_saved_model(path: Path) -> bool:
    return (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()


def _tflite_under(directory: Path) -> list[str]:
    found = []
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
                f"{i.path}: a TensorFlow {i.kind.replace('_', ' ')}; convert it first "
                "or use 'opcompat check'"
            )
    return [i.path for i in inputs]


def _tensorflow() -> Any:
    try:
        import tensorflow as tf  # optional: the convert extra
    except ImportError:
        raise UsageError(f"converting TensorFlow models needs TensorFlow: {CONVERT_HINT}") from None
    return tf


def _frozen_graph_io(tf: Any, path: str) -> tuple[list[str], list[str]]:
    """Inputs (placeholders) and outputs (nodes nothing consumes) of a frozen GraphDef."""
    graph_def = tf.compat.v1.GraphDef()
    with open(path, "rb") as fh:
        graph_def.ParseFromString(fh.read())
    consumed = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
    inputs = [n.name for n in graph_def.node if n.op == "Placeholder"]
    outputs = [
        n.name
        for n in graph_def.node
        if n.name not in consumed and n.op not in ("Placeholder", "Const", "NoOp", "Assert")
    ]
    if not inputs or not outputs:
        raise ModelReadError(f"{path}: cannot tell the inputs and outputs of this frozen graph")
    return inputs, outputs


def convert(item: ModelInput) -> bytes:
    """The .tflite flatbuffer of a TensorFlow input (needs the convert extra)."""
    tf = _tensorflow()
    try:
        if item.kind == "saved_model":
            converter = tf.lite.TFLiteConverter.from_saved_model(item.path)
        elif item.kind == "keras":
            model = tf.keras.models.load_model(item.path, safe_mode=True, compile=False)
            converter = tf.lite.TFLiteConverter.from_keras_model(model)
        elif item.kind == "frozen_graph":
            inputs, outputs = _frozen_graph_io(tf, item.path)
            converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(
                item.path, inputs, outputs
            )
        else:
            raise UsageError(f"{item.path}: not a TensorFlow model")
        # Keep ops TFLite has no builtin for (Flex / custom): they run on the CPU, and the report
        # says so, rather than the conversion failing.
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS,
            tf.lite.OpsSet.SELECT_TF_OPS,
        ]
        converter.allow_custom_ops = True
        return bytes(converter.convert())
    except (UsageError, ModelReadError):
        raise
    except Exception as exc:  # TensorFlow raises many unrelated types; report one line
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelReadError(f"{item.path}: TensorFlow could not convert it: {message}") from None


def check_inputs(inputs: Iterable[ModelInput], **options: Any) -> Any:
    """Check every input (converting TensorFlow ones) into one `Report`, in input order.

    `options` are those of `opcompat.analysis.check_many` (api_level, feature_level, ...).
    """
    from opcompat import __version__
    from opcompat.analysis import check, check_many
    from opcompat.report import ModelError, Report

    items = list(inputs)
    plain = [i.path for i in items if not i.needs_conversion]
    checked = iter(check_many(plain, **options).models if plain else ())
    single = {k: v for k, v in options.items() if k != "jobs"}
    models = []
    for i in items:
        if not i.needs_conversion:
            models.append(next(checked))
            continue
        try:
            models.append(check(convert(i), path=i.path, **single))
        except ModelReadError as exc:
            models.append(ModelError(i.path, str(exc), exc.exit_code))
    return Report(models=tuple(models), tool_version=__version__)
