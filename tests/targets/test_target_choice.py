"""Every member of TargetChoice names a target package whose TargetInfo fits it, and a check
for it carries its name in the results and its label in every human format."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from builders import simple_model

from opcompat.analysis import check
from opcompat.errors import UsageError
from opcompat.formats.base import FormatChoice
from opcompat.report import Report
from opcompat.targets import DEFAULT_TARGET, TargetChoice, label


@pytest.mark.parametrize("choice", list(TargetChoice))
def test_each_target_package_describes_its_member(choice: TargetChoice) -> None:
    info = choice.info()
    assert info.name == choice.value
    assert info.label and info.delegate and info.default_max_partitions >= 1


@pytest.mark.parametrize("choice", list(TargetChoice))
def test_reports_name_the_target(choice: TargetChoice) -> None:
    model = check(simple_model("ADD"), api_level=30, target=choice.value)
    assert model.target == choice.value
    report = Report((model,), tool_version="t")
    data = json.loads(FormatChoice.JSON.to_format().render(report))
    assert data["schema_version"] == "2.0"
    assert data["models"][0]["target"] == choice.value
    op = data["models"][0]["operators"][0]
    assert op["operations"] == op["nnapi_operations"]  # the 1.0 alias, for one release
    for fmt in (FormatChoice.TABLE, FormatChoice.MARKDOWN, FormatChoice.HTML):
        assert f"ops on {label(choice.value)}" in fmt.to_format().render(report), fmt


def test_an_unknown_target_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown target 'tpu'"):
        check(simple_model("ADD"), target="tpu")


def test_cli_target_flag(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.tflite"
    path.write_bytes(simple_model("ADD"))
    run = [sys.executable, "-m", "opcompat", "check", str(path), "--format", "json"]
    ok = subprocess.run([*run, "--target", DEFAULT_TARGET.value], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["models"][0]["target"] == DEFAULT_TARGET.value
    bad = subprocess.run([*run, "--target", "tpu"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'tpu'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_a_report_of_an_unknown_target_still_renders() -> None:
    model = check(simple_model("ADD"), api_level=30)._replace(target="future")
    text = FormatChoice.TABLE.to_format().render(Report((model,)))
    assert "ops on future:" in text


def test_models_copy_and_stay_frozen() -> None:
    import copy

    from opcompat.model import read_model

    model = read_model(simple_model("ADD"))
    assert copy.copy(model) == model
    with pytest.raises(AttributeError):
        del model.version  # type: ignore[misc]
