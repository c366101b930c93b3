"""TFLite builtin-table scraper on hand-written schema.fbs, register.cc, runtime_version.cc."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrapers import tflite_builtins as tb

LITERT = Path(__file__).parent / "fixtures" / "scrapers" / "sources" / "litert" / "tflite"
SCHEMA = (LITERT / "converter/schema/schema.fbs").read_text(encoding="utf-8")
REGISTER = (LITERT / "core/kernels/register.cc").read_text(encoding="utf-8")
RUNTIME = (LITERT / "converter/tools/versioning/runtime_version.cc").read_text(encoding="utf-8")


def test_schema_members_comments_attributes_and_remarks() -> None:
    members = tb.parse_schema(SCHEMA)
    names = [m[0] for m in members]
    assert names[:3] == ["ADD", "AVERAGE_POOL_2D", "CONV_2D"]
    assert ("REDUCE_WINDOW", 205, True) in members
    assert ("STABLEHLO_ABS", 175, False) in members
    assert len(members) == 22
    assert ("IMAG", 133, False) in members  # no spaces around "="


def test_register_versions_defaults_and_commented_calls() -> None:
    reg = tb.parse_register(REGISTER)
    assert reg["ADD"] == (1, 5)
    assert reg["AVERAGE_POOL_2D"] == (1, 3)
    assert reg["CONV_2D"] == (1, 8)
    assert reg["EMBEDDING_LOOKUP"] == (1, 1)  # no range given: version 1 only
    assert "LSTM" not in reg  # commented out
    assert "Mfcc" not in reg and "MFCC" not in reg  # custom ops are not builtins


def test_runtime_versions_ignore_comment_examples() -> None:
    rt = tb.parse_runtime_versions(RUNTIME)
    assert rt["ADD"] == {1: "1.5.0", 2: "1.14.0"}
    assert "kAveragePool" not in rt
    assert rt["AVERAGE_POOL_2D"] == {1: "1.5.0", 2: "1.14.0"}


def test_build_table() -> None:
    table = tb.build(SCHEMA, REGISTER, RUNTIME)
    rows = {b["name"]: b for b in table["builtins"]}
    assert [b["code"] for b in table["builtins"]] == sorted(b["code"] for b in table["builtins"])
    assert rows["ADD"]["runtime_versions"] == [
        {"op_version": 1, "runtime_version": "1.5.0"},
        {"op_version": 2, "runtime_version": "1.14.0"},
    ]
    assert rows["LSTM"]["registered"] is False and rows["LSTM"]["min_version"] is None
    assert rows["CUSTOM"]["registered"] is False
    assert rows["REDUCE_WINDOW"]["deprecated"] is True


def test_unknown_name_in_register_is_refused() -> None:
    bad = REGISTER.replace("BuiltinOperator_CAST", "BuiltinOperator_NOT_AN_OP")
    with pytest.raises(tb.SourceError, match="NOT_AN_OP"):
        tb.build(SCHEMA, bad, RUNTIME)


@pytest.mark.parametrize(
    ("func", "text", "match"),
    [
        (tb.parse_schema, "enum Other : int { A = 1 }", "BuiltinOperator"),
        (
            tb.parse_schema,
            "enum BuiltinOperator : int32 {\n  ADD = 0,\n  what is this\n}",
            "unexpected line",
        ),
        (tb.parse_register, "int main() {}", "AddBuiltin"),
        (
            tb.parse_register,
            "AddBuiltin(BuiltinOperator_ADD, Register_ADD(), 1);",
            "version numbers",
        ),
        (tb.parse_runtime_versions, "nothing", "entries"),
    ],
)
def test_malformed_sources_are_refused(func, text: str, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(tb.SourceError, match=match):
        func(text)
