"""`opcompat tables update`: read the pinned sources, build every table, write them all or none."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opcompat.errors import ScrapeError, TableError
from opcompat.tables.loader import MANIFEST_NAME, schema_file_name, validate_table
from scrapers import cross_reference, gpu_parsers, nnapi_header, tflite_builtins
from scrapers.fetch import Fetched, FetchFailure, HttpClient, SourceFetchError, read_local
from scrapers.jsonio import dumps, write_all
from scrapers.sources import (
    DELEGATE_MAPPING_KEYS,
    GPU_PARSERS_KEYS,
    NNAPI_SOURCES,
    Source,
    litert_sources,
)

MANIFEST_FORMAT = 1
DELEGATE_MAPPING_MODULE = "scrapers.delegate_mapping"
# gpu_parsers.parse keyword argument -> the Source.key of its text.
GPU_PARSERS_COMPANIONS: dict[str, str] = {
    "custom_parsers_cc": "gpu_custom_parsers",
    "delegate_cc": "gpu_delegate",
    "operations_cc": "gpu_operations",
    "builtin_ops_h": "builtin_ops",
    "schema_fbs": "schema",
}


@dataclass(frozen=True)
class Options:
    out_dir: Path
    source_dir: Path | None = None
    ref: str | None = None
    mirror: str | None = None
    timeout: float = 20.0
    retries: int = 3
    verify_blobs: bool = True
    """Check pinned files against their git blob ids (off only for fixture sources in tests)."""
    delegate_mapping: bool = True
    """Also build the delegate mapping when its scraper exists."""
    ndk_check: bool = False
    """Cross-check the newest NNAPI table against the NDK reference page (over HTTP)."""
    ndk_html: Path | None = None
    """A saved copy of the NDK reference page to cross-check against instead."""


def _provenance(f: Fetched) -> dict[str, Any]:
    s = f.source
    return {
        "repository": s.repository,
        "path": s.path,
        "ref": s.ref,
        "commit": s.commit,
        "sha256": hashlib.sha256(f.text.encode("utf-8")).hexdigest(),
    }


def _delegate_mapping_parser() -> Callable[..., dict[str, Any]] | None:
    """The delegate-mapping scraper's `parse`, when `scrapers/delegate_mapping.py` exists.

    Its interface: `parse(nnapi_delegate_cc_text, *, kernel_h, builtin_ops_h, schema_fbs,
    revision) -> dict` (scrapers/delegate_mapping.py).
    """
    try:
        module = importlib.import_module(DELEGATE_MAPPING_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == DELEGATE_MAPPING_MODULE:
            return None
        raise
    parse = getattr(module, "parse", None)
    return parse if callable(parse) else None


def gather(opts: Options, log: Callable[[str], None]) -> dict[str, Fetched]:
    """Every source text, keyed by Source.key; one ScrapeError listing all that failed."""
    wanted: list[Source] = list(litert_sources(opts.ref).values()) + list(NNAPI_SOURCES.values())
    if not opts.verify_blobs:
        wanted = [dataclasses.replace(s, git_blob=None) for s in wanted]
    if not opts.delegate_mapping or _delegate_mapping_parser() is None:
        gpu_needs = set(GPU_PARSERS_KEYS) | set(GPU_PARSERS_COMPANIONS.values())
        wanted = [s for s in wanted if s.key not in set(DELEGATE_MAPPING_KEYS) - gpu_needs]
    fetched: dict[str, Fetched] = {}
    errors: list[ScrapeError] = []
    client = None
    if opts.source_dir is None:
        client = HttpClient(timeout=opts.timeout, retries=opts.retries, mirror=opts.mirror)
    for source in wanted:
        try:
            if client is None:
                assert opts.source_dir is not None
                fetched[source.key] = read_local(source, opts.source_dir)
            else:
                fetched[source.key] = client.fetch(source)
            log(f"read {source.key} from {fetched[source.key].origin}")
        except ScrapeError as exc:
            errors.append(exc)
    if errors:
        raise ScrapeError(
            f"{len(errors)} of {len(wanted)} sources failed, nothing written: {_summary(errors)}"
        )
    return fetched


def _summary(errors: list[ScrapeError]) -> str:
    """One line: network failures grouped by host and reason, other errors as they are."""
    groups: dict[tuple[str, str], list[str]] = {}
    others: list[str] = []
    for err in errors:
        failures = err.failures if isinstance(err, SourceFetchError) else [err]
        if all(isinstance(f, FetchFailure) for f in failures):
            for f in failures:
                assert isinstance(f, FetchFailure)
                groups.setdefault((f.host, f.reason), []).append(f.url)
        else:
            others.append(str(err))
    parts = [
        f"cannot fetch from {host}: {reason} "
        f"({len(urls)} file{'s' if len(urls) > 1 else ''}, e.g. {urls[0]})"
        for (host, reason), urls in groups.items()
    ]
    return "; ".join(parts + others)


def build_tables(
    fetched: dict[str, Fetched],
) -> tuple[dict[str, dict[str, Any]], dict[str, list[Fetched]]]:
    """Every table, and the sources each came from."""
    tables: dict[str, dict[str, Any]] = {}
    used: dict[str, list[Fetched]] = {}
    try:
        litert = [fetched["schema"], fetched["register"], fetched["runtime_version"]]
        tables["tflite_builtins"] = tflite_builtins.build(*(f.text for f in litert))
        used["tflite_builtins"] = litert
    except tflite_builtins.SourceError as exc:
        raise ScrapeError(f"tflite_builtins: {exc}") from None
    nnapi: dict[str, dict[str, Any]] = {}
    for release in NNAPI_SOURCES:
        f = fetched[f"nnapi_{release}"]
        try:
            nnapi[release] = nnapi_header.parse(f.text, release)
        except nnapi_header.HeaderError as exc:
            raise ScrapeError(f"nnapi_{release}: {f.source.path}: {exc}") from None
        tables[f"nnapi_{release}"] = nnapi[release]
        used[f"nnapi_{release}"] = [f]
    mapping = None
    parse = _delegate_mapping_parser()
    if parse is not None and all(k in fetched for k in DELEGATE_MAPPING_KEYS):
        f = fetched["nnapi_delegate"]
        companions = [fetched["nnapi_delegate_kernel"], fetched["builtin_ops"], fetched["schema"]]
        try:
            mapping = parse(
                f.text,
                kernel_h=companions[0].text,
                builtin_ops_h=companions[1].text,
                schema_fbs=companions[2].text,
                revision=f.source.commit,
            )
        except ScrapeError as exc:
            raise ScrapeError(f"delegate_mapping: {f.source.path}: {exc}") from None
        except Exception as exc:  # another module's parser: report it, never trace back
            raise ScrapeError(
                f"delegate_mapping: {f.source.path}: {type(exc).__name__}: {exc}"
            ) from None
        tables["delegate_mapping"] = mapping
        used["delegate_mapping"] = [f, *companions]
    tables["gpu_parsers"], used["gpu_parsers"] = _gpu_parsers(fetched)
    tables["cross_reference"] = cross_reference.build(tables["tflite_builtins"], nnapi, mapping)
    latest = max(nnapi, key=lambda r: tuple(int(p) for p in r.split(".")))
    seen: dict[str, Fetched] = {}
    for name in ("tflite_builtins", "delegate_mapping", f"nnapi_{latest}"):
        for x in used.get(name, []):
            seen.setdefault(x.source.key, x)
    used["cross_reference"] = list(seen.values())
    return tables, used


def _gpu_parsers(fetched: dict[str, Fetched]) -> tuple[dict[str, Any], list[Fetched]]:
    """The gpu_parsers table (scrapers/gpu_parsers.py) and the sources it came from."""
    f = fetched["gpu_model_builder"]
    companions = {kw: fetched[key] for kw, key in GPU_PARSERS_COMPANIONS.items()}
    try:
        table = gpu_parsers.parse(
            f.text, **{kw: c.text for kw, c in companions.items()}, revision=f.source.commit
        )
    except ScrapeError as exc:
        raise ScrapeError(f"gpu_parsers: {f.source.path}: {exc}") from None
    return table, [f, *companions.values()]


def render(
    tables: dict[str, dict[str, Any]], used: dict[str, list[Fetched]], out_dir: Path
) -> dict[str, str]:
    """File name -> text of every table and of the manifest, each validated."""
    files: dict[str, str] = {}
    entries: dict[str, Any] = {}
    for name, data in sorted(tables.items()):
        sources = [_provenance(f) for f in used[name]]
        # Each table names its own sources, so that one copied alone still says where it is
        # from; the delegate mapping's scraper records its own `provenance` block, the GPU
        # parsers' scraper its own `source`.
        own = "provenance" in data or "source" in data
        text = _render_one(name, data if own else {**data, "sources": sources})
        try:
            validate_table(name, json.loads(text), f"generated {name}.json")
        except TableError as exc:
            raise ScrapeError(f"{exc} (nothing written)") from None
        files[f"{name}.json"] = text
        entries[name] = {
            "file": f"{name}.json",
            "schema": f"schema/{schema_file_name(name)}",
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "sources": sources,
        }
    # Keep the entry of a table this run did not build (e.g. the delegate mapping before its
    # scraper exists) as long as the file on disk still matches it.
    old = _read_manifest(out_dir)
    for name, entry in old.items():
        if name in entries or not isinstance(entry, dict):
            continue
        path = out_dir / str(entry.get("file", f"{name}.json"))
        if path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == entry.get("sha256"):
            entries[name] = entry
    manifest = {"format": MANIFEST_FORMAT, "generator": "opcompat tables update", "tables": entries}
    try:
        validate_table("manifest", manifest, f"generated {MANIFEST_NAME}")
    except TableError as exc:
        raise ScrapeError(f"{exc} (nothing written)") from None
    files[MANIFEST_NAME] = dumps(manifest)
    return files


def _render_one(name: str, data: dict[str, Any]) -> str:
    """A table's text: the delegate mapping keeps its own scraper's canonical form."""
    if name == "delegate_mapping":
        own = getattr(importlib.import_module(DELEGATE_MAPPING_MODULE), "dumps", None)
        if callable(own):
            return str(own(data))
    return dumps(data)


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    tables = data.get("tables") if isinstance(data, dict) else None
    return tables if isinstance(tables, dict) else {}


def _ndk_cross_check(
    opts: Options, tables: dict[str, dict[str, Any]], log: Callable[[str], None]
) -> None:
    """Report (never fail on) disagreements between the newest table and the NDK page."""
    from scrapers import ndk_reference

    latest = max(NNAPI_SOURCES, key=lambda r: tuple(int(p) for p in r.split(".")))
    try:
        if opts.ndk_html is not None:
            html = opts.ndk_html.read_text(encoding="utf-8", errors="replace")
        else:
            client = HttpClient(timeout=opts.timeout, retries=opts.retries)
            html = client.get_bytes(ndk_reference.NDK_REFERENCE_URL).decode("utf-8", "replace")
    except (OSError, ScrapeError) as exc:
        log(f"warning: NDK cross-check skipped: {exc}")
        return
    problems = ndk_reference.cross_check(html, tables[f"nnapi_{latest}"])
    for line in problems:
        log(f"warning: NDK cross-check: {line}")
    if not problems:
        log(f"NDK cross-check: nnapi_{latest} agrees with the NDK reference page")


def run(opts: Options, log: Callable[[str], None] = lambda _m: None) -> dict[str, dict[str, Any]]:
    """Scrape and write every table into `opts.out_dir`; returns the tables written."""
    fetched = gather(opts, log)
    tables, used = build_tables(fetched)
    if opts.ndk_check or opts.ndk_html is not None:
        _ndk_cross_check(opts, tables, log)
    files = render(tables, used, opts.out_dir)
    try:
        write_all(opts.out_dir, files)
    except OSError as exc:
        raise ScrapeError(
            f"cannot write into {opts.out_dir}: {exc.strerror or exc} (old tables kept)"
        ) from None
    return tables
