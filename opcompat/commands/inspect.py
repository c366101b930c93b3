"""`opcompat inspect MODEL...`: what is in a model, per subgraph, without any NNAPI judgement.

For each subgraph: the operators by name and version with their counts, the tensor types, and
the numbers of inputs, outputs, tensors and constants. `--format json` gives the same data.
MODEL arguments are expanded as by `check` (directories searched recursively for *.tflite,
globs); with the `convert` extra, a SavedModel, Keras file or frozen graph shows the .tflite
model TensorFlow converts it to. Exit codes: 0 when every model was read; 3 when any was not
(one line on stderr each, the others are still printed); 2 for usage errors (also a directory
without models, a glob that matches nothing, a TensorFlow input without TensorFlow).
"""
from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "inspect",
        help="operators (with versions), tensor types and counts of a model, per subgraph",
        description="Show what a .tflite model contains, per subgraph: the operator histogram "
        "with op versions, the tensor types, and the counts of inputs, outputs and constants.",
    )
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help=".tflite model file(s), directories (searched recursively) or globs; "
                   "SavedModel/Keras/.pb with the convert extra")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="output format (default table)")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write the output to FILE (atomically) instead of stdout")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from opcompat.errors import EXIT_OK, EXIT_UNREADABLE, ModelReadError
    from opcompat.inputs import convert, expand, require_tensorflow
    from opcompat.model.reader import printable, read_model
    from opcompat.output import emit_text, refuse_overwriting

    summaries: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    items = expand(args.models)
    require_tensorflow(items)  # a TensorFlow input without the convert extra: exit code 2
    output = getattr(args, "output", None)
    refuse_overwriting(output, [i.path for i in items])
    tables: list[str] = []
    for item in items:
        path = item.path
        try:
            model = read_model(convert(item) if item.needs_conversion else path)
        except ModelReadError as exc:
            print(f"opcompat: error: {exc}", file=sys.stderr)
            errors.append({"path": printable(path), "error": str(exc)})
            continue
        summaries.append(summarize(printable(path), model))  # shown: no newline or escape
        if args.format == "table":
            if output is None:  # print as we go: a long list of models shows progress
                sys.stdout.write(render_table(summaries[-1]))
                sys.stdout.flush()
            else:
                tables.append(render_table(summaries[-1]))
    if args.format == "json":
        import json

        from opcompat import __version__

        doc = {"opcompat_version": __version__, "models": summaries, "errors": errors}
        emit_text(lambda: json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)
    elif output is not None:
        emit_text(lambda: "".join(tables), output)
    return EXIT_UNREADABLE if errors else EXIT_OK


def _dtype_name(dtype: Any) -> str:
    name = getattr(dtype, "name", None)
    return name if isinstance(name, str) else f"UNKNOWN_{int(dtype)}"


def summarize(path: str, model: Any) -> dict[str, Any]:
    """The JSON-ready summary of one model (a `opcompat.model.graph.Model`)."""
    subgraphs = []
    for sg in model.subgraphs:
        ops: dict[tuple[str, int], int] = {}
        for op in sg.operators:
            key = (op.display_name, op.version)
            ops[key] = ops.get(key, 0) + 1
        dtypes: dict[str, list[int]] = {}
        constants = 0
        for t in sg.tensors:
            counts = dtypes.setdefault(_dtype_name(t.dtype), [0, 0])
            counts[0] += 1
            if t.is_constant:
                counts[1] += 1
                constants += 1
        subgraphs.append({
            "index": sg.index,
            "name": sg.name,
            "inputs": len(sg.inputs),
            "outputs": len(sg.outputs),
            "tensors": len(sg.tensors),
            "constants": constants,
            "operators": len(sg.operators),
            "ops": [
                {"op": name, "version": version, "count": count}
                for (name, version), count in sorted(ops.items(),
                                                     key=lambda kv: (-kv[1], kv[0]))
            ],
            "dtypes": [
                {"dtype": name, "tensors": counts[0], "constants": counts[1]}
                for name, counts in sorted(dtypes.items(), key=lambda kv: (-kv[1][0], kv[0]))
            ],
        })
    return {
        "path": path,
        "size": model.size,
        "schema_version": model.version,
        "description": model.description,
        "metadata": list(model.metadata_names),
        "signatures": [
            {"key": s.key, "subgraph": s.subgraph_index, "inputs": sorted(s.inputs),
             "outputs": sorted(s.outputs)}
            for s in model.signature_defs
        ],
        "subgraphs": subgraphs,
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def render_table(summary: dict[str, Any]) -> str:
    """Plain-text blocks for one model summary."""
    from tabulate import tabulate

    lines = [
        f"{summary['path']}: {summary['size']:,} bytes, schema v{summary['schema_version']}, "
        f"{_plural(len(summary['subgraphs']), 'subgraph')}"
        + (f", {summary['description']!r}" if summary["description"] else "")
    ]
    for s in summary["signatures"]:
        lines.append(f"  signature {s['key']!r} -> subgraph {s['subgraph']}: "
                     f"inputs {', '.join(s['inputs']) or '-'}; "
                     f"outputs {', '.join(s['outputs']) or '-'}")
    for sg in summary["subgraphs"]:
        name = f" {sg['name']!r}" if sg["name"] else ""
        lines.append("")
        lines.append(
            f"  subgraph {sg['index']}{name}: {_plural(sg['operators'], 'operator')}, "
            f"{_plural(sg['inputs'], 'input')}, {_plural(sg['outputs'], 'output')}, "
            f"{_plural(sg['tensors'], 'tensor')} ({_plural(sg['constants'], 'constant')})"
        )
        if sg["ops"]:
            rows = [(o["op"], f"v{o['version']}", f"×{o['count']}") for o in sg["ops"]]
            lines.append(_indent(tabulate(rows, headers=("op", "version", "count"),
                                          colalign=("left", "left", "right"))))
        if sg["dtypes"]:
            rows = [(d["dtype"], d["tensors"], d["constants"]) for d in sg["dtypes"]]
            lines.append("")
            lines.append(_indent(tabulate(rows, headers=("dtype", "tensors", "constants"))))
    return "\n".join(lines) + "\n\n"


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
