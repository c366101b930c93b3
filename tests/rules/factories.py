"""Small builders of synthetic models, operators and contexts for the rule tests."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import opcompat.targets.nnapi.rules.ops  # noqa: F401  (registers every rule)
from opcompat.model.graph import (
    OPTIONAL_TENSOR,
    Model,
    Operator,
    Quantization,
    Subgraph,
    Tensor,
    TensorType,
)
from opcompat.targets.nnapi.levels import FEATURE_LEVEL_CODE, Target, make_target
from opcompat.targets.nnapi.rules.context import RULES, OpContext

# Validate level -> the device whose default target gives it (the oracle's levels).
_TARGET_OF_LEVEL: dict[int, tuple[int, int | None]] = {
    27: (27, None),
    28: (28, None),
    29: (29, 3),
    30: (30, 4),
    31: (31, 5),
    FEATURE_LEVEL_CODE[6]: (33, 6),
    FEATURE_LEVEL_CODE[7]: (34, 7),
    FEATURE_LEVEL_CODE[8]: (35, 8),
}

ALL_LEVELS: tuple[int, ...] = tuple(_TARGET_OF_LEVEL)
"""Every Validate level the oracle covers: 27..31 and FL6..FL8."""


def target_for_level(level: int) -> Target:
    """The default-mode target whose Validate level is `level` (27..31 or 1000006..1000008)."""
    api, fl = _TARGET_OF_LEVEL[level]
    return make_target(api, fl)


def tensor(
    dtype: TensorType | int = TensorType.FLOAT32,
    shape: Sequence[int] = (1, 4),
    *,
    const: bool = False,
    data: bytes | None = None,
    scale: Sequence[float] | float | None = None,
    zero_point: Sequence[int] | int | None = None,
    name: str = "",
) -> dict[str, Any]:
    """A tensor description for `make_ctx` (its index is given there)."""
    if isinstance(scale, (int, float)):
        scale = (float(scale),)
    if isinstance(zero_point, int):
        zero_point = (zero_point,)
    quant = None
    if scale is not None or zero_point is not None:
        quant = Quantization(scale=tuple(scale or ()), zero_point=tuple(zero_point or ()))
    return {
        "dtype": dtype,
        "shape": tuple(shape),
        "const": const or data is not None,
        "data": data,
        "quant": quant,
        "name": name,
    }


class DataContext(OpContext):
    """An OpContext whose constant tensors' bytes come from a dict (no flatbuffer behind it)."""

    __slots__ = ("data",)

    def constant_data(self, t: Tensor) -> memoryview | None:
        if not t.is_constant:
            return None
        raw = self.data.get(t.index)
        return None if raw is None else memoryview(raw)


def make_ctx(
    op: str,
    inputs: Sequence[Mapping[str, Any] | None],
    outputs: Sequence[Mapping[str, Any]] = (),
    *,
    version: int = 1,
    level: int = 29,
    options: Mapping[str, Any] | None = None,
    options_type: str | None = None,
) -> DataContext:
    """An OpContext for one `op` whose inputs (None = omitted) and outputs are described tensors."""
    if not outputs:
        outputs = (tensor(),)
    tensors: list[Tensor] = []
    data: dict[int, bytes] = {}
    in_idx: list[int] = []
    out_idx: list[int] = []
    for descs, idx in ((inputs, in_idx), (outputs, out_idx)):
        for d in descs:
            if d is None:
                idx.append(OPTIONAL_TENSOR)
                continue
            i = len(tensors)
            tensors.append(
                Tensor(
                    index=i,
                    name=d.get("name") or f"t{i}",
                    dtype=d["dtype"],
                    shape=d["shape"],
                    shape_signature=None,
                    buffer=i + 1 if d["const"] else 0,
                    is_constant=d["const"],
                    is_variable=False,
                    quantization=d.get("quant"),
                )
            )
            if d.get("data") is not None:
                data[i] = d["data"]
            idx.append(i)
    operator = Operator(
        index=0,
        opcode_index=0,
        builtin_code=0,
        op=op,
        version=version,
        custom_code=None,
        inputs=tuple(in_idx),
        outputs=tuple(out_idx),
        options_type=options_type,
        options=dict(options or {}),
    )
    subgraph = Subgraph(0, "main", tuple(tensors), (operator,), tuple(in_idx), tuple(out_idx))
    model = Model(3, "", (subgraph,), (), (), (), 0)
    ctx = DataContext(model, subgraph, operator, target_for_level(level))
    ctx.data = data
    return ctx


def run_rule(ctx: OpContext) -> OpContext:
    """Apply the registered rule of the context's op; returns the context."""
    RULES[ctx.op.op](ctx)
    return ctx


def check(op: str, *args: Any, **kwargs: Any) -> OpContext:
    """`make_ctx(...)` then `run_rule`."""
    return run_rule(make_ctx(op, *args, **kwargs))


def codes(ctx: OpContext) -> list[str]:
    """The failure codes recorded, in order."""
    return [r.code for r in ctx.failures]


def messages(ctx: OpContext) -> list[str]:
    """The failure messages recorded, in order."""
    return [r.message for r in ctx.failures]
