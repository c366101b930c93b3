"""The markdown report's mermaid flowcharts parse and render with the real mermaid library.

Needs headless Chromium and a `mermaid.min.js` (e.g. from `npm pack mermaid@10`, file
`package/dist/mermaid.min.js`) named by OPCOMPAT_MERMAID_JS; skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from browser import evaluate
from synthetic import SYNTHETIC, big_model, report_of

from opcompat.formats.markdown import MarkdownFormat

pytestmark = pytest.mark.browser


def charts() -> list[str]:
    reports = [SYNTHETIC[n]() for n in ("partial", "tricky", "multi", "big", "refused")]
    reports.append(report_of(big_model(1000)))
    out: list[str] = []
    for r in reports:
        out += re.findall(r"```mermaid\n(.*?)\n```", MarkdownFormat().render(r), flags=re.S)
    return out


def test_flowcharts_render(tmp_path: Path) -> None:
    js_path = os.environ.get("OPCOMPAT_MERMAID_JS")
    if not js_path or not Path(js_path).is_file():
        pytest.skip("set OPCOMPAT_MERMAID_JS to a mermaid.min.js to render the flowcharts")
    sources = charts()
    page = tmp_path / "mermaid.html"
    page.write_text(
        "<html><body><script>"
        + Path(js_path).read_text(encoding="utf-8")
        + "</script>"
        "<script>const charts=" + json.dumps(sources) + ";mermaid.initialize({startOnLoad:false});"
        "window.rendered=(async()=>{const r=[];for(let i=0;i<charts.length;i++){"
        "try{await mermaid.render('m'+i,charts[i]);"
        "r.push('OK')}catch(e){r.push('ERR '+String(e&&e.message||e).split('\\n')[0])}}"
        "return r})();</script></body></html>",
        encoding="utf-8",
    )
    # Waits for the renders' promise itself: a virtual-time budget was outrun on a slow machine.
    # Without the promise, the page's state says why (the script did not run, or ran elsewhere).
    why = ("['no window.rendered: mermaid is ' + typeof mermaid + ', ' + document.readyState"
           " + ', ' + location.href]")
    got = evaluate(tmp_path, page.as_uri(), f"window.rendered || {why}")
    assert got == ["OK"] * len(sources)
