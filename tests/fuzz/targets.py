"""What the fuzzer runs on each input: the reader, then the rules engine and every report format.

The contract under test: for any bytes, `exercise` either returns (a report was produced and
rendered by every format) or raises `ModelReadError` with a one-line message. Anything else
(another exception, a multi-line or empty message) is a bug. The engine and the formats join
in when their modules exist, so the harness works while they are being written.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable
from typing import Any

from opcompat.errors import ModelReadError
from opcompat.model import read_model

MAX_MESSAGE = 600
"""A ModelReadError message longer than this probably echoes the file back at the user."""

# Messages of the reader's last-resort `except` (an unchecked path that a check should catch).
BACKSTOP_MARK = "malformed flatbuffer ("


class ContractError(AssertionError):
    """A ModelReadError that breaks the one-clear-line contract."""


def check_message(exc: ModelReadError) -> str:
    msg = str(exc)
    if not msg.strip():
        raise ContractError("ModelReadError with an empty message")
    if "\n" in msg or "\r" in msg:
        raise ContractError(f"ModelReadError message spans lines: {msg!r}")
    if len(msg) > MAX_MESSAGE:
        raise ContractError(f"ModelReadError message of {len(msg)} characters: {msg[:120]!r}...")
    return msg


def _optional(module: str, attr: str) -> Any:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, attr, None)


def engine() -> Callable[..., Any] | None:
    """`opcompat.analysis.check`, when it exists."""
    return _optional("opcompat.analysis", "check")


def renderers() -> dict[str, Callable[[Any], str]]:
    """name -> function(ModelReport) -> text, for every `--format` choice whose module exists."""
    out: dict[str, Callable[[Any], str]] = {}
    choices = _optional("opcompat.formats.base", "FormatChoice")
    if choices is None:
        return out
    from opcompat.report import Report

    for choice in choices:
        try:
            fmt = choice.to_format()
            if choice.value == "json":
                importlib.import_module("opcompat.formats.json")
        except ImportError:
            continue  # not written yet

        def run(model_report: Any, fmt: Any = fmt) -> str:
            return str(fmt.render(Report(models=(model_report,), tool_version="fuzz")))

        out[choice.value] = run
    return out


def _no_rule_errors(report: Any) -> None:
    """The engine turns an exception inside a rule into an `opcompatRuleError` reason, so that
    one malformed operator does not cost the whole report; for the fuzzer it is a crash."""
    from opcompat.targets.nnapi.rules.engine import RULE_ERROR_CODE

    for op in report.operators:
        for reason in op.reasons:
            if reason.code == RULE_ERROR_CODE:
                raise AssertionError(f"rule error: {op.op} #{op.index}: {reason.message}")


class Targets:
    """The targets resolved once per process (imports are not free)."""

    def __init__(self, deep: bool = True, api_levels: tuple[int, ...] = (27, 30, 35)) -> None:
        self.check = engine() if deep else None
        self.renderers = renderers() if deep else {}
        self.api_levels = api_levels
        self.counter = 0

    def run(self, data: bytes) -> str:
        """'report' or 'rejected' (or 'backstop': rejected by the reader's last-resort except).

        Raises anything that breaks the contract.
        """
        try:
            model = read_model(data)
            self._touch(model)
            if self.check is not None:
                self.counter += 1
                # The level follows from the bytes, so that a failure replays exactly.
                level = self.api_levels[zlib.crc32(data) % len(self.api_levels)]
                report = self._check(data, level)
                _no_rule_errors(report)
                for render in self.renderers.values():
                    render(report)
        except ModelReadError as exc:
            msg = check_message(exc)
            return "backstop" if BACKSTOP_MARK in msg else "rejected"
        return "report"

    def _check(self, data: bytes, level: int) -> Any:
        assert self.check is not None
        return self.check(data, api_level=level)

    @staticmethod
    def _touch(model: Any) -> None:
        """Read what the engine reads: every constant's bytes, every display name."""
        for sg in model.subgraphs:
            for t in sg.tensors:
                if t.is_constant:
                    model.buffer_data(t)
            for op in sg.operators:
                op.display_name  # noqa: B018
