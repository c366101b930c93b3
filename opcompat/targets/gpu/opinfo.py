"""What the GPU delegate does with each op, from its parser table: for `opcompat ops --target
gpu`, `opcompat explain OP --target gpu` and `reports/gpu_supported_ops.md`."""

from __future__ import annotations

from opcompat.model.graph import TensorType
from opcompat.targets.base import OpsListing
from opcompat.targets.gpu.node_support import LOGICAL_OPS, MAX_RANK, allowed_types
from opcompat.targets.gpu.parsers import COMPAT_SOURCE
from opcompat.targets.gpu.table import (
    ParserEntry,
    builtin_parsers,
    custom_parsers,
    excluded_without_opencl,
    parser_for,
)


def op_rows() -> list[ParserEntry]:
    """Every op with a parser: the builtins by name, then the custom ops (`CUSTOM:<name>`)."""
    rows = [builtin_parsers()[k] for k in sorted(builtin_parsers())]
    rows += [e._replace(name=f"CUSTOM:{k}") for k, e in sorted(custom_parsers().items())]
    return rows


def lookup(name: str) -> ParserEntry | None:
    """The entry of a builtin name (any case) or of `CUSTOM:<name>`; None: no parser."""
    if name.upper().startswith("CUSTOM:"):
        return parser_for("CUSTOM", name.split(":", 1)[1])
    return parser_for(name.upper(), None)


def _type_names(types: frozenset[int]) -> str:
    return ", ".join(sorted(TensorType(t).name for t in types))


def explain_lines(name: str) -> list[str]:
    """How the GPU delegate decides on one op, line by line, each check with its source."""
    entry = lookup(name)
    shown = name if name.upper().startswith("CUSTOM:") else name.upper()
    if entry is None:
        what = "custom op" if shown.startswith("CUSTOM:") else "builtin"
        return [shown, f"The GPU delegate has no parser for this {what}: it always stays on "
                "the CPU (\"Operation is not supported.\", or the custom op's name)."]
    lines = [shown, f"parser: {entry.parser} ({entry.source})",
             f"GPU operation: {entry.operation or '-'}",
             "op versions: " + (f"<= {entry.max_version}" if entry.max_version is not None
                                else "any (no CheckMaxSupportedOpVersion)")]
    if entry.needs_quant_ops:
        lines.append("only with quantized ops allowed (the default; not with --gpu-no-quant)")
    if shown in excluded_without_opencl():
        lines.append("excluded on a device without OpenCL (--gpu-no-opencl)")
    lines.append("conditions (every one must hold):")
    lines += [f"- {c}" for c in entry.other_checks]
    if entry.checks_compatibility:
        note = " (not for the comparison-into-CAST/SELECT case above)" if (
            shown in LOGICAL_OPS or shown == "CAST") else ""
        lines.append(f"- the op's checks in {COMPAT_SOURCE}{note}")
    op = "CUSTOM" if shown.startswith("CUSTOM:") else shown
    ins, outs = allowed_types(op, True)
    lines.append(f"- no input or output tensor of rank {MAX_RANK + 1} or more")
    lines.append(f"- activation inputs of type {_type_names(ins)}; outputs of type "
                 f"{_type_names(outs)} (INT8 and UINT8 only with quantized ops allowed)")
    return lines


def ops_listing(never: bool = False, api_level: int | None = None) -> OpsListing:
    """Every op with a parser (or, with `never`, every builtin without one); the GPU target
    has no API levels (UsageError for one)."""
    if api_level is not None:
        from opcompat.errors import UsageError

        raise UsageError("--api-level applies to --target nnapi only, not gpu")
    if never:
        from opcompat.model.schema import BUILTIN_OPERATORS

        names = sorted(n for n in BUILTIN_OPERATORS.values()
                       if n != "CUSTOM" and lookup(n) is None and not n.startswith("PLACEHOLDER"))
        return OpsListing(("builtin",), [(n,) for n in names], {"target": "gpu", "never": names},
                       f"{len(names)} builtins have no GPU parser")
    rows = op_rows()
    table = [
        (e.name, e.operation or "-", "-" if e.max_version is None else str(e.max_version),
         e.parser, "quantized ops only" if e.needs_quant_ops else "",
         "yes" if e.checks_compatibility or e.other_checks else "")
        for e in rows
    ]
    data = {"target": "gpu", "ops": [
        {"op": e.name, "parser": e.parser, "operation": e.operation, "max_version": e.max_version,
         "checks_compatibility": e.checks_compatibility, "needs_quant_ops": e.needs_quant_ops,
         "other_checks": list(e.other_checks)} for e in rows]}
    headers = ("op", "GPU operation", "max version", "parser", "needs", "other conditions")
    return OpsListing(headers, table, data, f"{len(rows)} ops have a GPU parser")


def explain_text(name: str) -> str:
    """`opcompat explain OP --target gpu`; UsageError for a name that is no builtin."""
    from opcompat.model.schema import BUILTIN_OPERATOR_CODES

    name = name.strip()
    if not name.upper().startswith("CUSTOM:") and name.upper() not in BUILTIN_OPERATOR_CODES:
        from opcompat.errors import UsageError

        raise UsageError(f"unknown builtin op {name!r} (custom ops: CUSTOM:<name>)")
    return "\n".join(explain_lines(name)) + "\n"
