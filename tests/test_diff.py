"""`opcompat diff`: aligned operator changes, partitions, and --fail-on new-fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import synthetic as syn

from opcompat.cli import main
from opcompat.diff import diff_models
from opcompat.formats.diff import render_json, render_markdown, render_text


def test_identical_models_have_no_changes() -> None:
    d = diff_models(syn.partial_model(), syn.partial_model())
    assert d.changes == () and d.new_fallbacks == () and d.fixed == ()
    assert "no operator changed" in render_text(d)


def test_inserted_operators_do_not_shift_verdicts() -> None:
    old = syn.partial_model()
    ops = []
    for o in old.operators:
        if o.index == 3:
            ops.append(syn.op(0, 3, "RELU", delegated=True, partition=1))
        ops.append(o._replace(index=o.index + 1) if o.index >= 3 else o)
    new = old._replace(operators=tuple(ops))
    d = diff_models(old, new)
    assert [(c.kind, c.new.op if c.new else None) for c in d.changes] == [("added", "RELU")]
    assert d.new_fallbacks == ()


def test_new_fallback_and_fixed() -> None:
    old = syn.partial_model()
    ops = tuple(
        o._replace(delegated=False,
            supported=False,
            partition=None,
            reasons=(syn.Reason("kUnsupportedInputType", "Input should be Float"),),
        )
        if o.index == 3
        else o._replace(delegated=True, supported=True, partition=2, reasons=())
        if o.index == 6
        else o
        for o in old.operators
    )
    new = old._replace(path="models/partial-v2.tflite", operators=ops)
    d = diff_models(old, new)
    assert [(c.kind, c.new.index if c.new else None) for c in d.new_fallbacks] == [("changed", 3)]
    assert [c.old.index for c in d.fixed if c.old] == [6]
    text = render_text(d)
    assert "changed (new fallback)" in text and "changed (fixed)" in text
    data = json.loads(render_json(d))
    assert data["diff_version"] == 1 and data["old"]["path"] == "models/partial.tflite"
    assert [c["kind"] for c in data["changes"]] == ["changed", "changed"]
    assert (
        data["changes"][0]["new_fallback"] is True
        and data["changes"][0]["new"]["delegated"] is False
    )
    md = render_markdown(d)
    assert md.startswith("## ❌ opcompat diff: `partial.tflite` → `partial-v2.tflite`")
    assert (
        "| changed **new fallback** | 0:3 ADD v1 | NNAPI p1 "
        "| 0:3 ADD v1 | CPU (kUnsupportedInputType) |" in md
    )


def test_partitions_and_refusal_in_the_summary() -> None:
    d = diff_models(syn.partial_model(), syn.refused_model())
    text = render_text(d)
    assert "partitions: subgraph 0: 3 [2, 1, 1] → none" in text
    assert "refusal: none → opcompatDynamicTensors" in text


def model(corpus: list[Path], name: str) -> str:
    for p in corpus:
        if p.name == name:
            return str(p)
    pytest.skip(f"{name} not in the corpus")


PLAIN = "gh-coral__mobilenet_v1_0.25_128_quant.tflite"
EDGETPU = "gh-coral__mobilenet_v1_0.25_128_quant_edgetpu.tflite"


def test_cli_exit_codes(
    corpus: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, edgetpu = model(corpus, PLAIN), model(corpus, EDGETPU)
    assert main(["diff", plain, edgetpu, "--api-level", "30", "--fail-on", "new-fallback"]) == 1
    assert (
        "policy failed: 1 new fallback: CUSTOM:edgetpu-custom-op at subgraph 0, index 0\n"
        in capsys.readouterr().err
    )
    assert main(["diff", edgetpu, plain, "--fail-on", "new-fallback"]) == 0
    assert main(["diff", plain, plain, "--fail-on", "any-fallback"]) == 0
    assert main(["diff", plain, edgetpu]) == 0  # no policy: report only
    assert main(["diff", edgetpu, plain, "--fail-on", "any-fallback"]) == 0
    assert main(["diff", plain, edgetpu, "--fail-on", "any-fallback"]) == 1
    broken = tmp_path / "broken.tflite"
    broken.write_bytes(b"not a model")
    assert main(["diff", plain, str(broken), "--fail-on", "new-fallback"]) == 3
    with pytest.raises(SystemExit) as exc:
        main(["diff", plain, edgetpu, "--api-level", "26"])
    assert exc.value.code == 2


def test_cli_json_to_file(
    corpus: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain, edgetpu = model(corpus, PLAIN), model(corpus, EDGETPU)
    out = tmp_path / "d.json"
    assert main(["diff", plain, edgetpu, "--format", "json", "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["old"]["partitions"] == 1 and data["new"]["delegated"] == 0
    assert sum(c["new_fallback"] for c in data["changes"]) == 1
    assert capsys.readouterr().out == ""


def test_a_new_op_version_alone_is_not_an_operator_change(corpus: list[Path]) -> None:
    from opcompat.analysis import check

    by_name = {p.name: p for p in corpus}
    old = check(by_name["gen-mobilenet_v3_small__fp32.tflite"], api_level=30)
    new = check(by_name["gen-mobilenet_v3_small__int8.tflite"], api_level=30)
    d = diff_models(old, new)
    assert d.changes == () and d.version_only == 91
    text = render_text(d)
    assert "operator changes: 0 (and 91 operators with only a new op version)" in text
    assert "full delegation from API 28)" in text and "full delegation from API 29)" in text


def test_new_fallbacks_make_one_policy_line() -> None:
    """Hundreds of new fallbacks: one `policy failed:` line naming the first five."""
    from opcompat.commands.diff import new_fallback_failures
    from opcompat.report import Reason

    old = syn.big_model(40)
    refused = (Reason("kUnsupportedOperator", "Unsupported operation type."),)
    new = old._replace(operators=tuple(
        o._replace(delegated=False, supported=False, partition=None, reasons=refused)
        for o in old.operators
    ))
    d = diff_models(old, new)
    newly = sum(1 for o in old.operators if o.delegated)
    (line,) = new_fallback_failures(d)
    assert line.startswith(f"{newly} new fallbacks: ")
    assert line.endswith(f"; and {newly - 5} more") and line.count(" at subgraph ") == 5
    assert new_fallback_failures(diff_models(old, old)) == []


def test_a_gpu_diff_names_the_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    # The shipped chain example: fewer partitions under a cap of 1 than with no limit.
    from opcompat.examples import example_path

    path = str(example_path("chain"))
    assert main(["diff", path, path, "--target", "gpu"]) == 0
    text = capsys.readouterr().out
    assert "ops on GPU" in text and "NNAPI" not in text
    assert "not fully delegated)" in text  # no API level to be "never fully delegated" at
    from opcompat.analysis import check

    old = check(path, target="gpu", max_partitions=0)
    new = check(path, target="gpu", max_partitions=1)
    d = diff_models(old, new)
    assert d.new_fallbacks
    shown = render_text(d) + render_markdown(d)
    assert "GPU p" in shown and "NNAPI" not in shown
