"""Plain-words renderings of delegate messages that carry raw constants.

The delegates' messages quote TfLiteType enumerators ("kTfLiteUInt8") and TfLiteTypeGetName
names ("INT16"), which this module says in words, and their own constants (NNAPI's level numbers,
operand codes and HAL versions), which each target's `plain_words` module renders: its
`TEMPLATES` (whole-message patterns), `INLINE` (in-place substitutions) and `PREFIXES` (what
opcompat puts before a delegate message). `plain_words` tries them all.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable
from types import ModuleType

Renderer = Callable[[re.Match[str]], "str | None"]
"""A whole-message template's renderer: the message in plain words, or None."""

TFLITE_TYPE = (
    r"kTfLite(?:NoType|Float16|Float32|Float64|BFloat16|Int2|Int4|Int8|Int16|Int32|Int64|UInt8"
    r"|UInt16|UInt32|UInt64|Complex64|Complex128|Bool|String|Resource|Variant)\b"
)
TFLITE_TYPES = rf"{TFLITE_TYPE}(?:, {TFLITE_TYPE})*"
"""A comma-separated list of TfLiteType enumerators."""

# TfLiteTypeGetName spellings (tensorflow/lite/core/c/common.cc), as the GPU delegate prints them.
TYPE_GET_NAME = (
    r"NOTYPE|FLOAT16|FLOAT32|FLOAT64|BFLOAT16|INT2|INT4|INT8|INT16|INT32|INT64|UINT8|UINT16"
    r"|UINT32|UINT64|COMPLEX64|COMPLEX128|BOOL|STRING|RESOURCE|VARIANT|Unknown type"
)


def type_word(name: str) -> str:
    """`kTfLiteFloat32` or `FLOAT32` (TfLiteTypeGetName) -> `float32`."""
    word = name.removeprefix("kTfLite").lower()
    return {"notype": "no type", "unknown type": "an unknown type"}.get(word, word)


def word_list(names: str) -> str:
    """`kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8` -> `float32, uint8 or int8`."""
    words = [type_word(n.strip()) for n in names.split(",")]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} or {words[-1]}"


@functools.cache
def _target_modules() -> tuple[ModuleType, ...]:
    """The `plain_words` module of every target that has one."""
    from opcompat.targets import target_modules

    return target_modules("plain_words")


def _inline(message: str) -> str:
    """Explain constants in place: each target's, then TfLiteType enumerators."""
    text = message
    for module in _target_modules():
        for substitute in module.INLINE:
            text = substitute(text)
    return re.sub(TFLITE_TYPE, lambda m: type_word(m[0]), text)


def plain_words(message: str) -> str | None:
    """A plain-words rendering of a delegate message, or None when it has no raw constant to
    explain."""
    modules = _target_modules()
    for prefix in (p for m in modules for p in m.PREFIXES):
        if message.startswith(prefix):
            rest = plain_words(message[len(prefix):])
            return None if rest is None else prefix + rest
    text = message.strip()
    for pattern, render in (t for m in modules for t in m.TEMPLATES):
        found = pattern.fullmatch(text)
        if found:
            return render(found)
    inline = _inline(message)
    return None if inline == message else inline
