"""`OpSignature`: what TFLite's version and compatibility checks see of one node.

Source: tflite/tools/versioning/op_signature.cc, GetOpSignature (the context form: per input
and output, the tensor's type, its dims, whether it is a constant of the model, whether its
shape signature has an unknown dimension; `ext_options` zeroed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from opcompat.model.graph import OPTIONAL_TENSOR, Model, Operator, Subgraph
from opcompat.tflite.types import MMAP_RO, allocation_type

NO_TYPE = -1
"""`kTfLiteNoType`: the spec of an omitted optional tensor (index -1) or of an index with no
tensor."""


class TensorSpec(NamedTuple):
    """`OpSignatureTensorSpec`, with the tensor's index kept for callers that need it."""

    type: int
    """The schema TensorType value, or NO_TYPE."""
    dims: tuple[int, ...]
    is_const: bool
    """`allocation_type == kTfLiteMmapRo`: its data is in the model."""
    is_shape_dynamic: bool
    """`HasUnspecifiedDimension`: a -1 in its shape signature."""
    index: int  # type: ignore[assignment]  # shadows tuple.index, as a field may
    """The tensor's index in the subgraph (OPTIONAL_TENSOR for an omitted one)."""


class OpSignature(NamedTuple):
    """`OpSignature` of one node: the builtin options by schema field name (the C
    `builtin_data` struct carries the same values), custom ops' name and raw options."""

    op: str
    """Schema enum name (`CONV_2D`), `CUSTOM` for custom ops."""
    builtin_code: int
    custom_name: str | None
    options: Mapping[str, Any]
    custom_options: bytes
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    version: int


def tensor_spec(subgraph: Subgraph, index: int) -> TensorSpec:
    """The spec of tensor `index` (kTfLiteNoType and no dims for an omitted or bad index)."""
    if index == OPTIONAL_TENSOR or not 0 <= index < len(subgraph.tensors):
        return TensorSpec(NO_TYPE, (), False, False, index)
    t = subgraph.tensors[index]
    dynamic = t.shape_signature is not None and -1 in t.shape_signature
    return TensorSpec(int(t.dtype), t.shape, allocation_type(t) == MMAP_RO, dynamic, index)


def op_signature(
    model: Model, subgraph: Subgraph, op: Operator, inputs: Sequence[int] | None = None
) -> OpSignature:
    """`GetOpSignature` of `op`; `inputs` replaces its input tensor indices (the fp16
    partition helper's rewired inputs)."""
    custom = b""
    if op.op == "CUSTOM":
        data = model.custom_options(op)
        custom = bytes(data) if data is not None else b""
    ins = op.inputs if inputs is None else tuple(inputs)
    return OpSignature(
        op=op.op,
        builtin_code=op.builtin_code,
        custom_name=op.custom_code if op.op == "CUSTOM" else None,
        options=op.options,
        custom_options=custom,
        inputs=tuple(tensor_spec(subgraph, i) for i in ins),
        outputs=tuple(tensor_spec(subgraph, i) for i in op.outputs),
        version=op.version,
    )
