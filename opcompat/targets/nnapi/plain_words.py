"""NNAPI's constants in plain words (registered by `opcompat.plain_words`): the delegate's level
numbers ("Android sdk version less than 1000007"), NNAPI operand codes ("TENSOR_QUANT8_ASYMM"),
HAL versions ("NNAPI 1.2"), `pre-Q` and `API level 29`, and its TfLiteType-list messages.
Level facts come from `levels`. Sources of the templates: rules/predicates.py
(ExpectMinAndroidSdkVersion, EXPECT_INPUT_TYPE_IN) and rules/ops/*.py.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from opcompat.plain_words import TFLITE_TYPE, TFLITE_TYPES, Renderer, type_word, word_list
from opcompat.targets.nnapi.levels import (
    ANDROID_CODENAME,
    ANDROID_VERSION,
    FEATURE_LEVEL_CODE,
    FL5,
    SDK_NNAPI10,
    SDK_NNAPI11,
    SDK_NNAPI12,
    SDK_NNAPI13,
    first_api_level,
)

PREFIXES = ("with fp16 weights remapped: ",)
"""What the NNAPI engine puts before a delegate message; the rest is rendered on its own."""

# The API level of each NNAPI HAL version the delegate names (kMinSdkVersionForNNAPI1x).
_NNAPI_VERSION_API = {"0": SDK_NNAPI10, "1": SDK_NNAPI11, "2": SDK_NNAPI12, "3": SDK_NNAPI13}

# NNAPI OperandCode names (NeuralNetworksTypes.h), without the ANEURALNETWORKS_ prefix.
OPERAND_TYPE_WORDS: dict[str, str] = {
    "FLOAT32": "32-bit float scalar",
    "INT32": "32-bit integer scalar",
    "UINT32": "32-bit unsigned integer scalar",
    "FLOAT16": "16-bit float scalar",
    "BOOL": "boolean scalar",
    "OEM_SCALAR": "OEM-specific scalar",
    "MODEL": "model reference (control-flow subgraph)",
    "TENSOR_FLOAT32": "32-bit float tensor",
    "TENSOR_FLOAT16": "16-bit float tensor",
    "TENSOR_INT32": "32-bit integer tensor",
    "TENSOR_BOOL8": "boolean tensor",
    "TENSOR_QUANT8_ASYMM": "8-bit asymmetric quantized tensor",
    "TENSOR_QUANT8_ASYMM_SIGNED": "signed 8-bit asymmetric quantized tensor",
    "TENSOR_QUANT8_SYMM": "8-bit symmetric quantized tensor",
    "TENSOR_QUANT8_SYMM_PER_CHANNEL": "8-bit symmetric per-channel quantized tensor",
    "TENSOR_QUANT16_ASYMM": "16-bit asymmetric quantized tensor",
    "TENSOR_QUANT16_SYMM": "16-bit symmetric quantized tensor",
    "TENSOR_OEM_BYTE": "OEM-specific byte tensor",
}
# Every name with the prefix; bare, only the TENSOR_ names (bare INT32, BOOL... are TFLite's).
_OPERAND_TYPE = re.compile(
    r"\b(?:ANEURALNETWORKS_(" + "|".join(sorted(OPERAND_TYPE_WORDS, key=len, reverse=True))
    + r")|(" + "|".join(sorted((n for n in OPERAND_TYPE_WORDS if n.startswith("TENSOR_")),
                               key=len, reverse=True)) + r"))\b"
)

# "NNAPI 1.2", "NNAPI < 1.2", "NNAPI 1.0 & 1.1", "NNAPI 1.0-1", "NN API version 1.0 or 1.1".
_NNAPI_VERSION = re.compile(
    r"\b(?:NNAPI|NN API)(?: version)? (?P<lt>< ?)?1\.(?P<a>[0-3])"
    r"(?:(?: ?(?:&|or|-) ?)(?:1\.)?(?P<b>[0-3]))?(?![\d.]*\d)"
)
_API_LEVEL = re.compile(r"\bAPI level (?P<api>\d+)\b(?! \()")
_PRE_CODENAME = re.compile(r"\bpre-(?P<letter>[A-Z])\b")


def android(api: int, inner: bool = False) -> str:
    """`Android 11 (API 30)` for API level 30; `Android 11, API 30` with `inner` (for use
    inside parentheses); `API n` for a level of unknown release."""
    version = ANDROID_VERSION.get(api)
    if version is None:
        return f"API {api}"
    return f"Android {version}, API {api}" if inner else f"Android {version} (API {api})"


def level_words(code: int) -> str | None:
    """What a delegate level number (27..35 or 1000006..1000008) requires, in words."""
    if code > FL5:
        for fl, c in FEATURE_LEVEL_CODE.items():
            if c == code:
                api = first_api_level(fl)
                # FL6-FL8 are the updatable module's, not a platform release's: say from which
                # level devices run it by default (levels.DEFAULT_FEATURE_LEVEL).
                ships = (f"by default from {android(api, inner=True)}" if api
                         else "no API level runs it by default")
                return f"NNAPI feature level {fl} ({ships})"
    if code in ANDROID_VERSION:
        return android(code)
    return None


def _sdk_version(m: re.Match[str]) -> str | None:
    """`Android sdk version less than 30` -> `needs Android 11 (API 30)`."""
    words = level_words(int(m["level"]))
    return f"needs {words}" if words else None


def _nnapi_version(m: re.Match[str]) -> str:
    """`NNAPI 1.2` -> `NNAPI 1.2 (Android 10, API 29)`, and the ranges and `<` forms."""
    a = _NNAPI_VERSION_API[m["a"]]
    if m["lt"]:
        return f"{m[0]} (before {android(a, inner=True)})"
    if m["b"] is None:
        return f"{m[0]} ({android(a, inner=True)})"
    b = _NNAPI_VERSION_API[m["b"]]
    return f"{m[0]} (Android {ANDROID_VERSION[a]} to {ANDROID_VERSION[b]}, API {a}-{b})"


def _pre_codename(m: re.Match[str]) -> str:
    """`pre-Q` -> `pre-Q (before Android 10, API 29)`."""
    for api, letter in ANDROID_CODENAME.items():
        if letter == m["letter"]:
            return f"{m[0]} (before {android(api, inner=True)})"
    return m[0]


def _api_level(m: re.Match[str]) -> str:
    """`API level 29` -> `API level 29 (Android 10)`."""
    version = ANDROID_VERSION.get(int(m["api"]))
    return f"{m[0]} (Android {version})" if version else m[0]



TEMPLATES: tuple[tuple[re.Pattern[str], Renderer], ...] = (
    (re.compile(r"Android sdk version less than (?P<level>\d+)"), _sdk_version),
    (re.compile(rf"Input type not in expected list (?P<t>{TFLITE_TYPES})"),
     lambda m: f"the input must be {word_list(m['t'])}"),
    (re.compile(rf"Output type should be one of (?P<t>{TFLITE_TYPES})\.?"),
     lambda m: f"the output must be {word_list(m['t'])}"),
    (re.compile(rf"Output should be (?P<t>{TFLITE_TYPE})\.?"),
     lambda m: f"the output must be {word_list(m['t'])}"),
    (re.compile(rf"Positions type should be one of (?P<t>{TFLITE_TYPES})"),
     lambda m: f"the positions input must be {word_list(m['t'])}"),
    (re.compile(rf"Unsupported output of type (?P<t>{TFLITE_TYPE})"),
     lambda m: f"{type_word(m['t'])} output is not supported"),
)
"""Whole-message templates: (pattern, renderer)."""

INLINE: tuple[Callable[[str], str], ...] = (
    lambda text: _OPERAND_TYPE.sub(lambda m: OPERAND_TYPE_WORDS[m[1] or m[2]], text),
    lambda text: _NNAPI_VERSION.sub(_nnapi_version, text),
    lambda text: _PRE_CODENAME.sub(_pre_codename, text),
    lambda text: _API_LEVEL.sub(_api_level, text),
)
"""In-place substitutions: operand codes, NNAPI versions, `pre-Q`, API levels."""
