"""Typed access to `op_tables/delegate_mapping.json`: the NNAPI delegate's per-builtin mapping.

The table is scraped from `NNAPIDelegateKernel::Validate` and `::Map` in
`tflite/delegates/nnapi/nnapi_delegate.cc` by `scrapers/delegate_mapping.py`. Levels are the
value Validate receives as `android_sdk_version` (`Target.validate_level`): 27..35, or
1000006..1000008 for NNAPI feature levels 6..8.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

TABLE = "delegate_mapping"


class VersionStep(NamedTuple):
    """From `min_level` on (until the next step), op versions up to `max_version` pass."""

    min_level: int
    max_version: int
    expect: str = "ExpectMaxOpVersion"
    """The delegate helper that checks it (ExpectMaxOpVersion or ExpectOpVersion): both test
    version <= max_version; their failure messages differ."""


class SourceRef(NamedTuple):
    function: str
    line_start: int
    line_end: int


class MappingEntry(NamedTuple):
    """What Validate and Map do with one builtin."""

    name: str
    """BuiltinOperator name of schema.fbs, e.g. "CONV_2D"."""
    builtin_code: int
    nnapi_operations: tuple[str, ...]
    """NNAPI operations (without ANEURALNETWORKS_) the delegate may emit for it."""
    min_level: int
    """Below this level Validate always refuses it (27: no unconditional minimum)."""
    min_level_expect: str | None
    """The check that sets min_level: "ExpectMinAndroidSdkVersion", or "Expect" (a plain
    Expect with its own failure type and message); None when min_level is 27 by default."""
    max_version: tuple[VersionStep, ...] | None
    """Highest accepted op version per level; None when version_check is not "steps"."""
    version_check: str
    """"steps" (max_version holds it), "none" (no version check), "irregular" (see irregular)."""
    irregular: tuple[str, ...]
    """The kinds of condition in the case body a rule must implement itself."""
    shares_case_with: tuple[str, ...]
    source: SourceRef

    def step_at(self, level: int) -> VersionStep | None:
        """The version step in force at `level`; None when there is no regular limit."""
        if self.max_version is None:
            return None
        found = None
        for step in self.max_version:
            if step.min_level <= level:
                found = step
        return found

    def max_op_version(self, level: int) -> int | None:
        """Highest op version accepted at `level`; None when there is no regular limit."""
        step = self.step_at(level)
        return None if step is None else step.max_version

    @property
    def regular(self) -> bool:
        """True when the table holds every condition of the case (nothing irregular)."""
        return not self.irregular and self.version_check != "irregular"


def _entry(raw: dict[str, Any]) -> MappingEntry:
    steps = raw["max_version"]
    src = raw["source"]
    return MappingEntry(
        name=raw["name"],
        builtin_code=int(raw["builtin_code"]),
        nnapi_operations=tuple(raw["nnapi_operations"]),
        min_level=int(raw["min_level"]),
        min_level_expect=raw.get("min_level_expect"),
        max_version=None
        if steps is None
        else tuple(
            VersionStep(int(s["min_level"]), int(s["max_version"]), s["expect"]) for s in steps
        ),
        version_check=raw["version_check"],
        irregular=tuple(raw["irregular"]),
        shares_case_with=tuple(raw["shares_case_with"]),
        source=SourceRef(src["function"], int(src["line_start"]), int(src["line_end"])),
    )


def _load_raw() -> dict[str, Any]:
    try:
        from opcompat.tables.loader import load_table
    except ImportError:  # the loader is optional: read the shipped file directly
        import json
        from importlib.resources import files

        from opcompat.errors import TableError

        path = files("opcompat") / "op_tables" / f"{TABLE}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TableError(f"{path}: cannot load op table {TABLE!r}: {exc}") from None
    return load_table(TABLE)


@functools.lru_cache(maxsize=1)
def _entries() -> dict[str, MappingEntry]:
    from opcompat.errors import TableError

    raw = _load_raw()
    try:
        return {e["name"]: _entry(e) for e in raw["builtins"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise TableError(f"op table {TABLE!r}: malformed entry: {exc!r}") from None


@functools.lru_cache(maxsize=1)
def _never_accepted() -> frozenset[str]:
    return frozenset(_load_raw()["never_accepted"])


def clear_cache() -> None:
    """Forget the loaded table (tests; after `opcompat tables update`)."""
    _entries.cache_clear()
    _never_accepted.cache_clear()
    handled_builtins.cache_clear()


def mapping(op_name: str) -> MappingEntry | None:
    """The entry of builtin `op_name` (schema name, e.g. "CONV_2D").

    None when Validate has no case for it.
    """
    return _entries().get(op_name)


def max_op_version(op_name: str, level: int) -> int | None:
    """Highest op version Validate accepts for `op_name` at `level`.

    None when the op is not handled, or when its version check is absent or irregular
    (`mapping(op_name).version_check` tells which).
    """
    entry = _entries().get(op_name)
    return None if entry is None else entry.max_op_version(level)


def min_level(op_name: str) -> int:
    """Lowest level Validate can accept `op_name` at (27 when it sets none).

    Raises KeyError for a builtin Validate never accepts (see `handled_builtins`).
    """
    entry = _entries().get(op_name)
    if entry is None:
        raise KeyError(f"{op_name} is not handled by the NNAPI delegate")
    return entry.min_level


@functools.lru_cache(maxsize=1)
def handled_builtins() -> frozenset[str]:
    """Every builtin Validate has a case for."""
    return frozenset(_entries())


def never_accepted() -> frozenset[str]:
    """Every BuiltinOperator of schema.fbs Validate has no case for."""
    return _never_accepted()
