"""Cross-check an NNAPI table against the NDK reference page (developer.android.com).

The page renders only the newest header, so it can confirm the newest table but not build
the versioned ones. Its markup is doxygen output: each enum's values sit in table rows whose
first cell names the enumerator and whose second cell holds its doc comment as HTML. Only the
op codes' rows are read; the op level is the last "Available since <level>" sentence of a row.
"""

from __future__ import annotations

import re
from typing import Any

from scrapers.nnapi_header import HeaderError, level_of

NDK_REFERENCE_URL = "https://developer.android.com/ndk/reference/group/neural-networks"

_NAME = re.compile(r"^\s*(ANEURALNETWORKS_[A-Z0-9_]+)\b")
_AVAILABLE = re.compile(r"Available since ((?:NNAPI feature level|API level)\s+\d+)")


def operation_levels(html: str, operation_names: set[str]) -> dict[str, int | None]:
    """Op name -> level stated on the page (None when the row has no level) for known op names."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    found: dict[str, int | None] = {}
    for row in soup.find_all("tr"):
        cells = row.find_all("td")
        if len(cells) < 2:
            continue
        m = _NAME.match(cells[0].get_text(" ", strip=True))
        if m is None or m.group(1) not in operation_names or m.group(1) in found:
            continue
        text = " ".join(cells[1].get_text(" ").split())
        levels = _AVAILABLE.findall(text)
        try:
            found[m.group(1)] = level_of(levels[-1]) if levels else None
        except HeaderError:
            found[m.group(1)] = None
    return found


def cross_check(html: str, table: dict[str, Any]) -> list[str]:
    """Disagreements between the page and an NNAPI table, one line each (empty: they agree)."""
    ops = {o["name"]: o for o in table["operations"]}
    page = operation_levels(html, set(ops))
    if not page:
        return ["the NDK page lists none of the table's operations (markup changed?)"]
    problems = [f"{name}: not on the NDK page" for name in sorted(set(ops) - set(page))]
    for name, level in sorted(page.items()):
        want = ops[name]["since_feature_level"]
        if level is not None and level != want:
            problems.append(f"{name}: NDK page says feature level {level}, table says {want}")
    return problems
