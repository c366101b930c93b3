"""Command-line entry point: builds the parser, runs one command, maps errors to exit codes.

Each subcommand lives in `opcompat/commands/<name>.py` and exposes `add_parser(subparsers)` and
`run(args) -> int`. Command modules import only the standard library at module level, so that
start-up stays lean; they import the engine inside `run`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from opcompat import __version__
from opcompat.errors import EXIT_UNREADABLE, EXIT_USAGE, OpcompatError

COMMANDS = ("check", "inspect", "diff", "baseline", "ops", "explain", "tables")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2, and a subcommand's
    positionals may stand on both sides of its options (`check a.tflite --api-level 30 b.tflite`,
    as a shell glob and flags added later give)."""

    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        if self._subparsers is not None or self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True  # parse_known_intermixed_args calls back into this method
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {_one_line(message)}\n")


def _one_line(message: str) -> str:
    """`message` with control characters escaped: a file name or flag value given on the command
    line (from a pull request, say) must not forge a second stderr line or drive the terminal."""
    if message.isprintable():
        return message
    from opcompat.model.reader import printable

    return printable(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="opcompat",
        description="How a TensorFlow Lite model will run on Android's NNAPI, per API level.",
    )
    parser.add_argument("--version", action="version", version=f"opcompat {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"opcompat.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except OpcompatError as exc:
        print(f"opcompat: error: {_one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("opcompat: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of our stdout went away (`| head`); not an error of ours.
        return 0
    except MemoryError:
        print("opcompat: error: out of memory", file=sys.stderr)
        return EXIT_UNREADABLE


def run() -> int:
    """The `opcompat` command: `main()`, then the collector's objects frozen, so that the
    interpreter's last collection at exit does not walk every object left (about 20 ms)."""
    code = main()
    import gc

    gc.freeze()
    return code
