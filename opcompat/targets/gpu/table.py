"""The GPU parser table (`op_tables/gpu_parsers.json`, scraped by `scrapers/gpu_parsers.py`):
which builtins and custom ops `NewOperationParser` gives a parser, and what each parser's
`IsSupported` checks.

Source: tflite/delegates/gpu/common/model_builder.cc, NewOperationParser and the parsers'
IsSupported; tflite/delegates/gpu/delegate.cc, DelegatePrepare (the ops excluded without
OpenCL).
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

from opcompat.tables.loader import load_table

TABLE = "gpu_parsers"
SOURCE_FILE = "tflite/delegates/gpu/common/model_builder.cc"


class ParserEntry(NamedTuple):
    """What `NewOperationParser` returns for one op, and what its `IsSupported` checks."""

    name: str
    """The op: schema enum name, or the custom op's name."""
    parser: str
    """The parser class."""
    operation: str | None
    """The GPU graph operation it creates (OperationType's ToString), when fixed."""
    max_version: int | None
    """The `CheckMaxSupportedOpVersion` cap; None: no cap."""
    checks_compatibility: bool
    """Its `IsSupported` ends with `CheckGpuDelegateCompatibility`."""
    needs_quant_ops: bool
    """Returned only with `allow_quant_ops` (QUANTIZE, DEQUANTIZE)."""
    line: int
    """Its `case` label in model_builder.cc."""
    other_checks: tuple[str, ...] = ()
    """What else its `IsSupported` checks, in words (from the scraper)."""

    @property
    def source(self) -> str:
        return f"{SOURCE_FILE}:{self.line}, NewOperationParser -> {self.parser}::IsSupported"


def _entry(name: str, raw: dict[str, Any]) -> ParserEntry:
    return ParserEntry(
        name, raw["parser"], raw.get("operation"), raw.get("max_version"),
        bool(raw["checks_compatibility"]), bool(raw["needs_quant_ops"]), int(raw.get("line", 0)),
        tuple(raw.get("other_checks", ())),
    )


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, ParserEntry], dict[str, ParserEntry], frozenset[str]]:
    raw = load_table(TABLE)
    builtins = {k: _entry(k, v) for k, v in raw["builtins"].items()}
    custom = {k: _entry(k, v) for k, v in raw["custom"].items()}
    return builtins, custom, frozenset(raw["excluded_without_opencl"])


def builtin_parsers() -> dict[str, ParserEntry]:
    """Every builtin op with a parser, by schema enum name (read-only)."""
    return _tables()[0]


def custom_parsers() -> dict[str, ParserEntry]:
    """Every custom op with a parser in the open-source build, by name (read-only)."""
    return _tables()[1]


def excluded_without_opencl() -> frozenset[str]:
    """The builtins `DelegatePrepare` excludes when `cl::OpenCLSupported()` is false."""
    return _tables()[2]


def parser_for(op: str, custom_name: str | None) -> ParserEntry | None:
    """The parser entry of a builtin (`op`) or of a custom op (`op` CUSTOM, `custom_name`)."""
    if op == "CUSTOM":
        return custom_parsers().get(custom_name or "")
    return builtin_parsers().get(op)
