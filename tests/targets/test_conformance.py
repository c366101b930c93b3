"""Every target conforms: a check for it, through `opcompat.analysis` and the target interface,
renders in every format, validates against the (regenerated) schema, names its target and
label, and drives the gate.

The targets are TargetChoice's members and `addonly`, a delegate that exists only in the
tests (tests/targets/addonly). Adding it takes exactly what a real target takes: its package
(here put in place as `opcompat.targets.addonly`) and one member of TargetChoice (here an
extended copy of the enum).
"""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterator

import jsonschema
import pytest
from builders import ModelBuilder

import opcompat.targets
from opcompat import reason_docs
from opcompat.analysis import check
from opcompat.formats.base import FormatChoice
from opcompat.gate import evaluate, make_policy
from opcompat.report import Report
from opcompat.targets import TargetChoice, TargetName

TEST_ONLY = "addonly"


@pytest.fixture()
def with_test_target(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[enum.Enum]]:
    """TargetChoice with one more member, whose package is tests/targets/addonly."""
    from targets import addonly
    from targets.addonly import engine, opinfo

    members = {m.name: m.value for m in TargetChoice} | {TEST_ONLY.upper(): TEST_ONLY}
    extended = enum.Enum("TargetChoice", members, type=TargetName)  # type: ignore[misc]
    monkeypatch.setattr(opcompat.targets, "TargetChoice", extended)
    monkeypatch.setattr(reason_docs, "TargetChoice", extended)
    monkeypatch.setitem(sys.modules, f"opcompat.targets.{TEST_ONLY}", addonly)
    monkeypatch.setitem(sys.modules, f"opcompat.targets.{TEST_ONLY}.engine", engine)
    monkeypatch.setitem(sys.modules, f"opcompat.targets.{TEST_ONLY}.opinfo", opinfo)
    yield extended


def _model() -> bytes:
    """ADD, a custom op, ADD: two partitions for a delegate of ADD alone."""
    mb = ModelBuilder()
    sg = mb.subgraph("main")
    x = sg.tensor([1, 4], "FLOAT32", name="x")
    a = sg.tensor([1, 4], "FLOAT32", name="a")
    b = sg.tensor([1, 4], "FLOAT32", name="b")
    y = sg.tensor([1, 4], "FLOAT32", name="y")
    sg.op("ADD", [x, x], [a], options={})
    sg.op("CUSTOM", [a], [b], custom_code="MyOp")
    sg.op("ADD", [b, b], [y], options={})
    sg.inputs, sg.outputs = [x], [y]
    return mb.build()


def _schema() -> dict[str, object]:
    text = reason_docs.SCHEMA_PATH.read_text(encoding="utf-8")
    return json.loads(reason_docs.render_schema(text))  # with the targets of now


@pytest.mark.parametrize("name", [*(t.value for t in TargetChoice), TEST_ONLY])
def test_target_conforms(name: str, with_test_target: type[enum.Enum]) -> None:
    info = with_test_target(name).info()
    model = check(_model(), target=name)
    assert model.target == name and len(model.operators) == 3
    report = Report((model,), tool_version="conformance")

    data = json.loads(FormatChoice.JSON.to_format().render(report))
    jsonschema.validate(data, _schema())
    assert data["models"][0]["target"] == name
    for fmt in FormatChoice:
        text = fmt.to_format().render(report)
        assert text, fmt
        if fmt in (FormatChoice.TABLE, FormatChoice.MARKDOWN, FormatChoice.HTML):
            assert f"ops on {info.label}" in text, fmt

    # The custom op stays on the CPU for every target: the gate fails on it.
    gate = evaluate(report, make_policy("any-fallback", None))
    assert gate.exit_code == 1 and any("MyOp" in f for f in gate.failures)

    # `ops` and `explain` through the target's opinfo module.
    ops = with_test_target(name).opinfo()
    listing = ops.ops_listing(False, None)
    assert listing.headers and listing.rows and json.dumps(listing.data)
    assert any(row[0] == "ADD" for row in listing.rows)
    assert "ADD" in ops.explain_text("add")


def test_the_test_target_really_delegates(with_test_target: type[enum.Enum]) -> None:
    model = check(_model(), target=TEST_ONLY)
    assert [o.delegated for o in model.operators] == [True, False, False]  # one partition
    assert model.subgraphs[0].partitions[0].nodes == (0,)
