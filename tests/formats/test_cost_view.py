"""The cost view and the ranked fixes in every format (`opcompat.formats.cost_view`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from synthetic import partial_model, report_of, validate_report_json

from opcompat.formats import cost_view as v
from opcompat.formats.html import HtmlFormat, fragment
from opcompat.formats.json import render as render_json
from opcompat.formats.markdown import MarkdownFormat
from opcompat.formats.sarif import to_sarif
from opcompat.formats.table import TableFormat
from opcompat.report import AppFix, BoundaryTensor, Fix, ModelCost, ModelReport, PartitionCost

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from builders import ModelBuilder  # noqa: E402


def _tensor(index: int, size: int | None) -> BoundaryTensor:
    return BoundaryTensor(0, index, f"t{index}", "FLOAT32", (1, 4), size)


COST = ModelCost(
    macs=300_774_272, macs_delegated=296_100_000, boundary_bytes=1_234_567, boundary_tensors=5,
    io_bytes=110_592, io_tensors=(_tensor(0, 110_592),),
    partitions=(PartitionCost(0, 0, 2, 296_100_000, (), (_tensor(9, 1_234_567),)),),
)
FIX = Fix(((0, 2),), "CUSTOM:TFLite_Detection_PostProcess", ("kUnsupportedOperator",),
          "Move it to post-processing.", delegated_ops_after=5,
          macs_delegated_after=296_700_000, partitions_after=2)
APP = AppFix("raise minSdk to 30", delegated_ops_after=6, macs_delegated_after=299_100_000,
             partitions_after=3)


def with_cost(**fields: object) -> ModelReport:
    """The synthetic partial model (4 of 8 ops in 3 partitions) with a cost view and fixes."""
    base = {"cost": COST, "fixes": (FIX,), "app_fixes": (APP,)}
    base.update(fields)
    return partial_model()._replace(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "count", "size"),
    [
        (0, "0", "0 B"), (999, "999", "999 B"), (1000, "1.0 k", "1.0 kB"),
        (14_000, "14.0 k", "14.0 kB"), (110_592, "110.6 k", "110.6 kB"),
        (999_960, "1.0 M", "1.0 MB"), (296_100_000, "296.1 M", "296.1 MB"),
        (1_234_567, "1.2 M", "1.2 MB"), (5_600_000_000, "5.6 G", "5.6 GB"),
        (None, "?", "unknown"),
    ],
)
def test_human_numbers(n: int | None, count: str, size: str) -> None:
    assert v.human(n) == count
    assert v.human_bytes(n) == size


def test_cost_lines() -> None:
    assert v.cost_lines(with_cost()) == [
        "MACs on NNAPI: 296.1 M of 300.8 M (98.4 %)",
        "CPU↔NNAPI traffic per inference: 1.2 MB over 5 boundary tensors",
        "model inputs/outputs read or written by NNAPI: 110.6 kB",
    ]
    none = with_cost(cost=COST._replace(boundary_bytes=0, boundary_tensors=0, io_tensors=()))
    assert v.cost_lines(none)[1:] == ["CPU↔NNAPI traffic per inference: none (no boundary tensors)"]
    assert v.cost_lines(with_cost(cost=None)) == []


def test_unknown_macs_are_not_guessed() -> None:
    unknown = with_cost(cost=COST._replace(macs=None, macs_delegated=None, unknown_ops=3))
    assert v.macs_line(unknown) == "MACs: unknown (3 ops with unknown shapes)"
    assert v.effect(unknown, FIX).macs == "MACs unknown"
    op = unknown.operators[0]
    assert v.macs_cell(op._replace(macs=None)) == "?"
    assert v.macs_cell(op._replace(macs=0)) == "-"
    assert v.macs_cell(op._replace(macs=14_000)) == "14.0 k"


def test_fix_lines() -> None:
    model = with_cost()
    assert v.fix_line(model, FIX) == (
        "make the CUSTOM:TFLite_Detection_PostProcess (op 2) delegable: +1 op, +0.2 % of MACs, "
        "3→2 partitions — Move it to post-processing."
    )
    assert v.app_fix_line(model, APP) == (
        "raise minSdk to 30: +2 ops, +1.0 % of MACs, 3→3 partitions")
    four = FIX._replace(operators=((0, 1), (0, 3), (0, 5), (0, 7)), op="GATHER_ND")
    assert v.fix_change(four) == "make the 4 GATHER_ND delegable"
    assert v.fix_change(FIX._replace(operators=((1, 3),)), lambda n: f"`{n}`") == (
        "make the `CUSTOM:TFLite_Detection_PostProcess` (subgraph 1, op 3) delegable")


def test_no_fixes_print_nothing() -> None:
    model = with_cost(fixes=(), app_fixes=())
    assert v.fix_sections(model) == []
    report = report_of(model)
    for text in (TableFormat().render(report), MarkdownFormat().render(report),
                 HtmlFormat().render(report)):
        assert v.MODEL_CHANGES not in text and v.APP_CHANGES not in text
        assert "MACs on NNAPI: 296.1 M of 300.8 M (98.4 %)" in text


def test_top_five_of_each_kind() -> None:
    fixes = tuple(FIX._replace(op=f"OP{k}") for k in range(7))
    apps = tuple(APP._replace(change=f"change {k}") for k in range(6))
    model = with_cost(fixes=fixes, app_fixes=apps)
    sections = v.fix_sections(model)
    assert [(x.title, len(x.lines), x.hidden) for x in sections] == [
        ("Model changes", 5, 2), ("App-side changes", 5, 1)]
    table = TableFormat().render(report_of(model))
    assert "OP4" in table and "OP5" not in table and "change 5" not in table
    assert "  (2 more (all in --format json))" in table
    md = MarkdownFormat().render(report_of(model))
    assert "**Model changes**" in md and "5. make the `OP4` (op 2) delegable" in md
    assert "OP5" not in md
    page = HtmlFormat().render(report_of(model))
    assert "OP4" in page and "OP5" not in page and "1 more (all in --format json)" in page
    data = json.loads(render_json(report_of(model)))
    assert len(data["models"][0]["fixes"]) == 7 and len(data["models"][0]["app_fixes"]) == 6


def test_table_and_markdown_show_cost_and_macs_column() -> None:
    model = with_cost()
    model = model._replace(operators=tuple(o._replace(macs=1_500 * o.index)
                                           for o in model.operators))
    table = TableFormat().render(report_of(model))
    assert "Model changes:\n  1. make the CUSTOM:TFLite_Detection_PostProcess (op 2)" in table
    assert "App-side changes:\n  1. raise minSdk to 30: +2 ops" in table
    row = next(line for line in table.splitlines() if line.startswith("0 ") and " MEAN " in line)
    assert row.split()[:6] == ["0", "4", "MEAN", "3", "6.0", "k"]
    md = MarkdownFormat().render(report_of(model))
    assert "- MACs on NNAPI: 296.1 M of 300.8 M (98.4 %)\n" in md
    assert "   - Move it to post-processing.\n" in md
    assert "| 0 | 4 | `MEAN` | 3 | 6.0 k |" in md


def test_json_cost_fixes_and_remedies() -> None:
    data = json.loads(render_json(report_of(with_cost())))
    validate_report_json(data)
    m = data["models"][0]
    assert m["cost"]["macs"] == 300_774_272 and m["cost"]["boundary_tensors"] == 5
    assert m["cost"]["partitions"][0]["outputs"][0]["bytes"] == 1_234_567
    assert m["fixes"][0]["operators"] == [{"subgraph": 0, "index": 2}]
    assert m["app_fixes"][0] == {"change": "raise minSdk to 30", "delegated_ops_after": 6,
                                 "macs_delegated_after": 299_100_000, "partitions_after": 3}
    ops = {o["index"]: o for o in m["operators"]}
    assert all("remedy" not in r for r in ops[0]["reasons"])  # delegated: no remedy
    assert ops[4]["reasons"][0]["remedy"] and ops[4]["reasons"][1]["remedy"]
    assert "macs" in ops[0] and "elements" in ops[0]
    empty = json.loads(render_json(report_of(with_cost(cost=None, fixes=(), app_fixes=()))))
    validate_report_json(empty)
    assert empty["models"][0]["cost"] is None


def test_sarif_remedy_and_run_properties() -> None:
    log = to_sarif(report_of(with_cost()))
    run = log["runs"][0]
    props = run["properties"]["models"][0]
    assert props["summary"][0] == "MACs on NNAPI: 296.1 M of 300.8 M (98.4 %)"
    assert props["modelChanges"] == [v.fix_line(with_cost(), FIX)]
    mean = next(r for r in run["results"] if r["properties"]["index"] == 6)
    assert " Fix: " in mean["message"]["text"]
    assert mean["properties"]["remedies"][0] in mean["message"]["text"]
    assert "fixes" not in mean


def test_html_cost_cards_macs_column_and_bars() -> None:
    model = with_cost()
    model = model._replace(operators=tuple(o._replace(macs=1_000 * o.index)
                                           for o in model.operators))
    page = HtmlFormat().render(report_of(model))
    assert '<div class="v">98.4 %</div>' in page
    assert "CPU↔NNAPI traffic per inference: 1.2 MB over 5 boundary tensors" in page
    assert '<th class="num">MACs</th>' in page and '<td class="num" data-v="7000"' in page
    assert page.count('class="macs"') == 7 + 6  # every op with MACs; each segment with MACs
    assert "MACs: 7.0 k (0.0 % of the model)" in page
    assert "<h3>Model changes</h3>" in page and "Move it to post-processing." in page


def test_notebook_html_is_a_scoped_fragment() -> None:
    model = with_cost()
    text = model._repr_html_()
    assert text.startswith('<div class="opcompat-report"><style>') and text.endswith("</div>")
    assert "<html" not in text and "<body" not in text
    css = text[text.index("<style>") + 7: text.index("</style>")]
    rules = [r.strip() for r in css.split("}") if r.strip()]
    assert len(rules) > 30 and all(r.startswith(".opcompat-report") for r in rules)
    assert report_of(model)._repr_html_() == fragment(report_of(model))
    assert "MACs on NNAPI" in text


def _chain(cuts: list[str]) -> bytes:
    """A heavy one-op CONV_2D, then per cut an unsupported op and two ADDs."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    shape = [1, 8, 8, 4]
    x = sg.tensor([1, 8, 8, 3], name="x")
    w = sg.tensor([4, 3, 3, 3], data=bytes(4 * 108))
    cur = sg.tensor(shape, name="conv")
    sg.op("CONV_2D", [x, w, -1], [cur], options={"padding": 0, "stride_w": 1, "stride_h": 1})
    for cut in cuts:
        nxt = sg.tensor(shape)
        sg.op(cut, [cur, cur], [nxt])
        cur = nxt
        for _ in range(2):
            nxt = sg.tensor(shape)
            sg.op("ADD", [cur, cur], [nxt], options={})
            cur = nxt
    sg.inputs, sg.outputs = [x], [cur]
    return mb.build()


def test_fix_that_brings_back_the_heavy_dropped_partition_ranks_first() -> None:
    from opcompat.analysis import check

    # Partitions: the CONV_2D alone (all the MACs), then five ADD pairs; the cap (3) keeps three
    # pairs. FLOOR_DIV joins the CONV_2D to a pair (+2 ops, every MAC); FLOOR_MOD or ATAN2
    # join pairs only (+6 ops, no MACs).
    model = check(_chain(["FLOOR_DIV", "FLOOR_MOD", "ATAN2", "FLOOR_MOD", "ATAN2"]),
                  api_level=30)
    conv = model.operators[0]
    assert not conv.delegated and conv.reasons[0].code == "opcompatPartitionDropped"
    assert conv.macs == 6912 and v.macs_share(conv, model) == 1.0
    assert v.macs_line(model) == "MACs on NNAPI: 0 of 6.9 k (0.0 %)"
    assert [f.op for f in model.fixes] == ["FLOOR_DIV", "FLOOR_MOD", "ATAN2"]
    assert v.fix_line(model, model.fixes[0]) == (
        "make the FLOOR_DIV (op 1) delegable: +2 ops, +100.0 % of MACs, 3→3 partitions — "
        "For float tensors compute floor(a / b) (DIV, FLOOR).")
    assert str(v.effect(model, model.fixes[1])) == "+6 ops, +0.0 % of MACs, 3→3 partitions"
    assert v.fix_sections(model)[0].lines[0].startswith("make the FLOOR_DIV (op 1) delegable")
