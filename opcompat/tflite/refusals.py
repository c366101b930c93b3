"""Whole-model refusals that come from TFLite itself, whatever the delegate: a model the
InterpreterBuilder cannot load, and dynamic tensors that make ModifyGraphWithDelegate give up.
"""

from __future__ import annotations

from opcompat.model.graph import Model, Subgraph, Tensor
from opcompat.reasons import DYNAMIC_TENSORS, INTERPRETER_BUILD_FAILS
from opcompat.report import Refusal
from opcompat.tflite.types import DYNAMIC_TYPES, type_name

# QuantizationDetails members InterpreterBuilder::ParseQuantization handles on their own paths.
_NON_AFFINE_DETAILS = frozenset({2, 3})


def quantization_error(tensor: Tensor) -> str | None:
    """Why `InterpreterBuilder::ParseQuantization` rejects this tensor's parameters, or None.

    Source: tflite/core/interpreter_builder.cc, InterpreterBuilder::ParseQuantization (the
    affine path: scales need as many zero points; the quantized dimension must be a dimension;
    several scales must match that dimension's size).
    """
    q = tensor.quantization
    if q is None or not q.scale or q.details_type in _NON_AFFINE_DETAILS:
        return None
    dims = tensor.shape
    if not q.zero_point:
        return "Quantization parameters has non-null scale but null zero_point."
    if len(q.scale) != len(q.zero_point):
        return (
            f"QuantizationParam has {len(q.zero_point)} zero_point values and "
            f"{len(q.scale)} scale values. Must have same number."
        )
    qd = q.quantized_dimension
    if qd < 0 or (dims and qd >= len(dims)):
        return f"quantized_dimension must be in range [0, {len(dims)}). Was {qd}."
    if len(q.scale) != 1 and dims and len(q.scale) != dims[qd]:
        return (
            f"num_scales must be 1 for per-layer quantization, or {dims[qd]} for per-axis "
            f"quantization, but got {len(q.scale)}."
        )
    return None


def interpreter_refusal(model: Model) -> Refusal | None:
    """The model cannot be loaded by TFLite at all (InterpreterBuilder fails), or None.

    Source: tflite/core/interpreter_builder.cc, InterpreterBuilder::
    BuildLocalIndexToRegistrationMapping (a CUSTOM operator code without a custom_code, checked
    here on the operators that use one) and ParseTensors (a failed ParseQuantization fails the
    whole build).
    """
    for sg in model.subgraphs:
        for op in sg.operators:
            if op.op == "CUSTOM" and op.custom_code is None:
                return Refusal(
                    INTERPRETER_BUILD_FAILS,
                    f"TFLite cannot load this model: operator {op.index} of subgraph {sg.index}: "
                    "Operator with CUSTOM builtin_code has no custom_code.; InterpreterBuilder "
                    "fails, so the model runs nowhere (nothing is delegated)",
                )
    bad: list[tuple[int, int]] = []
    first = ""
    for sg in model.subgraphs:
        for t in sg.tensors:
            err = quantization_error(t)
            if err is not None:
                if not bad:
                    first = f"tensor #{t.index} '{t.name}' of subgraph {sg.index}: {err}"
                bad.append((sg.index, t.index))
    if not bad:
        return None
    more = f" ({len(bad)} tensors in all)" if len(bad) > 1 else ""
    return Refusal(
        INTERPRETER_BUILD_FAILS,
        f"TFLite cannot load this model: {first}{more}; InterpreterBuilder fails, so the model "
        "runs nowhere (nothing is delegated)",
        tuple(bad),
    )




def dynamic_tensors(subgraph: Subgraph) -> tuple[int, ...]:
    """Tensors kTfLiteDynamic before any kernel runs: non-constant string/resource/variant.

    Source: tflite/core/subgraph.cc, Subgraph::SetTensorParametersReadWrite.
    """
    return tuple(
        t.index for t in subgraph.tensors if t.dtype in DYNAMIC_TYPES and not t.is_constant
    )


def dynamic_trigger(subgraph: Subgraph) -> int | None:
    """The dynamic tensor that makes ModifyGraphWithDelegate give up, or None.

    Source: tflite/core/subgraph.cc, ModifyGraphWithDelegateImpl and PrepareOpsStartingAt: the
    subgraph outputs are looked at first, then each node's outputs in plan order.
    """
    dyn = set(dynamic_tensors(subgraph))
    if not dyn:
        return None
    for t in subgraph.outputs:
        if t in dyn:
            return t
    for op in subgraph.operators:
        for t in op.outputs:
            if t in dyn:
                return t
    return None


def dynamic_refusal(subgraph: Subgraph, delegate: str) -> Refusal | None:
    """The whole-model refusal caused by this subgraph's dynamic tensors, if any.

    Source: tflite/core/subgraph.cc, Subgraph::ModifyGraphWithDelegateImpl (returns
    kTfLiteApplicationError when the delegate does not allow dynamic tensors).
    """
    trigger = dynamic_trigger(subgraph)
    if trigger is None:
        return None
    t = subgraph.tensors[trigger]
    return Refusal(
        DYNAMIC_TENSORS,
        f"subgraph {subgraph.index} has dynamic-sized tensors (tensor #{trigger} "
        f"'{t.name}' is {type_name(t.dtype)}): the {delegate} delegate supports static-sized "
        "tensors only, so ModifyGraphWithDelegate returns kTfLiteApplicationError and nothing "
        "is delegated",
        tuple((subgraph.index, i) for i in dynamic_tensors(subgraph)),
    )
