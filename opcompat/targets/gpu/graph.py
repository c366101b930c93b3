"""Producers and consumers of a subgraph's tensors, as the GPU parsers look them up.

Source: tflite/delegates/gpu/common/model_builder.cc, GetTensorInfo: a walk over the whole
execution plan that lists a node once per input (or output) slot naming the tensor, so a node
reading a tensor twice is two consumers.
"""

from __future__ import annotations

from opcompat.model.graph import Subgraph


class TensorUses:
    """Per tensor, the operator indices that produce and consume it (one entry per slot)."""

    __slots__ = ("producers", "consumers")

    def __init__(self, subgraph: Subgraph) -> None:
        self.producers: dict[int, list[int]] = {}
        self.consumers: dict[int, list[int]] = {}
        for op in subgraph.operators:
            for t in op.inputs:
                self.consumers.setdefault(t, []).append(op.index)
            for t in op.outputs:
                self.producers.setdefault(t, []).append(op.index)

    def producers_of(self, tensor: int) -> list[int]:
        return self.producers.get(tensor, [])

    def consumers_of(self, tensor: int) -> list[int]:
        return self.consumers.get(tensor, [])
