"""Fixtures over the canonical synthetic reports of `synthetic.py` (shared by every format test)."""

from __future__ import annotations

import pytest
from synthetic import SYNTHETIC

from opcompat.report import Report


@pytest.fixture(params=sorted(SYNTHETIC))
def any_report(request: pytest.FixtureRequest) -> Report:
    """Each canonical report in turn."""
    return SYNTHETIC[request.param]()


@pytest.fixture
def partial_report() -> Report:
    return SYNTHETIC["partial"]()


@pytest.fixture
def mixed_report() -> Report:
    return SYNTHETIC["mixed"]()
