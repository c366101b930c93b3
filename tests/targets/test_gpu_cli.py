"""The GPU target on the command line: `ops`/`explain --target gpu`, `check --example`, the
generated supported-ops document, and the GPU flags' help."""

from __future__ import annotations

import json

import pytest

from opcompat.cli import main
from opcompat.examples import EXAMPLES, example_path
from opcompat.targets.gpu import docs


def test_committed_gpu_document_is_current() -> None:
    assert docs.DOC_PATH.read_text(encoding="utf-8") == docs.render(), (
        "reports/gpu_supported_ops.md is stale: run `python -m opcompat.targets.gpu.docs --write`"
    )


def test_gpu_document_check_mode(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "gpu_supported_ops.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs, "DOC_PATH", stale)
    assert docs.main(["--check"]) == 1
    assert docs.main(["--write"]) == 0
    assert docs.main(["--check"]) == 0


def test_ops_lists_the_gpu_parsers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops", "--target", "gpu", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_op = {o["op"]: o for o in data["ops"]}
    assert by_op["FULLY_CONNECTED"]["max_version"] == 9  # FullyConnectedOperationParser
    assert by_op["MUL"]["max_version"] == 3 and by_op["ADD"]["max_version"] == 2
    assert "CUSTOM:MaxUnpooling2D" in by_op and "CEIL" not in by_op
    assert main(["ops", "--target", "gpu", "--never"]) == 0
    assert "CEIL" in capsys.readouterr().out.split()


def test_ops_gpu_refuses_an_api_level() -> None:
    assert main(["ops", "--target", "gpu", "--api-level", "30"]) == 2


def test_explain_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "greater", "--target", "gpu"]) == 0
    out = capsys.readouterr().out
    assert "ElementwiseOperationParser" in out and "CAST, SELECT or SELECT_V2" in out
    assert main(["explain", "CEIL", "--target", "gpu"]) == 0
    assert "no parser" in capsys.readouterr().out
    assert main(["explain", "NOT_AN_OP", "--target", "gpu"]) == 2


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_is_shipped_and_checks_for_both_targets(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert example_path(name).is_file()
    assert main(["check", "--example", name, "--target", "all", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [m["target"] for m in data["models"]] == ["nnapi", "gpu"]


def test_check_without_model_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 2
    assert "--example" in capsys.readouterr().err


def test_gpu_flags_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert "--gpu-no-quant" in out and "--gpu-no-opencl" in out
    assert "turns 0 or less into 1" in " ".join(out.split())
