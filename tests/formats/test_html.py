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
    assert segs == ["delegated", "cpu", "delegated", "cpu", "delegated", "cpu"]
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


def _with_edges(model: ModelReport, edges: tuple[tuple[int, int], ...]) -> ModelReport:
    return model._replace(subgraphs=tuple(sg._replace(edges=edges) for sg in model.subgraphs))


def _flow(text: str) -> str:
    found = re.search(r'<svg class="flow".*?</svg>', text, flags=re.S)
    assert found, "no dataflow drawing"
    return found.group(0)


def test_dataflow_draws_one_path_per_edge_and_groups_partitions() -> None:
    from synthetic import partial_model, report_of

    edges = ((0, 1), (1, 2), (1, 3), (2, 4), (3, 4), (4, 5), (5, 6), (6, 7))
    text = HtmlFormat().render(report_of(_with_edges(partial_model(), edges)))
    flow = _flow(text)
    tags = parse(flow)
    assert len(re.findall(r"<path ", flow)) == len(edges)
    crossing = [a for t, a in tags if t == "path" and "cross" in (a.get("class") or "")]
    assert len(crossing) == 5  # not 0->1 (inside partition 0), 2->4 and 6->7 (CPU to CPU)
    groups = [a["data-partition"] for t, a in tags if t == "g" and a.get("class") == "group"]
    assert sorted(groups) == ["0", "1", "2"]
    assert "NNAPI p0</text>" in flow
    assert "No dataflow recorded" not in text
    assert "<details class=\"flow\" open>" in text


def test_dataflow_unknown_is_said() -> None:
    from synthetic import partial_model, report_of

    text = HtmlFormat().render(report_of(partial_model()))
    assert "No dataflow recorded in this report" in text
    assert "<path " not in _flow(text)


def test_large_graphs_are_compact_and_the_largest_not_drawn() -> None:
    from synthetic import big_model, report_of

    compact = HtmlFormat().render(report_of(big_model(500)))
    assert 'height="13"' in _flow(compact)  # small boxes, the names in the tooltips
    huge = HtmlFormat().render(report_of(big_model(3001)))
    assert "The dataflow is not drawn for 3001 operators" in huge
    assert '<svg class="flow"' not in huge
    assert 'class="strip"' in huge  # the partitions in execution order still are


def test_overview_lists_every_model_with_a_link(mixed_report: Report) -> None:
    text = HtmlFormat().render(mixed_report)
    overview = text[text.index('<table class="overview">'):text.index('<section class="model"')]
    links = re.findall(r'<a href="#model-(\d+)">([^<]*)</a>', overview)
    assert links == [("0", "partial.tflite"), ("1", "full.tflite"), ("2", "broken.tflite")]
    for i, _ in links:
        assert f'id="model-{i}"' in text
    assert "4/8" in overview and "unreadable: not a TFLite flatbuffer" in overview
    one = HtmlFormat().render(SYNTHETIC["partial"]())
    assert 'class="overview"' not in one


def _chain_flow(n: int) -> list[tuple[str, dict[str, str | None]]]:
    from synthetic import big_model, report_of

    edges = tuple((i, i + 1) for i in range(n - 1))
    return parse(_flow(HtmlFormat().render(report_of(_with_edges(big_model(n), edges)))))


def test_a_long_chain_wraps_into_bands_within_the_page_width() -> None:
    from opcompat.formats.html import BAND_WIDTH, FULL, PAD

    tags = _chain_flow(40)  # 40 columns of full-size boxes: far wider than one band
    svg = next(a for t, a in tags if t == "svg")
    per = (BAND_WIDTH - 2 * PAD) // (FULL.box_w + FULL.gap_x)
    assert int(svg["width"] or 0) <= BAND_WIDTH
    boxes = [a for t, a in tags if t == "rect" and a.get("rx") == "4"]
    assert len(boxes) == 40
    assert all(float(b["x"] or 0) + FULL.box_w <= int(svg["width"] or 0) for b in boxes)
    tops = sorted({float(b["y"] or 0) for b in boxes})
    assert len(tops) == -(-40 // per)  # one row of boxes per band, bands stacked downwards
    lines = [a for t, a in tags if t == "line" and a.get("class") == "band"]
    assert len(lines) == len(tops) - 1
    # Each edge is still one path; those into the next band are two dashed stubs.
    paths = [a for t, a in tags if t == "path"]
    assert len(paths) == 39
    wraps = [p for p in paths if "wrap" in (p.get("class") or "")]
    assert len(wraps) == len(tops) - 1
    assert all((p["d"] or "").count("M") == 2 for p in wraps)


def test_a_drawing_of_one_band_is_not_wrapped() -> None:
    tags = _chain_flow(5)
    assert not [a for t, a in tags if t == "line" and a.get("class") == "band"]
    assert not [a for t, a in tags if t == "path" and "wrap" in (a.get("class") or "")]
    boxes = [a for t, a in tags if t == "rect" and a.get("rx") == "4"]
    assert len({b["y"] for b in boxes}) == 1


def test_a_partition_outline_is_cut_where_its_columns_wrap() -> None:
    tags = _chain_flow(40)
    labels = [a for t, a in tags if t == "g" and a.get("class") == "group"]
    # big_model: partitions of 9 ops, each cut into a piece per band it spans (>= 1 each).
    parts = {a["data-partition"] for a in labels}
    assert len(labels) > len(parts)
