"""Baseline files: format, validation, and robust matching when operator indices shift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import synthetic as syn

from opcompat.baseline import (
    BASELINE_VERSION,
    Baseline,
    Fallback,
    ModelBaseline,
    compare,
    dumps,
    from_report,
    load,
    parse,
)
from opcompat.errors import UsageError
from opcompat.report import ModelReport, OperatorResult


def shifted(model: ModelReport, at: int, by: int = 1) -> ModelReport:
    """The model with `by` delegated ADDs inserted before operator `at` (indices after it shift)."""
    ops: list[OperatorResult] = []
    for o in model.operators:
        if o.subgraph == 0 and o.index == at:
            ops += [syn.op(0, at + k, "ADD", delegated=True, partition=0) for k in range(by)]
        ops.append(
            o._replace(index=o.index + by) if o.subgraph == 0 and o.index >= at else o
        )
    return model._replace(operators=tuple(ops))


def test_round_trip(tmp_path: Path) -> None:
    report = syn.report_of(
        syn.partial_model(), syn.refused_model(), syn.multi_model(), syn.broken_model()
    )
    base = from_report(report, tool="opcompat test")
    path = tmp_path / "b.json"
    path.write_text(dumps(base))
    again = load(path)
    assert again == base
    data = json.loads(path.read_text())
    assert data["baseline_version"] == BASELINE_VERSION and data["api_level"] == 30
    assert [m["file"] for m in data["models"]] == [
        "partial.tflite",
        "refused.tflite",
        "multi.tflite",
    ]
    partial = data["models"][0]
    assert partial["sha256"] == syn.SHA_PARTIAL
    assert partial["fallbacks"][1] == {
        "subgraph": 0,
        "index": 4,
        "op": "MEAN",
        "reasons": ["kUnsupportedInputType", "kUnsupportedOperatorVersion"],
    }
    # A refused model's ops without reasons of their own are recorded under the refusal.
    refused = data["models"][1]["fallbacks"]
    assert refused[1] == {
        "subgraph": 0,
        "index": 1,
        "op": "RESHAPE",
        "reasons": ["opcompatDynamicTensors"],
    }
    # Every fallback of every subgraph.
    assert data["models"][2]["fallbacks"] == [
        {"subgraph": 0, "index": 0, "op": "WHILE", "reasons": ["kUnsupportedOperator"]}
    ]


def test_same_model_has_no_new_fallbacks() -> None:
    m = syn.partial_model()
    base = from_report(syn.report_of(m))
    cmp = compare(m, base.for_model(m.path, m.sha256))
    assert cmp.new == () and cmp.fixed == () and len(cmp.known) == 4


def test_shifted_indices_still_match() -> None:
    m = syn.partial_model()
    base = from_report(syn.report_of(m))
    moved = shifted(m, at=1, by=3)
    assert [o.index for o in moved.operators if not o.delegated] == [5, 7, 9, 10]
    cmp = compare(moved, base.for_model("elsewhere/partial.tflite", "0" * 64))  # by file name
    assert cmp.new == () and cmp.fixed == ()


def test_a_new_fallback_is_found_among_shifted_ones() -> None:
    m = syn.partial_model()
    base = from_report(syn.report_of(m))
    moved = shifted(m, at=0, by=2)
    extra = syn.op(
        0,
        99,
        "MEAN",
        delegated=False,
        version=3,
        reasons=(syn.Reason("kUnsupportedOperatorVersion", "Supported op versions are [1, 2]"),),
    )
    grown = moved._replace(operators=(*moved.operators, extra))
    cmp = compare(grown, base.models[0])
    assert [(o.op, o.index) for o in cmp.new] == [("MEAN", 99)]
    assert len(cmp.known) == 4


def test_changed_reason_is_new_and_old_one_is_fixed() -> None:
    m = syn.partial_model()
    base = from_report(syn.report_of(m))
    ops = tuple(
        o._replace(reasons=(syn.Reason("kUnsupportedInputType", "x"),))
        if o.index == 6
        else o
        for o in m.operators
    )
    cmp = compare(m._replace(operators=ops), base.models[0])
    assert [o.index for o in cmp.new] == [6]
    assert cmp.fixed == (Fallback(0, 6, "MEAN", ("kUnsupportedOperatorVersion",)),)


def test_lookup_prefers_sha256_then_name() -> None:
    a = ModelBaseline("a.tflite", "1" * 64, ())
    b = ModelBaseline("b.tflite", "2" * 64, (Fallback(0, 0, "ADD", ()),))
    base = Baseline((a, b))
    assert base.for_model("x/a.tflite", "2" * 64) is b
    assert base.for_model("x/a.tflite", "9" * 64) is a
    assert base.for_model("c.tflite", "9" * 64) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a JSON object"),
        ({"models": []}, "unsupported baseline_version None"),
        ({"baseline_version": 1}, "models must be a list"),
        (
            {"baseline_version": 1, "models": [{"file": "a", "fallbacks": {}}]},
            r"models\[0\].fallbacks must be a list",
        ),
        (
            {
                "baseline_version": 1,
                "models": [{"file": "a", "fallbacks": [{"subgraph": -1, "index": 0, "op": "X"}]}],
            },
            r"models\[0\].fallbacks\[0\].subgraph must be a non-negative integer",
        ),
        (
            {"baseline_version": 1, "models": [{"file": 3, "fallbacks": []}]},
            r"models\[0\].file must be a string",
        ),
        (
            {
                "baseline_version": 1,
                "models": [
                    {
                        "file": "a",
                        "fallbacks": [{"subgraph": 0, "index": 0, "op": "X", "reasons": "k"}],
                    }
                ],
            },
            "reasons must be a list of strings",
        ),
    ],
)
def test_malformed_baselines_are_usage_errors(data: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(data, "b.json")


def test_unreadable_baseline_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff{")
    with pytest.raises(UsageError, match="not valid JSON"):
        load(bad)


def test_cli_baseline_round_trip(
    corpus: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`opcompat baseline` then the gate: known fallbacks pass, a new model's fallbacks fail."""
    import argparse

    from opcompat.analysis import check_many
    from opcompat.cli import main
    from opcompat.commands._report_options import add_report_arguments, emit

    names = ["gh-coral__split_concat_edgetpu.tflite", "gh-coral__keras_lstm_mnist_ptq.tflite"]
    models = [str(p) for p in corpus if p.name in names]
    assert len(models) == 2
    base = tmp_path / "baseline.json"
    assert main(["baseline", *models, "--api-level", "29", "-o", str(base)]) == 0
    data = json.loads(base.read_text())
    assert data["api_level"] == 29 and len(data["models"]) == 2
    assert "accepted fallback" in capsys.readouterr().err

    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    args = parser.parse_args(
        ["--fail-on", "new-fallback", "--baseline", str(base), "--format", "json"]
    )
    assert emit(check_many(models, api_level=29), args) == 0
    other = next(
        str(p) for p in corpus if p.name == "gh-coral__mobilenet_v1_0.25_128_quant_edgetpu.tflite"
    )
    assert emit(check_many([*models, other], api_level=29), args) == 1
    capsys.readouterr()

    # An unreadable model: exit 3, and no baseline is written.
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"\x00" * 7)
    out = tmp_path / "b2.json"
    assert main(["baseline", models[0], str(broken), "-o", str(out)]) == 3
    assert not out.exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "broken.tflite" in err and "(no baseline written)" in err
    assert main(["baseline", str(tmp_path / "nothing-here")]) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["baseline", str(empty)]) == 2


def test_a_baseline_of_another_api_level_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from fuzz.synth import chain

    from opcompat.cli import main

    model = tmp_path / "m.tflite"
    model.write_bytes(chain(2))
    base = tmp_path / "b.json"
    assert main(["baseline", str(model), "--api-level", "33", "-o", str(base)]) == 0
    capsys.readouterr()
    argv = ["check", str(model), "--fail-on", "new-fallback", "--baseline", str(base)]
    assert main([*argv, "--api-level", "33", "--format", "json"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main([*argv, "--api-level", "29", "--format", "json"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert warnings == [
        "warning: the baseline was taken at API 33, this check is at API 29: fallbacks that "
        "differ between levels count as new"
    ]


def test_models_sharing_a_file_name_keep_apart_in_the_baseline(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from fuzz.synth import chain

    from opcompat.analysis import check_many

    paths = []
    for d in ("speech", "vision"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "model.tflite").write_bytes(chain(1 if d == "speech" else 2))
        paths.append(str(tmp_path / d / "model.tflite"))
    base = from_report(check_many(paths, api_level=30))
    assert [m.file for m in base.models] == ["speech/model.tflite", "vision/model.tflite"]
    # A retrained model (another sha256) finds its own entry by its trailing path parts.
    assert base.for_model("./vision/model.tflite", "0" * 64) is base.models[1]
    assert base.for_model("other/speech/model.tflite", "") is base.models[0]
    assert base.for_model("elsewhere/model.tflite", "") is None
