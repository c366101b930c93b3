"""opcompat.tables.delegate_mapping: the typed accessor, and the table against the oracle."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from opcompat.tables import delegate_mapping as dm
from tests.conftest import ORACLE


def test_mapping_entry_is_frozen_and_typed() -> None:
    entry = dm.mapping("CONV_2D")
    assert entry is not None
    assert entry.name == "CONV_2D"
    assert entry.builtin_code == 3
    assert entry.nnapi_operations == ("CONV_2D", "DEQUANTIZE", "GROUPED_CONV_2D")
    assert entry.max_version == (dm.VersionStep(27, 5),)
    assert entry.source.function == "NNAPIDelegateKernel::Validate"
    assert entry.source.line_start <= entry.source.line_end
    assert isinstance(entry.irregular, tuple)
    with pytest.raises(AttributeError):
        entry.min_level = 30  # type: ignore[misc]


def test_mapping_is_cached_and_unknown_is_none() -> None:
    assert dm.mapping("ADD") is dm.mapping("ADD")
    assert dm.mapping("SQUARE") is None
    assert dm.mapping("NOT_AN_OP") is None


def test_max_op_version() -> None:
    assert dm.max_op_version("CONV_2D", 27) == 5
    assert dm.max_op_version("CONV_2D", 1000008) == 5
    assert dm.max_op_version("SPLIT", 30) == 3
    assert dm.max_op_version("MUL", 30) is None  # irregular: depends on is_accelerator_specified
    assert dm.max_op_version("HARD_SWISH", 30) is None  # no version check at all
    assert dm.max_op_version("SQUARE", 30) is None  # never accepted


def test_max_op_version_steps() -> None:
    entry = dm.mapping("CONV_2D")._replace(  # type: ignore[union-attr]
        max_version=(dm.VersionStep(27, 3), dm.VersionStep(30, 5), dm.VersionStep(1000006, 6)),
    )
    assert [entry.max_op_version(level) for level in (27, 29, 30, 35, 1000006, 1000008)] == [
        3,
        3,
        5,
        5,
        6,
        6,
    ]


def test_min_level() -> None:
    assert dm.min_level("ADD") == 27
    assert dm.min_level("PAD") == 28
    assert dm.min_level("ARG_MAX") == 29
    assert dm.min_level("PACK") == 30
    assert dm.min_level("BATCH_MATMUL") == 1000006
    assert dm.min_level("MIRROR_PAD") == 1000007
    with pytest.raises(KeyError):
        dm.min_level("SQUARE")


def test_handled_and_never_accepted() -> None:
    handled = dm.handled_builtins()
    assert isinstance(handled, frozenset)
    assert len(handled) == 94
    assert len(dm.never_accepted()) == 116
    assert not handled & dm.never_accepted()
    assert {"CONV_2D", "DENSIFY", "REVERSE_V2"} <= handled
    assert "CUSTOM" in dm.never_accepted()


def test_loads_directly_without_the_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    via_loader = dm.mapping("CONV_2D")
    monkeypatch.setitem(sys.modules, "opcompat.tables.loader", None)  # import now fails
    dm.clear_cache()
    try:
        assert dm.mapping("CONV_2D") == via_loader
        assert len(dm.handled_builtins()) == 94
    finally:
        monkeypatch.undo()
        dm.clear_cache()


def test_regular_flag() -> None:
    assert dm.mapping("FLOOR").regular  # type: ignore[union-attr]
    assert not dm.mapping("MUL").regular  # type: ignore[union-attr]
    assert not dm.mapping("ADD").regular  # type: ignore[union-attr]


def test_module_imports_only_the_standard_library_at_module_level() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(dm))
    top = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            top += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.append(node.module.split(".")[0])
    assert top and set(top) <= set(sys.stdlib_module_names) | {"__future__"}


# ---- the table against what the real delegate decided -----------------------------------------


def _oracle_nodes() -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(model file, level Validate saw, node) for every node of every oracle file."""
    for path in sorted(ORACLE.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for result in data.get("results", []):
            if "nodes" not in result:
                continue
            level = result["nnapi"]["validate_target_feature_level"]
            nodes = list(result["nodes"])
            for sub in result.get("other_subgraphs") or []:
                nodes.extend(sub.get("nodes", []) if isinstance(sub, dict) else sub)
            for node in nodes:
                yield path.name, level, node


@pytest.fixture(scope="module")
def oracle_nodes() -> list[tuple[str, int, dict[str, Any]]]:
    if not ORACLE.is_dir():
        pytest.skip(f"oracle not found at {ORACLE}")
    nodes = list(_oracle_nodes())
    if not nodes:
        pytest.skip(f"no oracle files in {ORACLE}")
    return nodes


def test_oracle_never_accepted_ops_are_never_supported(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    never = dm.never_accepted()
    wrong = [(f, lv, n["op"]) for f, lv, n in oracle_nodes if n["op"] in never and n["supported"]]
    assert wrong == []


def test_oracle_no_supported_node_above_max_version(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    wrong = []
    for f, level, node in oracle_nodes:
        limit = dm.max_op_version(node["op"], level)
        if node["supported"] and limit is not None and node["version"] > limit:
            wrong.append((f, level, node["op"], node["version"], limit))
    assert wrong == []


def test_oracle_version_failures_only_above_max_version(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    wrong = []
    for f, level, node in oracle_nodes:
        limit = dm.max_op_version(node["op"], level)
        failed = any(fl["type"] == "kUnsupportedOperatorVersion" for fl in node["failures"])
        if limit is not None and failed != (node["version"] > limit):
            wrong.append((f, level, node["op"], node["version"], limit))
    assert wrong == []


def test_oracle_failure_messages_match_the_recorded_checks(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    wording = {
        "ExpectMaxOpVersion": "OP Version higher than",
        "ExpectOpVersion": "OP Version different from",
    }
    wrong = []
    checked = 0
    for f, level, node in oracle_nodes:
        entry = dm.mapping(node["op"])
        if entry is None:
            continue
        step = entry.step_at(level)
        for failure in node["failures"]:
            if failure["type"] == "kUnsupportedOperatorVersion" and step is not None:
                checked += 1
                if failure["message"] != f"{wording[step.expect]} {step.max_version}":
                    wrong.append((f, level, node["op"], failure["message"], step))
            if (
                level < entry.min_level
                and entry.min_level_expect == "ExpectMinAndroidSdkVersion"
                and failure["type"] == "kUnsupportedAndroidVersion"
            ):
                checked += 1
                if failure["message"] != f"Android sdk version less than {entry.min_level}":
                    wrong.append((f, level, node["op"], failure["message"], entry.min_level))
    assert checked > 0
    assert wrong == []


def test_oracle_min_level_checks_fail_below_min_level(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    missing = []
    for f, level, node in oracle_nodes:
        entry = dm.mapping(node["op"])
        if entry is None or entry.min_level_expect != "ExpectMinAndroidSdkVersion":
            continue
        if level < entry.min_level:
            expected = f"Android sdk version less than {entry.min_level}"
            if not any(fl["message"] == expected for fl in node["failures"]):
                missing.append((f, level, node["op"]))
    assert missing == []


def test_oracle_no_supported_node_below_min_level(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    wrong = []
    for f, level, node in oracle_nodes:
        entry = dm.mapping(node["op"])
        if entry is not None and node["supported"] and level < entry.min_level:
            wrong.append((f, level, node["op"], entry.min_level))
    assert wrong == []


def test_oracle_every_handled_op_is_seen(
    oracle_nodes: list[tuple[str, int, dict[str, Any]]],
) -> None:
    seen = {n["op"] for _, _, n in oracle_nodes}
    assert dm.handled_builtins() <= seen
