"""Whole-model refusals (dynamic tensors, NNAPI model build failures), the fp16 path, hazards,
and how the interpreter applies the delegate across subgraphs."""

from __future__ import annotations

import pytest
from engine_graphs import G, model_of

from opcompat import reasons
from opcompat.model.graph import Model, TensorType
from opcompat.targets.nnapi import reasons as nnapi_reasons
from opcompat.targets.nnapi.delegation import (
    APPLICATION_ERROR,
    DELEGATE_ERROR,
    NOT_APPLIED,
    OK,
    ModelDelegation,
    modify_graph_with_delegate,
)
from opcompat.targets.nnapi.levels import make_target
from opcompat.targets.nnapi.rules import engine, graph_checks
from opcompat.tflite import refusals
from opcompat.tflite.fp16 import has_const_fp16_dequantize, is_dequantize_const_fp16

F32, F16, I16, I32, I64 = (
    TensorType.FLOAT32,
    TensorType.FLOAT16,
    TensorType.INT16,
    TensorType.INT32,
    TensorType.INT64,
)


def delegate(model: Model, api: int, max_partitions: int = 3) -> ModelDelegation:
    target = make_target(api)
    plain = [
        [engine.validate(model, sg, op, target) for op in sg.operators] for sg in model.subgraphs
    ]
    return modify_graph_with_delegate(
        model, target, plain, lambda sg, op: engine.validate(model, sg, op, target), max_partitions
    )


def parts(d: ModelDelegation, sg: int = 0) -> list[list[int]]:
    return [p.nodes for p in d.subgraphs[sg].partitions]


# --- dynamic tensors ----------------------------------------------------------------------------


def test_string_node_output_refuses_the_whole_model() -> None:
    g = G()
    s = g.t(TensorType.STRING, name="words")
    i = g.t(I32)
    out = g.t(TensorType.STRING, name="picked")
    g.op("GATHER", [s, i], [out])
    g.inputs, g.outputs = [s, i], [out]
    d = delegate(model_of(g), 33)
    assert d.status == APPLICATION_ERROR
    assert d.refusal is not None and d.refusal.code == reasons.DYNAMIC_TENSORS
    assert d.refusal.tensors == ((0, s), (0, out))
    assert "tensor #2 'picked'" in d.refusal.message


def test_dynamic_tensor_that_no_node_outputs_does_not_refuse() -> None:
    # PrepareOpsStartingAt only looks at subgraph outputs and node outputs.
    g = G()
    s = g.t(TensorType.STRING)
    x = g.t()
    y = g.t()
    g.op("RELU", [x], [y])
    g.op("GELU", [s], [g.t()])
    g.inputs, g.outputs = [s, x], [y]
    assert refusals.dynamic_trigger(g.subgraph()) is None
    d = delegate(model_of(g), 33)
    assert d.status == OK and parts(d) == [[0]]


def test_constant_string_is_not_dynamic() -> None:
    g = G()
    g.t(TensorType.STRING, const=True)
    assert refusals.dynamic_tensors(g.subgraph()) == ()


def chain_graph() -> G:
    g = G()
    x = g.t()
    y = g.t()
    g.op("RELU", [x], [y])
    g.inputs, g.outputs = [x], [y]
    return g


def resource_graph() -> G:
    g = G()
    r = g.t(TensorType.RESOURCE)
    g.op("VAR_HANDLE", [], [r])
    g.outputs = [r]
    return g


def test_application_error_in_a_later_subgraph_keeps_earlier_delegation() -> None:
    d = delegate(model_of(chain_graph(), resource_graph(), chain_graph()), 33)
    assert d.status == APPLICATION_ERROR
    assert parts(d, 0) == [[0]]
    assert d.subgraphs[1].status == APPLICATION_ERROR
    assert d.subgraphs[2].status == NOT_APPLIED and parts(d, 2) == []


def int16_conv(g: G) -> tuple[int, int]:
    x = g.t(I16, (1, 4, 4, 2))
    w = g.t(TensorType.INT8, (2, 1, 1, 2), const=True)
    b = g.t(I64, (2,), const=True, name="bias")
    y = g.t(I16, (1, 4, 4, 2))
    g.op(
        "CONV_2D",
        [x, w, b],
        [y],
        version=4,
        options={
            "padding": 0,
            "stride_w": 1,
            "stride_h": 1,
            "dilation_w_factor": 1,
            "dilation_h_factor": 1,
            "fused_activation_function": 0,
        },
    )
    return x, y


def test_int64_tensor_in_a_partition_fails_the_delegate() -> None:
    g = G()
    x, y = int16_conv(g)
    g.inputs, g.outputs = [x], [y]
    d = delegate(model_of(g), 30)
    assert d.status == DELEGATE_ERROR
    assert d.refusal is not None and d.refusal.code == nnapi_reasons.NNAPI_MODEL_BUILD_FAILS
    assert "type INT64 is not supported" in d.refusal.message
    assert d.refusal.tensors == ((0, 2),)
    assert parts(d) == []


def test_delegate_error_in_a_later_subgraph_removes_all_delegation() -> None:
    g = G()
    x, y = int16_conv(g)
    g.inputs, g.outputs = [x], [y]
    d = delegate(model_of(chain_graph(), g), 30)
    assert d.status == DELEGATE_ERROR
    assert parts(d, 0) == [] and parts(d, 1) == []


def test_validation_subgraphs_are_skipped() -> None:
    v = resource_graph()
    v.name = "VALIDATION:check"
    d = delegate(model_of(chain_graph(), v), 33)
    assert d.status == OK and d.subgraphs[1].status == NOT_APPLIED


def reshape_i64(g: G, x: int) -> int:
    shape = g.t(I64, (2,), const=True)
    y = g.t(F32, (1, 4))
    g.op("RESHAPE", [x, shape], [y])
    return y


def test_every_previewed_partition_is_built_from_api_29_even_if_the_cap_drops_it() -> None:
    # Two supported runs: a 2-node one and a 1-node RESHAPE with an int64 shape tensor.
    g = G()
    x = g.t()
    a = g.t()
    b = g.t()
    g.op("RELU", [x], [a])
    g.op("RELU", [a], [b])
    c = g.t()
    g.op("GELU", [b], [c])
    out = reshape_i64(g, c)
    g.inputs, g.outputs = [x], [out]
    m = model_of(g)
    d30 = delegate(m, 30, max_partitions=1)
    assert d30.status == DELEGATE_ERROR  # GetNodesSupportedByAccelerator builds both
    d28 = delegate(m, 28, max_partitions=1)  # no device query: only kept partitions are built
    assert d28.status == OK and parts(d28) == [[0, 1]]
    assert [p.nodes for p in d28.subgraphs[0].dropped] == [[3]]


def test_partition_without_input_data_fails() -> None:
    # A non-constant fp16 DEQUANTIZE is folded away: its partition has no NNAPI inputs.
    g = G()
    x = g.t(F16)
    y = g.t(F32)
    g.op("DEQUANTIZE", [x], [y], version=3)
    g.inputs, g.outputs = [x], [y]
    d = delegate(model_of(g), 30)
    assert d.status == DELEGATE_ERROR
    assert "no input data" in d.refusal.message  # type: ignore[union-attr]
    assert delegate(model_of(g), 29).status == OK  # not supported below 30: nothing to build


def fill(value_const: bool) -> G:
    g = G()
    dims = g.t(I32, (2,), const=True)
    value = g.t(I32, (), const=value_const)
    out = g.t(I32, (2, 3))
    g.op("FILL", [dims, value], [out])
    g.inputs = [] if value_const else [value]
    g.outputs = [out]
    return g


def test_scalar_operands_read_from_tensors_count_as_inputs() -> None:
    sg = fill(value_const=False).subgraph()
    assert graph_checks.nnapi_build_failure(sg, [0], [0, 1], [2], make_target(30)) is None
    sg = fill(value_const=True).subgraph()
    failure = graph_checks.nnapi_build_failure(sg, [0], [0, 1], [2], make_target(30))
    assert failure is not None and "no input data" in failure.message


def test_pad_value_of_an_unsupported_type_fails() -> None:
    g = G()
    x = g.t()
    pads = g.t(I32, (2, 2), const=True)
    value = g.t(I32, (), const=True)
    y = g.t()
    g.op("PADV2", [x, pads, value], [y])
    failure = graph_checks.nnapi_build_failure(g.subgraph(), [0], [0, 1, 2], [3], make_target(30))
    assert failure is not None and "pad value" in failure.message


def test_reducer_axis_scalar_is_data_but_a_vector_axis_is_an_operand() -> None:
    for shape, fails in (((), False), ((1,), True)):
        g = G()
        x = g.t(F32, (1, 4))
        axis = g.t(I64, shape, const=True)
        y = g.t(F32, (1,))
        g.op("MEAN", [x, axis], [y])
        failure = graph_checks.nnapi_build_failure(g.subgraph(), [0], [0, 1], [2], make_target(30))
        assert (failure is not None) == fails


def test_empty_output_pool_fails() -> None:
    g = G()
    x = g.t()
    y = g.t(F32, (0, 4))
    g.op("RELU", [x], [y])
    failure = graph_checks.nnapi_build_failure(g.subgraph(), [0], [0], [1], make_target(30))
    assert failure is not None and "no output data" in failure.message


def test_opcompat_codes_are_listed_once() -> None:
    codes = reasons.OPCOMPAT_CODES
    assert len(codes) == len(set(codes))
    assert reasons.DYNAMIC_TENSORS in codes and nnapi_reasons.NNAPI_MODEL_BUILD_FAILS in codes
    assert all(c.startswith("opcompat") for c in codes)


# --- fp16 weights -------------------------------------------------------------------------------


def fp16_model(extra_cpu_op: bool, weights_first: bool = False) -> Model:
    """x -> ADD(x, DEQUANTIZE(const f16 w)) [-> GELU]; ADD(DEQUANTIZE(w), x) if weights_first."""
    g = G()
    x = g.t()
    w16 = g.t(F16, const=True)
    w = g.t(F32)
    y = g.t()
    g.op("DEQUANTIZE", [w16], [w], version=3)
    g.op("ADD", [w, x] if weights_first else [x, w], [y])
    out = y
    if extra_cpu_op:
        out = g.t()
        g.op("GELU", [y], [out])
    g.inputs, g.outputs = [x], [out]
    return model_of(g)


def test_fp16_full_delegation_takes_the_dequantize_along() -> None:
    m = fp16_model(extra_cpu_op=False)
    sg = m.subgraphs[0]
    assert is_dequantize_const_fp16(sg, sg.operators[0]) and has_const_fp16_dequantize(sg)
    d = delegate(m, 30)
    assert d.status == OK
    assert d.subgraphs[0].plain[0] != ()  # Validate refuses the DEQUANTIZE itself
    assert d.subgraphs[0].fp16 is not None and d.subgraphs[0].fp16.full_delegation
    assert parts(d) == [[0, 1]]
    assert d.subgraphs[0].rewired_inputs == {1: (0, 1)}  # ADD now reads the fp16 constant
    failure = graph_checks.fp16_conversion_hazard(sg, [0, 1], d.subgraphs[0].rewired_inputs)
    assert failure is not None and failure.code == graph_checks.FP16_WEIGHTS_HAZARD


def test_fp16_partial_delegation_leaves_the_dequantize_on_the_cpu() -> None:
    d = delegate(fp16_model(extra_cpu_op=True), 30)
    sel = d.subgraphs[0].fp16
    assert sel is not None and not sel.full_delegation
    assert sel.supported_nodes == [1]
    assert parts(d) == [[1]]


def test_fp16_consumer_is_validated_against_the_fp16_tensor() -> None:
    # ADD checks its first input's type: with the fp16 constant there, Validate refuses it.
    d = delegate(fp16_model(extra_cpu_op=True, weights_first=True), 30)
    sel = d.subgraphs[0].fp16
    assert sel is not None
    assert d.subgraphs[0].plain[1] == ()
    assert sel.remapped_reasons[1] != ()
    assert parts(d) == []


def test_no_fp16_path_without_constant_fp16_dequantize() -> None:
    g = G()
    x = g.t(F16)
    y = g.t()
    g.op("DEQUANTIZE", [x], [y], version=3)
    assert not has_const_fp16_dequantize(g.subgraph())


# --- loading the model --------------------------------------------------------------------------


def quantized(
    scale: tuple[float, ...], zero_point: tuple[int, ...], dim: int, shape: tuple[int, ...]
) -> G:
    from opcompat.model.graph import Quantization, Tensor

    g = chain_graph()
    g.tensors[0] = Tensor(
        0, "x", TensorType.INT8, shape, None, 0, False, False, Quantization(scale, zero_point, dim)
    )
    return g


def test_invalid_quantization_means_tflite_cannot_load_the_model() -> None:
    bad = quantized((0.1, 0.2), (0, 0), 3, (2,))  # per-channel along a dimension it lacks
    d = delegate(model_of(bad), 33)
    assert d.status == "kTfLiteError"
    assert d.refusal is not None and d.refusal.code == reasons.INTERPRETER_BUILD_FAILS
    assert "quantized_dimension must be in range [0, 1). Was 3." in d.refusal.message
    assert parts(d) == []


def test_quantization_checks_of_the_interpreter_builder() -> None:
    err = refusals.quantization_error
    assert err(quantized((0.1,), (0,), 0, (1, 4)).tensors[0]) is None
    assert err(quantized((0.1, 0.2, 0.3, 0.4), (0,) * 4, 1, (1, 4)).tensors[0]) is None
    assert "same number" in err(quantized((0.1, 0.2), (0,), 0, (2,)).tensors[0])  # type: ignore[operator]
    assert "num_scales" in err(quantized((0.1, 0.2), (0, 0), 1, (1, 4)).tensors[0])  # type: ignore[operator]
    assert "null zero_point" in err(quantized((0.1,), (), 0, (1, 4)).tensors[0])  # type: ignore[operator]


def test_complex64_tensor_in_a_partition_fails_the_delegate() -> None:
    g = G()
    x, y = int16_conv(g)
    g.tensors[2] = g.tensors[2]._replace(dtype=TensorType.COMPLEX64)  # the bias
    g.inputs, g.outputs = [x], [y]
    d = delegate(model_of(g), 30)
    assert d.status == DELEGATE_ERROR
    assert d.refusal is not None and "type COMPLEX64 is not supported" in d.refusal.message


@pytest.mark.parametrize("dtype", [TensorType.FLOAT32, TensorType.INT64, TensorType.FLOAT16])
@pytest.mark.parametrize("shape", [(), (4,)])
@pytest.mark.parametrize("constant", [False, True])
def test_ops_without_an_input_case_add_every_input(
    dtype: TensorType, shape: tuple[int, ...], constant: bool
) -> None:
    """nnapi_build_failure skips `_added_inputs` for ops outside `_INPUT_SPECIAL_CASES`: for
    every other builtin, `_added_inputs` must add every input, scalar or not, of any type."""
    from opcompat.model.graph import Operator, Subgraph, Tensor
    from opcompat.model.schema import BUILTIN_OPERATOR_CODES

    tensors = tuple(
        Tensor(i, f"t{i}", dtype, shape, None, i + 1 if constant else 0, constant, False, None)
        for i in range(3)
    )
    for name, code in BUILTIN_OPERATOR_CODES.items():
        if name in graph_checks._INPUT_SPECIAL_CASES:
            continue
        op = Operator(0, 0, code, name, 1, None, (0, 1, -1), (2,))
        sg = Subgraph(0, "main", tensors, (op,), (0,), (2,))
        assert graph_checks._added_inputs(sg, op, 1000008) == ([0, 1], [], None), name
