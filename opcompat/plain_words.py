"""Plain-words renderings of delegate messages that carry raw constants.

The delegates' messages quote level numbers ("Android sdk version less than 1000007"), TfLiteType
enumerators ("kTfLiteUInt8"), TfLiteTypeGetName names ("INT16"), NNAPI operand codes
("TENSOR_QUANT8_ASYMM") and NNAPI HAL versions ("NNAPI 1.2"). `plain_words` says the same thing
in words; level facts come from `opcompat.targets.nnapi.levels`.
"""
from __future__ import annotations

import re
from collections.abc import Callable

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

# Prefixes opcompat puts before a delegate message; the rest is rendered on its own.
_PREFIXES = ("with fp16 weights remapped: ",)

# The API level of each NNAPI HAL version the delegate names (kMinSdkVersionForNNAPI1x).
_NNAPI_VERSION_API = {"0": SDK_NNAPI10, "1": SDK_NNAPI11, "2": SDK_NNAPI12, "3": SDK_NNAPI13}

_TFLITE_TYPE = (
    r"kTfLite(?:NoType|Float16|Float32|Float64|BFloat16|Int2|Int4|Int8|Int16|Int32|Int64|UInt8"
    r"|UInt16|UInt32|UInt64|Complex64|Complex128|Bool|String|Resource|Variant)\b"
)
_TFLITE_TYPES = rf"{_TFLITE_TYPE}(?:, {_TFLITE_TYPE})*"

# TfLiteTypeGetName spellings (tensorflow/lite/core/c/common.cc), as the GPU delegate prints them.
_TYPE_GET_NAME = (
    r"NOTYPE|FLOAT16|FLOAT32|FLOAT64|BFLOAT16|INT2|INT4|INT8|INT16|INT32|INT64|UINT8|UINT16"
    r"|UINT32|UINT64|COMPLEX64|COMPLEX128|BOOL|STRING|RESOURCE|VARIANT|Unknown type"
)

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


def type_word(name: str) -> str:
    """`kTfLiteFloat32` or `FLOAT32` (TfLiteTypeGetName) -> `float32`."""
    word = name.removeprefix("kTfLite").lower()
    return {"notype": "no type", "unknown type": "an unknown type"}.get(word, word)


def _word_list(names: str) -> str:
    """`kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8` -> `float32, uint8 or int8`."""
    words = [type_word(n.strip()) for n in names.split(",")]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} or {words[-1]}"


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


def _cast(m: re.Match[str]) -> str:
    """The GPU delegate's `Not supported Cast case` message."""
    return f"casting {type_word(m['src'])} to {type_word(m['dst'])} is not supported"


# Whole-message templates: (pattern, renderer). Sources: predicates.py (ExpectMinAndroidSdkVersion,
# EXPECT_INPUT_TYPE_IN), rules/ops/*.py, targets/gpu/compatibility.py.
_TEMPLATES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]], ...] = (
    (re.compile(r"Android sdk version less than (?P<level>\d+)"), _sdk_version),
    (re.compile(rf"Input type not in expected list (?P<t>{_TFLITE_TYPES})"),
     lambda m: f"the input must be {_word_list(m['t'])}"),
    (re.compile(rf"Output type should be one of (?P<t>{_TFLITE_TYPES})\.?"),
     lambda m: f"the output must be {_word_list(m['t'])}"),
    (re.compile(rf"Output should be (?P<t>{_TFLITE_TYPE})\.?"),
     lambda m: f"the output must be {_word_list(m['t'])}"),
    (re.compile(rf"Positions type should be one of (?P<t>{_TFLITE_TYPES})"),
     lambda m: f"the positions input must be {_word_list(m['t'])}"),
    (re.compile(rf"Unsupported output of type (?P<t>{_TFLITE_TYPE})"),
     lambda m: f"{type_word(m['t'])} output is not supported"),
    (re.compile(rf"Not supported Cast case\. Input type: (?P<src>{_TYPE_GET_NAME}) and output "
                rf"type: (?P<dst>{_TYPE_GET_NAME})"), _cast),
    (re.compile(rf"(?P<op>\S+) supports int32 tensor for axes\. But node has "
                rf"(?P<t>{_TYPE_GET_NAME})"),
     lambda m: f"{m['op']} needs int32 axes, but they are {type_word(m['t'])}"),
    (re.compile(rf"Expected (?P<ok>int8, int4, int2, or float32), but got (?P<t>{_TYPE_GET_NAME}) "
                r"for input #(?P<i>\d+)\."),
     lambda m: f"input #{m['i']} must be int8, int4, int2 or float32, but it is "
               f"{type_word(m['t'])}"),
)


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


def _inline(message: str) -> str:
    """Explain constants in place: operand codes, NNAPI versions, API levels, `pre-Q`."""
    text = _OPERAND_TYPE.sub(lambda m: OPERAND_TYPE_WORDS[m[1] or m[2]], message)
    text = re.sub(_TFLITE_TYPE, lambda m: type_word(m[0]), text)
    text = _NNAPI_VERSION.sub(_nnapi_version, text)
    text = _PRE_CODENAME.sub(_pre_codename, text)
    return _API_LEVEL.sub(_api_level, text)


def plain_words(message: str) -> str | None:
    """A plain-words rendering of a delegate message, or None when it has no raw constant to
    explain."""
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            rest = plain_words(message[len(prefix):])
            return None if rest is None else prefix + rest
    text = message.strip()
    for pattern, render in _TEMPLATES:
        m = pattern.fullmatch(text)
        if m:
            return render(m)
    inline = _inline(message)
    return None if inline == message else inline
