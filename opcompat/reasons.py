"""Every reason code opcompat can emit, defined once: what it means and its SARIF help.

Three families: each target's delegate's own failure types, where its delegate has an enum of
them (NNAPI's `NNAPIValidationFailureType`); opcompat's target-neutral `opcompat*` codes
(refusals of the TFLite core, why a supported operator is not delegated); and each target's own
`opcompat*` codes. The neutral ones are defined here; a target's come from its package's
`reasons` module (standard library only: `FAILURE_TYPES`, `CODES`, optionally `SPEC_CODES`).
The report schema's code enums and `reports/reason_codes.md` are generated from this registry:

    python -m opcompat.reason_docs --write     # after adding a code
    python -m opcompat.reason_docs --check     # exit 1 when a generated file is stale

Imports only `opcompat.report`, `opcompat.targets` and those modules: importing it stays cheap.
"""

from __future__ import annotations

from types import ModuleType
from typing import NamedTuple

from opcompat.report import Reason


class Code(NamedTuple):
    """One reason code."""

    name: str
    kind: str
    """delegate (the delegate's own failure type), refusal (the whole model is refused),
    reason (opcompat's own: why an operator is on the CPU), or warning (a finding that changes
    no verdict)."""
    description: str
    """What it means, in one or two sentences (the schema, the docs)."""
    help: str = ""
    """SARIF's rule help; empty: SARIF shows an example message of the rule instead."""


# Model-wide refusals (Refusal.code).
INTERPRETER_BUILD_FAILS = "opcompatInterpreterBuildFails"
DYNAMIC_TENSORS = "opcompatDynamicTensors"
# Why a supported operator is not delegated (OperatorResult.reasons).
PARTITION_DROPPED = "opcompatPartitionDropped"
DELEGATION_REFUSED = "opcompatDelegationRefused"
SUBGRAPH_NOT_DELEGATED = "opcompatSubgraphNotDelegated"
RULE_ERROR = "opcompatRuleError"

_OPCOMPAT = (
    Code(INTERPRETER_BUILD_FAILS, "refusal", "TFLite's InterpreterBuilder refuses the model "
         "(e.g. invalid quantization parameters): it does not run at all, on a delegate or on "
         "the CPU."),
    Code(DYNAMIC_TENSORS, "refusal", "A subgraph has tensors that are dynamic before any kernel "
         "runs (string, resource or variant): ModifyGraphWithDelegate returns "
         "kTfLiteApplicationError."),
    Code(PARTITION_DROPPED, "reason", "Supported, but its partition was dropped by the "
         "delegate's partition cap."),
    Code(DELEGATION_REFUSED, "reason", "Supported, but the delegate delegated nothing in "
         "this model (see refusal)."),
    Code(SUBGRAPH_NOT_DELEGATED, "reason", "Supported, but the delegate was not applied "
         "to this subgraph."),
    Code(RULE_ERROR, "reason", "The rule could not evaluate this (malformed) operator."),
)


def _target_modules() -> tuple[ModuleType, ...]:
    from opcompat.targets import target_modules

    return target_modules("reasons")


_MODULES = _target_modules()

FAILURE_TYPE_SOURCES: tuple[tuple[str, str], ...] = tuple(
    (m.FAILURE_TYPES_ENUM, m.FAILURE_TYPES_SOURCE) for m in _MODULES
    if getattr(m, "FAILURE_TYPES", ())
)
"""(enum name, header) of each target's delegate failure types."""

CODES: dict[str, Code] = {
    **{name: Code(name, "delegate", text, text) for m in _MODULES
       for name, text in getattr(m, "FAILURE_TYPES", ())},
    **{c.name: c for c in _OPCOMPAT},
    **{c[0]: Code(*c) for m in _MODULES for c in m.CODES},
}
"""Every code: the delegates' failure types first (in their headers' order), then opcompat's
neutral codes, then each target's own."""

DELEGATE_CODES: tuple[str, ...] = tuple(c.name for c in CODES.values() if c.kind == "delegate")
OPCOMPAT_CODES: tuple[str, ...] = tuple(c.name for c in CODES.values() if c.kind != "delegate")
SPEC_CODES: frozenset[str] = frozenset().union(*(getattr(m, "SPEC_CODES", ()) for m in _MODULES))
"""The findings of the targets' specification cross-checks: what `--fail-on spec` fails on."""


def describe(code: str) -> str:
    """The description of `code` ('' for a code not in the registry)."""
    got = CODES.get(code)
    return got.description if got is not None else ""


def reason(code: str, source: str) -> Reason:
    """A `Reason` of an opcompat code whose message is its description, citing `source`."""
    return Reason(code, describe(code), source)
