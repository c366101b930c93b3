"""The delegate_mapping scraper: units on written excerpts, a golden file, the real source."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from opcompat.errors import ScrapeError
from scrapers import delegate_mapping as dm

REPO = Path(__file__).resolve().parent.parent
# Hand-written excerpts in the upstream layout, shared with the `tables update` fixture tree.
LITERT_FIXTURES = REPO / "tests" / "fixtures" / "scrapers" / "sources" / "litert" / "tflite"
DELEGATE_FIXTURE = LITERT_FIXTURES / "delegates" / "nnapi" / "nnapi_delegate.cc"
GOLDEN = REPO / "tests" / "fixtures" / "delegate_mapping" / "golden.json"
TABLE = REPO / "op_tables" / "delegate_mapping.json"
SCHEMA = REPO / "op_tables" / "schema" / "delegate_mapping.schema.json"
# The pinned sources, laid out as `opcompat tables update --source-dir` reads them.
UPSTREAM = Path(os.environ.get("OPCOMPAT_SOURCES", "$OPCOMPAT_SOURCES (unset)")) / "litert"
UPSTREAM_SOURCE = UPSTREAM / dm.SOURCE_PATH


def _fixture_texts() -> tuple[str, dict[str, str]]:
    companions = {
        "kernel_h": (DELEGATE_FIXTURE.parent / "nnapi_delegate_kernel.h").read_text(
            encoding="utf-8"
        ),
        "builtin_ops_h": (LITERT_FIXTURES / "builtin_ops.h").read_text(encoding="utf-8"),
        "schema_fbs": (LITERT_FIXTURES / "converter" / "schema" / "schema.fbs").read_text(
            encoding="utf-8"
        ),
    }
    return DELEGATE_FIXTURE.read_text(encoding="utf-8"), companions


@pytest.fixture(scope="module")
def fixture_table() -> dict[str, Any]:
    text, companions = _fixture_texts()
    return dm.parse(text, **companions)


def _by_name(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in table["builtins"]}


@pytest.fixture(scope="module")
def real_table() -> dict[str, Any]:
    if not UPSTREAM_SOURCE.is_file():
        pytest.skip(f"upstream source not found at {UPSTREAM_SOURCE}")
    text, companions = dm.read_sources(UPSTREAM_SOURCE)
    return dm.parse(text, **companions)


# ---- parser units on the written excerpt ------------------------------------------------------


def test_shared_case_body_gives_every_label_the_same_facts(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    relus = [by["RELU"], by["RELU6"], by["RELU_N1_TO_1"]]
    for entry in relus:
        assert entry["min_level"] == 28
        assert entry["max_version"] == [
            {"min_level": 27, "max_version": 2, "expect": "ExpectOpVersion"}
        ]
        assert entry["source"] == relus[0]["source"]
    assert by["RELU"]["shares_case_with"] == ["RELU6", "RELU_N1_TO_1"]
    # ... but each label keeps its own Map case.
    assert by["RELU"]["nnapi_operations"] == ["RELU"]
    assert by["RELU_N1_TO_1"]["nnapi_operations"] == ["RELU1"]
    assert by["PAD"]["nnapi_operations"] == by["PADV2"]["nnapi_operations"] == ["PAD", "PAD_V2"]


def test_if_else_version_by_level_gives_two_steps(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    # if (level >= 30) {5} else {3}
    assert by["CONV_2D"]["max_version"] == [
        {"min_level": 27, "max_version": 3, "expect": "ExpectMaxOpVersion"},
        {"min_level": 30, "max_version": 5, "expect": "ExpectMaxOpVersion"},
    ]
    assert by["CONV_2D"]["version_check"] == "steps"
    # if (level < 29) {1} else {2}: the same thing written the other way round.
    assert by["PAD"]["max_version"] == [
        {"min_level": 27, "max_version": 1, "expect": "ExpectMaxOpVersion"},
        {"min_level": 29, "max_version": 2, "expect": "ExpectMaxOpVersion"},
    ]


def test_min_level_constants_resolve_to_numbers(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    assert by["ADD"]["min_level"] == 27  # no ExpectMinAndroidSdkVersion
    assert by["RELU"]["min_level"] == 28  # kMinSdkVersionForNNAPI11
    assert by["COS"]["min_level"] == 29  # kMinSdkVersionForNNAPI12
    assert by["BATCH_MATMUL"]["min_level"] == 1000006  # kNNAPIRuntimeFeatureLevel6
    assert by["MIRROR_PAD"]["min_level"] == 1000007  # kNNAPIRuntimeFeatureLevel7
    assert by["ADD"]["min_level_expect"] is None
    assert by["MIRROR_PAD"]["min_level_expect"] == "ExpectMinAndroidSdkVersion"


def test_case_without_version_check(fixture_table: dict[str, Any]) -> None:
    entry = _by_name(fixture_table)["HARD_SWISH"]
    assert entry["max_version"] is None
    assert entry["version_check"] == "none"
    assert entry["min_level"] == 27


def test_irregular_version_checks_are_null_and_described(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    mul = by["MUL"]
    assert mul["max_version"] is None and mul["version_check"] == "irregular"
    described = [i for i in mul["irregular"] if i.startswith("op version")]
    assert described and "max 3 when is_accelerator_specified" in described[0]
    assert "max 2 when not (is_accelerator_specified)" in described[0]
    deq = by["DEQUANTIZE"]
    assert deq["max_version"] is None and deq["version_check"] == "irregular"
    assert any("accepting versions 1, 2" in i for i in deq["irregular"])
    assert any(i.startswith("returns early") for i in deq["irregular"])


def test_irregular_lists_each_condition_kind(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    add = by["ADD"]["irregular"]
    assert any(i.startswith("tensor type check") and "depend on the level" in i for i in add)
    assert "rank check" in add
    assert any(i.startswith("level-dependent condition: android_sdk_version >= 30") for i in add)
    assert by["CONV_2D"]["irregular"] == ["input count check"]
    assert by["MIRROR_PAD"]["irregular"] == ["builtin option check (mode)"]
    assert by["BATCH_MATMUL"]["irregular"] == []
    # A return inside a lambda does not leave Validate.
    assert by["COS"]["irregular"] == ["tensor type check"]


def test_nnapi_operations_include_lowerings(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    # Map's op plus the lowering helper (which calls another helper).
    assert by["HARD_SWISH"]["nnapi_operations"] == ["ADD", "HARD_SWISH", "MUL"]
    assert by["COS"]["nnapi_operations"] == ["SIN", "SUB"]
    # An op appended after Map's, selected by an output index set in a builtin branch.
    assert by["MUL"]["nnapi_operations"] == ["MUL", "RESHAPE"]
    # A helper picking builtins with a switch adds its op after the switch.
    assert by["CONV_2D"]["nnapi_operations"] == ["CONV_2D", "DEQUANTIZE", "GROUPED_CONV_2D"]
    assert by["DEQUANTIZE"]["nnapi_operations"] == ["DEQUANTIZE"]


def test_names_come_from_codes_not_case_conversion(fixture_table: dict[str, Any]) -> None:
    by = _by_name(fixture_table)
    assert by["PADV2"]["builtin_code"] == 60
    assert by["RELU_N1_TO_1"]["builtin_code"] == 20
    assert by["BATCH_MATMUL"]["builtin_code"] == 126


def test_never_accepted_is_the_rest_of_the_schema_enum(fixture_table: dict[str, Any]) -> None:
    assert fixture_table["never_accepted"] == [
        "AVERAGE_POOL_2D",
        "CAST",
        "CUSTOM",
        "EMBEDDING_LOOKUP",
        "IMAG",
        "LSTM",
        "REDUCE_WINDOW",
        "SQUARE",
        "STABLEHLO_ABS",
    ]


def test_source_lines_point_at_the_case(fixture_table: dict[str, Any]) -> None:
    lines = DELEGATE_FIXTURE.read_text(encoding="utf-8").splitlines()
    for entry in fixture_table["builtins"]:
        src = entry["source"]
        assert src["function"] == "NNAPIDelegateKernel::Validate"
        assert lines[src["line_start"] - 1].strip().startswith("case kTfLiteBuiltin")
        assert lines[src["line_end"] - 1].strip() == "} break;"


def test_golden(fixture_table: dict[str, Any]) -> None:
    assert dm.dumps(fixture_table) == GOLDEN.read_text(encoding="utf-8")


def test_parse_is_deterministic() -> None:
    text, companions = _fixture_texts()
    assert dm.dumps(dm.parse(text, **companions)) == dm.dumps(dm.parse(text, **companions))


def test_provenance_hashes_the_source(fixture_table: dict[str, Any]) -> None:
    import hashlib

    text, _ = _fixture_texts()
    prov = fixture_table["provenance"]
    assert prov["source_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert prov["repository"] == "google-ai-edge/LiteRT"
    assert prov["path"] == "tflite/delegates/nnapi/nnapi_delegate.cc"
    assert prov["revision"] == "f67457790c9c2ab67347d6fe53270e8d3df20868"


def test_mask_keeps_offsets_and_hides_literals() -> None:
    text = "a(\"{\", '}'); // }\n/* { */ b();"
    masked = dm.mask(text)
    assert len(masked) == len(text)
    assert masked.count("\n") == 1
    assert "{" not in masked and "}" not in masked


def test_shape_errors_raise_scrape_error() -> None:
    text, companions = _fixture_texts()
    with pytest.raises(ScrapeError, match="Validate"):
        dm.parse("int main() { return 0; }", **companions)
    with pytest.raises(ScrapeError, match="kNoSuchLevel"):
        dm.parse(text.replace("kNNAPIRuntimeFeatureLevel7,", "kNoSuchLevel,"), **companions)
    with pytest.raises(ScrapeError, match="builtin_ops.h"):
        dm.parse(text.replace("kTfLiteBuiltinCos:", "kTfLiteBuiltinNoSuchOp:"), **companions)
    with pytest.raises(ScrapeError, match="BuiltinOperator"):
        dm.parse(text, **{**companions, "schema_fbs": "enum Other : int { A = 1 }"})


def test_write_is_atomic_and_canonical(tmp_path: Path, fixture_table: dict[str, Any]) -> None:
    out = tmp_path / "delegate_mapping.json"
    dm.write(fixture_table, out)
    assert out.read_text(encoding="utf-8") == dm.dumps(fixture_table)
    assert out.read_text(encoding="utf-8").endswith("}\n")
    assert [p.name for p in tmp_path.iterdir()] == ["delegate_mapping.json"]
    bad = dict(fixture_table, table="something_else")
    with pytest.raises(ScrapeError, match="/table"):
        dm.write(bad, tmp_path / "bad.json")
    assert [p.name for p in tmp_path.iterdir()] == ["delegate_mapping.json"]


def test_main_entry_point(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    assert dm.main([]) == 2
    assert dm.main([str(tmp_path / "missing" / "tflite" / "x.cc"), str(out)]) == 3
    assert not out.exists()


# ---- schema ---------------------------------------------------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_committed_table_and_golden_match_the_schema() -> None:
    validator = _validator()
    for path in (TABLE, GOLDEN):
        errors = list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8"))))
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("max_version", None),  # version_check says steps
        ("min_level", 26),
        ("min_level", 1000005),
        ("version_check", "sometimes"),
        ("name", "conv_2d"),
        ("max_version", []),
    ],
)
def test_schema_rejects_bad_entries(change: str, value: Any) -> None:
    table = json.loads(GOLDEN.read_text(encoding="utf-8"))
    entry = next(e for e in table["builtins"] if e["name"] == "CONV_2D")
    entry[change] = value
    assert list(_validator().iter_errors(table))


def test_schema_rejects_steps_with_null_version_check_mismatch() -> None:
    table = json.loads(GOLDEN.read_text(encoding="utf-8"))
    entry = next(e for e in table["builtins"] if e["name"] == "HARD_SWISH")
    entry["max_version"] = [{"min_level": 27, "max_version": 1}]  # but version_check is "none"
    assert list(_validator().iter_errors(table))


# ---- the real source --------------------------------------------------------------------------


def test_real_source_reproduces_the_committed_table(real_table: dict[str, Any]) -> None:
    assert dm.dumps(real_table) == TABLE.read_text(encoding="utf-8")


def test_real_counts(real_table: dict[str, Any]) -> None:
    assert len(real_table["builtins"]) == 94
    assert len(real_table["never_accepted"]) == 116
    assert not {e["name"] for e in real_table["builtins"]} & set(real_table["never_accepted"])


def test_real_names_are_schema_builtin_operators(real_table: dict[str, Any]) -> None:
    schema = dm.schema_operators(
        (UPSTREAM / dm.COMPANION_PATHS["schema_fbs"]).read_text(encoding="utf-8")
    )
    names = set(schema.values())
    assert len(names) == 210
    assert {e["name"] for e in real_table["builtins"]} | set(real_table["never_accepted"]) == names
    for entry in real_table["builtins"]:
        assert schema[entry["builtin_code"]] == entry["name"]


def test_real_nnapi_operations_are_operation_codes(real_table: dict[str, Any]) -> None:
    header = UPSTREAM / "tflite" / "nnapi" / "NeuralNetworksTypes.h"
    if not header.is_file():
        pytest.skip(f"{header} not found")
    text = header.read_text(encoding="utf-8")
    start = text.index("Operation types.")
    block = text[start : text.index("};", start)]
    operations = {
        m.removeprefix("ANEURALNETWORKS_")
        for m in re.findall(r"\b(ANEURALNETWORKS_\w+)\s*=", block)
    }
    assert "CONV_2D" in operations
    for entry in real_table["builtins"]:
        assert set(entry["nnapi_operations"]) <= operations, entry["name"]
    assert [e["name"] for e in real_table["builtins"] if not e["nnapi_operations"]] == ["DENSIFY"]


def test_real_every_check_is_classified(real_table: dict[str, Any]) -> None:
    for entry in real_table["builtins"]:
        assert not [i for i in entry["irregular"] if i.startswith("other check")], entry["name"]


# Facts read off the source by hand (nnapi_delegate.cc at f67457790c9c), to catch regressions
# that would still reproduce themselves.
@pytest.mark.parametrize(
    ("name", "min_level", "max_version", "version_check", "operations"),
    [
        ("CONV_2D", 27, [[27, 5]], "steps", ["CONV_2D", "DEQUANTIZE", "GROUPED_CONV_2D"]),
        ("DEPTHWISE_CONV_2D", 27, [[27, 3]], "steps", ["DEPTHWISE_CONV_2D"]),
        ("MUL", 27, None, "irregular", ["MUL"]),
        ("DEQUANTIZE", 27, None, "irregular", ["DEQUANTIZE"]),
        ("HARD_SWISH", 27, None, "none", ["ADD", "HARD_SWISH", "MUL"]),
        ("DEPTH_TO_SPACE", 27, None, "none", ["DEPTH_TO_SPACE"]),
        ("DENSIFY", 27, None, "none", []),
        ("SPLIT", 29, [[27, 3]], "steps", ["SPLIT"]),
        ("SVDF", 28, [[27, 1]], "steps", ["SVDF"]),
        (
            "LSTM",
            28,
            [[27, 3]],
            "steps",
            ["DEQUANTIZE", "LSTM", "QUANTIZED_16BIT_LSTM", "QUANTIZED_LSTM"],
        ),
        ("PACK", 30, [[27, 2]], "steps", ["CONCATENATION", "PACK", "RESHAPE"]),
        ("UNPACK", 30, [[27, 2]], "steps", ["RESHAPE", "SPLIT"]),
        ("SPLIT_V", 30, [[27, 2]], "steps", ["SLICE"]),
        ("SQUARED_DIFFERENCE", 28, [[27, 2]], "steps", ["MUL", "SUB"]),
        ("COS", 29, [[27, 1]], "steps", ["SIN", "SUB"]),
        ("BATCH_MATMUL", 1000006, [[27, 2]], "steps", ["BATCH_MATMUL"]),
        ("MIRROR_PAD", 1000007, [[27, 2]], "steps", ["MIRROR_PAD"]),
        ("REVERSE_V2", 1000007, [[27, 3]], "steps", ["REVERSE"]),
        ("FULLY_CONNECTED", 27, [[27, 5]], "steps", ["DEQUANTIZE", "FULLY_CONNECTED", "RESHAPE"]),
        ("MEAN", 28, [[27, 2]], "steps", ["ADD", "MEAN"]),
        ("QUANTIZE", 29, [[27, 2]], "steps", ["DEQUANTIZE", "QUANTIZE"]),
        ("RELU_N1_TO_1", 27, [[27, 2]], "steps", ["RELU1"]),
        ("LEAKY_RELU", 29, [[27, 1]], "steps", ["PRELU"]),
        ("ELU", 30, [[27, 1]], "steps", ["ELU"]),
    ],
)
def test_real_known_facts(
    real_table: dict[str, Any],
    name: str,
    min_level: int,
    max_version: list[list[int]] | None,
    version_check: str,
    operations: list[str],
) -> None:
    entry = _by_name(real_table)[name]
    assert entry["min_level"] == min_level
    steps = (
        None
        if entry["max_version"] is None
        else [[s["min_level"], s["max_version"]] for s in entry["max_version"]]
    )
    assert steps == max_version
    assert entry["version_check"] == version_check
    assert entry["nnapi_operations"] == operations


def test_real_irregular_kinds(real_table: dict[str, Any]) -> None:
    by = _by_name(real_table)
    assert by["FLOOR"]["irregular"] == []
    assert by["SPACE_TO_BATCH_ND"]["irregular"] == []
    assert any("is_accelerator_specified" in i for i in by["AVERAGE_POOL_2D"]["irregular"])
    assert any(i.startswith("returns early") for i in by["LSTM"]["irregular"])
    assert not any(i.startswith("returns early") for i in by["FILL"]["irregular"])  # lambda only
    assert any(
        "ExpectMinAndroidSdkVersion(30) under a condition" in i
        for i in by["FULLY_CONNECTED"]["irregular"]
    )
    assert any("plain Expect" in i for i in by["SVDF"]["irregular"])
    assert by["SVDF"]["min_level_expect"] == by["LSTM"]["min_level_expect"] == "Expect"
    assert by["PACK"]["min_level_expect"] == "ExpectMinAndroidSdkVersion"
    assert by["ADD"]["min_level_expect"] is None
    assert by["CONV_2D"]["max_version"][0]["expect"] == "ExpectMaxOpVersion"
    assert by["SOFTMAX"]["max_version"][0]["expect"] == "ExpectOpVersion"
    assert any(
        i.startswith("builtin option check (keep_num_dims)")
        for i in by["FULLY_CONNECTED"]["irregular"]
    )
    assert any("the accepted types depend on the level" in i for i in by["CAST"]["irregular"])


def test_main_writes_the_committed_table(tmp_path: Path) -> None:
    if not UPSTREAM_SOURCE.is_file():
        pytest.skip(f"upstream source not found at {UPSTREAM_SOURCE}")
    out = tmp_path / "delegate_mapping.json"
    assert dm.main([str(UPSTREAM_SOURCE), str(out)]) == 0
    assert out.read_bytes() == TABLE.read_bytes()
