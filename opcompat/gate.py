"""The pre-merge gate: a policy over a `Report`, and the exit code it gives.

A *fallback* is any operator, in any subgraph, whose `delegated` is false (so every operator of
a model refused as a whole is one). Exit codes (README, "Exit codes"): 0 pass, 1 the policy
failed, 2 usage error, 3 a model could not be read. When several apply, 2 wins over 3, and 3
over 1: a usage error is raised before any model is read, and an unreadable model means the
verdict on the others is incomplete.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from opcompat.baseline import Baseline, compare
from opcompat.errors import EXIT_OK, EXIT_POLICY, EXIT_UNREADABLE, UsageError
from opcompat.names import display_names, plural
from opcompat.reasons import SPEC_CODES
from opcompat.report import ModelError, ModelReport, Report


class FailOn(str, enum.Enum):
    """The values of `--fail-on`."""

    ANY_FALLBACK = "any-fallback"
    NEW_FALLBACK = "new-fallback"
    REFUSAL = "refusal"
    SPEC = "spec"
    NONE = "none"

    def __str__(self) -> str:
        return self.value


class Policy(NamedTuple):
    fail_on: FailOn = FailOn.NONE
    min_delegated_ratio: float | None = None
    baseline: Baseline | None = None
    strict_count: bool = False
    """Count one-time operators on the CPU (constant DEQUANTIZEs) as fallbacks too."""


class GateResult(NamedTuple):
    exit_code: int
    failures: tuple[str, ...]
    """One line per policy violation (empty when the policy passed)."""


def parse_ratio(text: str) -> float:
    """`--min-delegated-ratio`: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"--min-delegated-ratio must be a number in [0, 1], got {text!r}"
        ) from None
    if not 0.0 <= value <= 1.0:  # also rejects nan
        raise UsageError(f"--min-delegated-ratio must be in [0, 1], got {text}")
    return value


def make_policy(
    fail_on: str | FailOn = FailOn.NONE,
    min_delegated_ratio: float | str | None = None,
    baseline: Baseline | None = None,
    baseline_given: bool | None = None,
    strict_count: bool = False,
) -> Policy:
    """Build and check a policy; UsageError for combinations that cannot work."""
    try:
        mode = FailOn(fail_on)
    except ValueError:
        choices = ", ".join(m.value for m in FailOn)
        raise UsageError(f"--fail-on must be one of {choices}, got {fail_on!r}") from None
    ratio = parse_ratio(str(min_delegated_ratio)) if min_delegated_ratio is not None else None
    has_baseline = baseline is not None if baseline_given is None else baseline_given
    if mode is FailOn.NEW_FALLBACK and not has_baseline:
        raise UsageError(
            "--fail-on new-fallback needs --baseline FILE (make one with 'opcompat baseline')"
        )
    return Policy(mode, ratio, baseline, strict_count)


def evaluate(report: Report, policy: Policy) -> GateResult:
    """Apply the policy to every model; the exit code follows the precedence 3 > 1 > 0."""
    failures: list[str] = []
    unreadable = any(isinstance(m, ModelError) for m in report.models)
    names = display_names([m.path for m in report.models])
    for m, name in zip(report.models, names, strict=True):
        if isinstance(m, ModelReport):
            failures.extend(_model_failures(m, policy, name))
    if unreadable:
        code = (
            max(m.exit_code for m in report.models if isinstance(m, ModelError)) or EXIT_UNREADABLE
        )
    else:
        code = EXIT_POLICY if failures else EXIT_OK
    return GateResult(code, tuple(failures))


def _model_failures(m: ModelReport, policy: Policy, name: str) -> list[str]:
    out: list[str] = []
    cpu = m.fallbacks if policy.strict_count else m.per_inference_fallbacks
    once = "" if policy.strict_count else _one_time_note(m)
    if policy.fail_on is FailOn.ANY_FALLBACK and cpu:
        out.append(
            f"{name}: {plural(len(cpu), 'op')} on the CPU"
            f" (first: {cpu[0].op} at subgraph {cpu[0].subgraph}, index {cpu[0].index}){once}"
        )
    elif policy.fail_on is FailOn.REFUSAL and m.refusal is not None:
        out.append(f"{name}: whole model refused: {m.refusal.code}: {m.refusal.message}")
    elif policy.fail_on is FailOn.SPEC:
        out.extend(_spec_failures(m, name))
    elif policy.fail_on is FailOn.NEW_FALLBACK and policy.baseline is not None:
        new = list(compare(m, policy.baseline.for_model(m.path, m.sha256, m.target)).new)
        if not policy.strict_count:
            new = [o for o in new if not o.one_time]
        if new:
            listed = ", ".join(f"{o.op}@{o.subgraph}:{o.index}" for o in new[:5])
            more = f" and {len(new) - 5} more" if len(new) > 5 else ""
            out.append(
                f"{name}: {plural(len(new), 'new op')} on the CPU"
                f" not in the baseline: {listed}{more}{once}"
            )
    if policy.min_delegated_ratio is not None:
        ratio = m.delegated_ratio if policy.strict_count else m.per_inference_ratio
        if ratio < policy.min_delegated_ratio:
            out.append(
                f"{name}: delegated ratio {ratio:.3f} is below --min-delegated-ratio"
                f" {policy.min_delegated_ratio:g}{once}"
            )
    return out


def _one_time_note(m: ModelReport) -> str:
    n = sum(1 for o in m.operators if o.one_time and not o.delegated)
    if not n:
        return ""
    return (f"; {plural(n, 'one-time op')} on the CPU not counted (constant DEQUANTIZE, run "
            "once; --strict-count counts them)")


def _spec_failures(m: ModelReport, name: str) -> list[str]:
    """Delegated operators a target's specification cross-check says its runtime rejects."""
    found = [(o, w) for o in m.operators if o.delegated for w in o.warnings
             if w.code in SPEC_CODES]
    if not found:
        return []
    o, w = found[0]
    more = f" and {len(found) - 1} more" if len(found) > 1 else ""
    return [f"{name}: {plural(len(found), 'spec finding')} on delegated ops (first: {o.op} at "
            f"subgraph {o.subgraph}, index {o.index}: {w.code}: {w.message}){more}"]
