"""`opcompat.plain_words`: delegate messages with raw constants, said in plain words."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from opcompat.plain_words import plain_words
from opcompat.targets.nnapi.levels import (
    ANDROID_VERSION,
    API_LEVELS,
    FEATURE_LEVEL_CODE,
    first_api_level,
)
from opcompat.targets.nnapi.plain_words import OPERAND_TYPE_WORDS

CASES = [
    # ExpectMinAndroidSdkVersion: an updatable-module feature level, and a raw API level.
    ("Android sdk version less than 1000006",
     "needs NNAPI feature level 6 (by default from Android 13, API 33)"),
    ("Android sdk version less than 1000007",
     "needs NNAPI feature level 7 (by default from Android 13, API 33)"),
    ("Android sdk version less than 1000008",
     "needs NNAPI feature level 8 (by default from Android 13, API 33)"),
    ("Android sdk version less than 28", "needs Android 9 (API 28)"),
    ("Android sdk version less than 29", "needs Android 10 (API 29)"),
    ("Android sdk version less than 30", "needs Android 11 (API 30)"),
    ("Android sdk version less than 31", "needs Android 12 (API 31)"),
    # EXPECT_INPUT_TYPE_IN: one type, two, several.
    ("Input type not in expected list kTfLiteUInt8", "the input must be uint8"),
    ("Input type not in expected list kTfLiteUInt8, kTfLiteInt8",
     "the input must be uint8 or int8"),
    ("Input type not in expected list kTfLiteFloat16, kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8",
     "the input must be float16, float32, uint8 or int8"),
    ("Input type not in expected list kTfLiteFloat32, kTfLiteInt32, kTfLiteInt64",
     "the input must be float32, int32 or int64"),
    ("Output type should be one of kTfLiteFloat32, kTfLiteUInt8, kTfLiteInt8.",
     "the output must be float32, uint8 or int8"),
    ("Output type should be one of kTfLiteFloat32, kTfLiteInt32, kTfLiteUInt8, kTfLiteInt8.",
     "the output must be float32, int32, uint8 or int8"),
    ("Output should be kTfLiteUInt8.", "the output must be uint8"),
    ("Positions type should be one of kTfLiteInt32", "the positions input must be int32"),
    ("Unsupported output of type kTfLiteInt16", "int16 output is not supported"),
    # A prefix opcompat adds stays; the rest is rendered.
    ("with fp16 weights remapped: Input type not in expected list kTfLiteFloat32",
     "with fp16 weights remapped: the input must be float32"),
    # GPU delegate (TfLiteTypeGetName spellings).
    ("Not supported Cast case. Input type: INT16 and output type: FLOAT32",
     "casting int16 to float32 is not supported"),
    ("Not supported Cast case. Input type: UINT8 and output type: FLOAT32",
     "casting uint8 to float32 is not supported"),
    ("SUM supports int32 tensor for axes. But node has INT64",
     "SUM needs int32 axes, but they are int64"),
    ("Expected int8, int4, int2, or float32, but got INT16 for input #1.",
     "input #1 must be int8, int4, int2 or float32, but it is int16"),
    # NNAPI HAL versions, API levels and codenames named in the text.
    ("Hybrid operators not supported before NNAPI 1.2.",
     "Hybrid operators not supported before NNAPI 1.2 (Android 10, API 29)."),
    ("NNAPI 1.0 has a bug for optional tensors which would affect LSTM.",
     "NNAPI 1.0 (Android 8.1, API 27) has a bug for optional tensors which would affect LSTM."),
    ("NNAPI 1.0 & 1.1 only supports float input.",
     "NNAPI 1.0 & 1.1 (Android 8.1 to 9, API 27-28) only supports float input."),
    ("NNAPI 1.0-1 only supported concatenating quantized tensor of the same scale and offset.",
     "NNAPI 1.0-1 (Android 8.1 to 9, API 27-28) only supported concatenating quantized tensor of "
     "the same scale and offset."),
    ("When using NN API version 1.0 or 1.1, input_scale * filter_scale < output_scale.",
     "When using NN API version 1.0 or 1.1 (Android 8.1 to 9, API 27-28), input_scale * "
     "filter_scale < output_scale."),
    ("Require width == height due to driver differences in NNAPI < 1.2",
     "Require width == height due to driver differences in NNAPI < 1.2 (before Android 10, "
     "API 29)"),
    ("Before API level 29 only 2D and 4D input tensors were supported.",
     "Before API level 29 (Android 10) only 2D and 4D input tensors were supported."),
    ("NNAPI does not support sparse projection correctly pre-Q",
     "NNAPI does not support sparse projection correctly pre-Q (before Android 10, API 29)"),
    # NNAPI operand codes, prefixed or (TENSOR_ names) bare, as the spec checks print them.
    ("the type is ANEURALNETWORKS_TENSOR_QUANT8_ASYMM",
     "the type is 8-bit asymmetric quantized tensor"),
    ("input 1 (INT8) becomes an NNAPI TENSOR_QUANT8_SYMM_PER_CHANNEL operand, which "
     "ANEURALNETWORKS_FULLY_CONNECTED does not accept at feature level 3 (allowed: "
     "TENSOR_FLOAT32, TENSOR_QUANT8_ASYMM_SIGNED)",
     "input 1 (INT8) becomes an NNAPI 8-bit symmetric per-channel quantized tensor operand, which "
     "ANEURALNETWORKS_FULLY_CONNECTED does not accept at feature level 3 (allowed: "
     "32-bit float tensor, signed 8-bit asymmetric quantized tensor)"),
]


@pytest.mark.parametrize("message,expected", CASES)
def test_case(message: str, expected: str) -> None:
    assert plain_words(message) == expected


@pytest.mark.parametrize("message", [
    "Unsupported operation type.",
    "OP Version higher than 5",
    "Input should be Float or Quant8",
    "NNAPI only support float sub.",
    "with fp16 weights remapped: NNAPI only support float sub.",
    "Max version supported: 9. Requested version 12.",
    "input 0 (INT16) has rank 5",  # TFLite type names in parentheses are not NNAPI codes
    "Android sdk version less than 26",  # no such level: nothing exact to say
    "",
])
def test_no_constant_gives_none(message: str) -> None:
    assert plain_words(message) is None


def test_every_level_number_has_words() -> None:
    for fl, code in FEATURE_LEVEL_CODE.items():
        text = plain_words(f"Android sdk version less than {code}")
        assert text is not None and text.startswith("needs ")
        api = first_api_level(fl)
        assert api is not None and f"API {api}" in text
    for api in API_LEVELS:
        assert plain_words(f"Android sdk version less than {api}") == (
            f"needs Android {ANDROID_VERSION[api]} (API {api})"
        )


def test_every_operand_code_has_words() -> None:
    for name, words in OPERAND_TYPE_WORDS.items():
        assert plain_words(f"type ANEURALNETWORKS_{name}.") == f"type {words}."


# A few corpus models whose reports hold every level and kTfLite message kind the corpus has.
CORPUS_MODELS = (
    "gen-vit_tiny__int16x8.tflite",
    "gh-tflm__audio_preprocessor_float.tflite",
    "gen-lstm_unrolled__int16x8.tflite",
    "gh-litert__gather_string.tflite",
    "zoo-tile__bool_fp32.tflite",
    "zoo-fill__bool_fp32.tflite",
    "zoo-mirror_pad__fp32.tflite",
)
_RAW = re.compile(r"kTfLite|\b100000\d\b")


def test_corpus_messages_get_plain_words(corpus: list[Path]) -> None:
    from opcompat.analysis import check

    names = {p.name: p for p in corpus}
    models = [names[n] for n in CORPUS_MODELS if n in names]
    if not models:
        pytest.skip("none of the chosen corpus models is present")
    seen = 0
    for path in models:
        for api in (27, 29, 30, 33):
            for op in check(str(path), api_level=api).operators:
                for reason in op.reasons:
                    if "sdk version" not in reason.message and "kTfLite" not in reason.message:
                        continue
                    text = plain_words(reason.message)
                    assert text is not None, reason.message
                    assert not _RAW.search(text), text
                    seen += 1
    assert seen > 0
