"""Cross-reference TFLite builtins with NNAPI operations.

With the delegate mapping table (which builtin the delegate lowers to which NNAPI operations),
the pairs are exactly the delegate's. Without it, a builtin is paired with the NNAPI operation
of the same name, which is only an approximation; the table says which method was used.
"""

from __future__ import annotations

from typing import Any

NNAPI_PREFIX = "ANEURALNETWORKS_"

# TFLite's own copy of the NNAPI header names code 91 TRANSPOSE_CONV; the NDK header calls it
# TRANSPOSE_CONV_2D (research/nnapi_sources.md section 3).
TFLITE_NNAPI_ALIASES = {"TRANSPOSE_CONV": "TRANSPOSE_CONV_2D"}


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def _nnapi_name(name: str) -> str:
    short = name[len(NNAPI_PREFIX) :] if name.startswith(NNAPI_PREFIX) else name
    return NNAPI_PREFIX + TFLITE_NNAPI_ALIASES.get(short, short)


def pairs_from_delegate_mapping(
    mapping: dict[str, Any], builtin_names: set[str]
) -> dict[str, set[str]]:
    """Builtin name -> NNAPI operation names, read from a delegate mapping table.

    The reader is structural so that it does not depend on the mapping table's exact layout:
    any object naming one builtin (a string value equal to a builtin name, or its key in an
    object of such objects) is paired with every `ANEURALNETWORKS_*` operation name inside it.
    """
    pairs: dict[str, set[str]] = {}
    # The layout scrapers/delegate_mapping.py writes: builtins[].name / .nnapi_operations
    # (operation names without the ANEURALNETWORKS_ prefix).
    rows = mapping.get("builtins")
    if isinstance(rows, list) and all(
        isinstance(r, dict) and "nnapi_operations" in r for r in rows
    ):
        for row in rows:
            name = row.get("name")
            if name in builtin_names:
                ops = {_nnapi_name(o) for o in row["nnapi_operations"] if isinstance(o, str)}
                pairs.setdefault(name, set()).update(ops)
        return pairs

    def visit(node: Any, key_name: str | None) -> None:
        if isinstance(node, dict):
            own = [
                v
                for k, v in node.items()
                if isinstance(v, str)
                and v in builtin_names
                and k in ("builtin", "name", "tflite_builtin", "builtin_name", "op", "tflite_op")
            ]
            names = own or ([key_name] if key_name in builtin_names else [])
            if names:
                ops = {_nnapi_name(s) for s in _strings(node) if s.startswith(NNAPI_PREFIX)}
                for n in names:
                    pairs.setdefault(n, set()).update(ops)
                return
            for k, v in node.items():
                visit(v, k)
        elif isinstance(node, list):
            for v in node:
                visit(v, None)

    visit(mapping, None)
    return pairs


def build(
    tflite: dict[str, Any],
    nnapi: dict[str, dict[str, Any]],
    delegate_mapping: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `cross_reference` table, against the newest NNAPI release given."""
    release = max(nnapi, key=lambda r: tuple(int(p) for p in r.split(".")))
    operations = nnapi[release]["operations"]
    op_names = {o["name"] for o in operations}
    builtins = tflite["builtins"]
    names = {b["name"] for b in builtins}
    if delegate_mapping is not None:
        method = "delegate_mapping"
        found = pairs_from_delegate_mapping(delegate_mapping, names)
        unresolved = sorted({o for ops in found.values() for o in ops if o not in op_names})
        pairs = {b: {o for o in ops if o in op_names} for b, ops in found.items()}
    else:
        method = "name_match"
        unresolved = []
        pairs = {b: {NNAPI_PREFIX + b} for b in names if NNAPI_PREFIX + b in op_names}
    reached = {o for ops in pairs.values() for o in ops}
    return {
        "table": "cross_reference",
        "method": method,
        "nnapi_release": release,
        "unresolved_nnapi_names": unresolved,
        "pairs": [
            {"builtin": b, "nnapi_operations": sorted(pairs[b])} for b in sorted(pairs) if pairs[b]
        ],
        "nnapi_unreached": [
            {"name": o["name"], "code": o["code"], "since_feature_level": o["since_feature_level"]}
            for o in operations
            if o["name"] not in reached
        ],
        "tflite_unmapped": [
            {"name": b["name"], "code": b["code"]} for b in builtins if not pairs.get(b["name"])
        ],
    }
