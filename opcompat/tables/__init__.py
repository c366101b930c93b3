"""The versioned op tables (`op_tables/`): loading, checking, typed access."""

from __future__ import annotations

from opcompat.tables.loader import clear_cache, load_table, manifest, tables_provenance

__all__ = ["clear_cache", "load_table", "manifest", "tables_provenance"]
