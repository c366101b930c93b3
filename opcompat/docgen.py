"""The command line of the document generators (`--write`, `--check`, or print)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def generator_main(
    argv: list[str] | None, prog: str, description: str, doc_path: Path,
    render: Callable[[], str],
) -> int:
    """Print the document, or rewrite `doc_path` (`--write`), or exit 1 when it is stale
    (`--check`); exit 2 outside a checkout, where there is no `reports/` to compare."""
    ap = argparse.ArgumentParser(prog=prog, description=description)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"rewrite {doc_path}")
    group.add_argument(
        "--check", action="store_true", help="exit 1 when the committed file is stale"
    )
    args = ap.parse_args(argv)
    if (args.write or args.check) and not doc_path.parent.is_dir():
        # An installed package has no reports/ folder: there is nothing to compare or write.
        print(
            f"opcompat: error: {doc_path.parent} not found: --check and --write work in a "
            "checkout of opcompat, not an installation (without them, the document is printed)",
            file=sys.stderr,
        )
        return 2
    text = render()
    if args.write:
        doc_path.write_text(text, encoding="utf-8")
        return 0
    if args.check:
        current = doc_path.read_text(encoding="utf-8") if doc_path.is_file() else ""
        if current != text:
            print(f"{doc_path} is stale: run {prog} --write", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0
