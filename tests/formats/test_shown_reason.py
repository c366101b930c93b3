"""The reason column of a delegated operator that the rules refuse as it stands (the fp16
weight helper takes a constant fp16 DEQUANTIZE into its consumers' partition): it says why it
is delegated first, so that the row does not read as a fallback."""

from __future__ import annotations

from opcompat.analysis import check
from opcompat.formats import summary as s
from opcompat.formats.table import TableFormat
from opcompat.report import OperatorResult, Reason, Report
from opcompat.targets.nnapi.reasons import FP16_DELEGATED_WITH_WEIGHTS
from tests.conftest import shared_model


def _op(**fields: object) -> OperatorResult:
    base: dict[str, object] = {"subgraph": 0, "index": 0, "op": "DEQUANTIZE", "version": 3,
                               "operations": (), "supported": False, "delegated": True,
                               "partition": 0}
    return OperatorResult(**{**base, **fields})  # type: ignore[arg-type]


def test_the_fp16_warning_comes_before_the_refusal_codes() -> None:
    op = _op(reasons=(Reason("kUnsupportedOperatorVersion", "Supported op versions are 1 and 2"),
                      Reason("kUnsupportedInputType", "Input type not in expected list")),
             warnings=(Reason(FP16_DELEGATED_WITH_WEIGHTS, "delegated through the remapping"),))
    text = s.delegated_although_refused(op)
    assert text == (f"{FP16_DELEGATED_WITH_WEIGHTS}: delegated through the remapping "
                    "(as it stands: kUnsupportedOperatorVersion, kUnsupportedInputType)")


def test_without_the_warning_it_still_says_delegated() -> None:
    op = _op(reasons=(Reason("kUnsupportedInputType", "Input type not in expected list"),))
    assert s.delegated_although_refused(op).startswith("delegated, although the rules refuse")


def test_a_real_fp16_model_reads_as_delegated_in_the_table() -> None:
    path = shared_model("gen-lstm_unrolled__fp16.tflite")
    report = check(path, api_level=30)
    op = report.operators[0]
    assert op.op == "DEQUANTIZE" and op.delegated and op.reasons
    row = next(line for line in TableFormat().render(Report((report,))).splitlines()
               if line.split()[:3] == ["0", "0", "DEQUANTIZE"])
    assert "NNAPI p0" in row
    assert row.split("NNAPI p0", 1)[1].split()[1].startswith(FP16_DELEGATED_WITH_WEIGHTS)
