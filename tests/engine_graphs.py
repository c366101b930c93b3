"""Synthetic models for the engine tests: chains and DAGs of operators over plain tensors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from opcompat.model.graph import Model, Operator, Subgraph, Tensor, TensorType


@dataclass
class G:
    """A subgraph under construction: `t()` adds a tensor, `op()` an operator."""

    name: str = "main"
    tensors: list[Tensor] = field(default_factory=list)
    ops: list[Operator] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)

    def t(
        self,
        dtype: int = TensorType.FLOAT32,
        shape: Sequence[int] = (1, 4),
        *,
        const: bool = False,
        name: str = "",
    ) -> int:
        i = len(self.tensors)
        self.tensors.append(
            Tensor(
                i,
                name or f"t{i}",
                dtype,
                tuple(shape),
                None,
                i + 1 if const else 0,
                const,
                False,
                None,
            )
        )
        return i

    def op(
        self,
        name: str,
        inputs: Sequence[int],
        outputs: Sequence[int],
        *,
        version: int = 1,
        options: dict | None = None,
        intermediates: Sequence[int] = (),
        custom_code: str | None = None,
    ) -> int:
        i = len(self.ops)
        self.ops.append(
            Operator(
                i,
                0,
                0,
                name,
                version,
                custom_code,
                tuple(inputs),
                tuple(outputs),
                tuple(intermediates),
                None,
                dict(options or {}),
            )
        )
        return i

    def subgraph(self, index: int = 0) -> Subgraph:
        return Subgraph(
            index,
            self.name,
            tuple(self.tensors),
            tuple(self.ops),
            tuple(self.inputs),
            tuple(self.outputs),
        )


def model_of(*graphs: G) -> Model:
    return Model(3, "", tuple(g.subgraph(i) for i, g in enumerate(graphs)), (), (), (), 0)


def chain(kinds: str) -> G:
    """A chain of unary ops: 'S' a supported RELU, 'U' an unsupported GELU."""
    g = G()
    cur = g.t()
    g.inputs = [cur]
    for k in kinds:
        nxt = g.t()
        g.op("RELU" if k == "S" else "GELU", [cur], [nxt])
        cur = nxt
    g.outputs = [cur]
    return g
