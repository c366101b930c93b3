"""opcompat's own NNAPI specification cross-check: what the delegate accepts but NNAPI will not.

`NNAPIDelegateKernel::Validate` does not compare the operands it builds with the NNAPI
specification. This module does, for operators Validate accepts: it works out the NNAPI operand
type the delegate gives each main tensor operand (as `NNAPIOpBuilder::AddTensor` and
`NNAPIDelegateKernel::AddOpsAndTensors` in tflite/delegates/nnapi/nnapi_delegate.cc do) and
checks it, and the rank of the data inputs, against the NNAPI header of the device's feature
level (`op_tables/nnapi_<release>.json`, scraped from the AOSP headers). Findings are warnings:
they never change `supported` or `delegated`.

Header per feature level: FL1 -> Android 8.1, FL2 -> 9, FL3 -> 10, FL4 -> 11, FL5 -> 12,
FL6..FL8 -> 13. No header newer than Android 13's is in the tables, so FL7 and FL8 are read from
it (it describes the FL7 additions, e.g. MIRROR_PAD; FL8 added no operations).

Precision over recall: an operand is checked only when the delegate maps it positionally and its
NNAPI type is certain. Nothing is reported when the delegate lowers an operator into several
NNAPI operations or reorders its operands (SKIPPED_OPS), nor for an operand whose NNAPI type
depends on which operator of the partition adds the tensor first when one of them is not
modelled here.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, NamedTuple

from opcompat.model.graph import OPTIONAL_TENSOR, Model, Operator, Subgraph, Tensor, TensorType
from opcompat.reasons import describe
from opcompat.report import Reason
from opcompat.targets.nnapi.levels import Target
from opcompat.targets.nnapi.reasons import (
    SPEC_CONFIGURATION,
    SPEC_NOT_IN_FEATURE_LEVEL,
    SPEC_OPERAND_TYPE,
    SPEC_RANK,
)
from opcompat.tflite.types import tensor_at as _tensor

SPEC_REASON_CODES: dict[str, str] = {
    c: describe(c)
    for c in (SPEC_NOT_IN_FEATURE_LEVEL, SPEC_OPERAND_TYPE, SPEC_CONFIGURATION, SPEC_RANK)
}
"""The warning codes of this check -> description (`opcompat.reasons`)."""

RELEASE_OF_FEATURE_LEVEL: dict[int, str] = {
    1: "8.1", 2: "9", 3: "10", 4: "11", 5: "12", 6: "13", 7: "13", 8: "13",
}
"""The Android release whose NNAPI header describes each feature level (13 for FL6..FL8)."""

_PREFIX = "ANEURALNETWORKS_"
_ALL = -1
"""In an operand layout: every input (or output) position."""


# --- which operands of which operator are checked ---------------------------------------------


class _Layout(NamedTuple):
    """How the delegate hands a builtin's tensors to its NNAPI operation, positionally."""

    nnapi_op: str
    """NNAPI operation without the ANEURALNETWORKS_ prefix."""
    inputs: tuple[tuple[int, str], ...]
    """(TFLite input position or _ALL, NNAPI role: input, filter, bias or value)."""
    outputs: tuple[tuple[int, str], ...] = ((0, "output"),)


def _unary(nnapi_op: str) -> _Layout:
    return _Layout(nnapi_op, ((0, "input"),))


def _binary(nnapi_op: str) -> _Layout:
    return _Layout(nnapi_op, ((0, "input"), (1, "input")))


# Only positions the delegate adds as tensors in the order NNAPI expects them
# (AddOpsAndTensors' input loop, then Map, then the output loop). Index, axis, shape and
# parameter tensors are left out: the type lists do not govern them.
_LAYOUTS: dict[str, _Layout] = {
    **{op: _binary(op) for op in ("ADD", "MUL", "SUB", "DIV", "POW", "MAXIMUM", "MINIMUM",
                                  "LOGICAL_AND", "LOGICAL_OR", "BATCH_MATMUL", "PRELU")},
    **{op: _unary(op) for op in (
        "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH",
        "FLOOR", "LOGISTIC", "TANH", "RELU", "RELU6", "SOFTMAX", "LOCAL_RESPONSE_NORMALIZATION",
        "L2_NORMALIZATION", "ELU", "HARD_SWISH", "EXP", "LOG", "SQRT", "RSQRT", "SIN", "ABS",
        "NEG", "LOG_SOFTMAX", "LOGICAL_NOT", "RESHAPE", "SQUEEZE", "STRIDED_SLICE",
        "TRANSPOSE", "MEAN", "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "RESIZE_BILINEAR",
        "RESIZE_NEAREST_NEIGHBOR", "GATHER", "SLICE", "TILE", "EXPAND_DIMS", "TOPK_V2",
        "CAST", "MIRROR_PAD", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ANY",
    )},
    "RELU_N1_TO_1": _unary("RELU1"),
    "SUM": _unary("REDUCE_SUM"),
    "REVERSE_V2": _unary("REVERSE"),
    "LEAKY_RELU": _unary("PRELU"),  # Map makes the alpha tensor
    **{op: _Layout(op, ((0, "input"), (1, "input")), ())
       for op in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")},
    "ARG_MAX": _Layout("ARGMAX", ((0, "input"),), ()),
    "ARG_MIN": _Layout("ARGMIN", ((0, "input"),), ()),
    "CONCATENATION": _Layout("CONCATENATION", ((_ALL, "input"),)),
    "SPLIT": _Layout("SPLIT", ((1, "input"),), ((_ALL, "output"),)),
    "SELECT": _Layout("SELECT", ((1, "input"), (2, "input"))),
    "PAD": _unary("PAD"),
    "PADV2": _unary("PAD"),
    "PACK": _Layout("PACK", ((_ALL, "input"),)),
    "FILL": _Layout("FILL", ()),
    "QUANTIZE": _Layout("QUANTIZE", ((0, "input"),)),
    "DEQUANTIZE": _Layout("DEQUANTIZE", ((0, "input"),)),
    "CONV_2D": _Layout("CONV_2D", ((0, "input"), (1, "filter"), (2, "bias"))),
    "DEPTHWISE_CONV_2D": _Layout("DEPTHWISE_CONV_2D", ((0, "input"), (1, "filter"), (2, "bias"))),
    "FULLY_CONNECTED": _Layout("FULLY_CONNECTED", ((0, "input"), (1, "filter"))),
    "EMBEDDING_LOOKUP": _Layout("EMBEDDING_LOOKUP", ((1, "value"),), ()),
    "HASHTABLE_LOOKUP": _Layout("HASHTABLE_LOOKUP", ((2, "value"),), ()),
    "LSH_PROJECTION": _Layout("LSH_PROJECTION", ((1, "input"),), ()),
}

SKIPPED_OPS: dict[str, str] = {
    "TRANSPOSE_CONV": "Map adds the operands in another order (input, filter, bias, shape)",
    "LSTM": "Map reorders operands, adds state tensors and a scratch output",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "Map adds optional and layer-norm operands",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "Map adds optional operands",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "hybrid variants; Map adds operands",
    "RNN": "hybrid variants and state operands",
    "SVDF": "hybrid variants and state operands",
    "SQUARED_DIFFERENCE": "lowered into SUB + MUL",
    "COS": "lowered into SUB + SIN",
    "UNPACK": "lowered into RESHAPE + SPLIT",
    "SPLIT_V": "lowered into SLICEs",
    "DENSIFY": "not mapped to an NNAPI operation",
}
"""Builtins the delegate maps that this check leaves alone, and why."""


# --- the delegate's NNAPI operand types -------------------------------------------------------

# NeedInt8Conversion: builtins converted (int8 -> uint8) when their input 0 is int8.
_INT8_CONVERSION_BY_INPUT0 = frozenset({
    "ADD", "ARG_MAX", "ARG_MIN", "AVERAGE_POOL_2D", "BATCH_TO_SPACE_ND", "CONCATENATION",
    "EQUAL", "EXPAND_DIMS", "GATHER", "GREATER", "GREATER_EQUAL", "HARD_SWISH",
    "L2_NORMALIZATION", "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOGISTIC", "MAXIMUM",
    "MAX_POOL_2D", "MEAN", "MINIMUM", "MUL", "NOT_EQUAL", "PAD", "PADV2", "PRELU", "REDUCE_MAX",
    "REDUCE_MIN", "RELU", "RELU_N1_TO_1", "RELU6", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
    "RESHAPE", "SLICE", "SOFTMAX", "SPACE_TO_BATCH_ND", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE",
    "STRIDED_SLICE", "SUB", "TANH", "TILE", "TOPK_V2", "TRANSPOSE",
})
# AddOpsAndTensors: builtins whose every input (not only input 0) gets the int8 conversion.
_INT8_CONVERSION_ALL_INPUTS = frozenset({
    "FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MUL", "SUB", "CONCATENATION",
    "MAXIMUM", "MINIMUM", "LEAKY_RELU", "LESS", "LESS_EQUAL", "PRELU", "GREATER",
    "GREATER_EQUAL", "EQUAL", "NOT_EQUAL", "SELECT",
})
# IsScalarInputSupported: rank-0 inputs become rank-1 {1} operands.
_SCALAR_AS_TENSOR = frozenset({
    "ADD", "MUL", "SUB", "DIV", "EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS",
    "LESS_EQUAL", "POW", "MAXIMUM", "MINIMUM", "PRELU", "LEAKY_RELU",
})
# Builtins whose way of adding tensors is not modelled: when one of them may add a tensor first,
# that tensor's NNAPI type is unknown here.
_UNMODELLED_ADDERS = frozenset({
    "TRANSPOSE_CONV", "LSTM", "UNIDIRECTIONAL_SEQUENCE_LSTM", "BIDIRECTIONAL_SEQUENCE_LSTM",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "RNN", "SVDF", "DENSIFY", "CUSTOM",
})
# The NNAPIOpBuilder::Transform*IntoSupportedOps lowerings add the TFLite tensors they touch with
# NN_TENSOR_FLAG_USE_INT8_ASYMM_SIGNED at every level: {builtin: (input positions, outputs?)}.
_SIGNED_LOWERINGS: dict[str, tuple[tuple[int, ...], bool]] = {
    "PACK": ((_ALL,), False),  # below FL6; its output comes from an appended RESHAPE
    "UNPACK": ((0,), True),
    "SPLIT_V": ((0,), True),
    "SQUARED_DIFFERENCE": ((0, 1), True),
}

_UNKNOWN = "?"
"""A candidate NNAPI type that cannot be worked out here."""


def _dtype(t: Tensor) -> int:
    return int(t.dtype)


def _dtype_name(t: Tensor | None) -> str:
    if t is None:
        return "?"
    try:
        return TensorType(int(t.dtype)).name
    except ValueError:
        return str(int(t.dtype))


def _affine_scale_count(t: Tensor) -> int:
    from opcompat.targets.nnapi.rules.tensor_checks import affine_scale_count

    return affine_scale_count(t)


def _is_float32(t: Tensor | None) -> bool:
    return t is not None and _dtype(t) == TensorType.FLOAT32


def _is_quant8(t: Tensor | None) -> bool:
    return t is not None and _dtype(t) in (TensorType.UINT8, TensorType.INT8)


def _input(sg: Subgraph, op: Operator, pos: int) -> Tensor | None:
    return _tensor(sg, op.inputs[pos]) if pos < len(op.inputs) else None


def _is_hybrid(sg: Subgraph, op: Operator) -> bool:
    """IsHybridOperator for the builtins modelled here (float32 input, uint8/int8 weights)."""
    if op.op in ("CONV_2D", "FULLY_CONNECTED"):
        return _is_float32(_input(sg, op, 0)) and _is_quant8(_input(sg, op, 1))
    return False


def _lowered(op: Operator, target: Target) -> bool:
    """HARD_SWISH below API 30 and PACK below FL6 become several NNAPI operations."""
    if op.op == "HARD_SWISH":
        return target.api_level < 30
    if op.op == "PACK":
        return target.feature_level < 6
    return False


def _need_int8_conversion(sg: Subgraph, op: Operator, target: Target) -> bool:
    """NeedInt8Conversion, which applies below NNAPI 1.3 (feature level 4) only."""
    if target.feature_level >= 4:
        return False
    first = _input(sg, op, 0)
    int8_first = first is not None and _dtype(first) == TensorType.INT8
    if op.op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        w = _input(sg, op, 1)
        return (int8_first and w is not None and _dtype(w) in (TensorType.INT8, TensorType.UINT8)
                and _affine_scale_count(w) > 0)
    if op.op == "SELECT":
        v = _input(sg, op, 1)
        return v is not None and _dtype(v) == TensorType.INT8
    return op.op in _INT8_CONVERSION_BY_INPUT0 and int8_first


def nnapi_operand_type(t: Tensor, *, hybrid: bool = False, int8_conversion: bool = False,
                       int8_asymm_signed: bool = False, half_to_float: bool = False) -> str | None:
    """The NNAPI operand type (without ANEURALNETWORKS_) `NNAPIOpBuilder::AddTensor` gives `t`.

    The keywords are AddTensor's `hybrid_op` and tensor flags. None for a type AddTensor refuses
    (then the NNAPI model cannot be built at all; graph_checks reports that).
    """
    d = _dtype(t)
    if hybrid and d == TensorType.UINT8:
        d = TensorType.INT8  # uint8 weights of hybrid operators hold int8 values
    if d == TensorType.FLOAT32:
        return "TENSOR_FLOAT32"
    if d == TensorType.FLOAT16:
        return "TENSOR_FLOAT32" if half_to_float else "TENSOR_FLOAT16"
    if d == TensorType.UINT8:
        return "TENSOR_QUANT8_ASYMM"
    if d == TensorType.INT8:
        if _affine_scale_count(t) > 1:
            return "TENSOR_QUANT8_SYMM_PER_CHANNEL"
        if int8_asymm_signed:
            return "TENSOR_QUANT8_ASYMM_SIGNED"
        if int8_conversion:
            return "TENSOR_QUANT8_ASYMM"
        return "TENSOR_QUANT8_SYMM"
    if d == TensorType.INT32:
        return "TENSOR_INT32"
    if d == TensorType.BOOL:
        return "TENSOR_BOOL8"
    if d == TensorType.INT16:
        return "TENSOR_QUANT16_SYMM"
    return None


def _not_added(op: Operator, pos: int, sg: Subgraph) -> bool:
    """Input positions AddOpsAndTensors skips or turns into scalars: they add no tensor."""
    name = op.op
    if name == "SPLIT":
        return pos == 0
    if name in ("PAD", "PADV2"):
        return len(op.inputs) == 3 and pos == 2
    if name in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "TOPK_V2", "EXPAND_DIMS",
                "ARG_MAX", "ARG_MIN"):
        return pos > 0
    if name == "BATCH_TO_SPACE_ND":
        return pos == 2
    if name == "FILL":
        return pos == 1
    t = _input(sg, op, pos)
    if name in ("MAXIMUM", "MINIMUM"):
        return t is not None and t.rank == 0  # a new constant {1} tensor is added instead
    if name in ("REDUCE_ANY", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "SUM", "MEAN"):
        return pos == 1 and t is not None and t.rank == 0
    return False


def _input_type(sg: Subgraph, op: Operator, pos: int, target: Target) -> str:
    """The NNAPI type `op` gives its input `pos` when it is the first to add that tensor.

    `_UNKNOWN` when the delegate adds it in a way not modelled here; "" when `op` adds no
    tensor for that position.
    """
    name = op.op
    t = _input(sg, op, pos)
    lowered = _lowered_input_type(sg, op, pos, t, target)
    if lowered is not None:
        return lowered
    if name in _UNMODELLED_ADDERS or name not in _LAYOUTS:
        return _UNKNOWN
    if _not_added(op, pos, sg) or t is None:
        return ""
    if name == "DEQUANTIZE" and _dtype(t) == TensorType.FLOAT16:
        # Constant: added by the first pass, converted to float32. Otherwise the node is skipped.
        return "TENSOR_FLOAT32" if t.is_constant else ""
    if name == "GATHER" and pos > 0:
        return nnapi_operand_type(t) or _UNKNOWN  # Map adds the indices with no flags
    if name == "CONV_2D" and pos == 1 and _densified(sg, op.inputs[pos]):
        return _UNKNOWN  # DensifyAndDequantizeConstTensor adds a new tensor instead
    hybrid = _is_hybrid(sg, op)
    conversion = _need_int8_conversion(sg, op, target) and (
        pos == 0 or name in _INT8_CONVERSION_ALL_INPUTS)
    # A constant fp16 input sets the half-to-float flag for itself and every later input.
    half = _first_constant_fp16(sg, op) <= pos
    return nnapi_operand_type(
        t, hybrid=hybrid, int8_conversion=conversion,
        int8_asymm_signed=target.feature_level >= 4 and not hybrid, half_to_float=half,
    ) or _UNKNOWN


_FIRST_FP16: dict[tuple[int, int], tuple[Subgraph, int]] = {}


def _first_constant_fp16(sg: Subgraph, op: Operator) -> int:
    """Position of `op`'s first constant fp16 input; a number past any position when none.

    Cached per operator: asked once per input, a scan each time would be quadratic in the
    number of inputs (a CONCATENATION of 10k inputs).
    """
    key = (id(sg), op.index)
    cached = _FIRST_FP16.get(key)
    if cached is not None and cached[0] is sg:
        return cached[1]
    first = 1 << 62
    for p in range(len(op.inputs)):
        u = _input(sg, op, p)
        if u is not None and _dtype(u) == TensorType.FLOAT16 and u.is_constant:
            first = p
            break
    if len(_FIRST_FP16) >= 65536:
        _FIRST_FP16.clear()
    _FIRST_FP16[key] = (sg, first)
    return first


def _densified(sg: Subgraph, index: int) -> bool:
    """The tensor comes from DENSIFY, directly or through a DEQUANTIZE."""
    uses = _uses(sg)
    prod = uses.producer.get(index)
    if prod is not None and prod[0].op == "DEQUANTIZE" and prod[0].inputs:
        prod = uses.producer.get(prod[0].inputs[0])
    return prod is not None and prod[0].op == "DENSIFY"


def _output_type(sg: Subgraph, op: Operator, pos: int, target: Target) -> str:
    """The NNAPI type `op` gives its output `pos` (the output loop of AddOpsAndTensors)."""
    name = op.op
    t = _tensor(sg, op.outputs[pos]) if pos < len(op.outputs) else None
    if t is None:
        return _UNKNOWN
    if name in _SIGNED_LOWERINGS:
        if _SIGNED_LOWERINGS[name][1] and (name != "PACK" or target.feature_level < 6):
            return nnapi_operand_type(t, int8_asymm_signed=True) or _UNKNOWN
        if name != "PACK" or target.feature_level < 6:
            return _UNKNOWN
    if name == "HARD_SWISH" and target.api_level < 30:
        return nnapi_operand_type(
            t, int8_conversion=_need_int8_conversion(sg, op, target)) or _UNKNOWN
    if name == "COS":
        return nnapi_operand_type(t) or _UNKNOWN
    if name == "DEQUANTIZE":
        x = _input(sg, op, 0)
        if x is not None and _dtype(x) == TensorType.FLOAT16:
            return "TENSOR_FLOAT32" if x.is_constant else _UNKNOWN
    if name in _UNMODELLED_ADDERS or name not in _LAYOUTS:
        return _UNKNOWN
    if name == "FULLY_CONNECTED" and op.options.get("keep_num_dims"):
        # An intermediate output (AddIntermediateOutputTensor), then AppendReshape adds the
        # TFLite output with USE_INT8_ASYMM_SIGNED: the same type for float32, int8 and uint8.
        if _dtype(t) not in (TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8):
            return _UNKNOWN
        return nnapi_operand_type(t, int8_asymm_signed=True) or _UNKNOWN
    # MEAN with other output quantization (AppendRequantize) keeps the same type: its
    # intermediate and the requantized TFLite output get the output flags' type.
    return nnapi_operand_type(
        t, int8_conversion=_need_int8_conversion(sg, op, target),
        int8_asymm_signed=target.feature_level >= 4 and not _is_hybrid(sg, op),
    ) or _UNKNOWN


def _lowered_input_type(sg: Subgraph, op: Operator, pos: int, t: Tensor | None,
                        target: Target) -> str | None:
    """The input type a lowering (Transform*IntoSupportedOps) gives; None for other builtins."""
    name = op.op
    if name in _SIGNED_LOWERINGS and (name != "PACK" or target.feature_level < 6):
        positions = _SIGNED_LOWERINGS[name][0]
        if t is None or (_ALL not in positions and pos not in positions):
            return ""
        return nnapi_operand_type(t, int8_asymm_signed=True) or _UNKNOWN
    if name == "HARD_SWISH" and target.api_level < 30:
        if pos != 0 or t is None:
            return ""
        return nnapi_operand_type(
            t, int8_conversion=_need_int8_conversion(sg, op, target)) or _UNKNOWN
    if name == "COS":
        return "" if pos != 0 or t is None else nnapi_operand_type(t) or _UNKNOWN
    return None


# --- producers and consumers of a tensor ------------------------------------------------------


class _Uses(NamedTuple):
    producer: dict[int, tuple[Operator, int]]
    consumers: dict[int, tuple[tuple[Operator, int], ...]]


_USES: dict[int, tuple[Subgraph, _Uses]] = {}


def _uses(sg: Subgraph) -> _Uses:
    cached = _USES.get(id(sg))
    if cached is not None and cached[0] is sg:
        return cached[1]
    producer: dict[int, tuple[Operator, int]] = {}
    consumers: dict[int, list[tuple[Operator, int]]] = {}
    for op in sg.operators:
        for pos, t in enumerate(op.outputs):
            producer.setdefault(t, (op, pos))
        for pos, t in enumerate(op.inputs):
            if t >= 0:
                consumers.setdefault(t, []).append((op, pos))
    uses = _Uses(producer, {k: tuple(v) for k, v in consumers.items()})
    if len(_USES) >= 16:
        _USES.clear()
    _USES[id(sg)] = (sg, uses)
    return uses


_VALIDATED: dict[tuple[int, int, int, bool], tuple[Subgraph, bool]] = {}


def _may_be_delegated(model: Model | None, sg: Subgraph, op: Operator, target: Target,
                      shared: Shared | None = None) -> bool:
    """False when `op` cannot be in any NNAPI partition at `target`: Validate refuses it.

    An operator that reads fp16 weights stays a candidate (the fp16 weight remapping can
    delegate it although Validate refuses it as it stands). With `shared`, Validate's verdict
    comes from the caller's memo instead of a new evaluation.
    """
    if model is None:
        return True
    from opcompat.tables.delegate_mapping import handled_builtins

    if op.op not in handled_builtins():
        return False  # Validate has no case for it: never delegated
    key = None
    if shared is None:  # shared keeps its own memo
        key = (id(sg), op.index, target.validate_level, target.is_accelerator_specified)
        cached = _VALIDATED.get(key)
        if cached is not None and cached[0] is sg:
            return cached[1]
    try:
        if shared is not None:
            possible = not shared.validate(sg, op)
        else:
            from opcompat.targets.nnapi.rules.engine import validate

            possible = not validate(model, sg, op, target)
    except Exception:  # noqa: BLE001  (without the engine, every operator may be delegated)
        possible = True
    if not possible:
        uses = _uses(sg)
        for index in op.inputs:
            t = _tensor(sg, index)
            prod = uses.producer.get(index)
            if (t is not None and _dtype(t) == TensorType.FLOAT16) or (
                    prod is not None and prod[0].op == "DEQUANTIZE"):
                possible = True
                break
    if key is not None:
        if len(_VALIDATED) >= 65536:
            _VALIDATED.clear()
        _VALIDATED[key] = (sg, possible)
    return possible


def _input_candidates(model: Model | None, sg: Subgraph, op: Operator, pos: int,
                      target: Target) -> set[str]:
    """Every NNAPI type the input tensor can have in the NNAPI model `op` is part of.

    AddTensor types a tensor once, when the first operator of the partition adds it: its
    producer when that is in the partition, else the earliest consumer in it. The partition is
    not known here, so every operator that may be delegated and may add it first counts.
    """
    index = op.inputs[pos]
    own = _input_type(sg, op, pos, target)
    out = {own} if own else set()
    uses = _uses(sg)
    prod = uses.producer.get(index)
    if prod is not None and _may_be_delegated(model, sg, prod[0], target):
        out.add(_output_type(sg, prod[0], prod[1], target))
    out |= _earlier_consumer_types(model, sg, index, op.index, target)
    return out


# (subgraph id, tensor, target) -> (subgraph, model, [consumers scanned], {type: first op index})
_EARLIER: dict[tuple[int, int, Target],
               tuple[Subgraph, Model | None, list[int], dict[str, int]]] = {}


def _earlier_consumer_types(model: Model | None, sg: Subgraph, index: int, before: int,
                            target: Target) -> set[str]:
    """The NNAPI types that the consumers of tensor `index` placed before operator `before`
    give it, counting only consumers that may be delegated.

    The consumers of each tensor are scanned once, in order, remembering where each type first
    appears: walking every other consumer for each consumer was quadratic (one tensor read by
    4000 operators took a minute). A consumer is evaluated only once some operator after it
    asks, as the walk did, and an exception leaves it to be evaluated (and raise) again.
    """
    key = (id(sg), index, target)
    state = _EARLIER.get(key)
    if state is None or state[0] is not sg or state[1] is not model:
        if len(_EARLIER) >= 65536:
            _EARLIER.clear()
        state = _EARLIER[key] = (sg, model, [0], {})
    _, _, scanned, first = state
    consumers = _uses(sg).consumers.get(index, ())
    while scanned[0] < len(consumers) and consumers[scanned[0]][0].index < before:
        other, other_pos = consumers[scanned[0]]
        typ = _input_type(sg, other, other_pos, target)
        if typ and typ not in first and _may_be_delegated(model, sg, other, target):
            first[typ] = other.index
        scanned[0] += 1
    return {typ for typ, at in first.items() if at < before}


# --- the NNAPI tables -------------------------------------------------------------------------

_OPS: dict[str, dict[str, dict[str, Any]]] = {}
_HEADERS: dict[str, str] = {}


def _operations(release: str) -> dict[str, dict[str, Any]]:
    """NNAPI operations of one release by full name, loaded on first use."""
    ops = _OPS.get(release)
    if ops is None:
        from opcompat.tables.loader import load_table

        ops = {o["name"]: o for o in load_table(f"nnapi_{release}")["operations"]}
        _OPS[release] = ops
    return ops


def _header(release: str) -> str:
    """E.g. `NeuralNetworksTypes.h (Android 13)`: the header the release's table comes from."""
    name = _HEADERS.get(release)
    if name is None:
        old = release in ("8.1", "9", "10", "11")
        name = "NeuralNetworks.h" if old else "NeuralNetworksTypes.h"
        try:
            from opcompat.tables.loader import manifest

            entry = manifest().get("tables", {}).get(f"nnapi_{release}", {})
            path = entry.get("sources", [{}])[0].get("path", "")
            if isinstance(path, str) and path:
                name = path.rsplit("/", 1)[-1]
        except Exception:  # noqa: BLE001  (provenance is cosmetic: keep the default name)
            pass
        _HEADERS[release] = name
    return f"{name} (Android {release})"


def clear_cache() -> None:
    """Forget the loaded tables (tests; after `opcompat tables update`)."""
    _OPS.clear()
    _HEADERS.clear()
    _USES.clear()
    _VALIDATED.clear()


def _allowed(entries: Iterable[dict[str, Any]], fl: int) -> set[str]:
    """Types of a list usable at `fl` (partial and conditional support counts as support)."""
    return {e["type"].removeprefix(_PREFIX) for e in entries if e["since_feature_level"] <= fl}


# Operations whose output type differs from the input's: a single type list in the header
# describes their input only (DEQUANTIZE in 8.1 and 9, QUANTIZE in 10).
_OUTPUT_TYPE_DIFFERS = frozenset({"ANEURALNETWORKS_DEQUANTIZE", "ANEURALNETWORKS_QUANTIZE"})


def _role_types(spec: dict[str, Any], role: str, fl: int) -> set[str] | None:
    """Types the header allows for `role` at `fl`; None when it gives no list for that role."""
    roles = spec["operand_types"]
    if role in roles:
        return _allowed(roles[role], fl)
    if role == "output" and spec["name"] in _OUTPUT_TYPE_DIFFERS:
        return None
    if role in ("input", "output", "filter") and "tensor" in roles:
        return _allowed(roles["tensor"], fl)
    return None


def _role_rank(spec: dict[str, Any], role: str) -> dict[str, Any] | None:
    """The header's rank limits for a data input (filter, bias and outputs are not checked)."""
    ranks = spec["ranks"]
    if role in ("input", "value") and role in ranks:
        return ranks[role]
    if role == "input":
        return ranks.get("tensor")
    return None


# --- the check --------------------------------------------------------------------------------


def skip_reason(subgraph: Subgraph, op: Operator, target: Target) -> str:
    """Why `op` is not checked at `target` ("" when it is)."""
    return _layout(subgraph, op, target)[1]


def _layout(sg: Subgraph, op: Operator, target: Target) -> tuple[_Layout | None, str]:
    """The layout of the NNAPI operation the delegate builds for `op`, or None and why not."""
    name = op.op
    if name in SKIPPED_OPS:
        return None, SKIPPED_OPS[name]
    layout = _LAYOUTS.get(name)
    if layout is None:
        return None, "no NNAPI mapping modelled"
    if _lowered(op, target):
        return None, "lowered into several NNAPI operations at this level"
    if name in ("CONV_2D", "FULLY_CONNECTED") and _is_float32(_input(sg, op, 0)) and any(
            _is_quant8(_input(sg, op, p)) for p in (1, 2)):
        return None, "hybrid: the delegate adds DEQUANTIZE operations for the weights"
    if name == "CONV_2D":
        x, w = _input(sg, op, 0), _input(sg, op, 1)
        if x is None or w is None or x.rank != 4 or w.rank != 4 or x.shape[3] != w.shape[3]:
            return None, "grouped convolution (GROUPED_CONV_2D) or shapes not known"
    if name == "QUANTIZE" and not _is_float32(_input(sg, op, 0)):
        return None, "requantization: the delegate adds a DEQUANTIZE before it"
    if name == "DEQUANTIZE":
        x = _input(sg, op, 0)
        if x is None or _dtype(x) == TensorType.FLOAT16:
            return None, "fp16 DEQUANTIZE is handled outside the main loop"
    if name in ("PAD", "PADV2"):
        v2 = len(op.inputs) == 3 and op.inputs[2] != OPTIONAL_TENSOR
        layout = _Layout("PAD_V2" if v2 else "PAD", layout.inputs, layout.outputs)
    from opcompat.tables.delegate_mapping import mapping

    entry = mapping(name)
    if entry is None or layout.nnapi_op not in entry.nnapi_operations:
        return None, "the delegate mapping table does not name this NNAPI operation"
    return layout, ""


def _positions(spec: tuple[tuple[int, str], ...], count: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for pos, role in spec:
        if pos == _ALL:
            out.extend((p, role) for p in range(count))
        elif pos < count:
            out.append((pos, role))
    return out


def _fmt(types: Iterable[str]) -> str:
    return ", ".join(sorted(types)) or "none"


def spec_warnings(
    model: Model, subgraph: Subgraph, op: Operator, target: Target
) -> tuple[Reason, ...]:
    """Warnings for an operator Validate accepts whose NNAPI operation breaks the NNAPI spec.

    Checks the NNAPI operation the delegate builds for `op` against the NNAPI header of the
    device's feature level (FL6, FL7 and FL8 all use the Android 13 header, the newest in the
    tables): that the operation exists at that level, that each main tensor operand's NNAPI
    type (as the delegate's AddTensor assigns it) is allowed, that conv-like operations form an
    allowed type configuration, and that data input ranks are within the documented limits.
    Call it only for operators Validate accepts. Returns () for operators this check skips
    (`skip_reason`) and for malformed ones.
    """
    try:
        return _spec_warnings(model, subgraph, op, target)
    except (IndexError, KeyError, TypeError, ValueError, AttributeError):
        return ()  # a malformed operator: the rules report it, not this cross-check


class _Plan(NamedTuple):
    """What `_spec_warnings` works out from an operator's signature alone."""

    spec: dict[str, Any]
    fl: int
    full: str
    source: str
    inputs: tuple[tuple[int, str, str | None], ...]
    """(position, role, the operator's own NNAPI type for it; None: work it out per operator)."""
    outputs: tuple[tuple[str, int, str, frozenset[str]], ...]


class Shared:
    """Work shared between the operators of one model at one target (see `SpecChecker`)."""

    __slots__ = ("target", "validate", "signature", "judged", "_types", "_plans", "_subgraphs")

    def __init__(
        self,
        target: Target,
        validate: Callable[[Subgraph, Operator], tuple[Reason, ...]],
        signature: Callable[[Subgraph, Operator], Hashable],
    ) -> None:
        self.target = target
        self.validate = validate
        self.signature = signature
        self.judged: dict[Hashable, tuple[Reason, ...]] = {}
        self._types: dict[Hashable, str] = {}
        self._plans: dict[Hashable, _Plan | tuple[Reason, ...]] = {}
        self._subgraphs: dict[int, _SubgraphState] = {}

    def warnings(self, model: Model, sg: Subgraph, op: Operator) -> tuple[Reason, ...]:
        """`_spec_warnings(model, sg, op, target)`: the parts that depend on the operator's
        signature only are worked out once per signature; the candidate types of its inputs,
        which depend on its neighbours, once per operator."""
        sig = self.signature(sg, op)
        plan = self._plans.get(sig)
        if plan is None:
            plan = self._plans[sig] = self._plan(sg, op, sig)
        if not isinstance(plan, _Plan):
            return plan  # not checked, or the operation is missing at this level
        st = self._subgraphs.get(sg.index)
        if st is None or st.subgraph is not sg:
            st = self._subgraphs[sg.index] = _SubgraphState(sg, _uses(sg))
        operands: list[tuple[str, int, str, Any]] = []
        key: list[Hashable] = [sig]
        for pos, role, own in plan.inputs:
            if own is None:
                own = _input_type(sg, op, pos, self.target)
            cands = self._candidates(model, st, op, pos, own)
            operands.append(("input", pos, role, cands))
            # One candidate (the usual case) keys as its str; several as a frozenset.
            key.append(next(iter(cands)) if len(cands) == 1 else frozenset(cands))
        operands.extend(plan.outputs)  # their types follow from the signature
        judged_key = tuple(key)
        got = self.judged.get(judged_key)
        if got is None:
            got = self.judged[judged_key] = _judge(
                sg, op, plan.spec, operands, plan.fl, plan.full, plan.source)
        return got

    def _plan(self, sg: Subgraph, op: Operator, sig: Hashable) -> _Plan | tuple[Reason, ...]:
        """As `_spec_warnings` up to the candidate types (the same code path, in the same
        order)."""
        target = self.target
        layout = _layout(sg, op, target)[0]
        if layout is None:
            return ()
        fl = target.feature_level
        release = RELEASE_OF_FEATURE_LEVEL[fl]
        full = _PREFIX + layout.nnapi_op
        source = f"{_header(release)}, {full}"
        spec = _operations(release).get(full)
        if spec is None or spec["since_feature_level"] > fl:
            return _not_in_feature_level(op, spec, fl, full, source)
        inputs: list[tuple[int, str, str | None]] = []
        for pos, role in _positions(layout.inputs, len(op.inputs)):
            if op.inputs[pos] == OPTIONAL_TENSOR or _not_added(op, pos, sg):
                continue
            own = None if op.op == "CONV_2D" else self.input_type(sg, op, pos, sig)
            inputs.append((pos, role, own))
        outputs = tuple(
            ("output", pos, role, frozenset({self.output_type(sg, op, pos, sig)}))
            for pos, role in _positions(layout.outputs, len(op.outputs))
        )
        return _Plan(spec, fl, full, source, tuple(inputs), outputs)

    def _candidates(self, model: Model, st: _SubgraphState, op: Operator, pos: int,
                    own: str) -> set[str]:
        """`_input_candidates`, with its caches keyed by plain ints for this one model."""
        sg = st.subgraph
        index = op.inputs[pos]
        out = {own} if own else set()
        prod = st.uses.producer.get(index)
        if prod is not None and self._may_be_delegated(model, st, prod[0]):
            out.add(self.output_type(sg, prod[0], prod[1]))
        # As _earlier_consumer_types: each tensor's consumers are scanned once, lazily.
        consumers = st.uses.consumers.get(index, ())
        before = op.index
        if not consumers or consumers[0][0].index >= before:
            return out  # no consumer before this one (the usual case): nothing to scan yet
        state = st.earlier.get(index)
        if state is None:
            state = st.earlier[index] = ([0], {})
        scanned, first = state
        while scanned[0] < len(consumers) and consumers[scanned[0]][0].index < before:
            other, other_pos = consumers[scanned[0]]
            typ = self.input_type(sg, other, other_pos)
            if typ and typ not in first and self._may_be_delegated(model, st, other):
                first[typ] = other.index
            scanned[0] += 1
        if first:
            out.update(typ for typ, at in first.items() if at < before)
        return out

    def _may_be_delegated(self, model: Model, st: _SubgraphState, op: Operator) -> bool:
        got = st.may.get(op.index)
        if got is None:
            got = st.may[op.index] = _may_be_delegated(model, st.subgraph, op, self.target, self)
        return got

    def input_type(self, sg: Subgraph, op: Operator, pos: int, sig: Hashable = None) -> str:
        if op.op == "CONV_2D":
            return _input_type(sg, op, pos, self.target)  # its filter's producer matters
        key = (self.signature(sg, op) if sig is None else sig, pos, True)
        got = self._types.get(key)
        if got is None:
            got = self._types[key] = _input_type(sg, op, pos, self.target)
        return got

    def output_type(self, sg: Subgraph, op: Operator, pos: int, sig: Hashable = None) -> str:
        key = (self.signature(sg, op) if sig is None else sig, pos, False)
        got = self._types.get(key)
        if got is None:
            got = self._types[key] = _output_type(sg, op, pos, self.target)
        return got


class _SubgraphState:
    __slots__ = ("subgraph", "uses", "may", "earlier")

    def __init__(self, subgraph: Subgraph, uses: _Uses) -> None:
        self.subgraph = subgraph
        self.uses = uses
        self.may: dict[int, bool] = {}
        self.earlier: dict[int, tuple[list[int], dict[str, int]]] = {}


class SpecChecker:
    """`spec_warnings` for the operators of one model at one target, faster.

    Large models repeat the same operator thousands of times. `validate(subgraph, op)` is the
    caller's (memoized) Validate, so that no operator is validated twice; `signature(subgraph,
    op)` returns equal keys for operators Validate cannot tell apart (`analysis.
    operator_signature`): the NNAPI types an operator gives its own tensors, its NNAPI layout and
    the warnings reached from a given set of candidate types are computed once per key.
    """

    def __init__(self, model: Model, target: Target,
                 validate: Callable[[Subgraph, Operator], tuple[Reason, ...]],
                 signature: Callable[[Subgraph, Operator], Hashable]) -> None:
        self.model = model
        self.shared = Shared(target, validate, signature)

    def close(self) -> None:
        """Drop this model from the module's caches, which would otherwise keep its subgraphs
        (tensors, operators: tens of MB for a large model) alive while the report is written."""
        mine = {id(sg) for sg in self.model.subgraphs}
        caches: tuple[dict[Any, Any], ...] = (_USES, _FIRST_FP16, _VALIDATED, _EARLIER)
        for cache in caches:
            for key in [k for k, v in cache.items() if id(v[0]) in mine]:
                del cache[key]
        self.shared = Shared(self.shared.target, self.shared.validate, self.shared.signature)

    def warnings(self, subgraph: Subgraph, op: Operator) -> tuple[Reason, ...]:
        """`spec_warnings(model, subgraph, op, target)`."""
        try:
            return self.shared.warnings(self.model, subgraph, op)
        except (IndexError, KeyError, TypeError, ValueError, AttributeError):
            return ()


def _spec_warnings(model: Model | None, sg: Subgraph, op: Operator,
                   target: Target) -> tuple[Reason, ...]:
    layout, _why = _layout(sg, op, target)
    if layout is None:
        return ()
    fl = target.feature_level
    release = RELEASE_OF_FEATURE_LEVEL[fl]
    full = _PREFIX + layout.nnapi_op
    source = f"{_header(release)}, {full}"
    spec = _operations(release).get(full)
    if spec is None or spec["since_feature_level"] > fl:
        return _not_in_feature_level(op, spec, fl, full, source)

    # (side, position, role, candidate NNAPI types)
    operands: list[tuple[str, int, str, set[str]]] = []
    for pos, role in _positions(layout.inputs, len(op.inputs)):
        if op.inputs[pos] == OPTIONAL_TENSOR or _not_added(op, pos, sg):
            continue
        operands.append(("input", pos, role, _input_candidates(model, sg, op, pos, target)))
    for pos, role in _positions(layout.outputs, len(op.outputs)):
        operands.append(("output", pos, role, {_output_type(sg, op, pos, target)}))
    return _judge(sg, op, spec, operands, fl, full, source)


def _not_in_feature_level(op: Operator, spec: dict[str, Any] | None, fl: int, full: str,
                          source: str) -> tuple[Reason, ...]:
    since = ""
    if spec is not None:
        since = f" (it arrived in feature level {spec['since_feature_level']})"
    return (Reason(
        SPEC_NOT_IN_FEATURE_LEVEL,
        f"{op.display_name} becomes {full}, which NNAPI feature level {fl} does not have"
        f"{since}.",
        source,
    ),)


def _judge(sg: Subgraph, op: Operator, spec: dict[str, Any],
           operands: list[tuple[str, int, str, set[str]]], fl: int, full: str,
           source: str) -> tuple[Reason, ...]:
    """The warnings for `op`'s operands and their candidate NNAPI types."""
    warnings: list[Reason] = []
    certain = [(s, p, r, c) for s, p, r, c in operands if c and _UNKNOWN not in c]

    if spec["configurations"]:
        _check_configuration(spec, certain, fl, full, source, warnings)
    else:
        _check_types(sg, op, spec, certain, fl, full, source, warnings)
    for side, pos, role, _c in operands:
        if side == "input":
            _check_rank(sg, op, pos, role, spec, fl, full, source, warnings)
    return tuple(warnings)


def _check_types(sg: Subgraph, op: Operator, spec: dict[str, Any],
                 operands: list[tuple[str, int, str, set[str]]], fl: int, full: str, source: str,
                 warnings: list[Reason]) -> None:
    """Each operand's NNAPI type must be in its role's list at `fl`; one warning per type."""
    bad: dict[tuple[str, ...], list[str]] = {}
    allowed_of: dict[tuple[str, ...], set[str]] = {}
    for side, pos, role, cands in operands:
        allowed = _role_types(spec, role, fl)
        if allowed is None or cands & allowed:
            continue
        t = _tensor(sg, op.inputs[pos] if side == "input" else op.outputs[pos])
        key = tuple(sorted(cands))
        bad.setdefault(key, []).append(f"{side} {pos} ({_dtype_name(t)})")
        allowed_of.setdefault(key, set()).update(allowed)
    for key, where in bad.items():
        warnings.append(Reason(
            SPEC_OPERAND_TYPE,
            f"{', '.join(where)} {'becomes an' if len(where) == 1 else 'become'} NNAPI "
            f"{_fmt(key)} operand{'s' if len(where) > 1 else ''}, which {full} does not accept "
            f"at feature level {fl} (allowed: {_fmt(allowed_of[key])}); NNAPI will reject the "
            "model.",
            source,
        ))
    if not bad:
        _check_same_type_only(spec, operands, fl, full, source, warnings)


def _check_same_type_only(spec: dict[str, Any], operands: list[tuple[str, int, str, set[str]]],
                          fl: int, full: str, source: str, warnings: list[Reason]) -> None:
    """CAST: the header's conditional types may only be cast to the same type.

    ("Since NNAPI feature level 4, casting tensors of the following OperandCode to the same
    OperandCode is supported".) Warns only when no candidate pair of input and output fits.
    """
    entries = spec["operand_types"].get("tensor", [])
    same_only = {e["type"].removeprefix(_PREFIX) for e in entries
                 if e.get("conditional") and e["since_feature_level"] <= fl}
    if not same_only:
        return
    free = _allowed([e for e in entries if not e.get("conditional")], fl)
    ins = [c for side, _p, _r, c in operands if side == "input"]
    outs = [c for side, _p, _r, c in operands if side == "output"]
    if len(ins) != 1 or len(outs) != 1:
        return
    if any((a in free and b in free) or a == b for a in ins[0] for b in outs[0]):
        return
    warnings.append(Reason(
        SPEC_OPERAND_TYPE,
        f"{full} from {_fmt(ins[0])} to {_fmt(outs[0])}: at feature level {fl} the NNAPI "
        f"specification allows {_fmt(same_only - free)} only to the same type; NNAPI will reject "
        "the model.",
        source,
    ))


def _check_configuration(spec: dict[str, Any], operands: list[tuple[str, int, str, set[str]]],
                         fl: int, full: str, source: str, warnings: list[Reason]) -> None:
    """Conv-like operations: the (input, filter, bias, output) types must match one group."""
    known: dict[str, set[str]] = {}
    for _side, _pos, role, cands in operands:
        known.setdefault(role, set()).update(cands)
    if not known:
        return
    for cfg in spec["configurations"]:
        if cfg["since_feature_level"] > fl:
            continue
        fits = True
        for role, cands in known.items():
            allowed = {t.removeprefix(_PREFIX) for t in cfg["operands"].get(role, [])}
            if allowed and not cands & allowed:
                fits = False
                break
        if fits:
            return
    seen = ", ".join(f"{role} {_fmt(c)}" for role, c in sorted(known.items()))
    warnings.append(Reason(
        SPEC_CONFIGURATION,
        f"the NNAPI operand types ({seen}) match no configuration of {full} at feature level "
        f"{fl}; NNAPI will reject the model.",
        source,
    ))


def _check_rank(sg: Subgraph, op: Operator, pos: int, role: str, spec: dict[str, Any], fl: int,
                full: str, source: str, warnings: list[Reason]) -> None:
    limits = _role_rank(spec, role)
    t = _input(sg, op, pos)
    if limits is None or t is None or not t.has_rank:
        return
    rank = t.rank
    if rank == 0:
        if op.op not in _SCALAR_AS_TENSOR:
            return  # an NNAPI tensor of rank 0 has an unspecified rank: nothing to check
        rank = 1
    lo, hi, values = limits.get("min"), limits.get("max"), limits.get("values")
    if values:
        bad = rank not in values
        want = " or ".join(map(str, values))
    else:
        bad = (lo is not None and rank < lo) or (hi is not None and rank > hi)
        if lo is not None and hi is not None:
            want = str(lo) if lo == hi else f"{lo} to {hi}"
        elif hi is not None:
            want = f"up to {hi}"
        else:
            want = f"from {lo}"
    if bad:
        warnings.append(Reason(
            SPEC_RANK,
            f"input {pos} has rank {rank}; the NNAPI specification of {full} allows rank "
            f"{want} (feature level {fl}).",
            source,
        ))
