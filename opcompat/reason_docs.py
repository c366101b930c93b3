"""Generate the report schema's lists (reason codes from `opcompat.reasons`, targets from
`opcompat.targets.TargetChoice`) and `reports/reason_codes.md`.

    python -m opcompat.reason_docs --write     # rewrite both (in a checkout)
    python -m opcompat.reason_docs --check     # exit 1 when either is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from opcompat.reasons import CODES, DELEGATE_CODES, FAILURE_TYPE_SOURCES, OPCOMPAT_CODES, Code
from opcompat.remedies import generic_remedy, remedy_table_markdown
from opcompat.targets import TargetChoice

REPO = Path(__file__).resolve().parent.parent
SCHEMA_PATH = REPO / "reports" / "schema" / "report.schema.json"
DOC_PATH = REPO / "reports" / "reason_codes.md"

_KIND_TITLES = {
    "delegate": "The delegate's failure types",
    "reason": "Why a supported operator stays on the CPU (opcompat's own)",
    "refusal": "Whole-model refusals (opcompat's own)",
    "warning": "Warnings: findings that change no verdict (opcompat's own)",
}


def schema_with_codes(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with its `delegateCode`, `opcompatCode` and target enums set from the
    registries."""
    defs = schema["$defs"]
    defs["model"]["properties"]["target"]["enum"] = [t.value for t in TargetChoice]
    defs["delegateCode"]["description"] = "The delegates' own failure-type names: " + "; ".join(
        f"{enum} ({header})" for enum, header in FAILURE_TYPE_SOURCES
    ) + "."
    defs["delegateCode"]["enum"] = list(DELEGATE_CODES)
    defs["opcompatCode"]["description"] = (
        "opcompat's own codes: model-wide refusals, why a supported operator is not delegated, "
        "and warnings (opcompat/reasons.py and each target's reasons.py; reports/reason_codes.md)."
    )
    defs["opcompatCode"]["enum"] = list(OPCOMPAT_CODES)
    return schema


def render_schema(current: str) -> str:
    return json.dumps(schema_with_codes(json.loads(current)), indent=2, ensure_ascii=False) + "\n"


def render_doc() -> str:
    lines = [
        "# Reason codes",
        "",
        "Every code a report can carry, with what it means and its generic remedy. Generated",
        "from `opcompat/reasons.py` and `opcompat/remedies.py` by",
        "`python -m opcompat.reason_docs --write`; do not edit by hand.",
    ]
    for kind, title in _KIND_TITLES.items():
        lines += ["", f"## {title}", "", "| code | meaning | remedy |", "|---|---|---|"]
        lines += [_doc_row(c) for c in CODES.values() if c.kind == kind]
    lines += [
        "",
        "## Specific remedies",
        "",
        "Tried in this order before the generic remedy of a code: the first row whose code and",
        "op match in full and whose pattern is found in the message (ignoring case) gives the",
        "remedy.",
        "",
    ]
    return "\n".join(lines) + "\n" + remedy_table_markdown()


def _doc_row(code: Code) -> str:
    """One row of a code table: code, meaning, generic remedy (with its source)."""
    remedy = generic_remedy(code.name)
    text = f"{remedy.text} (Source: {remedy.source})".replace("|", "\\|")
    return f"| `{code.name}` | {code.description} | {text} |"


def _outputs() -> list[tuple[Path, str]]:
    if not SCHEMA_PATH.is_file():
        print(f"opcompat: error: {SCHEMA_PATH} not found: run this from a checkout of opcompat, "
              "not an installation", file=sys.stderr)
        raise SystemExit(2)
    return [(SCHEMA_PATH, render_schema(SCHEMA_PATH.read_text(encoding="utf-8"))),
            (DOC_PATH, render_doc())]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m opcompat.reason_docs",
                                 description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="rewrite the generated files")
    group.add_argument("--check", action="store_true", help="exit 1 when one is stale")
    args = ap.parse_args(argv)
    stale = []
    for path, text in _outputs():
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current == text:
            continue
        if args.write:
            path.write_text(text, encoding="utf-8")
        else:
            stale.append(path)
    for path in stale:
        print(f"{path} is stale: run python -m opcompat.reason_docs --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
