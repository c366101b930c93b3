"""What a rule sees of one operator, and how it records a failure.

Mirrors `OpValidationContext` and `Expect`/`ExpectFmt` in TFLite's
`delegates/nnapi/nnapi_delegate.cc`: every failed expectation is recorded, and the operator is
supported only when none failed.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opcompat.model.graph import Model, Operator, Subgraph, Tensor
from opcompat.report import Reason
from opcompat.targets.nnapi.levels import Target
from opcompat.tflite.types import tensor_at


class OpContext:
    """One operator at one target level, plus the failures recorded so far."""

    __slots__ = (
        "model", "subgraph", "op", "target", "failures", "tensor_override", "refused_silently",
    )

    def __init__(self, model: Model, subgraph: Subgraph, op: Operator, target: Target) -> None:
        self.model = model
        self.subgraph = subgraph
        self.op = op
        self.target = target
        self.failures: list[Reason] = []
        # Tensor types as the delegate sees them after fp16 weight remapping
        # (GetSupportedOpsWithFp16WeightRemapping); None when not remapping.
        self.tensor_override: dict[int, Tensor] | None = None
        # Validate returned false without recording a failure (DENSIFY's `return false`).
        self.refused_silently = False

    @property
    def level(self) -> int:
        """The `android_sdk_version` argument of Validate (27..35 or 1000006..1000008)."""
        return self.target.validate_level

    @property
    def version(self) -> int:
        return self.op.version

    @property
    def options(self) -> Any:
        return self.op.options

    @property
    def num_inputs(self) -> int:
        return len(self.op.inputs)

    @property
    def num_outputs(self) -> int:
        return len(self.op.outputs)

    def tensor(self, index: int) -> Tensor | None:
        """Tensor by subgraph index; None for an omitted optional tensor or a bad index."""
        if self.tensor_override is not None and index in self.tensor_override:
            if tensor_at(self.subgraph, index) is not None:
                return self.tensor_override[index]
        return tensor_at(self.subgraph, index)

    def input(self, i: int) -> Tensor | None:
        """The operator's i-th input tensor; None when absent or omitted."""
        if i >= len(self.op.inputs):
            return None
        return self.tensor(self.op.inputs[i])

    def output(self, i: int) -> Tensor | None:
        """The operator's i-th output tensor; None when absent."""
        if i >= len(self.op.outputs):
            return None
        return self.tensor(self.op.outputs[i])

    def constant_data(self, tensor: Tensor) -> memoryview | None:
        """The bytes of a constant tensor (kTfLiteMmapRo), or None."""
        if not tensor.is_constant:
            return None
        return self.model.buffer_data(tensor)

    def expect(self, condition: bool, code: str, message: str, source: str = "") -> bool:
        """Record a failure when `condition` is false (the delegate's `Expect`)."""
        if not condition:
            self.failures.append(Reason(code, message, source))
        return condition

    def refuse_silently(self) -> None:
        """Make the operator unsupported without a failure (a bare `return false` in Validate)."""
        self.refused_silently = True

    @property
    def supported(self) -> bool:
        return not self.failures and not self.refused_silently


RuleFn = Callable[[OpContext], None]
"""A rule: the body of one `case kTfLiteBuiltin...:` of Validate. It calls ctx.expect()."""

RULES: dict[str, RuleFn] = {}
"""Builtin op name (schema enum name) -> its rule. Ops absent here are never accepted."""


def rule(*op_names: str) -> Callable[[RuleFn], RuleFn]:
    """Register a function as the Validate rule of one or more builtin ops."""

    def register(fn: RuleFn) -> RuleFn:
        for name in op_names:
            if name in RULES:
                raise RuntimeError(f"two rules for {name}")
            RULES[name] = fn
        return fn

    return register
