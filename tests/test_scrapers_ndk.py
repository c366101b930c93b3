"""Cross-check of an NNAPI table against a saved NDK reference page (bs4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("bs4")

from scrapers import ndk_reference  # noqa: E402
from scrapers.update import Options, run  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "scrapers"
HTML = (FIXTURES / "ndk_reference.html").read_text(encoding="utf-8")
GOLDEN_13 = json.loads((FIXTURES / "golden" / "nnapi_13.json").read_text(encoding="utf-8"))


def test_levels_read_from_rows() -> None:
    names = {o["name"] for o in GOLDEN_13["operations"]}
    levels = ndk_reference.operation_levels(HTML, names)
    assert levels["ANEURALNETWORKS_CONV_2D"] == 1
    assert levels["ANEURALNETWORKS_BATCH_TO_SPACE_ND"] == 2  # the last sentence, not the input's
    assert levels["ANEURALNETWORKS_QUANTIZED_16BIT_LSTM"] is None
    assert "ANEURALNETWORKS_NOT_IN_THE_TABLE" not in levels


def test_cross_check_reports_disagreements_and_missing_ops() -> None:
    problems = ndk_reference.cross_check(HTML, GOLDEN_13)
    assert "ANEURALNETWORKS_BATCH_MATMUL: NDK page says feature level 5, table says 6" in problems
    assert "ANEURALNETWORKS_PAD: not on the NDK page" in problems
    assert not [p for p in problems if "RSQRT" in p or "CONV_2D" in p]


def test_cross_check_of_an_unrelated_page() -> None:
    assert ndk_reference.cross_check("<html><p>nothing</p></html>", GOLDEN_13) == [
        "the NDK page lists none of the table's operations (markup changed?)"
    ]


def test_update_logs_ndk_warnings_without_failing(tmp_path: Path) -> None:
    lines: list[str] = []
    html = tmp_path / "page.html"
    html.write_text(HTML, encoding="utf-8")
    opts = Options(
        out_dir=tmp_path / "out",
        source_dir=FIXTURES / "sources",
        verify_blobs=False,
        ndk_html=html,
    )
    run(opts, lines.append)
    assert any(
        line.startswith("warning: NDK cross-check: ANEURALNETWORKS_BATCH_MATMUL") for line in lines
    )
    assert (tmp_path / "out" / "nnapi_13.json").is_file()
    missing = Options(
        out_dir=tmp_path / "out2",
        source_dir=FIXTURES / "sources",
        verify_blobs=False,
        ndk_html=tmp_path / "absent.html",
    )
    lines.clear()
    run(missing, lines.append)
    assert any(line.startswith("warning: NDK cross-check skipped") for line in lines)
