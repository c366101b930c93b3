"""The pre-merge gate: policies, and the exit-code matrix with its precedence 2 > 3 > 1 > 0."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
import synthetic as syn

from opcompat.baseline import dumps, from_report
from opcompat.commands._report_options import add_report_arguments, emit
from opcompat.errors import OpcompatError, UsageError
from opcompat.gate import FailOn, evaluate, make_policy, parse_ratio
from opcompat.report import Reason, Report


def run_emit(
    report: Report, argv: list[str], capsys: pytest.CaptureFixture[str] | None = None
) -> int:
    """What `opcompat check` returns for this report and these flags (errors mapped as the CLI
    does)."""
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return emit(report, args)
    except OpcompatError as exc:
        return exc.exit_code


def _with_spec_finding() -> Report:
    """The fully delegated model, one delegated op carrying a spec cross-check finding."""
    m = syn.full_model()
    first = m.operators[0]._replace(warnings=(
        Reason("opcompatSpecOperandType", "input 1 (INT8) becomes an NNAPI operand the spec "
               "does not allow"),))
    return syn.report_of(m._replace(operators=(first, *m.operators[1:])))


def _with_one_time_op() -> Report:
    """The fully delegated model plus a DEQUANTIZE of a constant left on the CPU."""
    m = syn.full_model()
    once = syn.op(0, len(m.operators), "DEQUANTIZE", delegated=False, first=None)._replace(
        one_time=True, reasons=(Reason("kUnsupportedOperatorVersion", "OP Version higher"),))
    return syn.report_of(m._replace(operators=(*m.operators, once)))


REPORTS = {
    "full": lambda: syn.report_of(syn.full_model()),
    "spec": _with_spec_finding,
    "one-time": _with_one_time_op,
    "partial": lambda: syn.report_of(syn.partial_model()),
    "refused": lambda: syn.report_of(syn.refused_model()),
    "multi": lambda: syn.report_of(syn.multi_model()),
    "full+broken": lambda: syn.report_of(syn.full_model(), syn.broken_model()),
    "partial+broken": lambda: syn.report_of(syn.partial_model(), syn.broken_model()),
}

# (report, flags) -> exit code.
MATRIX = [
    ("full", [], 0),
    ("full", ["--fail-on", "any-fallback"], 0),
    ("full", ["--fail-on", "refusal"], 0),
    ("full", ["--min-delegated-ratio", "1"], 0),
    ("partial", [], 0),
    ("partial", ["--fail-on", "none"], 0),
    ("partial", ["--fail-on", "any-fallback"], 1),
    ("partial", ["--fail-on", "refusal"], 0),
    ("partial", ["--min-delegated-ratio", "0.5"], 0),
    ("partial", ["--min-delegated-ratio", "0.51"], 1),
    ("refused", ["--fail-on", "refusal"], 1),
    ("refused", ["--fail-on", "any-fallback"], 1),
    ("refused", ["--min-delegated-ratio", "0"], 0),
    ("refused", ["--min-delegated-ratio", "0.01"], 1),
    ("multi", ["--fail-on", "any-fallback"], 1),  # the WHILE is in subgraph 0, the body delegated
    ("multi", ["--fail-on", "refusal"], 0),
    # A delegated op the NNAPI spec cross-check flags: only --fail-on spec fails on it.
    ("spec", ["--fail-on", "spec"], 1),
    ("spec", ["--fail-on", "any-fallback"], 0),
    ("full", ["--fail-on", "spec"], 0),
    ("partial", ["--fail-on", "spec"], 0),
    # A one-time op on the CPU counts only with --strict-count.
    ("one-time", ["--fail-on", "any-fallback"], 0),
    ("one-time", ["--fail-on", "any-fallback", "--strict-count"], 1),
    ("one-time", ["--min-delegated-ratio", "1"], 0),
    ("one-time", ["--min-delegated-ratio", "1", "--strict-count"], 1),
    # An unreadable model: 3, whatever the policy says about the others (3 > 1).
    ("full+broken", [], 3),
    ("partial+broken", ["--fail-on", "any-fallback"], 3),
    ("partial+broken", ["--min-delegated-ratio", "0.9"], 3),
    # Usage errors: 2, even with an unreadable model and a failing policy (2 > 3 > 1).
    ("partial", ["--fail-on", "new-fallback"], 2),
    ("partial+broken", ["--fail-on", "new-fallback"], 2),
    ("partial+broken", ["--fail-on", "any-fallback", "--min-delegated-ratio", "1.5"], 2),
    ("full", ["--min-delegated-ratio", "nan"], 2),
    ("full", ["--min-delegated-ratio", "half"], 2),
    ("full", ["--baseline", "/nonexistent/baseline.json"], 2),
]


@pytest.mark.parametrize(
    ("name", "flags", "code"), MATRIX, ids=[f"{n}:{' '.join(f) or 'default'}" for n, f, _ in MATRIX]
)
def test_exit_code_matrix(
    name: str, flags: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_emit(REPORTS[name](), flags) == code


def test_new_fallback_against_a_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "baseline.json"
    base.write_text(dumps(from_report(REPORTS["partial"]())))
    flags = ["--fail-on", "new-fallback", "--baseline", str(base)]
    assert run_emit(REPORTS["partial"](), flags) == 0
    assert run_emit(REPORTS["full"](), flags) == 0  # not in the baseline, but no fallback
    assert run_emit(REPORTS["refused"](), flags) == 1  # a model the baseline does not know
    assert run_emit(REPORTS["partial+broken"](), flags) == 3
    err = capsys.readouterr().err
    assert (
        "policy failed: refused.tflite: 3 new ops on the CPU not in the baseline: "
        "ADD@0:0, RESHAPE@0:1, GATHER@0:2" in err
    )


def test_baseline_alone_without_new_fallback_is_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "b.json"
    base.write_text(dumps(from_report(REPORTS["full"]())))
    assert run_emit(REPORTS["partial"](), ["--baseline", str(base)]) == 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"baseline_version": 99, "models": []}))
    assert run_emit(REPORTS["partial"](), ["--baseline", str(bad)]) == 2
    from opcompat.baseline import load

    with pytest.raises(UsageError, match="unsupported baseline_version 99"):
        load(bad)


def test_stderr_summary_and_failures(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_emit(REPORTS["partial+broken"](), ["--fail-on", "any-fallback", "--format", "json"])
    assert code == 3
    out, err = capsys.readouterr()
    syn.validate_report_json(json.loads(out))
    assert json.loads(out)["models"][1] == {
        "path": "models/broken.tflite",
        "error": "not a TFLite flatbuffer: bad file identifier 'XXXX'",
    }
    assert err.splitlines() == [
        "partial.tflite: 4/8 ops on NNAPI at API 30, 3 partitions, "
        "never fully delegated (API 27-35)",
        "models/broken.tflite: unreadable: not a TFLite flatbuffer: bad file identifier 'XXXX'",
        "policy failed: partial.tflite: 4 ops on the CPU "
        "(first: CUSTOM:TFLite_Detection_PostProcess at subgraph 0, index 2)",
    ]


def test_fallback_counts_every_subgraph_and_refused_ops() -> None:
    policy = make_policy("any-fallback")
    assert evaluate(REPORTS["multi"](), policy).failures == (
        "multi.tflite: 1 op on the CPU (first: WHILE at subgraph 0, index 0)",
    )
    assert "3 ops on the CPU" in evaluate(REPORTS["refused"](), policy).failures[0]


@pytest.mark.parametrize("text", ["-0.1", "1.01", "inf", "nan", "", "x"])
def test_ratio_out_of_range(text: str) -> None:
    with pytest.raises(UsageError):
        parse_ratio(text)


def test_policy_usage_errors() -> None:
    with pytest.raises(UsageError, match="needs --baseline"):
        make_policy(FailOn.NEW_FALLBACK)
    with pytest.raises(UsageError, match="--fail-on must be one of"):
        make_policy("sometimes")
    assert make_policy("none", "0.25").min_delegated_ratio == 0.25


def test_empty_model_ratio_is_one() -> None:
    empty = syn.ModelReport("e.tflite", syn.ModelDigest(value="0" * 64), syn.OPTS30, (), ())
    assert evaluate(syn.report_of(empty), make_policy("none", 1.0)).exit_code == 0


def test_policy_code_imports_no_presentation_code() -> None:
    """The gate, baselines and diff decide from the result objects alone: importing them loads
    none of opcompat.formats."""
    import subprocess
    import sys

    code = (
        "import sys, opcompat.gate, opcompat.baseline, opcompat.diff\n"
        "print(','.join(m for m in sys.modules if m.startswith('opcompat.formats')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
