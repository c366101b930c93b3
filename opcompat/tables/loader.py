"""Load the op tables under `op_tables/`, checked against the manifest or their JSON Schema.

A shipped table is trusted when its sha256 equals the one in the shipped `MANIFEST.json`: that
check costs one hash and does not import jsonschema. Any other table (a `--tables DIR`, a
hand-edited file, a table the manifest does not list) is validated in full against its schema,
and refused with a `TableError` that names the file and the failing field as a JSON pointer.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opcompat.errors import TableError

if TYPE_CHECKING:
    from hashlib import sha256
else:  # CPython's built-in sha256: importing hashlib also starts OpenSSL (5 ms of a 0.1 s check)
    try:
        from _sha256 import sha256  # Python <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # its name from Python 3.12
        except ImportError:
            from hashlib import sha256

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
MANIFEST_NAME = "MANIFEST.json"
SCHEMA_DIR = "schema"


def shipped_tables_dir() -> Path:
    """The `op_tables/` directory installed with the package (beside its modules: the package
    is never imported from a zip file, and importlib.resources costs more to import than the
    tables take to read)."""
    return _PACKAGE_DIR / "op_tables"


def table_path(name: str, tables_dir: Path | None = None) -> Path:
    """Where table `name` lives in `tables_dir` (default: the shipped tables)."""
    return (tables_dir or shipped_tables_dir()) / f"{name}.json"


def schema_file_name(name: str) -> str:
    """The schema file of table `name`: one schema serves every `nnapi_<release>` table."""
    if name.startswith("nnapi_"):
        return "nnapi.schema.json"
    return f"{name}.schema.json"


def schema_path(name: str, tables_dir: Path | None = None) -> Path:
    """The JSON Schema of table `name`: the shipped one, else one beside the table."""
    shipped = shipped_tables_dir() / SCHEMA_DIR / schema_file_name(name)
    if shipped.is_file() or tables_dir is None:
        return shipped
    return tables_dir / SCHEMA_DIR / schema_file_name(name)


@functools.lru_cache(maxsize=1)
def _shipped_manifest() -> dict[str, Any]:
    path = shipped_tables_dir() / MANIFEST_NAME
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise TableError(f"{path}: unreadable manifest: {exc}") from None
    if not isinstance(data, dict):
        raise TableError(f"{path}: the manifest is not a JSON object")
    return data


def manifest() -> dict[str, Any]:
    """The shipped manifest (`{"tables": {name: {file, sha256, schema, sources}}}`)."""
    return _shipped_manifest()


def _manifest_entry(name: str) -> dict[str, Any] | None:
    tables = _shipped_manifest().get("tables")
    if not isinstance(tables, dict):
        return None
    entry = tables.get(name)
    return entry if isinstance(entry, dict) else None


def _pointer(parts: Any) -> str:
    """RFC 6901 JSON pointer of a jsonschema error path."""
    out = ""
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out or "/"


def validate_table(name: str, data: Any, where: Path | str, tables_dir: Path | None = None) -> None:
    """Validate `data` against the schema of table `name`; raise TableError naming the field."""
    import jsonschema  # only here: the shipped-table path must not pay for it

    spath = schema_path(name, tables_dir)
    try:
        schema = json.loads(spath.read_bytes())
    except FileNotFoundError:
        raise TableError(f"{where}: no schema for table {name!r} (looked for {spath})") from None
    except (OSError, ValueError) as exc:
        raise TableError(f"{spath}: unreadable schema: {exc}") from None
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    errors = sorted(
        validator.iter_errors(data),
        key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))),
    )
    if errors:
        err = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise TableError(
            f"{where}: invalid at {_pointer(err.absolute_path)}: {_message(err)}{more}"
        )


def _message(err: Any) -> str:
    """One short line: a oneOf/anyOf failure says which rule (its description), not the whole
    instance, and any message is cut to a line's length."""
    if err.validator in ("oneOf", "anyOf") and isinstance(err.schema, dict):
        description = err.schema.get("description")
        if description:
            return f"breaks the rule: {description}"
    text = " ".join(str(err.message).split())
    return text if len(text) <= 200 else text[:199] + "…"


@functools.cache
def _load(name: str, tables_dir: Path | None) -> dict[str, Any]:
    path = table_path(name, tables_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TableError(f"{path}: op table {name!r} not found") from None
    except OSError as exc:
        raise TableError(f"{path}: cannot read op table: {exc.strerror or exc}") from None
    entry = _manifest_entry(name)
    trusted = entry is not None and entry.get("sha256") == sha256(raw).hexdigest()
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise TableError(f"{path}: not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise TableError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        # json.loads recurses once per nesting level; a hostile file nests 100k deep.
        raise TableError(f"{path}: not a valid table: JSON nested too deeply") from None
    if not trusted:
        validate_table(name, data, path, tables_dir)
    if not isinstance(data, dict):
        raise TableError(f"{path}: invalid at /: the table is not a JSON object")
    return data


def load_table(name: str, tables_dir: Path | None = None) -> dict[str, Any]:
    """The parsed table `name` (e.g. "tflite_builtins", "nnapi_13"), cached per directory.

    The result is shared between callers: treat it as read-only.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise TableError(f"not a table name: {name!r}")
    resolved = Path(tables_dir).resolve() if tables_dir is not None else None
    if resolved is not None and resolved == shipped_tables_dir().resolve():
        resolved = None
    return _load(name, resolved)


def clear_cache() -> None:
    """Forget every loaded table and the manifest (tests; after `tables update`)."""
    _load.cache_clear()
    _shipped_manifest.cache_clear()


def tables_provenance(tables_dir: Path | None = None) -> dict[str, Any]:
    """Per table: its sha256 and the sources it was derived from.

    From the shipped manifest, or from `tables_dir`'s own MANIFEST.json when it has one (as
    `opcompat tables update --out DIR` writes); that manifest is informative only, never trusted.
    """
    if tables_dir is None:
        tables = _shipped_manifest().get("tables")
    else:
        try:
            data = json.loads((Path(tables_dir) / MANIFEST_NAME).read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        tables = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(tables, dict):
        return {}
    return {name: dict(entry) for name, entry in sorted(tables.items()) if isinstance(entry, dict)}
