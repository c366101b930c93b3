"""`--format sarif`: valid SARIF 2.1.0, one result per operator on the CPU, one rule per code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from synthetic import SYNTHETIC

from opcompat.formats.sarif import SarifFormat
from opcompat.report import ModelReport, Report

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "sarif-2.1.0-rtm.5.json").read_text()
)


def validate_sarif(log: object) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_every_synthetic_report_is_valid_sarif(any_report: Report) -> None:
    log = json.loads(SarifFormat().render(any_report))
    validate_sarif(log)
    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    expected = sum(
        1
        for m in any_report.models
        if isinstance(m, ModelReport)
        for o in m.operators
        if not o.delegated
    )
    assert len(results) == expected


def test_schema_rejects_a_broken_log() -> None:
    log = json.loads(SarifFormat().render(SYNTHETIC["partial"]()))
    del log["runs"][0]["tool"]
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(log)


def test_one_rule_per_reason_code(partial_report: Report) -> None:
    run = json.loads(SarifFormat().render(partial_report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "kUnsupportedOperator",
        "kUnsupportedOperatorVersion",
        "opcompatPartitionDropped",
    ]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
    by_index = {r["properties"]["index"]: r for r in run["results"]}
    assert sorted(by_index) == [2, 4, 6, 7]
    mean = by_index[4]
    assert mean["ruleId"] == "kUnsupportedOperatorVersion"
    assert mean["properties"]["reasonCodes"] == [
        "kUnsupportedOperatorVersion",
        "kUnsupportedInputType",
    ]
    assert "kUnsupportedInputType: Input should be" in mean["message"]["text"]
    loc = mean["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "models/partial.tflite"
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "subgraph[0]/op[4]:MEAN"
    fps = {r["partialFingerprints"]["opcompatOperator/v1"] for r in run["results"]}
    assert len(fps) == 4


def test_refused_model_results_carry_the_refusal() -> None:
    run = json.loads(SarifFormat().render(SYNTHETIC["refused"]()))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == [
        "opcompatDelegationRefused",
        "opcompatDynamicTensors",
        "kUnsupportedAndroidVersion",
    ]
    assert "tensor 3 is dynamic" in run["results"][1]["message"]["text"]


def test_unreadable_model_is_a_notification() -> None:
    run = json.loads(SarifFormat().render(SYNTHETIC["mixed"]()))["runs"][0]
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"].startswith(
        "models/broken.tflite: "
    )
    assert all(
        "broken" not in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in run["results"]
    )


def test_uri_is_escaped() -> None:
    run = json.loads(SarifFormat().render(SYNTHETIC["tricky"]()))["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "models/we%7Cird%20%3Cname%3E%26.tflite"


def test_locations_are_relative_to_the_checkout_root(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from opcompat.formats.sarif import _location

    monkeypatch.chdir(tmp_path)
    assert _location("models/a b.tflite") == {
        "uri": "models/a%20b.tflite",
        "uriBaseId": "%SRCROOT%",
    }
    inside = str(tmp_path / "m" / "x.tflite")
    assert _location(inside) == {"uri": "m/x.tflite", "uriBaseId": "%SRCROOT%"}
    assert _location("/elsewhere/y.tflite") == {"uri": "file:///elsewhere/y.tflite"}
    # Outside the checkout through "..": the same absolute URI as when given absolute.
    assert _location("../z.tflite") == _location(str(tmp_path.parent / "z.tflite"))
    assert _location("../z.tflite")["uri"].startswith("file:///")


def test_streamed_rendering_equals_the_whole_log(any_report: Report) -> None:
    from opcompat.formats.sarif import to_sarif

    text = SarifFormat().render(any_report)
    log = to_sarif(any_report)
    assert json.loads(text) == log
    results = [line for line in text.splitlines() if line.startswith('        {"ruleId"')]
    assert len(results) == len(log["runs"][0]["results"])  # one result a line
