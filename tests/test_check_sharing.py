"""The shortcuts that make `check` fast on large models give the same answers as the long way.

`analysis.check` shares work between operators with equal signatures (Validate verdicts, the
NNAPI spec cross-check through `spec_check.SpecChecker`), reuses a node set's partitioning
across API levels, interns signatures, and draws big tables without tabulate. Each test here
compares a shortcut with the plain computation it replaces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fuzz import crafted
from fuzz.synth import chain
from tabulate import tabulate

from opcompat import analysis, signature
from opcompat.model import read_model
from opcompat.model.graph import Model
from opcompat.targets.nnapi import engine
from opcompat.targets.nnapi.delegation import modify_graph_with_delegate
from opcompat.targets.nnapi.levels import make_target
from opcompat.targets.nnapi.rules import spec_check as sc
from opcompat.targets.nnapi.rules.engine import default_targets, validate

TARGETS = [make_target(27), make_target(29, 3), make_target(30, 4), make_target(35, 8)]


def _spec_pairs(model: Model) -> list[tuple[Any, Any]]:
    """(SpecChecker's warnings, spec_warnings' warnings) for every operator Validate accepts."""
    out = []
    for target in TARGETS:
        validator = engine._Validator(model)
        checker = sc.SpecChecker(
            model,
            target,
            lambda sg, op, t=target, v=validator: v.plain(sg, op, t),  # type: ignore[misc]
            validator.shape_signature,
        )
        for sg in model.subgraphs:
            for op in sg.operators:
                if validator.plain(sg, op, target):
                    continue
                out.append((checker.warnings(sg, op), sc.spec_warnings(model, sg, op, target)))
        checker.close()
    return out


@pytest.mark.parametrize(
    "build",
    [lambda: chain(300), lambda: crafted.fan_out(300), lambda: crafted.fan_in(300),
     lambda: crafted.alternating(300), lambda: crafted.many_producers(300)],
    ids=["chain", "fan_out", "fan_in", "alternating", "many_producers"],
)
def test_spec_checker_matches_spec_warnings_on_synthetic_graphs(build: Any) -> None:
    pairs = _spec_pairs(read_model(build()))
    assert pairs
    for fast, slow in pairs:
        assert fast == slow


def test_spec_checker_matches_spec_warnings_on_the_corpus(corpus: list[Path]) -> None:
    """Every 7th corpus model (the whole corpus is compared by hand before a commit)."""
    pairs = []
    for path in corpus[::7]:
        try:
            model = read_model(path)
        except Exception:  # noqa: BLE001  (unreadable corpus entries are the reader's tests)
            continue
        pairs.extend(_spec_pairs(model))
    assert any(slow for _fast, slow in pairs), "no warning at all: the comparison proves nothing"
    mismatches = [(fast, slow) for fast, slow in pairs if fast != slow]
    assert not mismatches, mismatches[:3]


def test_check_leaves_no_subgraph_in_spec_check_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The module caches of spec_check held the last model alive while its report was written
    (tens of MB for 50k operators)."""
    import opcompat.model as model_pkg

    seen: list[int] = []
    real = model_pkg.read_model

    def reading(source: Any) -> Model:
        model = real(source)
        seen.extend(id(sg) for sg in model.subgraphs)
        return model

    monkeypatch.setattr(model_pkg, "read_model", reading)
    report = analysis.check(crafted.fan_out(50), api_level=30)
    assert seen and report.operators
    for cache in (sc._USES, sc._FIRST_FP16, sc._VALIDATED, sc._EARLIER):
        assert not [k for k, v in cache.items() if id(v[0]) in seen]


def test_interned_signatures_group_operators_as_the_plain_ones(corpus: list[Path]) -> None:
    for path in corpus[::11]:
        try:
            model = read_model(path)
        except Exception:  # noqa: BLE001
            continue
        validator = engine._Validator(model)
        plain: dict[Any, set[Any]] = {}
        interned: dict[Any, set[Any]] = {}
        for sg in model.subgraphs:
            for op in sg.operators:
                sig = signature.operator_signature(sg, op)
                where = (sg.index, op.index)
                key = where if sig is None else sig[1]
                plain.setdefault(key, set()).add(where)
                interned.setdefault(validator.signature(sg, op), set()).add(where)
        assert sorted(map(sorted, plain.values())) == sorted(map(sorted, interned.values()))


def test_partitioning_cache_changes_no_delegation() -> None:
    model = read_model(crafted.alternating(200))
    cache: dict[Any, Any] = {}
    for api, target in default_targets().items():
        plain = [[validate(model, sg, op, target) for op in sg.operators] for sg in model.subgraphs]

        def rewired(sg: Any, op: Any, t: Any = target) -> Any:
            return validate(model, sg, op, t)

        cached = modify_graph_with_delegate(model, target, plain, rewired, 3, cache)
        fresh = modify_graph_with_delegate(model, target, plain, rewired, 3)
        assert cached.status == fresh.status, api
        for a, b in zip(cached.subgraphs, fresh.subgraphs, strict=True):
            assert [p.nodes for p in a.partitions] == [p.nodes for p in b.partitions], api
            assert [p.nodes for p in a.dropped] == [p.nodes for p in b.dropped], api
    assert cache, "the cache was never used"


# -- the table renderer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        [("0", "1", "ADD", "1", "-", "ADD", "NNAPI p0", "")],
        [("0", "1", "  ADD ", "1", "1.2 k", "-", "CPU", "a reason"),
         ("0", "10", "X", "12", "?", "", "", "")],
        [("0", "1", "ADD", "1", "-", "ADD", "NNAPI p0", "x" * 150)],
        [("10", "2", "", "", "", "", "", "")],
    ],
)
def test_plain_table_is_tabulates(rows: list[tuple[str, ...]]) -> None:
    from opcompat.formats.table import _plain, headers

    titles = headers("NNAPI")
    want = tabulate(rows, headers=titles, tablefmt="simple", disable_numparse=True)
    assert _plain(rows, titles) == want


@pytest.mark.parametrize("cell", ["é", "a\nb", "\x1b[31m", "True", "False", "宽"])
def test_plain_table_leaves_special_cells_to_tabulate(cell: str) -> None:
    from opcompat.formats.table import _plain, headers

    assert _plain([("0", "1", cell, "1", "-", "-", "CPU", "")], headers("NNAPI")) is None
