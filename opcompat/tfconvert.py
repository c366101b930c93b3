"""Convert one TensorFlow input to a .tflite flatbuffer: the worker behind the `convert` extra.

`opcompat.inputs.convert` runs `main(KIND, PATH, OUT)` here in a child Python process,
so that TensorFlow is imported only for TensorFlow inputs, its log lines and prints stay out of
opcompat's output, a crash or abort inside TensorFlow on a hostile file costs one model and not
the run, and whatever it writes to the temporary directory goes when the child ends.

The child writes the flatbuffer to OUT and exits 0, or writes one JSON line
`{"error": CLASS, "message": TEXT}` to OUT + ".error" and exits 1; CLASS is `usage` (TensorFlow
or Keras missing or too old: exit code 2) or `model` (the input cannot be converted or is
refused as unsafe: exit code 3).

Safety: nothing from the input is executed. SavedModels and frozen graphs are data (graphs and
tensors) that the converter reads without running Python. Keras files are loaded with Keras 3's
`safe_mode=True` (it refuses Lambda layers' Python code and classes outside Keras), after a scan
of the file's model config that refuses Lambda layers and non-Keras modules first, and only with
a Keras release whose safe mode covers `.h5` files too.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any

KINDS = ("saved_model", "keras", "frozen_graph")

MIN_KERAS = (3, 11, 3)
"""Keras releases before 3.11.3 ignore safe_mode for legacy `.h5` files (CVE-2025-9905) or let a
`.keras` config import functions outside Keras (CVE-2025-1550, CVE-2025-8747)."""

MAX_CONFIG_BYTES = 64 << 20
"""A Keras model config larger than this is refused unread (a real one is kilobytes)."""


class Refused(Exception):
    """The input is refused or cannot be converted (exit code 3)."""


class Unavailable(Exception):
    """TensorFlow or a safe Keras is not installed (exit code 2)."""


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON document, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def keras_config(path: str) -> Any:
    """The model config stored in a `.keras` zip or an `.h5` file, parsed; None when absent."""
    import zipfile

    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            try:
                info = zf.getinfo("config.json")
            except KeyError:
                return None
            if info.file_size > MAX_CONFIG_BYTES:
                raise Refused("its Keras model config is too large to be a real model")
            raw: Any = zf.read(info)
    else:
        try:
            import h5py  # type: ignore[import-not-found]  # comes with TensorFlow and Keras
        except ImportError as exc:
            raise Unavailable(f"h5py cannot be imported ({exc})") from None
        try:
            with h5py.File(path, "r") as fh:
                raw = fh.attrs.get("model_config")
        except OSError as exc:
            raise Refused(f"not a Keras .keras (zip) or .h5 (HDF5) file: {exc}") from None
        if raw is None:
            return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    if len(raw) > MAX_CONFIG_BYTES:
        raise Refused("its Keras model config is too large to be a real model")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise Refused(f"its Keras model config is not valid JSON: {exc}") from None


def unsafe_keras_reason(config: Any) -> str | None:
    """Why a Keras model config would need code from the file to load; None when it does not.

    Lambda layers carry Python code (a marshalled function or source); objects from modules
    outside Keras need that module imported, and custom classes (registered as `package>Name`)
    the user's code. opcompat runs none of it.
    """
    for node in _walk(config):
        class_name = node.get("class_name")
        if class_name in ("Lambda", "__lambda__"):
            return "a Lambda layer (Python code stored in the file)"
        registered = node.get("registered_name")
        if isinstance(registered, str) and ">" in registered and not registered.startswith(
            "keras>"
        ):
            return f"the custom class {registered!r} (code outside the file and Keras)"
        module = node.get("module")
        if isinstance(module, str) and class_name is not None:
            top = module.split(".")[0]
            if top not in ("keras", "builtins", "numpy", "tensorflow", "tf_keras"):
                return f"an object from the module {module!r} (code outside Keras)"
    return None


def _import_tensorflow() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise Unavailable(f"TensorFlow cannot be imported ({exc})") from None
    return tf


def _import_keras() -> Any:
    try:
        import keras  # type: ignore[import-not-found]
    except ImportError as exc:
        raise Unavailable(f"Keras cannot be imported ({exc})") from None
    version = str(getattr(keras, "__version__", "0"))
    if _version(version) < MIN_KERAS:
        wanted = ".".join(map(str, MIN_KERAS))
        raise Unavailable(
            f"Keras {version} cannot load Keras files safely; opcompat needs Keras >= {wanted}"
        )
    return keras


def frozen_graph_io(tf: Any, path: str) -> tuple[list[str], list[str]]:
    """Inputs (placeholders) and outputs (nodes nothing consumes) of a frozen GraphDef."""
    graph_def = tf.compat.v1.GraphDef()
    with open(path, "rb") as fh:
        try:
            graph_def.ParseFromString(fh.read())
        except Exception as exc:  # google.protobuf.message.DecodeError and friends
            raise Refused(f"not a frozen GraphDef: {exc}") from None
    consumed = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
    inputs = [n.name for n in graph_def.node if n.op in ("Placeholder", "PlaceholderV2")]
    outputs = [
        n.name
        for n in graph_def.node
        if n.name not in consumed
        and n.op not in ("Placeholder", "PlaceholderV2", "Const", "NoOp", "Assert")
    ]
    if not inputs or not outputs:
        raise Refused("cannot tell the inputs and outputs of this frozen graph")
    return inputs, outputs


def make_converter(tf: Any, kind: str, path: str) -> Any:
    """A TFLiteConverter for the input, set to keep Flex and custom ops."""
    if kind == "saved_model":
        converter = tf.lite.TFLiteConverter.from_saved_model(path)
    elif kind == "keras":
        config = keras_config(path)
        why = unsafe_keras_reason(config) if config is not None else None
        if why is not None:
            raise Refused(
                f"refused: the Keras model contains {why}; opcompat never runs code from a model "
                "file (check the SavedModel that model.export() makes, or convert it yourself)"
            )
        keras = _import_keras()
        model = keras.models.load_model(path, safe_mode=True, compile=False)
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
    elif kind == "frozen_graph":
        inputs, outputs = frozen_graph_io(tf, path)
        converter = tf.compat.v1.lite.TFLiteConverter.from_frozen_graph(path, inputs, outputs)
    else:
        raise Refused(f"not a TensorFlow input kind: {kind}")
    # Keep ops TFLite has no builtin for (Select TF ops, custom ops) rather than fail: they run
    # on the CPU, and the check says so.
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS,
        tf.lite.OpsSet.SELECT_TF_OPS,
    ]
    converter.allow_custom_ops = True
    return converter


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (its type name when it has none)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def convert_in_process(kind: str, path: str) -> bytes:
    """The .tflite flatbuffer of a TensorFlow input, converted in this process.

    Raises Unavailable (TensorFlow/Keras missing or unsafe) or Refused (anything else).
    """
    tf = _import_tensorflow()
    try:
        return bytes(make_converter(tf, kind, path).convert())
    except (Unavailable, Refused):
        raise
    except Exception as exc:  # TensorFlow and Keras raise many unrelated types
        message = one_line(exc)
        if "safe_mode" in str(exc) or "unsafe" in message.lower():
            raise Refused(f"refused by Keras safe_mode: {message}") from None
        raise Refused(f"TensorFlow could not convert it: {message}") from None


def main(argv: list[str] | None = None) -> int:
    """Child-process entry (also `python -m opcompat.tfconvert KIND PATH OUT`)."""
    kind, path, out = argv if argv is not None else sys.argv[1:4]
    try:
        data = convert_in_process(kind, path)
    except (Unavailable, Refused) as exc:
        error = "usage" if isinstance(exc, Unavailable) else "model"
        with open(out + ".error", "w", encoding="utf-8") as fh:
            json.dump({"error": error, "message": str(exc)}, fh)
        return 1
    with open(out, "wb") as fh:
        fh.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
