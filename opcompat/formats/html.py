"""`--format html`: one self-contained page (inline CSS, SVG and JS; it fetches nothing).

Per model: the summary, the execution order drawn as partitions (a strip whose widths follow the
operator counts) and as operators (coloured by partition, or CPU), and a searchable,
filterable operator table. `#q=TEXT` in the page address pre-fills the search.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import NamedTuple

from opcompat.formats import cost_view as v
from opcompat.formats import graph_layout as g
from opcompat.formats import summary as s
from opcompat.formats.base import ReportFormat
from opcompat.report import (
    AppFix,
    Fix,
    ModelError,
    ModelReport,
    OperatorResult,
    Report,
)

# Partition fills and strokes (colour-blind friendly hues); the CPU is orange, hatched.
PALETTE = (
    ("#d3f0dc", "#1a7f37"),
    ("#d6e8ff", "#0969da"),
    ("#eadcff", "#8250df"),
    ("#d2f1f3", "#1b7c83"),
    ("#f2e8c4", "#7d6608"),
    ("#ffd8ec", "#bf3989"),
)
CPU_FILL, CPU_STROKE = "#ffe7d1", "#c2410c"

STRIP_W, STRIP_H = 1000, 46
MACS_BAR_H = 12  # the strip's MACs bar at the heaviest partition or CPU run

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--nn:#1a7f37;--cpu:#c2410c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
color:var(--fg);background:#fff}
header.page{background:#0d1117;color:#f0f6fc;padding:18px max(32px,calc((100% - 1096px)/2))}
header.page h1{margin:0;font-size:20px;font-weight:600}
header.page p{margin:4px 0 0;color:#9198a1;font-size:13px}
main{padding:8px 32px 40px;max-width:1160px;margin:0 auto}
section.overview{margin:22px 0}
section.model{border:1px solid var(--line);border-radius:10px;margin:22px 0;padding:18px 22px;
background:#fff;box-shadow:0 1px 2px rgba(0,0,0,.04)}
h2{font-size:18px;margin:0 0 4px;word-break:break-all}
h3{font-size:14px;margin:22px 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.path{color:var(--muted);font-size:12px;word-break:break-all}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0 6px}
.card{flex:1 1 150px;border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:var(--bg)}
.card .v{font-size:22px;font-weight:600}
.card .k{font-size:12px;color:var(--muted)}
.card.good .v{color:var(--nn)}.card.bad .v{color:var(--cpu)}
.bar{height:8px;border-radius:4px;background:#ffd9bf;overflow:hidden;margin-top:6px}
.bar span{display:block;height:100%;background:var(--nn)}
.banner{border-left:4px solid #cf222e;background:#ffebe9;padding:10px 14px;border-radius:6px;margin:12px 0}
.warn{border-left:4px solid #9a6700;background:#fff8c5;padding:8px 14px;border-radius:6px;margin:6px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg);position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}
td.num,th.num{text-align:right}
td.op{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
tr.hl td{background:#fff8c5}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.badge.delegated{background:#dafbe1;color:#116329}.badge.cpu{background:#ffe7d1;color:#9a3412}
.badge.sup{background:#fff1c2;color:#7d4e00}
.tools{display:flex;gap:8px;align-items:center;margin:8px 0;flex-wrap:wrap}
.tools input{flex:1 1 260px;padding:6px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
.tools button{padding:5px 12px;border:1px solid var(--line);border-radius:6px;background:#fff;font:inherit;cursor:pointer}
.tools button.on{background:#0d1117;color:#fff;border-color:#0d1117}
.count{color:var(--muted);font-size:12px}
.graph{overflow-x:auto;border:1px solid var(--line);border-radius:8px;padding:10px;background:#fbfcfd}
.graph svg text{font:10.5px ui-monospace,SFMono-Regular,Menlo,monospace;fill:#1f2328}
.graph svg.flow text{font-size:inherit}
.graph svg .edges path{stroke:#8c959f;stroke-width:1}
.graph svg .edges path.cross{stroke:#c2410c;stroke-width:1.4}
.graph svg .edges path.far{stroke-opacity:.45}
.graph svg .edges path.wrap{stroke-dasharray:3 3}
.graph svg .band{stroke:#d0d7de;stroke-dasharray:2 4}
.zoom{display:flex;gap:6px;align-items:center;margin:6px 0;font-size:12px;color:var(--muted)}
.zoom button{padding:2px 9px;border:1px solid var(--line);border-radius:6px;background:#fff;font:inherit;cursor:pointer}
table.overview td.name a{color:var(--fg);word-break:break-all}
.graph svg text.glabel{font-weight:600;font-size:10px}
.note{color:var(--muted);font-size:12px;margin:6px 0}
.graph svg .op{cursor:pointer}
.graph svg .op:hover rect{stroke-width:2.5}
.legend{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 0;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-3px;margin-right:5px;border:1.5px solid}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--line);border-radius:8px}
details{margin-top:8px}
table.fixes td{font-size:13px}
table.fixes td.num,table.fixes td.nw{white-space:nowrap}
table.fixes td.what{min-width:180px}
table.fixes td.remedy{color:var(--muted);font-size:12px}
.more{color:var(--muted);font-size:12px;margin:4px 0}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
"""

JS = """
(function(){
  function apply(sec){
    var q=(sec.querySelector('input.search').value||'').toLowerCase();
    var f=sec.getAttribute('data-filter')||'all';
    var rows=sec.querySelectorAll('table.ops tbody tr'),n=0;
    for(var i=0;i<rows.length;i++){
      var r=rows[i],ok=(!q||r.textContent.toLowerCase().indexOf(q)>=0)&&(f==='all'||r.getAttribute('data-where')===f);
      r.style.display=ok?'':'none';if(ok)n++;
    }
    sec.querySelector('.count').textContent=n+' of '+rows.length+' operators shown';
    sec.setAttribute('data-visible',String(n));
  }
  function sortBy(table,col,num){
    var body=table.tBodies[0],rows=[].slice.call(body.rows);
    var dir=table.getAttribute('data-sort')===String(col)?-1:1;
    table.setAttribute('data-sort',dir===1?String(col):'');
    rows.sort(function(a,b){
      var x=a.cells[col].getAttribute('data-v')||a.cells[col].textContent,y=b.cells[col].getAttribute('data-v')||b.cells[col].textContent;
      if(num){x=parseFloat(x);y=parseFloat(y);if(isNaN(x))x=1e9;if(isNaN(y))y=1e9;return (x-y)*dir;}
      return x.localeCompare(y)*dir;});
    rows.forEach(function(r){body.appendChild(r);});
  }
  var m=/[#&]q=([^&]*)/.exec(location.hash),q0=m?decodeURIComponent(m[1]):'';
  var root=(document.currentScript&&document.currentScript.parentNode)||document;
  var secs=root.querySelectorAll('section.model');
  for(var i=0;i<secs.length;i++)(function(sec){
    var inp=sec.querySelector('input.search');if(!inp)return;
    if(q0)inp.value=q0;
    inp.addEventListener('input',function(){apply(sec);});
    var bs=sec.querySelectorAll('.tools button');
    for(var j=0;j<bs.length;j++)bs[j].addEventListener('click',function(){
      for(var k=0;k<bs.length;k++)bs[k].classList.remove('on');
      this.classList.add('on');sec.setAttribute('data-filter',this.getAttribute('data-f'));apply(sec);});
    var ths=sec.querySelectorAll('th');
    for(var j=0;j<ths.length;j++)(function(th){th.addEventListener('click',function(){
      sortBy(th.closest('table'),th.cellIndex,th.classList.contains('num'));});})(ths[j]);
    var ops=sec.querySelectorAll('svg .op');
    for(var j=0;j<ops.length;j++)ops[j].addEventListener('click',function(){
      var id=this.getAttribute('data-row'),row=sec.querySelector('tr[id="'+id+'"]');if(!row)return;
      var old=sec.querySelectorAll('tr.hl');for(var k=0;k<old.length;k++)old[k].classList.remove('hl');
      inp.value='';sec.setAttribute('data-filter','all');
      for(var k=0;k<bs.length;k++)bs[k].classList.toggle('on',bs[k].getAttribute('data-f')==='all');
      apply(sec);row.classList.add('hl');row.scrollIntoView({block:'center'});});
    apply(sec);
  })(secs[i]);
  var flows=root.querySelectorAll('div.zoom');
  for(var i=0;i<flows.length;i++)(function(bar){
    var svg=bar.nextElementSibling.querySelector('svg.flow');if(!svg)return;
    var w=+svg.getAttribute('width'),h=+svg.getAttribute('height'),z=1;
    function set(nz){z=Math.max(0.02,Math.min(2,nz));svg.setAttribute('width',String(w*z));
      svg.setAttribute('height',String(h*z));bar.querySelector('span').textContent=Math.round(z*100)+' %';}
    bar.addEventListener('click',function(e){var b=e.target.getAttribute('data-z');if(!b)return;
      var box=bar.nextElementSibling.clientWidth-24;
      set(b==='fit'?Math.min(1,box/w):b==='1'?1:z*(+b));});
  })(flows[i]);
  var ov=root.querySelectorAll('table.overview th');
  for(var i=0;i<ov.length;i++)(function(th){th.addEventListener('click',function(){
    sortBy(th.closest('table'),th.cellIndex,th.classList.contains('num'));});})(ov[i]);
  document.body.setAttribute('data-ready','1');
})();
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _colours(partition: int | None) -> tuple[str, str]:
    if partition is None:
        return CPU_FILL, CPU_STROKE
    return PALETTE[partition % len(PALETTE)]


def _row_id(mi: int, op: OperatorResult) -> str:
    return f"m{mi}-s{op.subgraph}-o{op.index}"


def _sum_macs(ops: tuple[OperatorResult, ...]) -> int | None:
    """The MACs of a run of operators; None when one is unknown."""
    total = 0
    for o in ops:
        if o.macs is None:
            return None
        total += o.macs
    return total


def _macs_tip(macs: int | None, model: ModelReport) -> str:
    """` · MACs: 12.3 M (4.1 % of the model)` for a tooltip; empty without a cost view."""
    if model.cost is None:
        return ""
    total = model.cost.macs
    share = f" ({v.percent(macs, total)} of the model)" if macs is not None and total else ""
    return f" · MACs: {v.human(macs)}{share}"


def _strip(model: ModelReport, subgraph: int) -> str:
    """The execution order as a strip of partitions and CPU runs, widths by operator count."""
    target = s.target_label(model)
    segs = s.segments(model, subgraph)
    total = sum(len(x.ops) for x in segs) or 1
    min_w = 6.0
    widths = [max(min_w, STRIP_W * len(x.ops) / total) for x in segs]
    scale = STRIP_W / sum(widths) if widths else 1.0
    out = [
        f'<svg class="strip" role="img" width="{STRIP_W}" height="{STRIP_H + 20}" '
        f'viewBox="0 0 {STRIP_W} {STRIP_H + 20}">',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffe7d1"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#f4b183" stroke-width="2"/></pattern></defs>',
    ]
    seg_macs = [_sum_macs(x.ops) for x in segs]
    heaviest = max((m for m in seg_macs if m), default=0)
    x = 0.0
    for seg, w, macs in zip(segs, widths, seg_macs, strict=True):
        w *= scale
        fill, stroke = _colours(seg.partition)
        fill_attr = "url(#hatch)" if not seg.delegated else fill
        label = f"{target} partition {seg.partition}" if seg.delegated else "CPU"
        n = len(seg.ops)
        tip = f"{label}: {s.plural(n, 'op')} ({s.span(seg.ops)})" + _macs_tip(macs, model)
        out.append(
            f'<g class="seg" data-where="{"delegated" if seg.delegated else "cpu"}"><title>{esc(tip)}</title>'
            f'<rect x="{x:.1f}" y="0" width="{max(w - 1, 1):.1f}" height="{STRIP_H}" rx="4" '
            f'fill="{fill_attr}" stroke="{stroke}" stroke-width="1.5"/>'
        )
        if macs and heaviest:
            h = MACS_BAR_H * macs / heaviest
            out.append(
                f'<rect class="macs" x="{x + 1:.1f}" y="{STRIP_H - 1 - h:.1f}" width="{max(w - 3, 1):.1f}" '
                f'height="{h:.1f}" fill="{stroke}" opacity=".8"/>'
            )
        short = f"p{seg.partition}" if seg.delegated else "CPU"
        text = f"{short} · {n}" if w > 64 else (short if w > 28 else "")
        if text:
            out.append(
                f'<text x="{x + w / 2:.1f}" y="{STRIP_H / 2 + 4:.1f}" text-anchor="middle">{esc(text)}</text>'
            )
        out.append("</g>")
        x += w
    out.append(f'<text x="0" y="{STRIP_H + 15}">op {segs[0].ops[0].index if segs else 0}</text>')
    out.append(f'<text x="{STRIP_W}" y="{STRIP_H + 15}" text-anchor="end">execution order →</text>')
    out.append("</svg>")
    return "".join(out)


class _Sizes(NamedTuple):
    """Box and gap sizes of one dataflow drawing, in pixels."""

    box_w: int
    box_h: int
    gap_x: int
    gap_y: int
    font: float
    name_x: int
    """Where the op name starts in a box (the index before it; 0: no index)."""
    name_chars: int


FULL = _Sizes(116, 22, 34, 12, 10.5, 30, 13)
COMPACT = _Sizes(46, 13, 16, 5, 7.5, 0, 9)  # above COMPACT_ABOVE operators: names on hover
COMPACT_ABOVE = 400
GRAPH_LIMIT = 3000  # above: no dataflow drawing, the strip and the table only
OPEN_LIMIT = 1000  # the drawing starts collapsed above this many operators
PAD = 5  # a partition group's margin around its boxes
TOP = 16  # room above the first row for a group's label
LONG_EDGE = 3  # an edge over more columns is drawn lighter
BAND_WIDTH = 1000  # a wider drawing wraps into bands of columns stacked top to bottom
BAND_GAP = 14  # between two bands, besides the room for group labels (TOP)





def _run_order(model: ModelReport, subgraph: int) -> list[OperatorResult]:
    """The subgraph's operators in the order the interpreter runs them (`summary.segments`)."""
    return [o for seg in s.segments(model, subgraph) for o in seg.ops]


def _place(op: OperatorResult) -> int | None:
    """Where an operator runs: its partition, or None for the CPU."""
    return op.partition if op.delegated else None


def _dataflow(model: ModelReport, subgraph: int, mi: int) -> str:
    """The subgraph's dataflow, producers left of consumers, partitions as groups; above
    GRAPH_LIMIT operators a note instead."""
    ops = _run_order(model, subgraph)
    if len(ops) > GRAPH_LIMIT:
        return (f'<p class="note">The dataflow is not drawn for {len(ops)} operators (more '
                f"than {GRAPH_LIMIT}): the strip above shows the partitions in execution "
                "order, the table below every operator.</p>")
    sg = s.subgraph_result(model, subgraph)
    edges = sg.edges if sg is not None else ()
    known = bool(edges) or len(ops) < 2
    if not known:  # drawn as a chain in run order, the chain not drawn
        edges = tuple((a.index, b.index) for a, b in zip(ops, ops[1:], strict=False))
    size = COMPACT if len(ops) > COMPACT_ABOVE else FULL
    lay = g.layout([o.index for o in ops], edges)
    by_index = {o.index: o for o in ops}
    at = _Bands.of(lay, size)
    out = [
        f'<svg class="flow" role="img" width="{at.width}" height="{at.height}" '
        f'viewBox="0 0 {at.width} {at.height}" style="font-size:{size.font}px">'
        f"<title>{esc(s.target_label(model))} dataflow, {s.plural(len(ops), 'operator')}</title>",
        at.separators(),
        _groups(model, at, by_index),
        _edges(at, by_index) if known else "",
        _boxes(model, at, ops, mi),
        "</svg>",
    ]
    note = ("" if known else '<p class="note">No dataflow recorded in this report: the '
            "operators are drawn in execution order, unlinked.</p>")
    return note + "".join(out)


def _zoom(ops: int) -> str:
    """The zoom buttons above a dataflow drawing (the page script makes them work)."""
    if ops > GRAPH_LIMIT or ops < 2:
        return ""
    buttons = "".join(f'<button data-z="{z}">{label}</button>' for z, label in
                      (("fit", "fit width"), ("0.5", "−"), ("2", "+"), ("1", "1:1")))
    return f'<div class="zoom">zoom {buttons}<span>100 %</span></div>'


class _Bands(NamedTuple):
    """Where a layout's columns go on the page: in bands of `per_band` columns, stacked top to
    bottom, so that a long chain wraps like text instead of running thousands of pixels wide.
    A drawing of one band is placed as the layout says."""

    lay: g.Layout
    size: _Sizes
    per_band: int
    tops: tuple[float, ...]
    """The y of each band's first row."""
    first_rows: tuple[float, ...]
    """The smallest layout row in each band (a band is as tall as its own rows)."""
    width: int
    height: int

    @classmethod
    def of(cls, lay: g.Layout, size: _Sizes) -> _Bands:
        pitch_x, pitch_y = size.box_w + size.gap_x, size.box_h + size.gap_y
        per = max(1, (BAND_WIDTH - 2 * PAD) // pitch_x)
        count = max(1, -(-lay.columns // per))
        low, high = [float("inf")] * count, [float("-inf")] * count
        for n, c in lay.column.items():
            b, r = c // per, lay.row[n]
            low[b], high[b] = min(low[b], r), max(high[b], r)
        tops: list[float] = []
        firsts: list[float] = []
        y = float(TOP)
        for b in range(count):
            first, last = (low[b], high[b]) if low[b] <= high[b] else (0.0, 0.0)
            tops.append(y)
            firsts.append(first)
            y += (last - first + 1) * pitch_y - size.gap_y + PAD + BAND_GAP + TOP
        shown = min(lay.columns, per)
        width = shown * pitch_x - size.gap_x + 2 * PAD + 2
        if count == 1:
            height = int(lay.rows * pitch_y) - size.gap_y + TOP + PAD + 2
        else:
            height = int(y - BAND_GAP - TOP) + 2
        return cls(lay, size, per, tuple(tops), tuple(firsts), width, height)

    def band(self, column: int) -> int:
        return column // self.per_band

    def x(self, column: int) -> float:
        """The left side of a box in `column`."""
        return PAD + 1 + column % self.per_band * (self.size.box_w + self.size.gap_x)

    def y(self, column: int, row: float) -> float:
        """The top of a box at `row` in `column`."""
        b = self.band(column)
        return self.tops[b] + (row - self.first_rows[b]) * (self.size.box_h + self.size.gap_y)

    def xy(self, n: int) -> tuple[float, float]:
        """The top-left corner of node `n`'s box."""
        c = self.lay.column[n]
        return self.x(c), self.y(c, self.lay.row[n])

    def separators(self) -> str:
        """A faint line between two bands."""
        lines = "".join(
            f'<line class="band" x1="0" x2="{self.width}" y1="{t - TOP - BAND_GAP / 2:.0f}" '
            f'y2="{t - TOP - BAND_GAP / 2:.0f}"/>' for t in self.tops[1:])
        return f"<g>{lines}</g>" if lines else ""


def _edges(at: _Bands, by_index: dict[int, OperatorResult]) -> str:
    """One path per edge, producer's right side to consumer's left side; orange where the
    tensor crosses between the CPU and a partition (or two partitions). An edge into a later
    band is a dashed stub out of the producer's band and one into the consumer's."""
    size, lay = at.size, at.lay
    out = ['<g class="edges" fill="none">']
    half = size.box_h / 2
    for p, c in lay.edges:
        x1, y1 = at.xy(p)
        x2, y2 = at.xy(c)
        x1 += size.box_w
        cross = _place(by_index[p]) != _place(by_index[c])
        far = abs(lay.column[c] - lay.column[p]) > LONG_EDGE
        wrap = at.band(lay.column[p]) != at.band(lay.column[c])
        cls = " ".join(k for k, on in (("cross", cross), ("far", far), ("wrap", wrap)) if on)
        colour = f' class="{cls}"' if cls else ""
        if wrap:
            out.append(
                f'<path d="M{x1:.0f},{y1 + half:.0f} H{at.width - 1} '
                f'M1,{y2 + half:.0f} H{x2:.0f}"{colour}/>'
            )
            continue
        bend = max(size.gap_x * 0.7, (x2 - x1) * 0.25) if x2 > x1 else 2.0 * size.gap_x
        out.append(
            f'<path d="M{x1:.0f},{y1 + half:.0f} C{x1 + bend:.0f},{y1 + half:.0f} '
            f'{x2 - bend:.0f},{y2 + half:.0f} {x2:.0f},{y2 + half:.0f}"{colour}/>'
        )
    out.append("</g>")
    return "".join(out)


def _band_runs(at: _Bands, outline: g.Outline) -> list[list[g.Span]]:
    """An outline's spans, cut where its columns wrap into the next band."""
    runs: list[list[g.Span]] = []
    for span in outline.spans:
        if runs and at.band(span.column) == at.band(runs[-1][-1].column):
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def _groups(model: ModelReport, at: _Bands, by_index: dict[int, OperatorResult]) -> str:
    """Each partition as a translucent outline around its boxes, column by column where its
    boxes are in consecutive columns of one band, labelled at its left end."""
    target = s.target_label(model)
    size = at.size
    out = ['<g class="groups">']
    for outline in g.outlines(at.lay, {n: _place(o) for n, o in by_index.items()}):
        part = int(str(outline.key))
        fill, stroke = _colours(part)
        for spans in _band_runs(at, outline):
            top_pts, bottom_pts = [], []
            last = len(spans) - 1
            for i, span in enumerate(spans):
                x = at.x(span.column)
                left = x - (PAD if i == 0 else size.gap_x / 2)
                right = x + size.box_w + (PAD if i == last else size.gap_x / 2)
                top = at.y(span.column, span.top) - PAD
                bottom = at.y(span.column, span.bottom) + size.box_h + PAD
                top_pts += [f"{left:.0f},{top:.0f}", f"{right:.0f},{top:.0f}"]
                bottom_pts += [f"{left:.0f},{bottom:.0f}", f"{right:.0f},{bottom:.0f}"]
            first = spans[0]
            out.append(
                f'<g class="group" data-partition="{part}"><title>{esc(target)} partition '
                f"{part}</title><polygon points=\"{' '.join(top_pts + bottom_pts[::-1])}\" "
                f'fill="{fill}" fill-opacity=".55" stroke="{stroke}" stroke-opacity=".6" '
                f'stroke-linejoin="round"/>'
                f'<text x="{at.x(first.column) - PAD + 2:.0f}" '
                f'y="{at.y(first.column, first.top) - PAD - 3:.0f}" fill="{stroke}" '
                f'class="glabel">{esc(target)} p{part}</text></g>'
            )
    out.append("</g>")
    return "".join(out)


def _boxes(model: ModelReport, at: _Bands, ops: list[OperatorResult], mi: int) -> str:
    """The operator boxes, coloured by partition (the CPU hatched), each with its MACs bar
    and a tooltip, linked to its table row."""
    target = s.target_label(model)
    heaviest = max((o.macs for o in ops if o.macs), default=0)
    out = []
    size = at.size
    for op in ops:
        x, y = at.xy(op.index)
        fill, stroke = _colours(_place(op))
        dash = ' stroke-dasharray="4 2"' if (not op.delegated and op.supported) else ""
        where = f"{target} partition {op.partition}" if op.delegated else s.verdict(op, model)
        tip = f"{op.index}: {op.op} v{op.version} - {where}" + _macs_tip(op.macs, model)
        reason = s.shown_reason(op, model)
        if reason:
            tip += f"\n{reason}"
        chars = size.name_chars
        name = op.op if len(op.op) <= chars else op.op[: chars - 1] + "…"
        bar = ""
        if op.macs and heaviest:  # the op's MACs, the heaviest op's bar spanning the box
            bar = (f'<rect class="macs" x="{x + 3:.0f}" y="{y + size.box_h - 4:.0f}" '
                   f'width="{max((size.box_w - 6) * op.macs / heaviest, 1):.1f}" height="2.5" '
                   f'fill="{stroke}"/>')
        base = y + size.box_h / 2 + size.font * 0.35
        label = (f'<text x="{x + 5:.0f}" y="{base:.0f}">{esc(op.index)}</text>'
                 if size.name_x else "")
        label += f'<text x="{x + (size.name_x or 3):.0f}" y="{base:.0f}">{esc(name)}</text>'
        out.append(
            f'<g class="op" data-row="{_row_id(mi, op)}" data-where="{"delegated" if op.delegated else "cpu"}">'
            f"<title>{esc(tip)}</title>"
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{size.box_w}" height="{size.box_h}" rx="4" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.3"{dash}/>{bar}{label}</g>'
        )
    return "".join(out)


def _legend(model: ModelReport) -> str:
    target = s.target_label(model)
    items = []
    parts = sorted(
        {o.partition for o in model.operators if o.delegated and o.partition is not None}
    )
    for p in parts:
        fill, stroke = _colours(p)
        items.append(
            f'<span><i style="background:{fill};border-color:{stroke}"></i>{target} partition {p}</span>'
        )
    items.append(f'<span><i style="background:{CPU_FILL};border-color:{CPU_STROKE}"></i>CPU</span>')
    if any(o.supported and not o.delegated for o in model.operators):
        items.append(
            f'<span><i style="background:{CPU_FILL};border-color:{CPU_STROKE};border-style:dashed">'
            "</i>CPU, although supported</span>"
        )
    if any(o.macs for o in model.operators):
        items.append(
            '<span><i style="background:#fff;border-color:#8c959f;box-shadow:inset 0 -4px #59636e">'
            "</i>dark bar: MACs, the longest at the heaviest op (strip: partition or CPU run)</span>"
        )
    return f'<div class="legend">{"".join(items)}</div>'


def _cards(model: ModelReport) -> str:
    target = s.target_label(model)
    total = len(model.operators)
    pct = 100 * model.delegated_ratio
    cpu = len(model.fallbacks)
    return (
        '<div class="cards">'
        f'<div class="card {"good" if model.fully_delegated else "bad"}"><div class="v">{model.delegated_count}/{total}</div>'
        f'<div class="k">ops on {target} ({pct:.1f}%)</div><div class="bar"><span style="width:{pct:.1f}%"></span></div></div>'
        f'<div class="card"><div class="v">{model.partition_count}</div><div class="k">{target} partitions</div></div>'
        f'<div class="card {"bad" if cpu else "good"}"><div class="v">{cpu}</div><div class="k">ops on CPU</div></div>'
        + _level_cards(model)
        + _cost_cards(model)
        + "</div>"
    )


def _cost_cards(model: ModelReport) -> str:
    """The cost view (`cost_view`): the delegated share of MACs, and the CPU↔target traffic
    with the model's own inputs/outputs beside it; empty without a cost view."""
    c = model.cost
    if c is None:
        return ""
    share = c.delegated_share
    value = _macs_share(model)
    bar = (f'<div class="bar"><span style="width:{100 * share:.1f}%"></span></div>'
           if share is not None else "")
    traffic = v.human_bytes(c.boundary_bytes) if c.boundary_tensors else "none"
    detail = " · ".join(esc(line) for line in (v.traffic_line(model), v.io_line(model)) if line)
    return (
        f'<div class="card macs"><div class="v">{esc(value)}</div>'
        f'<div class="k">{esc(v.macs_line(model))}</div>{bar}</div>'
        f'<div class="card traffic"><div class="v">{esc(traffic)}</div><div class="k">{detail}</div></div>'
    )


def _macs_share(model: ModelReport) -> str:
    """The delegated share of MACs: `98.4 %`, `?` when unknown, `-` without MACs."""
    c = model.cost
    if c is None or c.macs is None:
        return "?"
    share = c.delegated_share
    return "-" if share is None else v.percent(share, 1)


_NUM_COLUMNS = ("#", "ops", "MACs")


def _fix_table(model: ModelReport, title: str, changes: Sequence[Fix | AppFix]) -> str:
    """One kind of change, its top five as a table: rank, what, the gain (`cost_view.effect`)
    and, for a model change, the remedy; empty without any."""
    shown, hidden = v.top(changes)
    if not shown:
        return ""
    remedies = isinstance(shown[0], Fix)
    names = ("#", "change", "ops", "MACs", "partitions", *(("remedy",) if remedies else ()))
    head = "".join(f'<th class="num">{n}</th>' if n in _NUM_COLUMNS else f"<th>{n}</th>"
                   for n in names)
    rows = []
    for k, f in enumerate(shown, 1):
        e = v.effect(model, f)
        what = v.fix_change(f) if isinstance(f, Fix) else f.change
        rows.append(
            f'<tr><td class="num">{k}</td><td class="what">{esc(what)}</td><td class="num">{esc(e.ops)}</td>'
            f'<td class="num">{esc(e.macs)}</td><td class="nw">{esc(e.partitions)}</td>'
            + (f'<td class="remedy">{esc(f.remedy)}</td>' if isinstance(f, Fix) else "")
            + "</tr>"
        )
    return (
        f'<h3>{esc(title)}</h3><table class="fixes"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f'<div class="more">{esc(v.more_text(hidden))}</div>' if hidden else "")
    )


def _fixes(model: ModelReport) -> str:
    """The ranked model changes, then the app-side changes; empty without any."""
    return (_fix_table(model, v.MODEL_CHANGES, model.fixes)
            + _fix_table(model, v.APP_CHANGES, model.app_fixes))


def _level_cards(model: ModelReport) -> str:
    """The lowest full level and the level checked; for a target without levels, the options."""
    if not s.has_levels(model):
        return (f'<div class="card"><div class="v">{esc(_full_or_partial(model))}</div>'
                f'<div class="k">{esc(s.checked_at(model))}</div></div>')
    return (
        f'<div class="card"><div class="v">{"never" if model.min_api_level is None else model.min_api_level}</div>'
        f'<div class="k">{"no API level 27-35 delegates every op" if model.min_api_level is None else "lowest API level for full delegation"}</div></div>'
        f'<div class="card"><div class="v">{model.options.api_level}</div>'
        f'<div class="k">API level checked (feature level {model.options.feature_level})</div></div>'
    )


def _full_or_partial(model: ModelReport) -> str:
    """The card value for a target without levels: whether everything is delegated."""
    return "full" if model.fully_delegated else "partial"


def _op_table(model: ModelReport, mi: int) -> str:
    target = esc(s.target_label(model))
    rows = []
    for op in sorted(model.operators, key=lambda o: (o.subgraph, o.index)):
        if op.delegated:
            badge = (
                f'<span class="badge delegated">{target} p{esc(op.partition)}</span>'
                if op.partition is not None
                else f'<span class="badge delegated">{target}</span>'
            )
        elif op.one_time:
            badge = '<span class="badge sup">CPU (one-time)</span>'
        elif op.supported:
            badge = '<span class="badge sup">CPU (supported)</span>'
        else:
            badge = '<span class="badge cpu">CPU</span>'
        if s.spec_findings_of(op):
            badge += ' <span class="badge cpu">spec finding</span>'
        reason = s.shown_reason(op, model)
        first = s.levels_cell(op, model)
        rows.append(
            f'<tr id="{_row_id(mi, op)}" data-where="{"delegated" if op.delegated else "cpu"}">'
            f'<td class="num">{op.subgraph}</td><td class="num">{op.index}</td><td class="op">{esc(op.op)}</td>'
            f'<td class="num">{op.version}</td>'
            f'<td class="num" data-v="{-1 if op.macs is None else op.macs}" title="{esc(op.macs if op.macs is not None else "unknown")}">{esc(v.macs_cell(op))}</td>'
            f'<td class="op">{esc(", ".join(op.operations) or "-")}</td>'
            f'<td data-v="{"0" if op.delegated else "1"}">{badge}</td>'
            f'<td class="num" data-v="{esc(op.first_api_level if op.first_api_level is not None else 999)}">{esc(first)}</td>'
            f"<td>{esc(reason)}</td></tr>"
        )
    return (
        f'<div class="tools"><input class="search" type="search" placeholder="Search operators, reasons, {target} operations…" '
        'aria-label="search operators">'
        f'<button class="on" data-f="all">All</button><button data-f="delegated">{target}</button>'
        '<button data-f="cpu">CPU</button><span class="count"></span></div>'
        '<div class="scroll"><table class="ops"><thead><tr><th class="num">subgraph</th><th class="num">index</th>'
        f'<th>op</th><th class="num">version</th><th class="num">MACs</th><th>{target} operation</th><th>verdict</th>'
        '<th class="num">API levels</th><th>reason</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _causes(model: ModelReport) -> str:
    groups = s.causes(model)
    if not groups:
        return ""
    rows = "".join(
        f'<tr><td class="op">{esc(c)}</td><td class="num">{len(ops)}</td><td>{esc(s.op_names(ops))}</td></tr>'
        for c, ops in groups.items()
    )
    return (
        '<h3>Operators on the CPU, by cause</h3><table class="causes"><thead><tr><th>cause</th>'
        f'<th class="num">ops</th><th>which</th></tr></thead><tbody>{rows}</tbody></table>'
    )


def render_model(model: ModelReport, mi: int) -> str:
    parts = [
        f'<section class="model" id="model-{mi}" data-filter="all">',
        f"<h2>{esc(s.model_name(model.path))}</h2>",
        f'<div class="path">{esc(model.path)}'
        # Only a hash already known: this report must not read the whole file for it.
        + (f" · sha256 {esc(model.sha256[:16])}…" if model.digest.known and model.sha256 else "")
        + "</div>",
        _cards(model),
    ]
    if model.refusal is not None:
        parts.append(
            f'<div class="banner refusal"><b>Whole model refused:</b> {esc(model.refusal.code)}: '
            f"{esc(model.refusal.message)}. Nothing is delegated.</div>"
        )
    parts += [f'<div class="warn">{esc(w.code)}: {esc(w.message)}</div>' for w in model.warnings]
    parts.append(_causes(model))
    parts.append(_fixes(model))
    subgraphs = s.subgraph_indices(model)
    for sg in subgraphs:
        name = s.subgraph_name(model, sg)
        title = f"Subgraph {sg}" + (f" ({name})" if name else "") if len(subgraphs) > 1 else "Graph"
        ops_in = len(s.ops_in_subgraph(model, sg))
        parts.append(f"<h3>{esc(title)}: partitions in execution order</h3>")
        parts.append(f'<div class="graph">{_strip(model, sg)}</div>')
        open_attr = " open" if ops_in <= OPEN_LIMIT else ""
        parts.append(
            f"<details class=\"flow\"{open_attr}><summary>Dataflow ({s.plural(ops_in, 'operator')}"
            "), producers left of consumers, coloured by where they run</summary>"
            f"{_zoom(ops_in)}"
            f'<div class="graph">{_dataflow(model, sg, mi)}</div></details>'
        )
    parts.append(_legend(model))
    parts.append("<h3>Operators</h3>")
    parts.append(_op_table(model, mi))
    parts.append("</section>")
    return "".join(parts)


def render_error(error: ModelError, mi: int) -> str:
    return (
        f'<section class="model error" id="model-{mi}"><h2>{esc(s.model_name(error.path))}</h2>'
        f'<div class="path">{esc(error.path)}</div>'
        f'<div class="banner">Unreadable: {esc(error.error)}</div></section>'
    )


_OVERVIEW_HEAD = (("model", ""), ("target", ""), ("ops on {}", "num"), ("partitions", "num"),
                  ("MACs on {}", "num"), ("full delegation", ""))


def _overview_row(entry: ModelReport | ModelError, name: str, mi: int) -> str:
    """One model's row of the overview, its name linking to its section."""
    link = f'<td class="name"><a href="#model-{mi}">{esc(name)}</a></td>'
    if isinstance(entry, ModelError):
        return (f'<tr class="error">{link}<td>-</td><td class="num" data-v="-1">-</td>'
                f'<td class="num" data-v="-1">-</td><td class="num" data-v="-1">-</td>'
                f"<td>unreadable: {esc(entry.error)}</td></tr>")
    total = len(entry.operators)
    share = entry.cost.delegated_share if entry.cost is not None else None
    full = s.full_delegation_text(entry)
    if entry.refusal is not None:
        full = f"whole model refused ({entry.refusal.code}); {full}"
    return (
        f'<tr>{link}<td>{esc(s.target_label(entry))}</td>'
        f'<td class="num" data-v="{entry.delegated_ratio:.6f}">{entry.delegated_count}/{total}</td>'
        f'<td class="num">{entry.partition_count}</td>'
        f'<td class="num" data-v="{-1 if share is None else round(share, 6)}">'
        f"{esc(_macs_share(entry))}</td><td>{esc(full)}</td></tr>"
    )


def _overview(report: Report) -> str:
    """One row per model (per model and target), before the sections; empty for one entry."""
    if len(report.models) < 2:
        return ""
    paths = list(dict.fromkeys(m.path for m in report.models))  # a path per target: once
    shown = dict(zip(paths, s.display_names(paths), strict=True))
    names = [shown[m.path] for m in report.models]
    label = s.report_label(report)
    label = "target" if "+" in label else label
    head = "".join(f'<th class="{c}">{esc(n.format(label))}</th>' if c
                   else f"<th>{esc(n.format(label))}</th>" for n, c in _OVERVIEW_HEAD)
    rows = "".join(_overview_row(m, n, i)
                   for i, (m, n) in enumerate(zip(report.models, names, strict=True)))
    return (
        f'<section class="overview"><h3>Overview: {s.plural(len(report.models), "check")}</h3>'
        '<div class="scroll"><table class="overview"><thead><tr>'
        f"{head}</tr></thead><tbody>{rows}</tbody></table></div></section>"
    )


def _sections(report: Report) -> str:
    """The overview (several entries), then every model's section (or its error), in
    report order."""
    return _overview(report) + "".join(
        render_error(m, i) if isinstance(m, ModelError) else render_model(m, i)
        for i, m in enumerate(report.models)
    )


FRAGMENT_CLASS = "opcompat-report"


def scoped_css(css: str = CSS, scope: str = "." + FRAGMENT_CLASS) -> str:
    """`css` with every selector confined to `scope` (`:root` and `body` become the scope
    itself), so a fragment in a notebook does not restyle the page around it."""
    rules = []
    for rule in css.strip().split("}"):
        if "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        scoped = []
        for sel in selectors.split(","):
            sel = sel.strip()
            scoped.append(scope if sel in (":root", "body") else f"{scope} {sel}")
        rules.append(f"{','.join(scoped)}{{{body}}}")
    return "\n".join(rules)


def fragment(report: Report) -> str:
    """The report as one `<div>` for a notebook (`Report._repr_html_`): the model sections,
    the page's CSS confined to the div, and its script working inside the div only."""
    target = esc(s.report_label(report))
    sub = esc(s.checked_text(report, " · ", verb=""))
    return (
        f'<div class="{FRAGMENT_CLASS}"><style>{scoped_css()}</style>'
        f'<div class="path">opcompat {target} delegation report · {sub}</div>'
        f"{_sections(report)}<script>{JS}</script></div>"
    )


class HtmlFormat(ReportFormat):
    def render(self, report: Report) -> str:
        target = esc(s.report_label(report))
        sub = s.checked_text(report, " · ", verb="")
        body = _sections(report)
        meta = json.dumps({"tool_version": report.tool_version}).replace("</", "<\\/")
        version = f"opcompat {esc(report.tool_version)}" if report.tool_version else "opcompat"
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
            f"<title>opcompat {target} report</title><style>{CSS}</style></head><body>"
            f'<header class="page"><h1>{target} delegation report</h1><p>{esc(sub)}</p></header>'
            f"<main>{body}</main><footer>{version}. Generated offline; this page loads nothing.</footer>"
            f'<script type="application/json" id="opcompat-meta">{meta}</script>'
            f"<script>{JS}</script></body></html>\n"
        )
