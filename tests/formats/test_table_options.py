"""The table's `--only-fallbacks`, `--summary` and terminal width, and the summary's one-time,
spec and level-matrix lines (issue 11), on corpus models."""

from __future__ import annotations

import pytest

from opcompat.analysis import check_many
from opcompat.cli import main
from opcompat.formats.summary import level_ranges
from opcompat.formats.table import TableFormat
from tests.conftest import shared_model as _model


def test_level_ranges() -> None:
    assert level_ranges([27, 28, 33, 34, 35]) == "27-28, 33-35"
    assert level_ranges([30]) == "30"
    assert level_ranges([]) == "never"


def test_only_fallbacks_and_summary() -> None:
    report = check_many([str(_model("gh-tflm__keyword_scrambled.tflite"))], api_level=30)
    full = TableFormat().render(report)
    only = TableFormat(only_fallbacks=True).render(report)
    summary = TableFormat(summary_only=True).render(report)
    assert "NNAPI p0" in full and "NNAPI p0" not in only and "SVDF" in only
    assert "SVDF  " not in summary and "ops on NNAPI: 3/15" in summary


def test_width_cuts_reasons_only() -> None:
    report = check_many([str(_model("gh-tflm__keyword_scrambled.tflite"))], api_level=30)
    text = TableFormat(width=140).render(report)
    table = text.split("\n\n")[0].splitlines()[1:]
    assert all(len(line) <= 140 for line in table)
    assert "…" in text


def test_summary_shows_one_time_spec_and_levels(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(_model("gen-vit_tiny__fp16.tflite")), "--api-level", "30"]) == 0
    out = capsys.readouterr().out
    assert "19 one-time: DEQUANTIZE of constant weights" in out and "CPU (one-time)" in out
    assert "by API level: API 27: 12/117 ops" in out
    assert main(["check", str(_model("gen-efficientnet_b0__int8.tflite")), "--api-level", "30"
                 ]) == 0
    out = capsys.readouterr().out
    assert "NNAPI p0 (spec finding)" in out and "spec findings on delegated ops: 1" in out
