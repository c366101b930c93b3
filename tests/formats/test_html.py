"""`--format html`: one self-contained page that loads nothing, with everything escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from synthetic import SYNTHETIC

from opcompat.formats.html import HtmlFormat
from opcompat.report import ModelReport, Report


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(text: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Collect()
    p.feed(text)
    return p.tags


def test_self_contained(any_report: Report) -> None:
    text = HtmlFormat().render(any_report)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, flags=re.I)
    for tag, attrs in parse(text):
        assert tag not in ("link", "iframe", "img", "object", "embed"), tag
        assert "src" not in attrs, (tag, attrs)
        assert not (attrs.get("href") or "").strip() or (attrs.get("href") or "").startswith("#")
    assert "default-src 'none'" in text  # the browser itself refuses any fetch


def test_one_table_row_per_operator(any_report: Report) -> None:
    text = HtmlFormat().render(any_report)
    rows = [a for t, a in parse(text) if t == "tr" and (a.get("id") or "").startswith("m")]
    expected = sum(len(m.operators) for m in any_report.models if isinstance(m, ModelReport))
    assert len(rows) == expected
    boxes = [a for t, a in parse(text) if t == "g" and a.get("class") == "op"]
    assert len(boxes) == expected
    # Every operator box links to its table row.
    assert {b["data-row"] for b in boxes} == {r["id"] for r in rows}


def test_colours_by_partition_and_cpu(partial_report: Report) -> None:
    text = HtmlFormat().render(partial_report)
    tags = parse(text)
    segs = [a["data-where"] for t, a in tags if t == "g" and a.get("class") == "seg"]
    assert segs == ["nnapi", "cpu", "nnapi", "cpu", "nnapi", "cpu"]
    assert "NNAPI partition 2" in text and "CPU, although supported" in text
    assert 'stroke-dasharray="4 2"' in text  # the supported op left on the CPU


def test_escaping() -> None:
    text = HtmlFormat().render(SYNTHETIC["tricky"]())
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<script") == 2  # the metadata block and the page script, nothing else
    assert "we|ird &lt;name&gt;&amp;.tflite" in text


def test_summary_cards_and_refusal() -> None:
    text = HtmlFormat().render(SYNTHETIC["refused"]())
    assert "Whole model refused:</b> opcompatDynamicTensors" in text
    assert '<div class="v">0/3</div>' in text
    mixed = HtmlFormat().render(SYNTHETIC["mixed"]())
    assert "3 models · 1 fully delegated · 1 unreadable" in mixed
    assert "Unreadable: not a TFLite flatbuffer" in mixed
