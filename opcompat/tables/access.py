"""Typed, per-operation access to the loaded op tables.

NNAPI queries take a release ("8.1", "9", "10", "11", "12", "13") and return plain dicts from
the table (read-only: they are shared). For a per-feature-level question, use the newest
release: its "since" levels say when each op, type and optional operand arrived.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opcompat.errors import TableError
from opcompat.tables.loader import load_table, tables_provenance

NNAPI_RELEASES: tuple[str, ...] = ("8.1", "9", "10", "11", "12", "13")
LATEST_NNAPI_RELEASE = NNAPI_RELEASES[-1]
NNAPI_PREFIX = "ANEURALNETWORKS_"


def _release(release: str) -> str:
    if release not in NNAPI_RELEASES:
        raise TableError(
            f"no NNAPI table for release {release!r} (known: {', '.join(NNAPI_RELEASES)})"
        )
    return release


def nnapi_table(
    release: str = LATEST_NNAPI_RELEASE, tables_dir: Path | None = None
) -> dict[str, Any]:
    """The whole `nnapi_<release>` table."""
    return load_table(f"nnapi_{_release(release)}", tables_dir)


def nnapi_operations(
    release: str = LATEST_NNAPI_RELEASE, tables_dir: Path | None = None
) -> list[dict[str, Any]]:
    """Every operation of the release, by code."""
    return list(nnapi_table(release, tables_dir)["operations"])


# Indexes by name, kept beside the table object they were built from, so that a reload
# (loader.clear_cache) never leaves a stale index behind.
_INDEXES: dict[tuple[str, int], tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}


def _index(kind: str, table: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    cached = _INDEXES.get((kind, id(table)))
    if cached is not None and cached[0] is table:
        return cached[1]
    index = {item["name"]: item for item in table[key]}
    _INDEXES[(kind, id(table))] = (table, index)
    return index


def _ops_by_name(release: str, tables_dir: Path | None) -> dict[str, dict[str, Any]]:
    return _index("nnapi", nnapi_table(release, tables_dir), "operations")


def _full_name(name: str) -> str:
    return name if name.startswith(NNAPI_PREFIX) else NNAPI_PREFIX + name


def nnapi_operation(
    name: str, release: str = LATEST_NNAPI_RELEASE, tables_dir: Path | None = None
) -> dict[str, Any] | None:
    """One operation ("CONV_2D" or "ANEURALNETWORKS_CONV_2D"), or None when the release lacks it."""
    return _ops_by_name(_release(release), tables_dir).get(_full_name(name))


def operand_types(
    name: str,
    role: str = "tensor",
    release: str = LATEST_NNAPI_RELEASE,
    tables_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """The type entries of one role ("tensor", "input", "output", "value", "filter", "bias").

    An op documented with a single list has only "tensor"; asking it for "input" or "output"
    falls back to that list. Empty when the op or the role has no type list.
    """
    op = nnapi_operation(name, release, tables_dir)
    if op is None:
        return []
    roles = op["operand_types"]
    if role in roles:
        return list(roles[role])
    return list(roles.get("tensor", []))


def supported_types(
    name: str,
    role: str,
    feature_level: int,
    release: str = LATEST_NNAPI_RELEASE,
    tables_dir: Path | None = None,
) -> set[str]:
    """Type names (e.g. "ANEURALNETWORKS_TENSOR_FLOAT32") usable for `role` at `feature_level`."""
    return {
        t["type"]
        for t in operand_types(name, role, release, tables_dir)
        if t["since_feature_level"] <= feature_level
    }


def type_since(
    name: str,
    operand_type: str,
    role: str = "tensor",
    release: str = LATEST_NNAPI_RELEASE,
    tables_dir: Path | None = None,
) -> int | None:
    """The feature level from which `operand_type` ("TENSOR_FLOAT16" or the full name) is
    listed for the op's `role`, or None when it is not listed."""
    full = _full_name(operand_type)
    for entry in operand_types(name, role, release, tables_dir):
        if entry["type"] == full:
            return int(entry["since_feature_level"])
    return None


def rank_limits(
    name: str,
    role: str = "tensor",
    release: str = LATEST_NNAPI_RELEASE,
    tables_dir: Path | None = None,
) -> dict[str, Any] | None:
    """`{"min", "max"[, "values", "layouts"]}` for the role (falling back to "tensor"), or None."""
    op = nnapi_operation(name, release, tables_dir)
    if op is None:
        return None
    ranks = op["ranks"]
    return ranks.get(role) or ranks.get("tensor")


def tflite_builtins(tables_dir: Path | None = None) -> list[dict[str, Any]]:
    """Every TFLite builtin operator, by code."""
    return list(load_table("tflite_builtins", tables_dir)["builtins"])


def _builtins_by_name(tables_dir: Path | None) -> dict[str, dict[str, Any]]:
    return _index("tflite", load_table("tflite_builtins", tables_dir), "builtins")


def tflite_builtin(name: str, tables_dir: Path | None = None) -> dict[str, Any] | None:
    """One builtin by name ("CONV_2D"), or None."""
    return _builtins_by_name(tables_dir).get(name)


def snapshot(tables_dir: Path | None = None) -> dict[str, Any]:
    """What `opcompat tables show --format json` prints."""
    out: dict[str, Any] = {
        "tflite_builtins": tflite_builtins(tables_dir),
        "nnapi_operations": {r: nnapi_operations(r, tables_dir) for r in NNAPI_RELEASES},
        "nnapi_operand_types": {
            r: nnapi_table(r, tables_dir)["operand_types"] for r in NNAPI_RELEASES
        },
        "cross_reference": load_table("cross_reference", tables_dir),
        "provenance": tables_provenance(tables_dir),
        "tables_dir": str(tables_dir) if tables_dir is not None else None,
    }
    return out
