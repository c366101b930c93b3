"""What a delegate's per-operator check reads of an operator, as hashable keys: operators with
equal keys get equal verdicts, so large models (which repeat the same operator thousands of
times) are validated once per distinct operator. Target-neutral: every delegate's rules read
only the operator, its options and its own tensors.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from opcompat.model.graph import OPTIONAL_TENSOR, Operator, Subgraph, Tensor

_SCALARS = frozenset({int, float, bool, str, bytes, type(None)})


def _freeze(value: Any) -> Any:
    """A hashable copy of decoded builtin options."""
    if type(value) is dict and all(type(v) in _SCALARS for v in value.values()):
        return tuple(sorted(value.items()))  # the usual flat options: no recursion
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def operator_signature(
    subgraph: Subgraph,
    op: Operator,
    tensor_keys: list[Hashable] | None = None,
    intern: dict[Hashable, int] | None = None,
) -> tuple[Hashable, Hashable] | None:
    """Everything Validate reads of an operator, as (shape key, data key): two operators with
    equal keys get equal verdicts. The rules read only the operator, its options and its own
    tensors (types, shapes, quantization, constness, and sometimes constant data, identified by
    buffer). The data key adds the buffers; None when unhashable.

    Tensors are keyed by numbers from `intern` (with `tensor_keys`, one slot per tensor of the
    subgraph, None until known, each tensor is keyed once across calls)."""
    tensors = subgraph.tensors
    n = len(tensors)
    if tensor_keys is None or intern is None:
        tensor_keys, intern = [None] * n, None  # keys are the tensors' own tuples

    inputs = op.inputs
    if len(set(inputs)) == len(inputs):
        aliases: tuple[int, ...] = tuple(range(len(inputs)))
    else:
        first: dict[int, int] = {}
        aliases = tuple([first.setdefault(i, k) for k, i in enumerate(inputs)])
    try:
        shape_key = (
            op.op,
            op.version,
            op.custom_code,
            op.options_type,
            _freeze(op.options),
            _tensor_ids(inputs, tensors, tensor_keys, intern),
            _tensor_ids(op.outputs, tensors, tensor_keys, intern),
            _tensor_ids(op.intermediates, tensors, tensor_keys, intern) if op.intermediates
            else (),
            aliases,  # which inputs are the same tensor (the first position of each)
        )
        if intern is None:
            hash(shape_key)  # with `intern`, the caller's look-up hashes it (and may fail)
    except TypeError:
        return None
    inter = _buffers(op.intermediates, tensors) if op.intermediates else ()
    return shape_key, (shape_key, _buffers(inputs, tensors), inter)


def _buffers(ids: Sequence[int], tensors: Sequence[Tensor]) -> tuple[int, ...]:
    """The buffers of the constant tensors among `ids` (-1 for any other)."""
    n = len(tensors)
    return tuple([tensors[i].buffer if 0 <= i < n and tensors[i].is_constant else -1
                  for i in ids])


def _tensor_ids(
    ids: Sequence[int],
    tensors: Sequence[Tensor],
    tensor_keys: list[Hashable],
    intern: dict[Hashable, int] | None,
) -> tuple[Hashable, ...]:
    """The keys of tensors `ids` for operator_signature: a number from `intern`, or without
    it the tuple of what Validate reads of the tensor."""
    out: list[Hashable] = []
    n = len(tensors)
    for i in ids:
        if not 0 <= i < n:
            out.append(None if i == OPTIONAL_TENSOR else ("bad", i))
            continue
        got = tensor_keys[i]
        if got is None:
            t = tensors[i]
            raw = (
                int(t.dtype),
                t.shape,
                t.shape_signature,
                t.is_constant,
                t.quantization,
                t.is_variable,
                t.is_sparse,
                t.has_rank,
            )
            got = raw if intern is None else intern.setdefault(raw, len(intern))
            tensor_keys[i] = got
        out.append(got)
    return tuple(out)
