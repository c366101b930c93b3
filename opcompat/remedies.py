"""What to change so an operator runs on the delegate: one remedy per reason code.

`remedy_for(code, op, message, target)` scans the specific remedies in order (code, op, a
regular expression on the delegate's message), then falls back to the code's generic remedy.
The rows live with their target (`opcompat.targets.<name>.remedies`: `ROWS`, `GENERIC`,
`PARTITION_DROPPED`, `OP_VERSION_CODE`); this module holds what is the converter's, not a
delegate's: the converter settings the remedies name, the rows about op versions that every
target shares (from `op_version.cc`), and the remedies of opcompat's own target-neutral codes.
Every remedy names its source. Standard library only at import.
"""

from __future__ import annotations

import functools
import re
from types import ModuleType
from typing import NamedTuple

from opcompat import reasons as R


class Remedy(NamedTuple):
    """A fix for one reason."""

    text: str
    """What to change, in the model or in the app, so the op runs on the delegate."""
    source: str
    """Where the fact behind it comes from."""


class Row(NamedTuple):
    """A specific remedy: the first row whose code, op and message match wins."""

    code: str
    """A regular expression the code must match in full."""
    op: str | None
    """A regular expression the op name must match in full (`CUSTOM:<code>` for custom ops);
    None: any op."""
    pattern: str | None
    """A regular expression searched in the message (case-insensitive); None: any message."""
    text: str
    source: str


_Row = Row
OPV = "tflite/converter/tools/versioning/op_version.cc, GetBuiltinOperatorVersion"
PTQ = ("LiteRT post-training quantization guide (converter.optimizations, "
       "representative_dataset, target_spec.supported_ops)")
INT8 = ("full-integer int8 quantization (`converter.optimizations = [tf.lite.Optimize.DEFAULT]`, "
        "a `representative_dataset`, `converter.target_spec.supported_ops = "
        "[tf.lite.OpsSet.TFLITE_BUILTINS_INT8]`)")
X16 = "16x8 (`tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`)"
DYNAMIC = ("dynamic-range quantization (`Optimize.DEFAULT` without a `representative_dataset`: "
           "float activations, int8 weights)")
FIXED_SHAPES = ("give the model fixed shapes before conversion (a `tf.function` with a fully "
                "defined `input_signature`, e.g. `tf.TensorSpec([1, 224, 224, 3])`, then "
                "`from_concrete_functions`); `interpreter.resize_tensor_input` at run time does "
                "not help, the delegate sees the converted graph")
UNROLL = ("unroll the recurrence (Keras `unroll=True`) or convert a stateless step with the "
          "state as explicit inputs and outputs")
VERSION_CODES = "{version_codes}"
"""Placeholder in a shared row's code: the op-version codes of every target."""

_SHARED_ROWS: tuple[Row, ...] = (
    _Row(VERSION_CODES,
         "TRANSPOSE|SLICE|PAD|PADV2|BATCH_TO_SPACE_ND|SPACE_TO_BATCH_ND", None,
         "The higher versions of this op come from an input of rank > 4 or an int16/bool/fp16 "
         "input: reshape to rank <= 4 and use float32 or int8 tensors.",
         f"{OPV} (TRANSPOSE, SLICE, PAD, BATCH_TO_SPACE_ND cases)"),
    _Row(VERSION_CODES, "GATHER", None,
         "GATHER is v2 with int8 input, v3 bool, v4 int16, v5 with `batch_dims != 0`, v6 "
         "int16 indices: use `batch_dims=0` (flatten the batch into the indices) and "
         "float32 data (the GPU parser takes v1 only, i.e. float data).", f"{OPV} (GATHER)"),
    _Row(VERSION_CODES, "ABS", None,
         "ABS is v2 for int8/uint8, v3/v4 for int16, v5 for int32 input: apply it to float32 "
         "(or, for NNAPI, which takes v1 only, keep this part of the model float).",
         f"{OPV} (ABS)"),
    _Row(VERSION_CODES, "CONCATENATION", None,
         "CONCATENATION is v3 with int16 input (16x8), v4 uint32, v6 fp16: use float32 or "
         f"{INT8}.", f"{OPV} (CONCATENATION)"),
)
"""Op-version facts of the converter that hold for every target."""

_GENERIC: dict[str, Remedy] = {
    R.INTERPRETER_BUILD_FAILS: Remedy(
        "The file's quantization parameters are invalid, so TFLite cannot load it at all: "
        "re-export the model with a current converter (or fix the tensor the message names).",
        "tflite/core/interpreter_builder.cc, InterpreterBuilder::ParseQuantization"),
    R.DYNAMIC_TENSORS: Remedy(
        "Remove string, resource and variant tensors from the model: do string handling "
        f"(tokenizing, lookups) in the app, and for stateful layers {UNROLL}.",
        "opcompat/tflite/refusals.py, dynamic_refusal; the delegates' static-size check"),
    R.PARTITION_DROPPED: Remedy(
        "Too many partitions: make the ops that split the graph delegable (see their reasons), "
        "or raise the delegate's partition cap (an option the app sets; each target's remedy "
        "names it).", "the target's partition cap (opcompat/targets/<name>/remedies.py)"),
    R.DELEGATION_REFUSED: Remedy(
        "The whole model is refused: fix the refusal shown for the model first.",
        "the model's refusal (opcompat/reasons.py)"),
    R.SUBGRAPH_NOT_DELEGATED: Remedy(
        "The interpreter never applied the delegate to this subgraph: it skips validation "
        "subgraphs (`VALIDATION:` names) and stops at the first subgraph whose delegation "
        "fails; fix that earlier subgraph's refusal, and keep ops meant for the delegate "
        "out of validation subgraphs.",
        "tflite/core/interpreter.cc, Interpreter::ModifyGraphWithDelegateImpl"),
}
"""The remedies of opcompat's target-neutral codes."""

UNKNOWN = Remedy("No remedy is known for this code.", "opcompat/remedies.py")


def _target_modules() -> tuple[ModuleType, ...]:
    from opcompat.targets import target_modules

    return target_modules("remedies")


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[tuple[Row, ...], dict[str, Remedy], dict[str, Remedy]]:
    """(specific rows in order, generic remedies by code, partition remedy by target)."""
    modules = _target_modules()
    codes = "|".join(re.escape(m.OP_VERSION_CODE) for m in modules
                     if getattr(m, "OP_VERSION_CODE", None))
    shared = tuple(r._replace(code=r.code.replace(VERSION_CODES, codes)) for r in _SHARED_ROWS)
    rows: list[Row] = []
    generic = dict(_GENERIC)
    partition: dict[str, Remedy] = {}
    for m in modules:
        rows.extend(getattr(m, "VERSION_ROWS", ()))
    rows.extend(shared)
    for m in modules:
        rows.extend(getattr(m, "ROWS", ()))
        generic.update(getattr(m, "GENERIC", {}))
        name = m.__name__.split(".")[-2]
        if getattr(m, "PARTITION_DROPPED", None) is not None:
            partition[name] = m.PARTITION_DROPPED
    return tuple(rows), generic, partition


def _matches(row: Row, code: str, op: str, message: str) -> bool:
    if not re.fullmatch(row.code, code):
        return False
    if row.op is not None and not re.fullmatch(row.op, op):
        return False
    return row.pattern is None or re.search(row.pattern, message, re.IGNORECASE) is not None


def remedy_for(code: str, op: str, message: str, target: str = "nnapi") -> Remedy:
    """The remedy of one reason: the first matching specific row, else the code's generic
    remedy (`UNKNOWN` for a code without one). `target` picks its own variant of a remedy
    where the code is shared (the partition cap)."""
    for row in _tables()[0]:
        if _matches(row, code, op, message):
            return Remedy(row.text, row.source)
    return generic_remedy(code, target)


def generic_remedy(code: str, target: str = "") -> Remedy:
    """The fallback remedy of `code` (for `target`'s delegate where that matters; `""`: the
    target-neutral text), `UNKNOWN` for a code without one."""
    _, generic, partition = _tables()
    if code == R.PARTITION_DROPPED and target in partition:
        return partition[target]
    return generic.get(code, UNKNOWN)


def specific_count() -> int:
    """How many specific (op- or message-dependent) remedies the table has."""
    return len(_tables()[0])


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def remedy_table_markdown() -> str:
    """The specific remedies as a Markdown table, in the order they are tried."""
    lines = ["| code | op | message matches | remedy | source |", "|---|---|---|---|---|"]
    for row in _tables()[0]:
        op = f"`{_cell(row.op)}`" if row.op else "any"
        pattern = f"`{_cell(row.pattern)}`" if row.pattern else "any"
        lines.append(f"| `{_cell(row.code)}` | {op} | {pattern} | {_cell(row.text)} | "
                     f"{_cell(row.source)} |")
    return "\n".join(lines) + "\n"
