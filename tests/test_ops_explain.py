"""`opcompat ops` and `opcompat explain`: facts from the mapping table and the Validate rules."""

from __future__ import annotations

import json

import pytest

from opcompat.cli import main
from opcompat.tables import delegate_mapping as dm
from opcompat.targets.nnapi.opinfo import explain, first_api_level, op_rows


def test_first_api_level_of_validate_levels() -> None:
    assert first_api_level(27) == 27
    assert first_api_level(30) == 30
    assert first_api_level(31) == 31
    assert first_api_level(1_000_006) == 33  # FL6 comes with the updatable module (FL8 by default)


def test_ops_lists_every_handled_builtin() -> None:
    rows = op_rows()
    assert [r.op for r in rows] == sorted(dm.handled_builtins())
    mean = next(r for r in rows if r.op == "MEAN")
    assert mean.first_api_level == 28 and "MEAN" in mean.nnapi_operations


def test_ops_at_a_level_filters_and_grows() -> None:
    counts = [len(op_rows(api)) for api in range(27, 36)]
    assert counts == sorted(counts) and counts[0] < counts[-1]
    assert "MEAN" not in {r.op for r in op_rows(27)}
    assert "MEAN" in {r.op for r in op_rows(28)}


def test_ops_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "--api-level", "28", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["api_level"] == 28
    assert {"op": "MEAN", "first_api_level": 28}.items() <= next(
        o for o in data["ops"] if o["op"] == "MEAN"
    ).items()
    assert main(["ops"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split()[:2] == ["builtin", "NNAPI"]
    assert f"{len(dm.handled_builtins())} builtins have a Validate case" in err
    assert main(["ops", "--never"]) == 0
    assert "ADD_N" in capsys.readouterr().out.split()
    with pytest.raises(SystemExit) as exc:
        main(["ops", "--api-level", "40"])
    assert exc.value.code == 2


def test_explain_lists_conditions_with_sources() -> None:
    e = explain("conv_2d")
    assert e.op == "CONV_2D" and e.handled and "CONV_2D" in e.nnapi_operations
    assert [r.api_level for r in e.levels] == list(range(27, 36))
    assert all(r.accepted and r.max_version for r in e.levels)
    codes = {c.code for c in e.conditions}
    assert {
        "kUnsupportedOperatorVersion",
        "kUnsupportedHybridOperator",
        "kMissingRequiredOperand",
    } <= codes
    assert all(c.source for c in e.conditions)
    hybrid = next(c for c in e.conditions if c.code == "kUnsupportedHybridOperator")
    assert hybrid.when == "level < 29"
    assert "case kTfLiteBuiltinConv2d" in hybrid.source
    assert "nnapi_delegate.cc" in e.rule_source and e.table_source.startswith(
        "tflite/delegates/nnapi/"
    )


def test_explain_levels_follow_the_minimum() -> None:
    e = explain("MEAN")
    assert [r.accepted for r in e.levels][:2] == [False, True]


def test_explain_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "mean"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MEAN\nNNAPI operation(s): ")
    assert "first API level: API 28" in out
    assert "27           1                27                not accepted" in out
    assert "- kUnsupportedInputType: Expected Float32 input\n    when: not (level >= 29)" in out
    # What the rule code compares with is shown as levels and type names, not as its names.
    assert "OP Version higher than the limit for this level (op versions, above)" in out
    assert not any(word in out for word in ("ctx.", "SDK_NNAPI", "<table_", "T.FLOAT32"))
    assert main(["explain", "ADD_N"]) == 0
    assert "no Validate case" in capsys.readouterr().out
    assert main(["explain", "CONV2D"]) == 2
    assert "did you mean CONV_2D" in capsys.readouterr().err


def test_readable_turns_rule_names_into_levels_and_types() -> None:
    from opcompat.targets.nnapi.opinfo import readable

    assert readable("ctx.level >= FL6 and dtype(x) == T.INT32") == (
        "level >= feature level 6 and dtype(x) == int32"
    )
    assert readable("Expected one of <(T.FLOAT32, T.UINT8,)>") == "Expected one of float32, uint8"
    assert readable("less than <SDK_NNAPI13>") == "less than 30"
    assert readable("ctx.num_inputs == 3 and ctx.level < FL5") == (
        "number of inputs == 3 and level < 31"
    )


def test_explain_shows_what_a_rule_expects() -> None:
    conv = explain("CONV_2D")
    dilated = next(c for c in conv.conditions if "dilated" in c.message)
    assert dilated.requires == "level >= 29"
    assert "dilation_w_factor" in dilated.when
    bias = next(c for c in conv.conditions if c.code == "kMissingRequiredOperand")
    assert bias.requires == "number of inputs == 3" and bias.when == ""


def test_every_condition_cites_an_upstream_source_and_reads_plainly() -> None:
    from opcompat.targets.nnapi.opinfo import known_ops

    for op in sorted(known_ops()):
        for c in explain(op).conditions:
            assert c.source.startswith("tflite/"), (op, c)
            for text in (c.message, c.when, c.requires):
                assert "ctx" not in text and "SDK_NNAPI" not in text, (op, text)
