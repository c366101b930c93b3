"""Per-operator cost from tensor shapes and builtin options, never from weight data.

Convention (as in architecture papers): one multiply-accumulate (MAC) per weight per output
position; bias, activation and elementwise work are not counted, so ops without weights count
0 MACs. Output shapes are taken from the model (`Tensor.shape`), never recomputed from padding.

Tensor layouts follow the TFLite kernels (LiteRT f67457790c9c, tflite/kernels/); each formula
cites its file and function. A shape is unknown when it has no rank, a negative dimension, or
-1 in its `shape_signature`; a value that needs such a shape is None, with `unknown_shape` set.
A value that needs an absent tensor, or a shape of the wrong rank, is None as well.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from opcompat.model.graph import OPTIONAL_TENSOR, Operator, Subgraph, Tensor
from opcompat.tflite.types import DYNAMIC_TYPES, byte_size, tensor_at


class OperatorCost(NamedTuple):
    """The cost of one operator; None where a shape it needs is unknown or missing."""

    macs: int | None
    """Multiply-accumulates; 0 for ops that have none counted."""
    elements: int | None
    """Output elements, summed over the outputs."""
    activation_bytes: int | None
    """Bytes of its distinct non-constant inputs and outputs."""
    unknown_shape: bool
    """A shape it needed had an unknown dimension."""


class _Unknown(Exception):
    """A needed shape has an unknown dimension."""


class _Missing(Exception):
    """A needed tensor is absent, or its shape does not fit the op."""


def _known_shape(tensor: Tensor) -> tuple[int, ...]:
    """`tensor.shape`, or raise _Unknown when a dimension (or the rank) is unknown."""
    sig = tensor.shape_signature
    if (not tensor.has_rank or any(d < 0 for d in tensor.shape)
            or (sig is not None and any(d < 0 for d in sig))):
        raise _Unknown
    return tensor.shape


class _Shapes:
    """Known shapes of one operator's inputs and outputs, by position."""

    def __init__(self, subgraph: Subgraph, op: Operator) -> None:
        self.subgraph = subgraph
        self.op = op

    def _get(self, indices: Sequence[int], k: int, rank: int | None) -> tuple[int, ...] | None:
        index = indices[k] if 0 <= k < len(indices) else OPTIONAL_TENSOR
        tensor = tensor_at(self.subgraph, index)
        if tensor is None:
            return None
        shape = _known_shape(tensor)
        if rank is not None and len(shape) != rank:
            raise _Missing
        return shape

    def input(self, k: int, rank: int | None = None) -> tuple[int, ...]:
        """Shape of input `k`; raise _Missing when it is omitted or of another rank."""
        shape = self._get(self.op.inputs, k, rank)
        if shape is None:
            raise _Missing
        return shape

    def optional(self, k: int) -> tuple[int, ...] | None:
        """Shape of optional input `k`, None when it is omitted."""
        return self._get(self.op.inputs, k, None)

    def output(self, k: int = 0, rank: int | None = None) -> tuple[int, ...]:
        """Shape of output `k`; raise _Missing when it is absent or of another rank."""
        shape = self._get(self.op.outputs, k, rank)
        if shape is None:
            raise _Missing
        return shape

    def weight_elements(self, indices: Sequence[int]) -> int:
        """Elements of the given optional weight inputs that are present, summed."""
        return sum(math.prod(s) for k in indices if (s := self.optional(k)) is not None)


Options = Mapping[str, Any]


def _conv_2d(s: _Shapes, options: Options) -> int:
    """Output positions x filter elements: out [b, oh, ow, oc], filter [oc, kh, kw, ic/groups]
    (conv.cc, Prepare: groups = input_channel / filter->dims->data[3])."""
    b, oh, ow, _ = s.output(0, rank=4)
    return b * oh * ow * math.prod(s.input(1, rank=4))


def _depthwise_conv_2d(s: _Shapes, options: Options) -> int:
    """Output positions x kh x kw x oc: out [b, oh, ow, oc], filter [1, kh, kw, oc] with
    oc = ic * depth_multiplier (depthwise_conv.cc, Prepare and ComputeDepthMultiplier)."""
    b, oh, ow, _ = s.output(0, rank=4)
    return b * oh * ow * math.prod(s.input(1, rank=4))


def _fully_connected(s: _Shapes, options: Options) -> int:
    """Rows x weight elements: weights [num_units, input_size], rows = NumElements(input) /
    input_size, whatever keep_num_dims (fully_connected.cc, PrepareImpl: batch_size)."""
    weights = s.input(1, rank=2)
    if weights[1] == 0:
        return 0
    return math.prod(s.input(0)) // weights[1] * math.prod(weights)


def _batch_matmul(s: _Shapes, options: Options) -> int:
    """Broadcast batch x M x K x N: lhs [..., M, K] ([..., K, M] with adj_x), rhs [..., K, N]
    ([..., N, K] with adj_y) (batch_matmul.cc, Prepare and ResizeOutputTensor)."""
    lhs, rhs = s.input(0), s.input(1)
    if len(lhs) < 2 or len(rhs) < 2:
        raise _Missing
    rank = max(len(lhs), len(rhs))
    lhs, rhs = (1,) * (rank - len(lhs)) + lhs, (1,) * (rank - len(rhs)) + rhs
    batch = math.prod(b if a == 1 else a for a, b in zip(lhs[:-2], rhs[:-2], strict=True))
    m, k = (lhs[-1], lhs[-2]) if options.get("adj_x") else (lhs[-2], lhs[-1])
    n = rhs[-2] if options.get("adj_y") else rhs[-1]
    return batch * m * k * n


def _transpose_conv(s: _Shapes, options: Options) -> int:
    """Input positions x weight elements: input (2) [b, h, w, ic], weights (1) [oc, kh, kw, ic];
    each input value is scattered over the kernel (transpose_conv.cc, Prepare and Eval)."""
    b, h, w, _ = s.input(2, rank=4)
    return b * h * w * math.prod(s.input(1, rank=4))


def _conv_3d(s: _Shapes, options: Options) -> int:
    """Output positions x filter elements: out [b, od, oh, ow, oc], filter [kd, kh, kw, ic, oc]
    (conv3d.cc, Prepare)."""
    b, od, oh, ow, _ = s.output(0, rank=5)
    return b * od * oh * ow * math.prod(s.input(1, rank=5))


def _conv_3d_transpose(s: _Shapes, options: Options) -> int:
    """Input positions x filter elements: input (2) [b, d, h, w, ic], filter (1)
    [kd, kh, kw, oc, ic] (conv3d_transpose.cc, Prepare and ResizeOutputAndTemporaryTensors)."""
    b, d, h, w, _ = s.input(2, rank=5)
    return b * d * h * w * math.prod(s.input(1, rank=5))


# Weight inputs multiplied with the input or the recurrent state at each step: input-to-gate
# 1-4, recurrent-to-gate 5-8 and projection 16 (lstm_shared.h, the k*WeightsTensor indices;
# unidirectional_sequence_lstm.cc, CheckInputTensorDimensions).
# Peephole (cell-to-gate) weights are elementwise, not counted.
_LSTM_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 16)
# bidirectional_sequence_lstm.cc: forward 1-8 and 16, backward 18-25 and 33, auxiliary 40-47.
_BI_LSTM_WEIGHTS = (*_LSTM_WEIGHTS, *range(18, 26), 33, *range(40, 48))
_BASIC_LSTM = 1  # LSTMKernelType BASIC


def _steps(s: _Shapes, options: Options) -> int:
    """Time steps x batch of a sequence op: input [max_time, n_batch, ...] when time_major,
    else [n_batch, max_time, ...] (unidirectional_sequence_lstm.cc, Prepare)."""
    shape = s.input(0, rank=3)
    max_time, n_batch = shape[:2] if options.get("time_major") else shape[1::-1]
    return max_time * n_batch


def _rows(s: _Shapes) -> int:
    """Batch of a single-step cell: input [n_batch, n_input] (lstm.cc, basic_rnn.cc,
    svdf.cc, Prepare: input->dims->data[0])."""
    return math.prod(s.input(0, rank=2)[:-1])


def _lstm(s: _Shapes, options: Options) -> int:
    """Batch x gate and projection weights (lstm.cc, full::Prepare and
    full::CheckInputTensorDimensions); the basic kernel has one weights tensor (2)
    [4 x n_output, n_input + n_output] (lstm.cc, basic::Prepare)."""
    if options.get("kernel_type") == _BASIC_LSTM:
        return _rows(s) * math.prod(s.input(2, rank=2))
    return _rows(s) * s.weight_elements(_LSTM_WEIGHTS)


def _unidirectional_sequence_lstm(s: _Shapes, options: Options) -> int:
    """Steps x batch x gate and projection weights (unidirectional_sequence_lstm.cc,
    Prepare: the LSTM tensor indices, time_major)."""
    return _steps(s, options) * s.weight_elements(_LSTM_WEIGHTS)


def _bidirectional_sequence_lstm(s: _Shapes, options: Options) -> int:
    """Steps x batch x weights of both directions and of the auxiliary input
    (bidirectional_sequence_lstm.cc, Prepare: max_time and n_batch per time_major)."""
    return _steps(s, options) * s.weight_elements(_BI_LSTM_WEIGHTS)


def _rnn(s: _Shapes, options: Options) -> int:
    """Batch x (weights (1) [units, input] + recurrent weights (2) [units, units])
    (basic_rnn.cc, Prepare)."""
    return _rows(s) * s.weight_elements((1, 2))


def _unidirectional_sequence_rnn(s: _Shapes, options: Options) -> int:
    """Steps x batch x (weights + recurrent weights) (unidirectional_sequence_rnn.cc,
    GetRnnDimensions: batch_size and max_time per time_major)."""
    return _steps(s, options) * s.weight_elements((1, 2))


def _bidirectional_sequence_rnn(s: _Shapes, options: Options) -> int:
    """Steps x batch x weights of both directions: forward 1, 2, backward 5, 6, auxiliary
    10, 11 (bidirectional_sequence_rnn.cc, Prepare)."""
    return _steps(s, options) * s.weight_elements((1, 2, 5, 6, 10, 11))


def _svdf(s: _Shapes, options: Options) -> int:
    """Batch x (feature weights (1) [num_filters, input_size] + time weights (2)
    [num_filters, memory_size]) per invocation (svdf.cc, Prepare)."""
    s.input(1, rank=2)
    s.input(2, rank=2)
    return _rows(s) * s.weight_elements((1, 2))


_MACS: dict[str, Callable[[_Shapes, Options], int]] = {
    "CONV_2D": _conv_2d,
    "DEPTHWISE_CONV_2D": _depthwise_conv_2d,
    "FULLY_CONNECTED": _fully_connected,
    "BATCH_MATMUL": _batch_matmul,
    "TRANSPOSE_CONV": _transpose_conv,
    "CONV_3D": _conv_3d,
    "CONV_3D_TRANSPOSE": _conv_3d_transpose,
    "LSTM": _lstm,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _unidirectional_sequence_lstm,
    "BIDIRECTIONAL_SEQUENCE_LSTM": _bidirectional_sequence_lstm,
    "RNN": _rnn,
    "UNIDIRECTIONAL_SEQUENCE_RNN": _unidirectional_sequence_rnn,
    "BIDIRECTIONAL_SEQUENCE_RNN": _bidirectional_sequence_rnn,
    "SVDF": _svdf,
}
"""MAC formula by op name; every other op counts 0."""


def _macs(subgraph: Subgraph, op: Operator) -> tuple[int | None, bool]:
    formula = _MACS.get(op.op)
    if formula is None:
        return 0, False
    try:
        return formula(_Shapes(subgraph, op), op.options), False
    except _Unknown:
        return None, True
    except _Missing:
        return None, False


def _elements(subgraph: Subgraph, op: Operator) -> tuple[int | None, bool]:
    total = 0
    for index in op.outputs:
        tensor = tensor_at(subgraph, index)
        if tensor is None:
            return None, False
        try:
            total += math.prod(_known_shape(tensor))
        except _Unknown:
            return None, True
    return total, False


def _activation_bytes(subgraph: Subgraph, op: Operator) -> tuple[int | None, bool]:
    """Bytes of the distinct non-constant inputs and outputs (variables included); None for
    a string, resource or variant one, whose size only the kernel knows."""
    total = 0
    for index in dict.fromkeys((*op.inputs, *op.outputs)):
        if index == OPTIONAL_TENSOR:
            continue
        tensor = tensor_at(subgraph, index)
        if tensor is None:
            return None, False
        if tensor.is_constant:
            continue
        try:
            _known_shape(tensor)
        except _Unknown:
            return None, True
        if tensor.dtype in DYNAMIC_TYPES:
            return None, False
        total += byte_size(tensor)
    return total, False


def operator_cost(subgraph: Subgraph, op: Operator) -> OperatorCost:
    """The MACs, output elements and activation bytes of `op`, an operator of `subgraph`."""
    macs, unknown_macs = _macs(subgraph, op)
    elements, unknown_elements = _elements(subgraph, op)
    activation_bytes, unknown_bytes = _activation_bytes(subgraph, op)
    return OperatorCost(macs, elements, activation_bytes,
                        unknown_macs or unknown_elements or unknown_bytes)
