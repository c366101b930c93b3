"""The delegate targets opcompat checks, chosen by name (`check --target nnapi`).

`TargetChoice` lists them, as `FormatChoice` lists the formats; each member's package,
`opcompat.targets.<name>`, defines `TARGET`, its `TargetInfo`. Standard library only.
"""

from __future__ import annotations

import enum
import functools
import importlib
import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from opcompat.targets.base import TargetCli, TargetEngine, TargetOpinfo


class TargetInfo(NamedTuple):
    """What the formats, the CLI and the schema need to know of a target."""

    name: str
    """Its `--target` value and the reports' `target` field."""
    label: str
    """How reports name it: `ops on NNAPI`, `NNAPI partition 0`."""
    delegate: str
    """The delegate it models, for help texts."""
    default_max_partitions: int
    """The delegate's own default partition cap."""
    spec_findings: bool = False
    """It cross-checks what the delegate builds against a specification (`--fail-on spec`)."""


class TargetName(str):
    """What a member of TargetChoice can do: find its package (`opcompat.targets.<value>`)."""

    value: str  # an enum member's value

    def info(self) -> TargetInfo:
        module = importlib.import_module(f"opcompat.targets.{self.value}")
        info: TargetInfo = module.TARGET
        return info

    def cli(self) -> TargetCli:
        """The target's command-line module (`opcompat.targets.base.TargetCli`)."""
        module: TargetCli = importlib.import_module(f"opcompat.targets.{self.value}.cli")
        return module

    def opinfo(self) -> TargetOpinfo:
        """The target's op-information module (`ops`, `explain`), imported on first use."""
        module: TargetOpinfo = importlib.import_module(f"opcompat.targets.{self.value}.opinfo")
        return module

    def engine(self) -> TargetEngine:
        """The target's engine module (`opcompat.targets.base`), imported on first use."""
        module: TargetEngine = importlib.import_module(f"opcompat.targets.{self.value}.engine")
        return module


class TargetChoice(TargetName, enum.Enum):
    """Every target; the first is the default. A new target is its package and one member."""

    NNAPI = "nnapi"
    GPU = "gpu"


def target_modules(name: str) -> tuple[ModuleType, ...]:
    """The `opcompat.targets.<target>.<name>` module of every target that has one, in
    TargetChoice order (the registries of reason codes, remedies and plain words)."""
    full = (f"opcompat.targets.{t.value}.{name}" for t in TargetChoice)
    return tuple(importlib.import_module(m) for m in full if importlib.util.find_spec(m))


DEFAULT_TARGET = TargetChoice.NNAPI
ALL_TARGETS = "all"
"""`--target all`: every member of TargetChoice, one report entry per model and target."""


def expand(target: str | None) -> list[str]:
    """The target names a `--target` value stands for (`all`: every one, in TargetChoice
    order; None: the default)."""
    if target == ALL_TARGETS:
        return [t.value for t in TargetChoice]
    return [target or DEFAULT_TARGET.value]


def choose(name: str) -> TargetChoice:
    """The member named `name`; UsageError for a target this release does not know."""
    try:
        return TargetChoice(name)
    except ValueError:
        from opcompat.errors import UsageError

        choices = ", ".join(t.value for t in TargetChoice)
        raise UsageError(f"unknown target {name!r} (choose from {choices})") from None


def target_info(name: str) -> TargetInfo:
    """The `TargetInfo` of a target name; ValueError for an unknown one."""
    return TargetChoice(name).info()


@functools.lru_cache(maxsize=64)
def label(name: str) -> str:
    """How reports name target `name` (the name itself for a target this release does not
    know, e.g. in a report built by a library user). Kept: reports ask it once per row."""
    try:
        return target_info(name).label
    except (ValueError, ImportError, AttributeError):
        return name
