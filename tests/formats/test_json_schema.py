"""The published JSON Schema of `check --format json`; every JSON output validated against it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from synthetic import SCHEMA_PATH, SYNTHETIC, validate_report_json

from opcompat.formats.json import render, report_to_dict
from opcompat.report import REPORT_SCHEMA_VERSION, Report

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_schema_is_a_valid_schema_and_is_shipped() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    shipped = files("opcompat") / "report_schema" / "report.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == SCHEMA
    assert SCHEMA["properties"]["schema_version"]["const"] == REPORT_SCHEMA_VERSION


def test_every_synthetic_report_validates(any_report: Report) -> None:
    validate_report_json(json.loads(render(any_report)))


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda d: d["models"][0]["operators"][0].pop("delegated"), "delegated"),
        (
            lambda d: d["models"][0]["operators"][0]["reasons"].append(
                {"code": "kMadeUp", "message": ""}
            ),
            "kMadeUp",
        ),
        (lambda d: d["models"][0].update(min_api_level=26), "26"),
        (lambda d: d["models"][0].update(sha256="xyz"), "xyz"),
        (lambda d: d.update(schema_version="0.9"), "0.9"),
    ],
)
def test_schema_rejects_wrong_reports(mutate: object, where: str) -> None:
    data = report_to_dict(SYNTHETIC["partial"]())
    mutate(data)  # type: ignore[operator]
    assert list(VALIDATOR.iter_errors(data)), where


def test_reason_codes_are_the_delegates_and_opcompats_own() -> None:
    """Every `opcompat*` code the package spells out is in the registry, defined nowhere else,
    and the schema lists exactly the registry's codes."""
    import re

    from opcompat import reasons

    package = Path(__file__).resolve().parents[2] / "opcompat"
    in_code: dict[str, set[str]] = {}
    for source in package.rglob("*.py"):
        for code in re.findall(r'"(opcompat[A-Z][A-Za-z0-9]+)"', source.read_text("utf-8")):
            in_code.setdefault(code, set()).add(source.name)
    in_code.pop("opcompatCode", None)  # the schema's name for the list, written by reason_docs
    assert set(in_code) == set(reasons.OPCOMPAT_CODES)
    assert all(where == {"reasons.py"} for where in in_code.values()), in_code
    defs = SCHEMA["$defs"]
    assert defs["delegateCode"]["enum"] == list(reasons.DELEGATE_CODES)
    assert defs["opcompatCode"]["enum"] == list(reasons.OPCOMPAT_CODES)
    assert all(c.description for c in reasons.CODES.values())


def test_generated_code_lists_are_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opcompat import reason_docs

    assert reason_docs.main(["--check"]) == 0, "run python -m opcompat.reason_docs --write"
    stale = tmp_path / "reason_codes.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(reason_docs, "DOC_PATH", stale)
    assert reason_docs.main(["--check"]) == 1
    assert reason_docs.main(["--write"]) == 0 and stale.read_text() == reason_docs.render_doc()


def test_reason_codes_match_the_delegate_header() -> None:
    header = (
        Path(os.environ.get("OPCOMPAT_SOURCES", "$OPCOMPAT_SOURCES (unset)"))
        / "litert/tflite/delegates/nnapi/nnapi_delegate_kernel.h"
    )
    if not header.is_file():
        pytest.skip("upstream sources not present")
    text = header.read_text()
    body = text[text.index("enum class NNAPIValidationFailureType") :]
    body = body[: body.index("};")]
    import re

    names = re.findall(r"^\s*(k\w+)\s*=", body, flags=re.M)
    assert names == SCHEMA["$defs"]["delegateCode"]["enum"]


def test_corpus_reports_validate(corpus: list[Path]) -> None:
    from opcompat.analysis import check_many

    sample = [str(p) for p in corpus[::8]]
    for level in (27, 35):
        validate_report_json(json.loads(render(check_many(sample, api_level=level))))


def test_check_path_does_not_import_jsonschema(corpus: list[Path]) -> None:
    model = str(corpus[0])
    code = (
        "import sys, io, contextlib\n"
        "from opcompat.cli import main\n"
        "for fmt in ('json', 'table'):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        f"        main(['check', {model!r}, '--format', fmt])\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
