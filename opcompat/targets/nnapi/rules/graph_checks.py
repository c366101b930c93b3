"""Whole-model refusals and hazards: what, outside Validate, changes or threatens delegation.

* Dynamic tensors. Without `kTfLiteDelegateFlagsAllowDynamicTensors` (the NNAPI delegate sets it
  only with `allow_dynamic_dimensions`), `Subgraph::ModifyGraphWithDelegateImpl` prepares the
  graph first and returns kTfLiteApplicationError, delegating nothing, when a subgraph output or
  a node output is a dynamic tensor (tflite/core/subgraph.cc, PrepareOpsStartingAt). Before any
  kernel runs, the dynamic tensors are the non-constant string, resource and variant tensors
  (`SetTensorParametersReadWrite` gives them kTfLiteDynamic).
* Building the NNAPI model. For each partition the delegate builds an NNAPI model
  (`NNAPIDelegateKernel::Init` -> `BuildGraph` -> `AddOpsAndTensors`). Any failure makes the
  delegate's prepare fail (kTfLiteDelegateError), and the interpreter restores the original
  graph: nothing is delegated in any subgraph. Reproduced here: a tensor type NNAPI cannot
  represent reaching `NNAPIOpBuilder::AddTensor` ("Failed to add NN API tensor: type %s is not
  supported."), a PAD value of another type, an int8 full LSTM without its 5 intermediates, a
  scalar MAXIMUM/MINIMUM operand that is not constant, and an empty input or output memory pool
  (`NNMemory::Create` returns null for size 0, so `BuildGraph` fails).
* Hazards (warnings only): constant fp16 weights converted while building the NNAPI model (the
  delegate keeps a `TfLiteTensor*` across `context->AddTensors`, a dangling pointer when the
  tensor vector grows); nodes left on the CPU that the fp16 remapping rewired to fp16 weights.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from opcompat.model.graph import OPTIONAL_TENSOR, Operator, Subgraph, Tensor, TensorType
from opcompat.report import Reason, Refusal
from opcompat.targets.nnapi.levels import FEATURE_LEVEL_CODE, SDK_NNAPI13, Target
from opcompat.targets.nnapi.reasons import (
    FP16_WEIGHTS_HAZARD,
    FP16_WEIGHTS_REVALIDATED,
    NNAPI_MODEL_BUILD_FAILS,
)
from opcompat.tflite.types import byte_size, type_name
from opcompat.tflite.types import tensor_at as _tensor

DELEGATE = "tflite/delegates/nnapi/nnapi_delegate.cc"


# TfLiteType -> NNAPI operand type in NNAPIOpBuilder::AddTensor; anything else fails.
NNAPI_TENSOR_TYPES = frozenset(
    {
        TensorType.FLOAT32,
        TensorType.FLOAT16,
        TensorType.UINT8,
        TensorType.INT8,
        TensorType.INT32,
        TensorType.BOOL,
        TensorType.INT16,
    }
)

# --- building the NNAPI model -------------------------------------------------------------------


class BuildFailure(NamedTuple):
    message: str
    tensors: tuple[int, ...] = ()


_SCALAR_AXIS_REDUCERS = frozenset(
    {"REDUCE_ANY", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "SUM", "MEAN"}
)


def _is_lstm_full(op: Operator) -> bool:
    return len(op.inputs) in (20, 24)


_FOLDED_OPS = frozenset({"DENSIFY", "DEQUANTIZE"})
"""Ops AddOpsAndTensors may fold away (`_skipped`, constant fp16 DEQUANTIZE)."""
_INPUT_SPECIAL_CASES = frozenset(
    {"FULLY_CONNECTED", "SPLIT", "PAD", "PADV2", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
     "TOPK_V2", "EXPAND_DIMS", "BATCH_TO_SPACE_ND", "ARG_MAX", "ARG_MIN", "MAXIMUM", "MINIMUM",
     "FILL", "LSTM"}
    | _SCALAR_AXIS_REDUCERS
)
"""Ops whose inputs `_added_inputs` treats specially; every other op adds all its inputs
(kept in step with it by tests/test_engine_graph_checks.py)."""


def _added_inputs(
    subgraph: Subgraph, op: Operator, builder_level: int
) -> tuple[list[int], list[int], BuildFailure | None]:
    """Inputs of `op` that reach AddTensor (and so must have an NNAPI type), non-constant inputs
    read as scalar operands (`AddSingleValueTensorAsScalarOperand`: mapped, no type check), or a
    failure.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::AddOpsAndTensors (the
    per-op special cases of its input loop) and the Map cases that add inputs themselves
    (TRANSPOSE_CONV, GATHER).
    """
    name = op.op
    ins = op.inputs
    out: list[int] = []
    scalars: list[int] = []

    def t(i: int) -> Tensor | None:
        return _tensor(subgraph, ins[i]) if i < len(ins) else None

    for pos, index in enumerate(ins):
        tensor = _tensor(subgraph, index)
        if tensor is None:
            continue  # omitted optional input: a zero-sized operand of a fixed type, or skipped
        if name == "FULLY_CONNECTED" and index == OPTIONAL_TENSOR:
            continue
        if name == "SPLIT" and index == ins[0]:
            continue  # the axis becomes a scalar in Map
        if name in ("PAD", "PADV2") and len(ins) == 3 and pos == 2:
            if tensor.dtype not in (
                TensorType.FLOAT16,
                TensorType.FLOAT32,
                TensorType.UINT8,
                TensorType.INT8,
            ):
                return (
                    out,
                    scalars,
                    BuildFailure("Unsupported type of pad value for pad_v2", (index,)),
                )
            if not tensor.is_constant:
                scalars.append(index)
            continue
        if name in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR") and pos > 0:
            continue
        if name == "TOPK_V2" and pos > 0:
            continue
        if name == "EXPAND_DIMS" and pos == 1:
            continue
        if name == "BATCH_TO_SPACE_ND" and pos == 2:
            continue
        if name in ("ARG_MAX", "ARG_MIN") and pos == 1:
            if tensor.dtype not in (TensorType.INT32, TensorType.INT64):
                return (
                    out,
                    scalars,
                    BuildFailure(f"{name} axis of type {type_name(tensor.dtype)}", (index,)),
                )
            if not tensor.is_constant:
                scalars.append(index)
            continue
        if name in ("MAXIMUM", "MINIMUM") and tensor.rank == 0:
            if not tensor.is_constant or tensor.dtype not in (
                TensorType.FLOAT32,
                TensorType.UINT8,
                TensorType.INT8,
                TensorType.INT32,
            ):
                return (
                    out,
                    scalars,
                    BuildFailure(
                        f"{name} scalar operand must be a constant of a supported type", (index,)
                    ),
                )
            continue
        if name in _SCALAR_AXIS_REDUCERS and pos == 1 and tensor.rank == 0:
            continue
        if name == "FILL":
            if pos == 0:
                if tensor.dtype == TensorType.INT64:
                    continue  # converted to an int32 constant
                if tensor.dtype != TensorType.INT32:
                    return (
                        out,
                        scalars,
                        BuildFailure(f"FILL dims of type {type_name(tensor.dtype)}", (index,)),
                    )
            else:
                if tensor.dtype not in (TensorType.FLOAT32, TensorType.INT32, TensorType.INT64):
                    return (
                        out,
                        scalars,
                        BuildFailure(f"FILL value of type {type_name(tensor.dtype)}", (index,)),
                    )
                if not tensor.is_constant:
                    scalars.append(index)
                continue  # a scalar operand
        out.append(index)

    if name == "LSTM" and _is_lstm_full(op) and builder_level >= SDK_NNAPI13:
        first = t(0)
        if first is not None and first.dtype == TensorType.INT8 and len(op.intermediates) != 5:
            return (
                out,
                scalars,
                BuildFailure(
                    "the int8 LSTM needs 5 intermediate tensors "
                    f"(node->intermediates->size is {len(op.intermediates)})"
                ),
            )
    return out, scalars, None


def _skipped(subgraph: Subgraph, op: Operator) -> bool:
    """Nodes AddOpsAndTensors folds into others: constant DENSIFY, non-constant fp16 DEQUANTIZE.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::AddOpsAndTensors
    (IsDensifyConstTensor, IsDequantizeNonConstFloat16).
    """
    if not op.inputs:
        return False
    first = _tensor(subgraph, op.inputs[0])
    if first is None:
        return False
    if op.op == "DENSIFY" and first.is_constant:
        return True
    return op.op == "DEQUANTIZE" and first.dtype == TensorType.FLOAT16 and not first.is_constant


def builder_level(target: Target) -> int:
    """`target_feature_level_` of the graph builder: the runtime feature level (device-capped).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::AddOpsAndTensors.
    """
    return FEATURE_LEVEL_CODE[target.feature_level]


def nnapi_build_failure(
    subgraph: Subgraph,
    nodes: Sequence[int],
    input_tensors: Iterable[int],
    output_tensors: Iterable[int],
    target: Target,
    inputs_override: dict[int, tuple[int, ...]] | None = None,
) -> BuildFailure | None:
    """Why the NNAPI model of one partition cannot be built, or None when it can.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Init, BuildGraph,
    AddOpsAndTensors, NNAPIOpBuilder::AddTensor; NNMemory::Create.
    """
    level = builder_level(target)
    mapped: set[int] = set()
    tensors = subgraph.tensors
    n = len(tensors)
    for idx in nodes:
        op = subgraph.operators[idx]
        if inputs_override and idx in inputs_override:
            op = _with_inputs(op, inputs_override[idx])
        if op.op in _FOLDED_OPS:
            if _skipped(subgraph, op):
                continue
            if op.op == "DEQUANTIZE" and op.inputs:
                first = _tensor(subgraph, op.inputs[0])
                if first is not None and first.dtype == TensorType.FLOAT16 and first.is_constant:
                    mapped.add(op.inputs[0])  # converted to an fp32 constant; no operation
                    continue
        if op.op in _INPUT_SPECIAL_CASES:
            added, scalars, failure = _added_inputs(subgraph, op, level)
            if failure is not None:
                return failure
            mapped.update(scalars)
        else:
            added = list(op.inputs)  # every input reaches AddTensor (_added_inputs, no case)
        for i in added + list(op.outputs):
            if not 0 <= i < n:
                continue  # omitted optional tensor (-1) or out of range: no operand
            tensor = tensors[i]
            if tensor.dtype not in NNAPI_TENSOR_TYPES:
                return BuildFailure(
                    f"Failed to add NN API tensor: type {type_name(tensor.dtype)} is not supported "
                    f"(tensor #{i} '{tensor.name}' of {op.display_name} #{idx})",
                    (i,),
                )
            mapped.add(i)
    in_bytes = 0
    for i in input_tensors:
        given = _tensor(subgraph, i)
        if given is not None and not given.is_constant and i in mapped:
            in_bytes += byte_size(given)
    if in_bytes == 0:
        return BuildFailure(
            "the partition's NNAPI model has no input data: its input memory pool "
            "would be empty (NNMemory::Create returns null, BuildGraph fails)"
        )
    out_bytes = sum(
        byte_size(t) for t in (_tensor(subgraph, i) for i in output_tensors) if t is not None
    )
    if out_bytes == 0:
        return BuildFailure(
            "the partition's NNAPI model has no output data: its output memory "
            "pool would be empty (NNMemory::Create returns null, BuildGraph fails)"
        )
    return None


def _with_inputs(op: Operator, inputs: tuple[int, ...]) -> Operator:
    return op._replace(inputs=inputs)


def build_refusal(subgraph: Subgraph, failure: BuildFailure) -> Refusal:
    """The whole-model refusal of a partition whose NNAPI model cannot be built.

    Source: tflite/core/subgraph.cc, Subgraph::ModifyGraphWithDelegateImpl (a delegate error
    restores the original graph).
    """
    return Refusal(
        NNAPI_MODEL_BUILD_FAILS,
        f"subgraph {subgraph.index}: {failure.message}; the delegate fails and the interpreter "
        f"restores the original graph, so nothing is delegated",
        tuple((subgraph.index, i) for i in failure.tensors),
    )


# --- hazards ------------------------------------------------------------------------------------


def fp16_weights_revalidated(subgraph: Subgraph, dequantize_nodes: Iterable[int]) -> Reason:
    """The warning that a subgraph went through the fp16 weight remapping.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, StatefulNnApiDelegate::DoPrepare
    (should_prune_fp16_dequantize), and tflite/delegates/utils.cc, FP16GraphPartitionHelper.
    """
    nodes = sorted(dequantize_nodes)
    shown = ", ".join(map(str, nodes[:10])) + (", ..." if len(nodes) > 10 else "")
    return Reason(
        FP16_WEIGHTS_REVALIDATED,
        f"subgraph {subgraph.index}: {len(nodes)} DEQUANTIZE node(s) of constant fp16 weights "
        f"(ops {shown}): the delegate re-validates their consumers with the weights remapped, so "
        "it may take the DEQUANTIZE nodes along or leave consumers that Validate accepts on the "
        "CPU",
        "tflite/delegates/utils.cc, FP16GraphPartitionHelper",
    )


def fp16_conversion_hazard(
    subgraph: Subgraph,
    delegated: Iterable[int],
    inputs_override: dict[int, tuple[int, ...]] | None = None,
) -> Reason | None:
    """A warning when delegated nodes read constant fp16 tensors (converted to fp32 when built).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIOpBuilder::AddTensor.
    """
    found: list[int] = []
    for idx in delegated:
        op = subgraph.operators[idx]
        inputs = inputs_override.get(idx, op.inputs) if inputs_override else op.inputs
        for i in inputs:
            t = _tensor(subgraph, i)
            if t is not None and t.dtype == TensorType.FLOAT16 and t.is_constant:
                found.append(i)
    if not found:
        return None
    return Reason(
        FP16_WEIGHTS_HAZARD,
        f"subgraph {subgraph.index}: {len(set(found))} constant fp16 tensor(s) are converted to "
        "fp32 while the NNAPI model is built; NNAPIOpBuilder::AddTensor keeps a TfLiteTensor* "
        "across context->AddTensors, which dangles if the tensor vector reallocates (a crash or "
        "corrupted weights depending on the allocator)",
        f"{DELEGATE}, NNAPIOpBuilder::AddTensor",
    )
