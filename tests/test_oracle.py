"""opcompat against what the real NNAPI delegate decided (`shared/oracle`), for every model of the
corpus at every recorded level: per-operator `supported` and `delegated`, the partitions of every
subgraph (default cap and unlimited), and whole-model refusals. One process, in-process calls.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opcompat.analysis import check
from tests.conftest import CORPUS, ORACLE

# Feature levels the oracle assumed (shared/oracle/README.md, "Levels").
FEATURE_LEVEL = {27: None, 28: None, 29: 3, 30: 4, 31: 5, 33: 6, 34: 7, 35: 8}


@dataclass
class Tally:
    ops: int = 0
    supported: int = 0
    delegated: int = 0
    models: int = 0
    partitions: int = 0
    plans: int = 0
    refusals: int = 0
    unlimited: int = 0
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _references() -> list[tuple[Path, dict[str, Any]]]:
    if not CORPUS.is_dir() or not ORACLE.is_dir():
        return []
    refs = []
    for path in sorted(CORPUS.glob("*.tflite")):
        ref = ORACLE / (hashlib.sha256(path.read_bytes()).hexdigest() + ".json")
        if ref.is_file():
            refs.append((path, json.loads(ref.read_text())))
    return refs


def _parts(subgraphs: list[dict[str, Any]]) -> dict[int, list[list[int]]]:
    return {sg["index"]: sorted(sorted(p) for p in sg["partitions"]) for sg in subgraphs}


def plan_key(entries: Any) -> list[tuple[str, Any]]:
    """An execution plan as comparable items: a CPU node, or a kernel by its node set."""
    out: list[tuple[str, Any]] = []
    for e in entries:
        if isinstance(e, dict):
            out.append(("node", e["node"]) if "node" in e else ("kernel", sorted(e["nodes"])))
        else:
            out.append(("node", e.node) if e.node is not None else ("kernel", sorted(e.nodes)))
    return out


def _plans_agree(default: dict[str, Any], report: Any) -> bool:
    mine = {sg.index: plan_key(sg.execution_plan) for sg in report.subgraphs}
    return all(plan_key(sg["execution_plan"]) == mine.get(sg["index"])
               for sg in default.get("subgraphs", []) if "execution_plan" in sg)


def _mine(report: Any) -> dict[int, list[list[int]]]:
    return {sg.index: sorted(sorted(p.nodes) for p in sg.partitions) for sg in report.subgraphs}


@pytest.fixture(scope="module")
def tallies() -> dict[int, Tally]:
    refs = _references()
    if not refs:
        pytest.skip(f"model corpus or oracle not found ({CORPUS}, {ORACLE})")
    out: dict[int, Tally] = {api: Tally() for api in FEATURE_LEVEL}
    for path, oracle in refs:
        for result in oracle["results"]:
            api = result["sdk"]
            if api not in out or "nodes" not in result:
                continue
            t = out[api]
            t.models += 1
            report = check(path, api_level=api, feature_level=FEATURE_LEVEL[api])
            where = f"{path.name} api {api}"
            ops = {(o.subgraph, o.index): o for o in report.operators}
            default = result["delegation_default"]
            delegated = {(0, n) for n in default.get("delegated_nodes", [])}
            for sg in default.get("subgraphs", []):
                for p in sg["partitions"]:
                    delegated.update((sg["index"], n) for n in p)
            nodes = [(0, n) for n in result["nodes"]]
            nodes += [
                (sg["index"], n) for sg in result.get("other_subgraphs", []) for n in sg["nodes"]
            ]
            for sgi, node in nodes:
                t.ops += 1
                mine = ops.get((sgi, node["index"]))
                if mine is not None and mine.supported == node["supported"]:
                    t.supported += 1
                else:
                    t.misses["supported"].append(f"{where} #{sgi}:{node['index']} {node['op']}")
                if mine is not None and mine.delegated == ((sgi, node["index"]) in delegated):
                    t.delegated += 1
                else:
                    t.misses["delegated"].append(f"{where} #{sgi}:{node['index']} {node['op']}")
            if _parts(default.get("subgraphs", [])) == _mine(report):
                t.partitions += 1
            else:
                t.misses["partitions"].append(where)
            if _plans_agree(default, report):
                t.plans += 1
            else:
                t.misses["plan"].append(where)
            if (default.get("status") != "kTfLiteOk") == (report.refusal is not None):
                t.refusals += 1
            else:
                t.misses["refusal"].append(where)
            unlimited = check(
                path, api_level=api, feature_level=FEATURE_LEVEL[api], max_partitions=0
            )
            if _parts(result["delegation_unlimited"].get("subgraphs", [])) == _mine(unlimited):
                t.unlimited += 1
            else:
                t.misses["unlimited"].append(where)
    return out


def _table(tallies: dict[int, Tally]) -> str:
    rows = ["level  supported        delegated        partitions  unlimited  refusals"]
    for api, t in tallies.items():
        rows.append(
            f"{api:5}  {t.supported:6}/{t.ops:<6}  {t.delegated:6}/{t.ops:<6}  "
            f"{t.partitions:4}/{t.models:<4}  {t.unlimited:4}/{t.models:<4} "
            f"{t.refusals:4}/{t.models}"
        )
    return "\n".join(rows)


def _check(tallies: dict[int, Tally], what: str) -> None:
    misses = [m for t in tallies.values() for m in t.misses[what]]
    assert not misses, (
        f"{len(misses)} disagreements on {what}, e.g. {misses[:10]}\n{_table(tallies)}"
    )


def test_supported_equals_validate(tallies: dict[int, Tally]) -> None:
    _check(tallies, "supported")


def test_delegated_equals_the_delegate(tallies: dict[int, Tally]) -> None:
    _check(tallies, "delegated")


def test_partitions_equal_with_the_default_cap(tallies: dict[int, Tally]) -> None:
    _check(tallies, "partitions")


def test_partitions_equal_without_a_cap(tallies: dict[int, Tally]) -> None:
    _check(tallies, "unlimited")


def test_execution_plans_equal(tallies: dict[int, Tally]) -> None:
    _check(tallies, "plan")


def test_refusals_equal(tallies: dict[int, Tally]) -> None:
    _check(tallies, "refusal")


def test_models_tflite_cannot_load_are_refused_as_a_whole() -> None:
    refs = [(p, o) for p, o in _references() if any("error" in r for r in o["results"])]
    if not refs:
        pytest.skip("no oracle result records a load error")
    for path, oracle in refs:
        for result in oracle["results"]:
            if "error" not in result:
                continue
            report = check(
                path, api_level=result["sdk"], feature_level=FEATURE_LEVEL[result["sdk"]]
            )
            assert report.refusal is not None, path.name
            assert report.refusal.code == "opcompatInterpreterBuildFails", path.name
            assert report.delegated_count == 0
