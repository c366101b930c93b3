"""`--format table`: the operator table and the summary beneath it."""

from __future__ import annotations

from synthetic import SYNTHETIC

from opcompat.formats.table import TableFormat
from opcompat.report import Report


def test_partial_summary_block(partial_report: Report) -> None:
    text = TableFormat().render(partial_report)
    summary = text[text.index("API level 30") :]
    assert summary == (
        "API level 30 (feature level 4)\n"
        "ops on NNAPI: 4/8 in 3 partitions\n"
        "ops on CPU: 4\n"
        "  kUnsupportedOperatorVersion: 2 (MEAN x2)\n"
        "  kUnsupportedOperator: 1 (CUSTOM:TFLite_Detection_PostProcess)\n"
        "  opcompatPartitionDropped: 1 (LOGISTIC)\n"
        "full delegation from: never (at any API level 27-35)\n"
    )


def test_rows_have_every_column(partial_report: Report) -> None:
    lines = TableFormat().render(partial_report).splitlines()
    header = lines[1].split()
    assert header[:5] == ["subgraph", "index", "op", "version", "MACs"]
    assert "verdict" in lines[1] and "reason" in lines[1] and "NNAPI operation" in lines[1]
    mean = next(line for line in lines if " MEAN " in line and "kUnsupportedInputType" in line)
    assert mean.split()[:6] == ["0", "4", "MEAN", "3", "?", "MEAN"]
    assert "CPU" in mean
    assert any("NNAPI p1" in line and " ADD " in line for line in lines)
    assert any("CPU (supported)" in line and "LOGISTIC" in line for line in lines)


def test_refusal_and_full_delegation_level() -> None:
    refused = TableFormat().render(SYNTHETIC["refused"]())
    assert "whole model refused: opcompatDynamicTensors: tensor 3 is dynamic" in refused
    # Without a reason of its own, an operator is filed under the refusal.
    assert "  opcompatDelegationRefused: 1 (ADD)\n" in refused
    assert "  opcompatDynamicTensors: 1 (RESHAPE)\n" in refused
    full = TableFormat().render(SYNTHETIC["full"]())
    assert "full delegation from: API 28" in full
    assert "ops on CPU" not in full


def test_unreadable_model_and_multiple_subgraphs() -> None:
    text = TableFormat().render(SYNTHETIC["mixed"]())
    assert "== models/broken.tflite\nunreadable: not a TFLite flatbuffer" in text
    multi = TableFormat().render(SYNTHETIC["multi"]())
    rows = [line.split()[:3] for line in multi.splitlines() if line[:1].isdigit()]
    assert rows == [["0", "0", "WHILE"], ["1", "0", "ADD"], ["1", "1", "LESS"]]


def test_no_models() -> None:
    assert TableFormat().render(SYNTHETIC["empty"]()) == "no models\n"


def test_model_warnings_are_in_the_summary(partial_report: Report) -> None:
    from opcompat.report import Reason

    model = partial_report.models[0]
    warned = model._replace(
        warnings=(Reason("opcompatFp16WeightsRevalidated", "subgraph 0: fp16", "x.cc, f"),)
    )
    text = TableFormat().render(partial_report._replace(models=(warned,)))
    assert "\nwarning: opcompatFp16WeightsRevalidated: subgraph 0: fp16\nfull delegation" in text
