"""GPU-parser table scraper on hand-written model_builder.cc, custom_parsers.cc, delegate.cc."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from opcompat.errors import ScrapeError
from opcompat.tables import loader
from scrapers import gpu_parsers as gp
from scrapers.jsonio import dumps

LITERT = Path(__file__).parent / "fixtures" / "scrapers" / "sources" / "litert"
TABLES = Path(__file__).resolve().parent.parent / "op_tables"
COMMITTED = TABLES / "gpu_parsers.json"


def _texts(root: Path) -> tuple[str, dict[str, str]]:
    companions = {
        kw: (root / path).read_text(encoding="utf-8") for kw, path in gp.COMPANION_PATHS.items()
    }
    return (root / gp.SOURCE_PATH).read_text(encoding="utf-8"), companions


MODEL_BUILDER, COMPANIONS = _texts(LITERT)


def _parse(model_builder: str = MODEL_BUILDER, **overrides: str) -> dict[str, Any]:
    return gp.parse(model_builder, **{**COMPANIONS, **overrides})


@pytest.fixture(scope="module")
def table() -> dict[str, Any]:
    return _parse()


# ---- the written excerpt ------------------------------------------------------------------------


def test_one_entry_per_case_label_by_schema_name(table: dict[str, Any]) -> None:
    assert sorted(table["builtins"]) == [
        "ADD",
        "CONV_2D",
        "COS",
        "DEQUANTIZE",
        "HARD_SWISH",
        "MIRROR_PAD",
        "MUL",
        "PAD",
        "PADV2",
        "RELU",
        "RELU6",
        "SQUARE",
    ]
    assert table["builtins"]["PAD"]["line"] == 189
    assert table["builtins"]["PADV2"]["line"] == 190  # shared case: each label its own line
    assert table["source"] == {
        "repository": "google-ai-edge/LiteRT",
        "commit": gp.REVISION,
        "path": gp.SOURCE_PATH,
        "function": "NewOperationParser",
    }


def test_version_cap_is_resolved_per_op(table: dict[str, Any]) -> None:
    b = table["builtins"]
    assert b["MUL"]["max_version"] == 3  # the ternary on the constructor argument
    assert b["ADD"]["max_version"] == b["COS"]["max_version"] == 2
    assert b["CONV_2D"]["max_version"] == 6  # not the 99 of a commented-out call
    assert b["HARD_SWISH"]["max_version"] is None


def test_compatibility_and_quant_flags(table: dict[str, Any]) -> None:
    b = table["builtins"]
    assert b["RELU"]["checks_compatibility"] is False
    assert b["PAD"]["checks_compatibility"] is True
    assert b["DEQUANTIZE"]["needs_quant_ops"] is True
    assert not any(e["needs_quant_ops"] for n, e in b.items() if n != "DEQUANTIZE")


def test_operation_is_the_unconditional_one_spelled_by_to_string(table: dict[str, Any]) -> None:
    b = table["builtins"]
    assert b["ADD"]["operation"] == "add"  # ToString(member) resolved to the argument
    assert b["MUL"]["operation"] == "mul"  # the nested SQUARE assignment is ignored
    assert b["SQUARE"]["operation"] == "fixture_square"  # operations.cc's string, not the enum
    assert b["CONV_2D"]["operation"] is None  # one of two, by branch
    assert b["DEQUANTIZE"]["operation"] == "quantize_and_dequantize"


def test_guarded_checks_apply_only_to_the_ops_the_predicate_lists(table: dict[str, Any]) -> None:
    b = table["builtins"]
    assert "other_checks" not in b["ADD"] and "other_checks" not in b["MUL"]
    assert len(b["SQUARE"]["other_checks"]) == 2
    assert "(GREATER, SQUARE)" in b["SQUARE"]["other_checks"][0]


def test_custom_ops_and_exclusions(table: dict[str, Any]) -> None:
    assert sorted(table["custom"]) == ["FixtureCustomOp", "FixtureMaxPool"]
    pool = table["custom"]["FixtureMaxPool"]
    assert (pool["parser"], pool["max_version"], pool["line"]) == (
        "Pooling2DOperationParser",
        2,
        200,
    )
    other = table["custom"]["FixtureCustomOp"]  # from custom_parsers.cc: class unknown here
    assert other["parser"] == "FixtureCustomOperationParser" and other["line"] == 0
    assert table["excluded_without_opencl"] == ["MIRROR_PAD", "PADV2"]


def test_classes_never_returned_are_not_entries(table: dict[str, Any]) -> None:
    parsers = {e["parser"] for e in [*table["builtins"].values(), *table["custom"].values()]}
    assert "NeverReturnedOperationParser" not in parsers
    assert "UnsupportedOperationParser" not in parsers


def test_parse_is_deterministic_and_schema_valid(table: dict[str, Any]) -> None:
    assert dumps(_parse()) == dumps(table)
    loader.validate_table("gpu_parsers", table, "fixture gpu_parsers")


def test_cast_like_predicate_of_builtin_codes_is_named_by_schema() -> None:
    cast = """
bool IsLogicalCode(int32_t code) {
  return code == kTfLiteBuiltinAdd || code == kTfLiteBuiltinMul;
}
class CastOperationParser : public TFLiteOperationParser {
 public:
  absl::Status IsSupported(const TfLiteContext* c, const TfLiteNode* n,
                           const TfLiteRegistration* r) final {
    if (c->tensors[n->inputs->data[0]].type == kTfLiteBool) {
      return absl::OkStatus();
    }
    return CheckGpuDelegateCompatibility(c, n, r);
  }
};
"""
    text = MODEL_BUILDER.replace(
        "case kTfLiteBuiltinConv2d:",
        "case kTfLiteBuiltinCast:\n      return std::make_unique<CastOperationParser>();\n"
        "    case kTfLiteBuiltinConv2d:",
    ).replace("}  // namespace\n", cast + "}  // namespace\n", 1)
    ops = COMPANIONS["builtin_ops_h"] + "\nkTfLiteBuiltinCast = 53,\n"
    entry = _parse(text, builtin_ops_h=ops)["builtins"]["CAST"]
    assert entry["checks_compatibility"] is True and entry["max_version"] is None
    assert "producer is ADD, MUL:" in entry["other_checks"][1]


# ---- what is refused ----------------------------------------------------------------------------


def test_undescribed_extra_check_is_refused() -> None:
    at = MODEL_BUILDER.index(
        "    return CheckGpuDelegateCompatibility",
        MODEL_BUILDER.index("class HardSwishOperationParser"),
    )
    extra = '    if (node->inputs->size != 1) return absl::UnavailableError("x");\n'
    with pytest.raises(ScrapeError, match="HardSwishOperationParser.*not described"):
        _parse(MODEL_BUILDER[:at] + extra + MODEL_BUILDER[at:])


def test_described_class_without_extra_checks_is_refused() -> None:
    start = MODEL_BUILDER.index("    if (IsLogicalOp(type_)) {")
    end = MODEL_BUILDER.index("    return CheckGpuDelegateCompatibility", start)
    with pytest.raises(ScrapeError, match="ElementwiseOperationParser.*no checks"):
        _parse(MODEL_BUILDER[:start] + MODEL_BUILDER[end:])


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "std::make_unique<HardSwishOperationParser>()",
            "std::make_unique<NoSuchOperationParser>()",
            "NoSuchOperationParser, which is not defined",
        ),
        (
            "type_ == OperationType::MUL ? 3 : 2",
            "PickCap(type_)",
            "unsupported version cap",
        ),
        (
            "case kTfLiteBuiltinRelu6:",
            "case kTfLiteBuiltinNotInBuiltinOps:",
            "kTfLiteBuiltinNotInBuiltinOps has no BuiltinOperator",
        ),
        ("switch (builtin_code)", "switch (other_code)", "no switch"),
    ],
)
def test_unexpected_shapes_are_refused(old: str, new: str, message: str) -> None:
    assert old in MODEL_BUILDER
    with pytest.raises(ScrapeError, match=message):
        _parse(MODEL_BUILDER.replace(old, new))


def test_delegate_without_opencl_branch_is_refused() -> None:
    text = COMPANIONS["delegate_cc"].replace("!cl::OpenCLSupported()", "true")
    with pytest.raises(ScrapeError, match="OpenCLSupported"):
        _parse(delegate_cc=text)


# ---- the committed table ------------------------------------------------------------------------


def test_committed_table_validates_against_its_schema() -> None:
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    loader.validate_table("gpu_parsers", data, str(COMMITTED))
    assert loader.manifest()["tables"]["gpu_parsers"]["schema"] == "schema/gpu_parsers.schema.json"


def test_committed_table_facts() -> None:
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    b = data["builtins"]
    assert b["MUL"]["max_version"] == 3 and b["ADD"]["max_version"] == 2
    assert b["SUB"]["operation"] == "subtract"
    assert b["QUANTIZE"]["needs_quant_ops"] and b["DEQUANTIZE"]["needs_quant_ops"]
    assert "BATCH_TO_SPACE_ND" not in b and "SPACE_TO_BATCH_ND" not in b
    assert data["excluded_without_opencl"] == ["SPLIT", "SPLIT_V"]
    assert "Convolution2DTransposeBias" in data["custom"]


def test_regeneration_from_the_pinned_sources_is_byte_identical() -> None:
    sources = os.environ.get("OPCOMPAT_SOURCES")
    root = Path(sources) / "litert" if sources else None
    if root is None or not (root / gp.SOURCE_PATH).is_file():
        pytest.skip(
            "set OPCOMPAT_SOURCES to the source tree (layout: opcompat tables update --help)"
        )
    text, companions = _texts(root)
    assert dumps(gp.parse(text, **companions)) == COMMITTED.read_text(encoding="utf-8")
