"""Typed errors, one per layer; only the CLI catches them and maps them to exit codes."""
from __future__ import annotations

# Exit codes are a documented contract (README, "Exit codes").
EXIT_OK = 0
EXIT_POLICY = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3


class OpcompatError(Exception):
    """Base of every error opcompat raises on purpose. Its message is one line."""

    exit_code = EXIT_UNREADABLE


class UsageError(OpcompatError):
    """Bad flags, bad values, or arguments that do not fit together."""

    exit_code = EXIT_USAGE


class ModelReadError(OpcompatError):
    """A model file is missing, unreadable, truncated, corrupted or hostile.

    The message says what is wrong and, where it applies, at which byte offset.
    """

    exit_code = EXIT_UNREADABLE

    def __init__(self, message: str, offset: int | None = None) -> None:
        self.offset = offset
        if offset is not None:
            message = f"{message} (at byte offset {offset})"
        super().__init__(message)


class TableError(OpcompatError):
    """An op table is missing, fails its schema, or does not match the manifest."""

    exit_code = EXIT_UNREADABLE


class ScrapeError(OpcompatError):
    """A scrape failed: a host could not be reached, or a source could not be parsed."""

    exit_code = EXIT_UNREADABLE
