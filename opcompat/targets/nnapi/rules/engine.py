"""Dispatch one operator to its Validate rule: `NNAPIDelegateKernel::Validate` around its switch.

Importing `opcompat.targets.nnapi.rules.ops` registers every `@rule`; an op without a rule
(and every custom
op or unknown builtin code) falls to the switch's `default:` and fails with
kUnsupportedOperator "Unsupported operation type." (for a custom op, followed by where it runs:
through the Flex delegate for Select TF ops, else with the app's kernel).
"""

from __future__ import annotations

from collections.abc import Mapping

from opcompat import reasons
from opcompat.model.graph import Model, Operator, Subgraph, Tensor
from opcompat.report import Reason
from opcompat.targets.nnapi import reasons as nnapi_reasons
from opcompat.targets.nnapi.levels import API_LEVELS, DEFAULT_FEATURE_LEVEL, Target, make_target
from opcompat.targets.nnapi.rules.context import RULES, OpContext

VALIDATE_SOURCE = "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate"

UNSUPPORTED_OPERATOR = Reason(
    "kUnsupportedOperator", "Unsupported operation type.", f"{VALIDATE_SOURCE}, default:"
)

SILENT_REFUSAL_CODE = nnapi_reasons.SILENT_REFUSAL
"""Validate returned false without recording a failure (DENSIFY below its level)."""

RULE_ERROR_CODE = reasons.RULE_ERROR
"""A rule could not evaluate this operator (malformed operator); treated as refused."""

SILENT_REFUSAL = Reason(
    SILENT_REFUSAL_CODE,
    "Validate refuses this operator without recording a failure.",
    VALIDATE_SOURCE,
)

FLEX_PREFIX = "Flex"
"""Custom codes of Select TF ops: the TensorFlow op name after this prefix (FlexCumprod)."""


def custom_op_reason(op: Operator) -> Reason:
    """kUnsupportedOperator for a custom op, saying where it runs instead.

    Validate's switch has no case for BuiltinOperator_CUSTOM: every custom op stays on the CPU,
    a Select TF op through the Flex delegate, any other with the kernel the app registers.
    """
    from opcompat.model.reader import printable

    name = printable(op.custom_code or "")
    if name.startswith(FLEX_PREFIX):
        where = f"{name} is a Select TF (Flex) op, run on the CPU by the Flex delegate"
    else:
        where = f"{name or 'This'} is a custom op, run on the CPU by the app's own kernel"
    return Reason(
        UNSUPPORTED_OPERATOR.code,
        f"{UNSUPPORTED_OPERATOR.message} {where}; the NNAPI delegate takes no custom ops.",
        UNSUPPORTED_OPERATOR.source,
    )


_loaded = False


def _load_rules() -> None:
    global _loaded
    if not _loaded:
        import opcompat.targets.nnapi.rules.ops  # noqa: F401  (registers every rule)

        _loaded = True


def rule_for(op_name: str):  # type: ignore[no-untyped-def]
    """The registered rule of a builtin name, or None."""
    _load_rules()
    return RULES.get(op_name)


class _TrackingContext(OpContext):
    """An OpContext that notes whether the rule read constant tensor data."""

    __slots__ = ("read_data",)

    def constant_data(self, tensor: Tensor) -> memoryview | None:
        self.read_data = True
        return OpContext.constant_data(self, tensor)


def validate(
    model: Model,
    subgraph: Subgraph,
    op: Operator,
    target: Target,
    tensor_override: Mapping[int, Tensor] | None = None,
) -> tuple[Reason, ...]:
    """Validate's failures for `op` at `target`; empty when Validate accepts it.

    `tensor_override` replaces tensors by index as the delegate sees them (the fp16 weight
    remapping points consumers at the fp16 constants).
    """
    return validate_tracked(model, subgraph, op, target, tensor_override)[0]


def validate_tracked(
    model: Model,
    subgraph: Subgraph,
    op: Operator,
    target: Target,
    tensor_override: Mapping[int, Tensor] | None = None,
) -> tuple[tuple[Reason, ...], bool]:
    """`validate`, and whether the rule read constant tensor data (when it did not, the verdict
    holds for every operator that differs only in its constants' values)."""
    _load_rules()
    if op.op == "CUSTOM":
        return (custom_op_reason(op),), False
    fn = RULES.get(op.op)
    if fn is None:
        return (UNSUPPORTED_OPERATOR,), False
    ctx = _TrackingContext(model, subgraph, op, target)
    ctx.read_data = False
    if tensor_override:
        ctx.tensor_override = dict(tensor_override)
    try:
        fn(ctx)
    except Exception as exc:  # a malformed operator must not stop the whole check
        reason = Reason(
            RULE_ERROR_CODE,
            f"cannot evaluate {op.display_name}: {type(exc).__name__}: {exc}",
            VALIDATE_SOURCE,
        )
        return (*ctx.failures, reason), True
    if ctx.failures:
        return tuple(ctx.failures), ctx.read_data
    if getattr(ctx, "refused_silently", False):
        return (SILENT_REFUSAL,), ctx.read_data
    return (), ctx.read_data


def default_targets() -> dict[int, Target]:
    """The target of every API level 27..35 under default options and feature levels."""
    return {api: make_target(api, DEFAULT_FEATURE_LEVEL[api]) for api in API_LEVELS}


_DEFAULT_TARGETS: dict[int, Target] | None = None


def _targets() -> dict[int, Target]:
    global _DEFAULT_TARGETS
    if _DEFAULT_TARGETS is None:
        _DEFAULT_TARGETS = default_targets()
    return _DEFAULT_TARGETS


def support_by_level(model: Model, subgraph: Subgraph, op: Operator) -> dict[int, bool]:
    """Whether Validate accepts `op` at each API level 27..35 (default feature levels).

    Levels that hand Validate the same arguments (e.g. 34 and 35) are evaluated once.
    """
    out: dict[int, bool] = {}
    seen: dict[tuple[int, bool], bool] = {}
    for api, target in _targets().items():
        key = (target.validate_level, target.is_accelerator_specified)
        if key not in seen:
            seen[key] = not validate(model, subgraph, op, target)
        out[api] = seen[key]
    return out


def first_api_level(model: Model, subgraph: Subgraph, op: Operator) -> int | None:
    """The lowest API level 27..35 (default feature levels) at which Validate accepts `op`."""
    for api, ok in support_by_level(model, subgraph, op).items():
        if ok:
            return api
    return None
