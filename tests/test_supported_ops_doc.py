"""`reports/supported_ops.md` is generated from the rule registry and the delegate mapping."""

from __future__ import annotations

from pathlib import Path

import pytest

from opcompat.targets.nnapi import docs
from opcompat.targets.nnapi.rules.context import RULES


def test_committed_document_is_current() -> None:
    committed = docs.DOC_PATH.read_text(encoding="utf-8")
    assert committed == docs.render(), (
        "reports/supported_ops.md is stale: run `python -m opcompat.targets.nnapi.docs --write`"
    )


def test_every_rule_has_a_section_with_its_source() -> None:
    text = docs.render()
    for name in RULES:
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        assert "- Rule: `opcompat/targets/nnapi/rules/ops/" in section
        assert "- Source: tflite/delegates/nnapi/nnapi_delegate.cc" in section


def test_level_text() -> None:
    assert docs.level_text(29) == "API 29"
    assert docs.level_text(1000007) == "feature level 7 (API 33+ by default)"


def test_check_mode_reports_staleness(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    stale = tmp_path / "supported_ops.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs, "DOC_PATH", stale)
    assert docs.main(["--check"]) == 1
    assert docs.main(["--write"]) == 0
    assert docs.main(["--check"]) == 0


def test_check_outside_a_checkout_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As from an installed package: no reports/ folder beside it."""
    monkeypatch.setattr(docs, "DOC_PATH", tmp_path / "site-packages" / "reports" / "x.md")
    assert docs.main(["--check"]) == 2
    err = capsys.readouterr().err
    assert "checkout" in err and "stale" not in err and len(err.strip().splitlines()) == 1
