"""Corrupted and hand-edited op tables (`--tables DIR`): a TableError naming the file and the
field, never a traceback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opcompat.errors import TableError
from opcompat.tables import loader


@pytest.fixture()
def tables_dir(tmp_path: Path) -> Iterator[Path]:
    """A copy of the shipped tables that a test may damage."""
    out = tmp_path / "tables"
    shutil.copytree(loader.shipped_tables_dir(), out)
    loader.clear_cache()
    yield out
    loader.clear_cache()


def _names() -> list[str]:
    return sorted(
        p.stem for p in loader.shipped_tables_dir().glob("*.json") if p.stem != "MANIFEST"
    )


def _load_error(name: str, tables_dir: Path) -> str:
    loader.clear_cache()
    with pytest.raises(TableError) as info:
        loader.load_table(name, tables_dir)
    msg = str(info.value)
    assert "\n" not in msg
    assert f"{name}.json" in msg, msg
    return msg


CORRUPTIONS: dict[str, bytes] = {
    "empty": b"",
    "truncated": b'{"tables": {"ADD": [1, 2',
    "not_utf8": b'{"x": "\xff\xfe"}',
    "lfs_pointer": b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n",
    "array": b"[1, 2, 3]",
    "nested_arrays": b"[" * 100_000 + b"]" * 100_000,
    "nested_objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "nan": b'{"a": NaN}',
}


@pytest.mark.parametrize("kind", sorted(CORRUPTIONS))
@pytest.mark.parametrize("name", _names())
def test_corrupted_table_names_the_file(tables_dir: Path, name: str, kind: str) -> None:
    (tables_dir / f"{name}.json").write_bytes(CORRUPTIONS[kind])
    _load_error(name, tables_dir)


def test_deep_but_parseable_nesting_is_refused_cleanly(tables_dir: Path) -> None:
    """Shallow enough for json.loads, deep enough to exhaust the validator's recursion."""
    name = _names()[0]
    data = json.loads((tables_dir / f"{name}.json").read_bytes())
    deep: Any = 1
    for _ in range(600):
        deep = [deep]
    data["opcompat_fuzz"] = deep
    (tables_dir / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    _load_error(name, tables_dir)


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            yield from _leaves(v, (*path, str(i)))
    else:
        yield path, node


def _set(node: Any, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(path[-1])] = value
    else:
        node[path[-1]] = value


def _wrong_type(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes"
    if isinstance(value, (int, float)):
        return "12"
    if isinstance(value, str):
        return {"hand": "edited"}
    return 3.5


@pytest.mark.parametrize("name", _names())
def test_hand_edited_field_is_named(tables_dir: Path, name: str) -> None:
    """Give leaf fields a value of the wrong type, one at a time: the message names the file
    and the JSON pointer of the field (fields the schema leaves free are skipped)."""
    path = tables_dir / f"{name}.json"
    original = json.loads(path.read_bytes())
    named = 0
    tried = 0
    for leaf, value in list(_leaves(original))[:: max(1, len(list(_leaves(original))) // 12)]:
        data = json.loads(json.dumps(original))
        _set(data, leaf, _wrong_type(value))
        path.write_text(json.dumps(data), encoding="utf-8")
        tried += 1
        loader.clear_cache()
        try:
            loader.load_table(name, tables_dir)
        except TableError as exc:
            msg = str(exc)
            assert "\n" not in msg and f"{name}.json" in msg, msg
            pointer = "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in leaf)
            assert pointer in msg or "invalid at /" in msg, (pointer, msg)
            named += pointer in msg
    assert tried and named, f"no hand edit of {name} was refused with its field named"


@pytest.mark.parametrize("name", _names())
def test_missing_table(tables_dir: Path, name: str) -> None:
    (tables_dir / f"{name}.json").unlink()
    assert "not found" in _load_error(name, tables_dir)


def test_table_that_is_a_directory(tables_dir: Path) -> None:
    name = _names()[0]
    (tables_dir / f"{name}.json").unlink()
    (tables_dir / f"{name}.json").mkdir()
    _load_error(name, tables_dir)


@pytest.mark.parametrize("kind", ["nested_arrays", "nested_objects", "not_utf8", "array"])
def test_hostile_manifest_in_tables_dir_is_ignored(tables_dir: Path, kind: str) -> None:
    """A `--tables DIR` manifest is informative only: a broken one gives no provenance."""
    (tables_dir / "MANIFEST.json").write_bytes(CORRUPTIONS[kind])
    assert loader.tables_provenance(tables_dir) == {}
