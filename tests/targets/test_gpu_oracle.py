"""opcompat's GPU target against what the real GPU delegate code decided (`shared/oracle-gpu`),
for every model of `shared/models` and `shared/models-gpu` that has a result, in each recorded
configuration: per-operator `supported` and the delegate's own text, `delegated`, the partitions
of every subgraph, and whole-model refusals (a crash must be reported as one). In-process.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from opcompat.analysis import check
from opcompat.report import ModelReport
from tests.conftest import SHARED
from tests.test_oracle import plan_key

ORACLE_GPU = SHARED / "oracle-gpu"
MODEL_DIRS = (SHARED / "models", SHARED / "models-gpu")
CONFIGS: dict[str, tuple[dict[str, Any], str, str]] = {
    "default": ({}, "gpu", "delegation_default"),
    "no_quant": ({"gpu_no_quant": True}, "gpu_no_quant", "delegation_no_quant"),
    "unlimited": ({"max_partitions": 0}, "gpu", "delegation_unlimited"),
    "no_opencl": ({"gpu_no_opencl": True}, "gpu_no_opencl", "delegation_no_opencl"),
}


def _references() -> list[tuple[Path, dict[str, Any]]]:
    if not ORACLE_GPU.is_dir():
        return []
    refs = []
    for d in MODEL_DIRS:
        for path in sorted(d.glob("*.tflite")) if d.is_dir() else ():
            ref = ORACLE_GPU / (hashlib.sha256(path.read_bytes()).hexdigest() + ".json")
            if ref.is_file():
                data = json.loads(ref.read_text())
                if data.get("nodes"):
                    refs.append((path, data))
    return refs


@pytest.fixture(scope="module")
def references() -> list[tuple[Path, dict[str, Any]]]:
    refs = _references()
    if not refs:
        pytest.skip(f"GPU reference data not found at {ORACLE_GPU} (set OPCOMPAT_SHARED)")
    return refs


def _compare(ref: dict[str, Any], got: ModelReport, vkey: str, dkey: str, tally: Counter[str],
             misses: list[str], name: str) -> None:
    dl = ref[dkey]
    ops = {(o.subgraph, o.index): o for o in got.operators}
    for n in ref["nodes"]:
        want = n[vkey]
        o = ops[(n["subgraph"], n["index"])]
        where = f"{name} op {n['subgraph']}:{n['index']} {n['op']}"
        tally["nodes"] += 1
        if o.supported != want["supported"]:
            misses.append(f"{where}: supported {o.supported}, delegate {want}")
        elif want.get("unsupported_details") and not any(
                r.message == want["unsupported_details"] for r in o.reasons):
            misses.append(f"{where}: {[r.message for r in o.reasons]}, delegate {want}")
    ref_refused = dl["status"] != "kTfLiteOk"
    got_refused = got.refusal is not None
    if dl["status"] == "crashed":
        got_refused = got_refused and "crash" in (got.refusal.code + got.refusal.message).lower()
    if ref_refused != got_refused:
        misses.append(f"{name}: refusal {got.refusal}, delegate {dl['status']}")
    for s in dl.get("subgraphs", []):
        want_p = [] if ref_refused else sorted(sorted(p["nodes"]) for p in s["partitions"])
        got_p = sorted(sorted(p.nodes) for p in got.subgraphs[s["index"]].partitions)
        if want_p != got_p:
            misses.append(f"{name} subgraph {s['index']}: partitions {got_p}, delegate {want_p}")
        if "execution_plan" in s and plan_key(s["execution_plan"]) != plan_key(
                got.subgraphs[s["index"]].execution_plan):
            misses.append(f"{name} subgraph {s['index']}: execution plan differs")
        want_d = set() if ref_refused else set(s.get("delegated_nodes", []))
        got_d = {o.index for o in got.operators if o.subgraph == s["index"] and o.delegated}
        if want_d != got_d:
            misses.append(f"{name} subgraph {s['index']}: delegated {sorted(got_d ^ want_d)} "
                          "differ")


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_agrees_with_the_gpu_delegate(
    references: list[tuple[Path, dict[str, Any]]], config: str
) -> None:
    options, vkey, dkey = CONFIGS[config]
    tally: Counter[str] = Counter()
    misses: list[str] = []
    for path, ref in references:
        if not ref.get(dkey):
            continue
        tally["models"] += 1
        got = check(path, target="gpu", **options)
        _compare(ref, got, vkey, dkey, tally, misses, path.name)
    assert tally["models"] > 0
    assert not misses, f"{len(misses)} disagreements in {tally['models']} models:\n" + "\n".join(
        misses[:30])
