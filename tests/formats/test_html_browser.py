"""The HTML report in a real headless Chromium: the script runs, search filters, it renders.

Skipped when no Chromium is installed (`.ci/run` installs it where it can).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import evaluate, run_chromium
from synthetic import big_model, multi_model, partial_model, refused_model, report_of

from opcompat.formats.html import HtmlFormat

pytestmark = pytest.mark.browser


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    report = report_of(partial_model(), refused_model(), multi_model(), big_model(60))
    path.write_text(HtmlFormat().render(report), encoding="utf-8")
    return path


def dump(tmp_path: Path, url: str) -> str:
    # The DOM once the page has loaded and its script has run (no virtual-time budget to outrun).
    dom: str = evaluate(tmp_path, url, "document.documentElement.outerHTML")
    return dom


def test_script_runs_and_counts_rows(page: Path, tmp_path: Path) -> None:
    dom = dump(tmp_path, page.as_uri())
    assert 'data-ready="1"' in dom
    counts = re.findall(r'<span class="count">([^<]*)</span>', dom)
    assert counts == [
        "8 of 8 operators shown",
        "3 of 3 operators shown",
        "3 of 3 operators shown",
        "60 of 60 operators shown",
    ]


def test_search_from_the_address_filters_rows(page: Path, tmp_path: Path) -> None:
    dom = dump(tmp_path, page.as_uri() + "#q=MEAN")
    counts = re.findall(r'<span class="count">([^<]*)</span>', dom)
    assert counts[0] == "2 of 8 operators shown"
    assert counts[1] == "0 of 3 operators shown"
    hidden = re.findall(r'<tr id="m0-s0-o(\d+)"[^>]*style="display: none;"', dom)
    assert sorted(map(int, hidden)) == [0, 1, 2, 3, 5, 7]


def test_screenshot_renders(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    proc = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    assert len(data) > 20_000  # a blank page compresses to a few kB
