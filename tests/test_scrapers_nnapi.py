"""NNAPI header parser on hand-written excerpts in each upstream format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scrapers import nnapi_header as nh
from scrapers.cenum import comment_lines, read_enums

SOURCES = Path(__file__).parent / "fixtures" / "scrapers" / "sources" / "aosp"
HEADERS = {
    "8.1": "nn/runtime/include/NeuralNetworks.h",
    "9": "nn/runtime/include/NeuralNetworks.h",
    "10": "nn/runtime/include/NeuralNetworks.h",
    "11": "nn/runtime/include/NeuralNetworks.h",
    "12": "runtime/include/NeuralNetworksTypes.h",
    "13": "runtime/include/NeuralNetworksTypes.h",
}


def table(release: str) -> dict[str, Any]:
    return nh.parse((SOURCES / release / HEADERS[release]).read_text(encoding="utf-8"), release)


def op(release: str, name: str) -> dict[str, Any]:
    ops = {o["name"]: o for o in table(release)["operations"]}
    return ops["ANEURALNETWORKS_" + name]


def types(entry: dict[str, Any], role: str) -> dict[str, int]:
    return {
        t["type"].removeprefix("ANEURALNETWORKS_"): t["since_feature_level"]
        for t in entry["operand_types"][role]
    }


# ---- generic enum reader ------------------------------------------------------------------------


def test_comment_lines_keep_inner_indentation_and_8_1_first_line() -> None:
    raw = [
        "    /** First line on the opening line.",
        "     *",
        "     * * 0: item",
        "     *      continued",
        "     */",
    ]
    assert comment_lines(raw) == (
        "First line on the opening line.",
        "",
        "* 0: item",
        "     continued",
    )


def test_enum_values_decimal_seven_digit_hex_and_trailing_remark() -> None:
    text = (SOURCES / "13" / HEADERS["13"]).read_text(encoding="utf-8")
    blocks = read_enums(text)
    levels = {e.name: e.value for e in blocks["FeatureLevelCode"].enumerators}
    assert levels["ANEURALNETWORKS_FEATURE_LEVEL_6"] == 1_000_006
    assert levels["ANEURALNETWORKS_FEATURE_LEVEL_8"] == 1_000_008
    assert blocks["FixtureHexCode"].enumerators[0].value == 0x7FFFFFFF
    assert blocks["OperationCode"].enumerators[-1].name == "ANEURALNETWORKS_REVERSE"


def test_feature_level_enum_in_table() -> None:
    fls = table("13")["feature_levels"]
    assert [f["feature_level"] for f in fls] == list(range(1, 9))
    assert fls[5]["value"] == 1_000_006
    assert [f["feature_level"] for f in table("12")["feature_levels"]] == [1, 2, 3, 4, 5]
    assert table("11")["feature_levels"] == []


# ---- levels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("API level 27", 1),
        ("API level 29.", 3),
        ("API level 31", 5),
        ("NNAPI feature level 1", 1),
        ("NNAPI feature level 7", 7),
    ],
)
def test_level_of(text: str, level: int) -> None:
    assert nh.level_of(text) == level


@pytest.mark.parametrize("text", ["API level 26", "API level 33", "NNAPI feature level 9", "soon"])
def test_level_of_rejects(text: str) -> None:
    with pytest.raises(nh.HeaderError):
        nh.level_of(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("up to 4", {"min": None, "max": 4}),
        ("up to 4.", {"min": None, "max": 4}),
        ("from 1", {"min": 1, "max": None}),
        ("from 1.", {"min": 1, "max": None}),
        ("at least 2 and up to 4", {"min": 2, "max": 4}),
        ("2 or 4.", {"min": 2, "max": 4, "values": [2, 4]}),
        ("3, either time-major or batch-major.", {"min": 3, "max": 3}),
        (
            '4, with "NHWC" or "NCHW" data layout.',
            {"min": 4, "max": 4, "layouts": ["NHWC", "NCHW"]},
        ),
        ('4, with "NHWC" data layout.', {"min": 4, "max": 4, "layouts": ["NHWC"]}),
    ],
)
def test_parse_rank(text: str, expected: dict[str, Any]) -> None:
    assert nh.parse_rank(text) == expected


def test_parse_rank_rejects_unknown_text() -> None:
    with pytest.raises(nh.HeaderError):
        nh.parse_rank("any")


# ---- Android 8.1: comment text on the /** line, "Supported tensor types", no levels -------------


def test_8_1_comment_style_and_release_level() -> None:
    add = op("8.1", "ADD")
    assert add["since_feature_level"] == 1 and add["since_api_level"] == 27
    assert add["level_source"] == "release"
    assert types(add, "tensor") == {"TENSOR_FLOAT32": 1, "TENSOR_QUANT8_ASYMM": 1}
    assert add["ranks"] == {"tensor": {"min": None, "max": 4}}
    assert [o["index"] for o in add["inputs"][0]["operands"]] == ["0", "1", "2"]


def test_8_1_type_t_heading_and_rank_alternatives() -> None:
    lstm = op("8.1", "LSTM")
    assert types(lstm, "tensor") == {"TENSOR_FLOAT32": 1}
    assert lstm["ranks"]["tensor"]["values"] == [2, 4]


def test_8_1_op_without_type_list_and_singular_output_heading() -> None:
    el = op("8.1", "EMBEDDING_LOOKUP")
    assert el["operand_types"] == {}
    assert len(el["outputs"]) == 1 and el["outputs"][0]["operands"][0]["index"] == "0"
    assert el["inputs"][0]["operands"][0]["mentioned_types"] == ["ANEURALNETWORKS_TENSOR_INT32"]


def test_8_1_operand_types_skip_non_enumerator_comments() -> None:
    names = [t["name"] for t in table("8.1")["operand_types"]]
    assert names == [
        "ANEURALNETWORKS_FLOAT32",
        "ANEURALNETWORKS_INT32",
        "ANEURALNETWORKS_TENSOR_FLOAT32",
        "ANEURALNETWORKS_TENSOR_INT32",
        "ANEURALNETWORKS_TENSOR_QUANT8_ASYMM",
    ]
    assert {t["since_feature_level"] for t in table("8.1")["operand_types"]} == {1}


# ---- Android 9: the API guard gives the level ---------------------------------------------------


def test_9_guarded_ops_are_level_2() -> None:
    assert op("9", "ADD")["since_feature_level"] == 1
    pad = op("9", "PAD")
    assert (pad["since_feature_level"], pad["since_api_level"], pad["level_source"]) == (
        2,
        28,
        "api_guard",
    )
    assert types(pad, "tensor") == {"TENSOR_FLOAT32": 2}


# ---- Android 10: "API level N" wording ----------------------------------------------------------


def test_10_wrapped_full_support_qualifier() -> None:
    concat = op("10", "CONCATENATION")
    entries = {t["type"]: t for t in concat["operand_types"]["tensor"]}
    q8 = entries["ANEURALNETWORKS_TENSOR_QUANT8_ASYMM"]
    assert q8["since_feature_level"] == 1 and q8["full_support_since_feature_level"] == 3
    assert entries["ANEURALNETWORKS_TENSOR_FLOAT16"]["since_feature_level"] == 3


def test_10_configuration_lists_with_level_block() -> None:
    conv = op("10", "CONV_2D")
    assert types(conv, "input") == {
        "TENSOR_FLOAT32": 1,
        "TENSOR_QUANT8_ASYMM": 1,
        "TENSOR_FLOAT16": 3,
    }
    assert types(conv, "filter") == {
        "TENSOR_FLOAT32": 1,
        "TENSOR_QUANT8_ASYMM": 1,
        "TENSOR_FLOAT16": 3,
        "TENSOR_QUANT8_SYMM_PER_CHANNEL": 3,
    }
    assert types(conv, "bias") == {"TENSOR_FLOAT32": 1, "TENSOR_INT32": 1, "TENSOR_FLOAT16": 3}
    groups = [(c["group"], c["since_feature_level"]) for c in conv["configurations"]]
    assert groups == [
        ("32 bit floating point", 1),
        ("Quantized", 1),
        ("16 bit floating point", 3),
        ("Quantized with per channel filter", 3),
    ]
    assert conv["ranks"]["tensor"]["layouts"] == ["NHWC", "NCHW"]


def test_10_signature_variants_and_nested_operand_level() -> None:
    conv = op("10", "CONV_2D")
    assert [s["variant"] for s in conv["inputs"]] == ["explicit padding", "implicit padding"]
    layout = conv["inputs"][0]["operands"][4]
    assert layout["optional"] is True and layout["since_feature_level"] == 3
    assert conv["since_feature_level"] == 1
    resize = op("10", "RESIZE_NEAREST_NEIGHBOR")
    assert [(s["variant"], s["since_feature_level"]) for s in resize["inputs"]] == [
        ("resizing by shape", 3),
        ("resizing by scale", 3),
    ]
    concat = op("10", "CONCATENATION")
    assert [o["index"] for o in concat["inputs"][0]["operands"]] == ["0 ~ n-1", "n"]


def test_10_op_without_available_since_line_uses_section_marker() -> None:
    lstm = op("10", "QUANTIZED_16BIT_LSTM")
    assert (lstm["since_feature_level"], lstm["level_source"]) == (3, "section_marker")
    assert lstm["operand_types"] == {}


def test_10_operand_types_levels() -> None:
    levels = {
        t["name"].removeprefix("ANEURALNETWORKS_"): t["since_feature_level"]
        for t in table("10")["operand_types"]
    }
    assert levels == {
        "FLOAT32": 1,
        "INT32": 1,
        "TENSOR_FLOAT32": 1,
        "TENSOR_INT32": 1,
        "TENSOR_QUANT8_ASYMM": 1,
        "BOOL": 3,
        "TENSOR_FLOAT16": 3,
        "TENSOR_QUANT8_SYMM_PER_CHANNEL": 3,
    }
    scalars = {t["name"] for t in table("10")["operand_types"] if t["scalar"]}
    assert scalars == {"ANEURALNETWORKS_FLOAT32", "ANEURALNETWORKS_INT32", "ANEURALNETWORKS_BOOL"}


# ---- Android 11 ---------------------------------------------------------------------------------


def test_11_since_sentence_opens_a_conditional_sub_list() -> None:
    cast = op("11", "CAST")
    entries = {
        t["type"].removeprefix("ANEURALNETWORKS_"): t for t in cast["operand_types"]["tensor"]
    }
    assert entries["TENSOR_INT32"] == {
        "type": "ANEURALNETWORKS_TENSOR_INT32",
        "since_feature_level": 3,
    }
    assert entries["TENSOR_BOOL8"] == {
        "type": "ANEURALNETWORKS_TENSOR_BOOL8",
        "since_feature_level": 4,
        "conditional": True,
    }


def test_11_output_only_list_and_role_rank() -> None:
    fill = op("11", "FILL")
    assert set(fill["operand_types"]) == {"output"}
    assert types(fill, "output") == {"TENSOR_FLOAT32": 4, "TENSOR_INT32": 4}
    assert fill["ranks"] == {"input": {"min": 1, "max": None}}


# ---- Android 12 ---------------------------------------------------------------------------------


def test_12_behaviour_note_is_not_a_type_list() -> None:
    add = op("12", "ADD")
    assert types(add, "tensor") == {
        "TENSOR_FLOAT32": 1,
        "TENSOR_QUANT8_ASYMM": 1,
        "TENSOR_QUANT8_ASYMM_SIGNED": 4,
        "TENSOR_INT32": 4,
    }
    assert add["level_source"] == "available_since"


# ---- Android 13: feature levels 6-8 -------------------------------------------------------------


def test_13_group_level_does_not_leak_into_the_next_group() -> None:
    conv = op("13", "CONV_2D")
    groups = [(c["group"], c["since_feature_level"]) for c in conv["configurations"]]
    assert groups == [
        ("32 bit floating point", 1),
        ("Quantized signed", 4),
        ("Quantized with a per channel filter", 3),
        ("Quantized signed with a per channel filter, a heading long enough to wrap", 4),
    ]
    assert types(conv, "filter")["TENSOR_QUANT8_SYMM_PER_CHANNEL"] == 3
    assert types(conv, "bias") == {"TENSOR_FLOAT32": 1, "TENSOR_INT32": 3}
    assert types(conv, "input") == {
        "TENSOR_FLOAT32": 1,
        "TENSOR_QUANT8_ASYMM_SIGNED": 4,
        "TENSOR_QUANT8_ASYMM": 3,
    }


def test_13_role_specific_lists_and_stray_period() -> None:
    deq = op("13", "DEQUANTIZE")
    assert types(deq, "input") == {"TENSOR_QUANT8_ASYMM": 1, "TENSOR_QUANT8_SYMM": 3}
    assert types(deq, "output") == {"TENSOR_FLOAT16": 3, "TENSOR_FLOAT32": 1}
    el = op("13", "EMBEDDING_LOOKUP")
    assert types(el, "value") == {"TENSOR_FLOAT32": 1, "TENSOR_INT32": 3}
    assert el["ranks"] == {"value": {"min": 2, "max": None}}


def test_13_stale_level_line_inside_an_input_is_not_the_op_level() -> None:
    b2s = op("13", "BATCH_TO_SPACE_ND")
    assert b2s["since_feature_level"] == 2 and b2s["since_api_level"] == 28
    layout = b2s["inputs"][0]["operands"][2]
    assert layout["since_feature_level"] == 3 and layout["optional"] is True
    assert layout["mentioned_types"] == ["ANEURALNETWORKS_BOOL"]


def test_13_misplaced_full_support_qualifier_goes_to_the_earlier_bullet() -> None:
    pad = op("13", "PAD")
    entries = {
        t["type"].removeprefix("ANEURALNETWORKS_"): t for t in pad["operand_types"]["tensor"]
    }
    assert entries["TENSOR_QUANT8_ASYMM"]["full_support_since_feature_level"] == 3
    assert "full_support_since_feature_level" not in entries["TENSOR_QUANT8_ASYMM_SIGNED"]
    assert entries["TENSOR_QUANT8_ASYMM_SIGNED"]["since_feature_level"] == 4


def test_13_late_type_and_open_rank() -> None:
    rsqrt = op("13", "RSQRT")
    assert types(rsqrt, "tensor") == {"TENSOR_FLOAT32": 3, "TENSOR_QUANT8_ASYMM": 7}
    assert rsqrt["ranks"]["tensor"] == {"min": 1, "max": None}


def test_13_feature_levels_without_api_level() -> None:
    bmm = op("13", "BATCH_MATMUL")
    assert (bmm["since_feature_level"], bmm["since_api_level"]) == (6, None)
    assert bmm["ranks"]["tensor"] == {"min": 2, "max": 4}
    pack = op("13", "PACK")
    assert [o["index"] for o in pack["inputs"][0]["operands"]] == ["0", "1 ~ N"]
    rev = op("13", "REVERSE")
    assert (rev["since_feature_level"], rev["since_api_level"], rev["code"]) == (7, None, 105)
    assert op("13", "QUANTIZED_16BIT_LSTM")["level_source"] == "section_marker"


def test_optional_operand_wordings() -> None:
    rev = op("13", "REVERSE")
    assert [x["optional"] for x in rev["inputs"][0]["operands"]] == [False, True]
    assert [x["optional"] for x in rev["outputs"][0]["operands"]] == [False, True]
    assert [x["optional"] for x in op("13", "BATCH_MATMUL")["inputs"][0]["operands"]] == [
        False,
        False,
        True,
    ]


def test_operations_sorted_by_code() -> None:
    for release in HEADERS:
        codes = [o["code"] for o in table(release)["operations"]]
        assert codes == sorted(codes)


# ---- refusals -----------------------------------------------------------------------------------


def test_missing_operation_enum_is_refused() -> None:
    with pytest.raises(nh.HeaderError, match="OperationCode"):
        nh.parse("typedef enum {\n    ANEURALNETWORKS_FLOAT32 = 0,\n} OperandCode;\n", "13")


def test_unknown_release_is_refused() -> None:
    with pytest.raises(nh.HeaderError, match="release"):
        nh.parse("", "7")


def test_op_without_any_level_is_refused() -> None:
    text = (
        "typedef enum {\n    ANEURALNETWORKS_FLOAT32 = 0,\n} OperandCode;\n"
        "typedef enum {\n    /**\n     * No level here.\n     */\n"
        "    ANEURALNETWORKS_ADD = 0,\n} OperationCode;\n"
    )
    with pytest.raises(nh.HeaderError, match="ANEURALNETWORKS_ADD"):
        nh.parse(text, "13")


def test_unrecognised_type_bullet_is_refused() -> None:
    text = (
        "typedef enum {\n    ANEURALNETWORKS_FLOAT32 = 0,\n} OperandCode;\n"
        "typedef enum {\n    /**\n     * Op.\n     *\n"
        "     * Supported tensor {@link OperandCode}:\n"
        "     * * something else\n     *\n     * Available since NNAPI feature level 1.\n     */\n"
        "    ANEURALNETWORKS_ADD = 0,\n} OperationCode;\n"
    )
    with pytest.raises(nh.HeaderError, match="type-list line"):
        nh.parse(text, "13")
