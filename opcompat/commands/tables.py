"""`opcompat tables show|update`: print the loaded op tables, or regenerate them from upstream."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

UPDATE_EPILOG = """\
Sources: exactly one of --source-dir DIR (local copies) or --ref REF (live, over HTTP).
--source-dir expects each upstream file under its upstream path:
  DIR/litert/tflite/converter/schema/schema.fbs
  DIR/litert/tflite/core/kernels/register.cc
  DIR/litert/tflite/converter/tools/versioning/runtime_version.cc
  DIR/litert/tflite/delegates/nnapi/nnapi_delegate.cc
  DIR/litert/tflite/delegates/nnapi/nnapi_delegate_kernel.h
  DIR/litert/tflite/builtin_ops.h
  DIR/litert/tflite/delegates/gpu/common/model_builder.cc
  DIR/litert/tflite/delegates/gpu/common/default/custom_parsers.cc
  DIR/litert/tflite/delegates/gpu/common/operations.cc
  DIR/litert/tflite/delegates/gpu/delegate.cc
  DIR/aosp/<release>/nn/runtime/include/NeuralNetworks.h       (release 8.1, 9, 10, 11)
  DIR/aosp/<release>/runtime/include/NeuralNetworksTypes.h      (release 12, 13)
--ref REF reads the LiteRT files at REF ("pinned" = the pinned commit) and the NNAPI headers at
their pinned release revisions, from android.googlesource.com and raw.githubusercontent.com.
Pinned files are checked against their git blob ids. Nothing is written unless every table
was built and validated.
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "tables",
        help="show or regenerate the op tables",
        description="Show the op tables opcompat uses, or regenerate them from upstream.",
    )
    tsub = p.add_subparsers(dest="tables_command", metavar="ACTION", parser_class=type(p))
    tsub.required = True

    show = tsub.add_parser("show", help="print the loaded tables with their provenance")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument(
        "--tables",
        type=Path,
        metavar="DIR",
        default=None,
        help="read the tables from DIR instead of the shipped ones",
    )
    show.set_defaults(run=run)

    update = tsub.add_parser(
        "update",
        help="regenerate the tables from the upstream sources",
        epilog=UPDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    update.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        default=None,
        help="where to write the tables (default: ./op_tables)",
    )
    src = update.add_mutually_exclusive_group(required=True)
    src.add_argument("--source-dir", type=Path, metavar="DIR", help="local copies of the sources")
    src.add_argument(
        "--ref", metavar="REF", help="read the sources over HTTP; REF is the LiteRT revision"
    )
    update.add_argument(
        "--mirror",
        metavar="URL",
        default=None,
        help="fetch every file from URL/<owner>/<repo>/<commit>/<path> instead",
    )
    update.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per request (default 20)"
    )
    update.add_argument("--retries", type=int, default=3, help="tries per request (default 3)")
    update.add_argument(
        "--ndk-check",
        action="store_true",
        help="also compare op levels with the NDK reference page (warnings only)",
    )
    update.add_argument(
        "--ndk-html",
        type=Path,
        metavar="FILE",
        default=None,
        help="a saved copy of the NDK reference page to compare with",
    )
    update.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    update.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.tables_command == "update":
        return _update(args)
    return _show(args)


def _require_scrape_extra(modules: list[str]) -> None:
    """Stop with one line naming the extra when a module the scrape needs is missing."""
    from importlib.util import find_spec

    from opcompat.errors import UsageError

    missing = sorted({m for m in modules if find_spec(m) is None})
    if missing:
        raise UsageError(
            f"tables update needs {', '.join(missing)}: install the scrape extra: "
            'pip install "opcompat[scrape]"'
        )


def _update(args: argparse.Namespace) -> int:
    from opcompat.errors import UsageError

    if args.timeout <= 0:
        raise UsageError("--timeout must be positive")
    if args.retries < 1:
        raise UsageError("--retries must be at least 1")
    if args.source_dir is not None and not args.source_dir.is_dir():
        raise UsageError(f"--source-dir {args.source_dir}: not a directory")
    _require_scrape_extra(
        ["requests"] * (args.source_dir is None or args.ndk_check)
        + ["bs4"] * bool(args.ndk_check or args.ndk_html)
    )
    from scrapers.update import Options
    from scrapers.update import run as update

    out = args.out if args.out is not None else Path.cwd() / "op_tables"
    ref = None if args.ref in (None, "pinned") else args.ref
    opts = Options(
        out_dir=out,
        source_dir=args.source_dir,
        ref=ref,
        mirror=args.mirror,
        timeout=args.timeout,
        retries=args.retries,
        ndk_check=args.ndk_check,
        ndk_html=args.ndk_html,
    )

    def log(message: str) -> None:
        if not args.quiet or message.startswith("warning"):
            print(message, file=sys.stderr)

    tables = update(opts, log)
    from opcompat.tables.loader import clear_cache

    clear_cache()
    if not args.quiet:
        for name, data in sorted(tables.items()):
            print(f"{name}: {_count(data)}")
        print(f"wrote {len(tables)} tables and MANIFEST.json to {out}")
    return 0


def _count(data: dict[str, Any]) -> str:
    for key in ("operations", "builtins"):
        if isinstance(data.get(key), list):
            return f"{len(data[key])} {key}"
    if data.get("table") == "cross_reference":
        return (
            f"{len(data['pairs'])} pairs, "
            f"{len(data['nnapi_unreached'])} NNAPI operations unreached, "
            f"{len(data['tflite_unmapped'])} builtins unmapped"
        )
    return "written"


def _show(args: argparse.Namespace) -> int:
    import json

    from opcompat.tables.access import snapshot

    data = snapshot(args.tables)
    if args.format == "json":
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return 0
    from tabulate import tabulate

    rows = []
    for name, entry in sorted(data["provenance"].items()):
        for src in entry.get("sources", []):
            rows.append(
                [
                    name,
                    src.get("repository"),
                    src.get("path"),
                    src.get("ref"),
                    str(src.get("commit", ""))[:12],
                ]
            )
    print(tabulate(rows, headers=["table", "repository", "path", "ref", "commit"]))
    print()
    print(f"tflite_builtins: {len(data['tflite_builtins'])} builtins")
    for release, ops in data["nnapi_operations"].items():
        fls = sorted({o["since_feature_level"] for o in ops})
        print(f"nnapi {release}: {len(ops)} operations (feature levels {', '.join(map(str, fls))})")
    return 0
