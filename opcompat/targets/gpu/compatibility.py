"""Which nodes TFLite's own GPU compatibility check accepts, and its refusal text.

Source: LiteRT `tflite/tools/versioning/gpu_compatibility.cc` at commit f67457790c9c,
`CheckGpuDelegateCompatibility`, the runtime overload (context, node, registration), which
runs with `GpuCompatibilityFlags::kStandard` broadcasting. Its op signature is the context
form of `GetOpSignature` (op_signature.cc): `builtin_data` is the node's parsed C params
struct (`tflite/core/api/flatbuffer_conversions.cc`), `custom_initial_data` the custom op's
raw option bytes.

Messages are the absl status texts the C++ builds, character for character. Type names are
`TfLiteTypeGetName`'s; where the C++ prints a type or an enum as a number it is the C value
(`TfLiteType`, `TfLiteFusedActivation`, ...), not the schema's.

The check reads no op version; OP_VERSION is the kind for the parsers' own
`CheckMaxSupportedOpVersion`, which callers add. Limits: `OpSignature` cannot tell a custom op
with an empty `custom_options` vector (non-null data, zero size) from one with none; both are
taken as having no `custom_initial_data`. Option bytes shorter than the C struct read as zeros
where the C++ would read past them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from opcompat.model.graph import TensorType
from opcompat.tflite.op_signature import NO_TYPE, OpSignature, TensorSpec
from opcompat.tflite.types import c_type_value, known_type_name, size_of_type

OP_VERSION = "op_version"
OPERAND_COUNT = "operand_count"
OPTIONS = "options"
SHAPE = "shape"
TENSOR_TYPE = "tensor_type"
UNSUPPORTED = "unsupported"


class Failure(NamedTuple):
    """A refusal: its kind and the delegate's message."""

    kind: str
    """One of OP_VERSION, OPERAND_COUNT, OPTIONS, SHAPE, TENSOR_TYPE, UNSUPPORTED."""
    message: str
    """The absl status message, exactly as gpu_compatibility.cc builds it."""


Result = Failure | None

# Schema TensorType values (schema.fbs) used here.
_F32, _F16, _I32, _U8, _I64, _STR, _BOOL, _I16 = (
    TensorType.FLOAT32, TensorType.FLOAT16, TensorType.INT32, TensorType.UINT8,
    TensorType.INT64, TensorType.STRING, TensorType.BOOL, TensorType.INT16)
_I8, _BF16, _I4, _I2 = TensorType.INT8, TensorType.BFLOAT16, TensorType.INT4, TensorType.INT2

_ACT_SIGN_BIT = 5
"""kTfLiteActSignBit (schema ActivationFunctionType values 0-5 map to the same C values)."""
_ACT_TANH = 4
_ACT_SIGMOID = 6


def _c_type(t: int) -> int:
    """The `TfLiteType` number of schema type `t` (as the C++ prints it; kTfLiteNoType 0)."""
    return 0 if t == NO_TYPE else c_type_value(t)


def _type_name(t: int) -> str:
    """`TfLiteTypeGetName` of schema type `t`."""
    if t == NO_TYPE:
        return "NOTYPE"
    return known_type_name(t) or "Unknown type"


def _fail(kind: str) -> Callable[[str], Failure]:
    """A Failure maker of one kind."""
    return lambda message: Failure(kind, message)


_count = _fail(OPERAND_COUNT)
_option = _fail(OPTIONS)
_shape = _fail(SHAPE)
_type = _fail(TENSOR_TYPE)


def _join(dims: Sequence[int]) -> str:
    """Dims as absl::StrJoin(dims, ",") writes them."""
    return ",".join(str(d) for d in dims)


def _num_elements(dims: Sequence[int]) -> int:
    """Product of the dims (1 for a scalar or no dims)."""
    # gpu_compatibility.cc, NumElements
    n = 1
    for d in dims:
        n *= d
    return n


# ---- the C params structs -------------------------------------------------------------


def _activation(options: Mapping[str, Any]) -> int:
    """`TfLiteFusedActivation` the builtin parser stores (ConvertActivation: unknown -> None;
    a zeroed struct when the options table is absent)."""
    act = int(options.get("fused_activation_function", 0))
    return act if 0 <= act <= _ACT_SIGN_BIT else 0


def _custom_ints(sig: OpSignature, count: int) -> list[int] | None:
    """The first `count` int32 fields of the custom op's raw params struct; None when the node
    has no custom_initial_data (missing bytes read as 0)."""
    if not sig.custom_options:
        return None
    raw = sig.custom_options[: 4 * count].ljust(4 * count, b"\0")
    return list(struct.unpack(f"<{count}i", raw))


class _Pool(NamedTuple):
    """The fields of TfLitePoolParams that are checked."""

    stride_w: int
    stride_h: int
    filter_w: int
    filter_h: int
    activation: int


def _pool_from_options(options: Mapping[str, Any]) -> _Pool:
    """TfLitePoolParams as ParsePool fills it."""
    return _Pool(int(options.get("stride_w", 0)), int(options.get("stride_h", 0)),
                 int(options.get("filter_width", 0)), int(options.get("filter_height", 0)),
                 _activation(options))


def _pool_from_custom(sig: OpSignature) -> _Pool | None:
    """TfLitePoolParams read from custom_initial_data (padding, stride_w, stride_h, filter_w,
    filter_h, activation: int32 each)."""
    ints = _custom_ints(sig, 6)
    if ints is None:
        return None
    return _Pool(ints[1], ints[2], ints[3], ints[4], ints[5])


# ---- shared checks --------------------------------------------------------------------


# gpu_compatibility.cc, IsActivationSupported
def _check_activation(activation: int) -> Result:
    """Every fused activation but SIGN_BIT is accepted."""
    if activation == _ACT_SIGN_BIT:
        return _option("TfLiteFusedActivation.kTfLiteActSignBit")
    return None


# gpu_compatibility.cc, GetNumberOfRuntimeInputs
def _runtime_inputs(sig: OpSignature) -> int:
    """Inputs that are neither constant nor omitted."""
    return sum(1 for t in sig.inputs if not t.is_const and t.type != NO_TYPE)


# gpu_compatibility.cc, CheckInputsOutputs
def _check_io(sig: OpSignature, runtime_inputs: int, outputs: int) -> Result:
    """The node has exactly these numbers of runtime inputs and outputs."""
    have = _runtime_inputs(sig)
    if have != runtime_inputs:
        return _count(f"Expected {runtime_inputs} runtime input tensor(s), but node has "
                      f"{have} runtime input(s).")
    if len(sig.outputs) != outputs:
        return _count(f"Expected {outputs} output tensor(s), but node has "
                      f"{len(sig.outputs)} output(s).")
    return None


# gpu_compatibility.cc, CheckInputsConstsOutputs
def _check_ico(sig: OpSignature, runtime_inputs: int, consts: int, outputs: int) -> Result:
    """As _check_io, and exactly `consts` constant inputs."""
    have = sum(1 for t in sig.inputs if t.is_const)
    if have != consts:
        return _count(f"Expected {consts} const input tensor(s), but node has "
                      f"{have} const input(s).")
    return _check_io(sig, runtime_inputs, outputs)


def _one_or_two_operands(sig: OpSignature) -> Result:
    """Two runtime inputs, or one runtime and one constant; one output."""
    if _check_ico(sig, 2, 0, 1) and _check_ico(sig, 1, 1, 1):
        return _count("Op can only handle 1 or 2 operand(s).")
    return None


# gpu_compatibility.cc, CheckTensorIsAvailable
def _check_available(sig: OpSignature, idx: int) -> Result:
    """Input `idx` exists."""
    if idx >= len(sig.inputs):
        return _count(f"Requested index goes beyond array size: {idx} vs {len(sig.inputs)}")
    return None


# gpu_compatibility.cc, CheckConvolutionInputOutput
def _check_conv_io(sig: OpSignature) -> Result:
    """1 or 2 runtime inputs (with 1, a second input exists) and one output."""
    runtime = _runtime_inputs(sig)
    if runtime < 1 or runtime > 2:
        return _count(f"Expected 1 or 2 input tensor(s), but node has {runtime} runtime inputs.")
    if len(sig.outputs) != 1:
        return _count(f"Expected 1 output tensor(s), but node has {len(sig.outputs)} "
                      "runtime outputs.")
    return _check_available(sig, 1) if runtime == 1 else None


# gpu_compatibility.cc, CheckStrides
def _check_strides(h: int, w: int) -> Result:
    """Both strides are positive."""
    if h <= 0 or w <= 0:
        return _option(f"Incorrect stride values: stride_height = {h}, stride_width = {w}")
    return None


# gpu_compatibility.cc, CheckDilation
def _check_dilation(h: int, w: int) -> Result:
    """Both dilation factors are positive."""
    if h <= 0 or w <= 0:
        return _option(f"Incorrect dilation values: dilation_height = {h}, "
                       f"dilation_width = {w}")
    return None


# gpu_compatibility.cc, CheckKernels
def _check_kernels(h: int, w: int) -> Result:
    """Both kernel sizes are positive."""
    if h <= 0 or w <= 0:
        return _option(f"Incorrect kernel values: kernel_height = {h}, kernel_width = {w}")
    return None


# gpu_compatibility.cc, CheckKernelsAndStrides
def _check_kernels_strides(p: _Pool) -> Result:
    """Positive kernel sizes, then positive strides."""
    return _check_kernels(p.filter_h, p.filter_w) or _check_strides(p.stride_h, p.stride_w)


# gpu_compatibility.cc, CheckAxesAreInt32Const
def _check_axes(sig: OpSignature, idx: int) -> Result:
    """Input `idx` (the axes) is a constant int32 tensor."""
    axes = sig.inputs[idx]
    name = _op_name(sig)
    if not axes.is_const:
        return _option(f"{name} is only supported with constant axes.")
    if axes.type != _I32:
        return _type(f"{name} supports int32 tensor for axes. But node has "
                     f"{_type_name(axes.type)}")
    return None


# gpu_compatibility.cc, GetOpName
def _op_name(sig: OpSignature) -> str:
    """The builtin op's name, or the custom op's name."""
    return (sig.custom_name or "") if sig.op == "CUSTOM" else sig.op


def _no_builtin_data() -> Failure:
    """The node has no C params struct."""
    # gpu_compatibility.cc, RetrieveBuiltinData
    return _option("Unable to retrieve builtin_data.")


def _no_custom_data() -> Failure:
    """The custom node has no option bytes."""
    # gpu_compatibility.cc, RetrieveCustomInitialData
    return _option("Unable to retrieve custom_initial_data.")


# gpu_compatibility.cc, CheckIsBroadcastable is used only with kEnhancedBroadcast.
# gpu_compatibility.cc, CheckAddMulBroadcastCompatibility (kStandard)
def _check_broadcast(in0: TensorSpec, in1: TensorSpec) -> Result:
    """Inputs of different ranks (both above 1) broadcast only 3D->4D with batch 1,
    [1,1]->[1,x,y,z] and [b,c]->[b,x,y,c]."""
    a, b = in0.dims, in1.dims
    if len(a) <= 1 or len(b) <= 1 or len(a) == len(b):
        return None
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    ok = False
    if len(longer) == 4 and len(shorter) == 3 and longer[0] == 1:
        ok = True
    elif len(longer) == 4 and len(shorter) == 2:
        ok = (longer[0] == 1 and shorter[0] == 1 and shorter[1] == 1) or (
            longer[0] == shorter[0] and longer[3] == shorter[1])
    if ok:
        return None
    return _shape(f"Doesn't support broadcasting - input0: [{_join(a)}], "
                  f"input1: [{_join(b)}]")


# ---- convolution and pooling ----------------------------------------------------------


# gpu_compatibility.cc, CheckPooling2DGpuDelegateCompatibility
def _check_pooling(sig: OpSignature) -> Result:
    """Pool params from custom data (with an indices output) or builtin data; kernel, stride
    and activation checks."""
    custom = _pool_from_custom(sig) if sig.op == "CUSTOM" else None
    if custom is not None:
        params = custom
        err = _check_io(sig, 1, 2)
    elif sig.op == "CUSTOM":
        return _no_builtin_data()  # a custom node has no builtin_data
    else:
        params = _pool_from_options(sig.options)
        err = _check_io(sig, 1, 1)
    return err or _check_kernels_strides(params) or _check_activation(params.activation)


def _check_conv2d(sig: OpSignature) -> Result:
    """Conv I/O counts, strides, dilation, activation."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinConv2d
    o = sig.options
    return (_check_conv_io(sig)
            or _check_strides(int(o.get("stride_h", 0)), int(o.get("stride_w", 0)))
            or _check_dilation(int(o.get("dilation_h_factor", 0)),
                               int(o.get("dilation_w_factor", 0)))
            or _check_activation(_activation(o)))


# gpu_compatibility.cc, CheckDepthwiseConvGpuDelegateCompatibility
def _check_depthwise(sig: OpSignature) -> Result:
    """Conv checks, then 4D input/filter/output with matching batch, channels and bias."""
    o = sig.options
    err = (_check_conv_io(sig)
           or _check_strides(int(o.get("stride_h", 0)), int(o.get("stride_w", 0)))
           or _check_dilation(int(o.get("dilation_h_factor", 0)),
                              int(o.get("dilation_w_factor", 0)))
           or _check_activation(_activation(o)))
    if err:
        return err
    multiplier = int(o.get("depth_multiplier", 0))
    inp, flt, out = sig.inputs[0].dims, sig.inputs[1].dims, sig.outputs[0].dims
    for name, dims in (("input", inp), ("filter", flt), ("output", out)):
        if len(dims) != 4:
            return _shape(f"{name}.dims.size != 4")
    if inp[0] != out[0]:
        return _shape("input.b != output.b")
    if flt[3] != out[3]:
        return _shape("filter.i != output.c")
    if out[3] != inp[3] * multiplier:
        return _shape("output.c != input.c * depth_multiplier")
    if len(sig.inputs) > 2 and _num_elements(sig.inputs[2].dims) != out[3]:
        return _shape("bias.size != output.c")
    return None


def _check_transpose_conv(sig: OpSignature) -> Result:
    """Conv I/O counts and positive strides."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinTransposeConv
    o = sig.options
    return _check_conv_io(sig) or _check_strides(int(o.get("stride_h", 0)),
                                                  int(o.get("stride_w", 0)))


# ---- custom ops -----------------------------------------------------------------------


# gpu_compatibility.cc, CheckCustomOpsGpuDelegateCompatibility
def _check_custom(sig: OpSignature) -> Result:
    """The four custom ops the GPU delegate knows; any other name is refused."""
    name = sig.custom_name or ""
    if name == "Convolution2DTransposeBias":
        err = _check_available(sig, 1)
        if err:
            return err
        ints = _custom_ints(sig, 3)  # TfLiteTransposeConvParams: padding, stride_w, stride_h
        if ints is None:
            return _no_custom_data()
        return _check_strides(ints[2], ints[1])
    if name == "MaxPoolingWithArgmax2D":
        return _check_pooling(sig)
    if name == "MaxUnpooling2D":
        err = _check_io(sig, 2, 1)
        if err:
            return err
        pool = _pool_from_custom(sig)
        return _check_kernels_strides(pool) if pool is not None else _no_custom_data()
    if name == "Resampler":
        return _check_io(sig, 2, 1) or _check_resampler(sig)
    return Failure(UNSUPPORTED, f"Not supported custom op {name}")


def _check_resampler(sig: OpSignature) -> Result:
    """4D src and warp with equal batch and at least 2 warp channels."""
    # gpu_compatibility.cc, CheckCustomOpsGpuDelegateCompatibility (Resampler shapes)
    src, warp = sig.inputs[0].dims, sig.inputs[1].dims
    if len(src) != 4 or len(warp) != 4:
        return _shape("src or warp dims size != 4")
    if src[0] != warp[0]:
        return _shape("src.b != warp.b")
    if warp[3] < 2:
        return _shape("warp.c < 2")
    return None


# ---- elementwise ----------------------------------------------------------------------


def _check_add(sig: OpSignature) -> Result:
    """Two inputs that broadcast."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinAdd
    if len(sig.inputs) != 2:
        return _count("ADD requires two input tensors.")
    return _check_broadcast(sig.inputs[0], sig.inputs[1])


def _check_mul(sig: OpSignature) -> Result:
    """Two inputs that broadcast; a supported activation."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinMul
    if len(sig.inputs) != 2:
        return _count("MUL requires two input tensors.")
    return (_check_broadcast(sig.inputs[0], sig.inputs[1])
            or _check_activation(_activation(sig.options)))


def _check_unary(sig: OpSignature) -> Result:
    """One runtime input, no constant, one output."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, one argument elementwise cases
    return _check_ico(sig, 1, 0, 1)


def _check_binary(sig: OpSignature) -> Result:
    """One or two operands; DIV and SUB also a supported activation."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, two arguments elementwise cases
    err = _one_or_two_operands(sig)
    if err:
        return err
    act = _activation(sig.options) if sig.op in ("DIV", "SUB") else 0
    return _check_activation(act)


_UNARY = frozenset({
    "ABS", "CEIL", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "LOGICAL_NOT", "LOGISTIC",
    "NEG", "ROUND", "RSQRT", "SIGN", "SIN", "SQRT", "SQUARE", "TANH",
})
_BINARY = frozenset({
    "ATAN2", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER", "GREATER_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "LESS", "LESS_EQUAL", "MAXIMUM", "MINIMUM", "NOT_EQUAL", "POW",
    "RIGHT_SHIFT", "STABLEHLO_REMAINDER", "STABLEHLO_SHIFT_LEFT", "SQUARED_DIFFERENCE", "SUB",
})


# ---- type conversion ------------------------------------------------------------------


def _check_cast(sig: OpSignature) -> Result:
    """bool <-> float, or float32/int32 <-> float32/int32."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinCast
    err = _check_io(sig, 1, 1)
    if err:
        return err
    src, dst = sig.inputs[0].type, sig.outputs[0].type
    floats = (_F16, _F32)
    if (src == _BOOL and dst in floats) or (src in floats and dst == _BOOL):
        return None
    if src in (_F32, _I32) and dst in (_F32, _I32):
        return None
    return _type(f"Not supported Cast case. Input type: {_type_name(src)} and output type: "
                 f"{_type_name(dst)}")


def _check_bitcast(sig: OpSignature) -> Result:
    """Known element sizes and shapes that agree with them."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinBitcast
    err = _check_io(sig, 1, 1)
    if err:
        return err
    ins, outs = sig.inputs[0].dims, sig.outputs[0].dims
    in_size = size_of_type(sig.inputs[0].type)
    if in_size is None:
        return _type("Could not parse input type")
    out_size = size_of_type(sig.outputs[0].type)
    if out_size is None:
        return _type("Could not parse output type")
    if in_size == out_size:
        if ins != outs:
            return _shape("If input and output types have the same element size, they must "
                          "have the same shapes")
        return None
    if in_size > out_size:
        if len(ins) + 1 != len(outs):
            return _shape("If input element size is greater than output element size, "
                          "require that output rank is one greater than input rank")
        if any(ins[d] != outs[d] for d in range(len(ins))):
            return _shape("Shapes must match in all but last dim")
        if outs[-1] * out_size != in_size:
            return _shape("Last output dim must be equal to input element size divided by "
                          "output element size")
        return None
    if len(ins) != len(outs) + 1:
        return _shape("If output element size is greater than input element size, "
                      "require that input rank is one greater than output rank")
    if any(ins[d] != outs[d] for d in range(len(outs))):
        return _shape("Shapes must match in all but last dim")
    if ins[-1] * in_size != out_size:
        return _shape("Last input dim must be equal to output element size divided by "
                      "input element size")
    return None


def _check_dequantize(sig: OpSignature) -> Result:
    """One input and one output, not int16."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinDequantize
    if len(sig.inputs) != 1 or len(sig.outputs) != 1:
        return _count("Expected 1 input & output each from Dequantize, got: "
                      f"{len(sig.inputs)}, {len(sig.outputs)}")
    if sig.inputs[0].type == _I16:
        return _type("Unsupported dequantization type.")
    return None


# ---- gathers, lookups, one-hot, select ------------------------------------------------


# gpu_compatibility.cc, CheckCumsumGpuDelegateCompatibility
def _check_cumsum(sig: OpSignature) -> Result:
    """Float input and same-typed output, constant int32 axis."""
    if len(sig.inputs) != 2 or len(sig.outputs) != 1:
        return _count("Expects 2 inputs and 1 output")
    x, axis, out = sig.inputs[0], sig.inputs[1], sig.outputs[0]
    if x.type not in (_F16, _F32) or out.type != x.type or axis.type != _I32 \
            or not axis.is_const:
        return _type("Input/output must be float type and indices must be constant int32 "
                     "type")
    return None


# gpu_compatibility.cc, CheckOneHotGpuDelegateCompatibility
def _check_one_hot(sig: OpSignature) -> Result:
    """int32 indices with singleton leading dims, last axis, constant scalar float on/off."""
    if len(sig.inputs) != 4 or len(sig.outputs) != 1:
        return _count("Expects 4 inputs and 1 output")
    error = _option("Indices must be int32 type, on/off tensors must be constant, scalar, "
                    "float type, axis must be -1 or last dim")
    indices, on, off = sig.inputs[0], sig.inputs[2], sig.inputs[3]
    if indices.type != _I32:
        return error._replace(kind=TENSOR_TYPE)
    axis = int(sig.options.get("axis", 0))
    rank = len(indices.dims)
    if axis != -1 and (rank == 0 or axis != indices.dims[rank - 1]):
        return error
    for i in range(rank - 1):
        if not (rank > 3 and i == 0) and indices.dims[i] != 1:
            return _shape(f"Unsupported non-singleton dim at {i}")
    if on.type != _F32 or off.type != _F32:
        return error._replace(kind=TENSOR_TYPE)
    if not on.is_const or not off.is_const or len(on.dims) > 1 or len(off.dims) > 1:
        return error
    if (on.dims and on.dims[0] > 1) or (off.dims and off.dims[0] > 1):
        return error
    return None


# gpu_compatibility.cc, CheckSelectV2GpuDelegateCompatibility
def _check_select(sig: OpSignature) -> Result:
    """Bool or float condition broadcastable to the output; if/else of the output's shape
    or scalar, 2-D ones only constant."""
    if len(sig.inputs) != 3 or len(sig.outputs) != 1:
        return _count("Expected 3 inputs and 1 output")
    error = _shape("Cond must be float or bool type, if, else tensors must either be the "
                   "same shape as output or constant, scalar.")
    cond = sig.inputs[0]
    if cond.type not in (_BOOL, _F16, _F32):
        return error._replace(kind=TENSOR_TYPE)
    out = sig.outputs[0].dims
    if cond.dims:
        offset = len(out) - len(cond.dims)
        if offset < 0:
            return error
        if any(c != out[offset + i] and c != 1 for i, c in enumerate(cond.dims)):
            return error
    for spec, which in ((sig.inputs[1], "if"), (sig.inputs[2], "else")):
        dims = spec.dims
        if dims and dims != out and (len(dims) > 1 or dims[0] > 1):
            return error
        if not spec.is_const and len(dims) == 2:
            return _shape(f"2-D {which} tensor only supported if constant.")
    return None


def _check_embedding_lookup(sig: OpSignature) -> Result:
    """1D ids, matching value/output shapes, an accepted value type."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinEmbeddingLookup
    if len(sig.inputs) != 2:
        return _count(f"Expected 2, but got {len(sig.inputs)} inputs.")
    if len(sig.outputs) != 1:
        return _count(f"Expected 1, but got {len(sig.outputs)} outputs.")
    ids, value, out = sig.inputs[0], sig.inputs[1], sig.outputs[0]
    if len(ids.dims) != 1:
        return _shape(f"Expected 1D, but got {len(ids.dims)}D input #0.")
    if len(value.dims) < 2:
        return _shape(f"Expected > 1D, but got {len(value.dims)}D input #1.")
    if len(value.dims) != len(out.dims):
        return _shape(f"Expected {len(value.dims)}, but got {len(out.dims)} for output.")
    for i in range(1, len(out.dims)):
        if value.dims[i] != out.dims[i]:
            return _shape(f"Expected {value.dims[i]}, but got {out.dims[i]} for "
                          f"output.dim[{i}].")
    if value.type not in (_I8, _I4, _I2, _F32):
        return _type("Expected int8, int4, int2, or float32, but got "
                     f"{_type_name(value.type)} for input #1.")
    return None


def _check_dynamic_update_slice(sig: OpSignature) -> Result:
    """Same-typed operand and update of equal rank, 1D int32 start."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinDynamicUpdateSlice
    if len(sig.inputs) != 3:
        return _count("DynamicUpdateSlice requires 3 inputs.")
    operand, update, start = sig.inputs
    if operand.type != update.type:
        return _type("Array to update and updated slice must have the same data type, but "
                     f"got: array to update: {_c_type(operand.type)}, updated slice: "
                     f"{_c_type(update.type)}")
    if len(start.dims) != 1:
        return _shape(f"Start indices must be 1D, but got: {len(start.dims)}")
    if start.type != _I32:
        return _type("start_indices must be of type int32.")
    if len(update.dims) != len(operand.dims):
        return _shape("Operand and update must have the same number of dimensions, but "
                      f"got: operand: {len(operand.dims)}, update: {len(update.dims)}")
    return None


def _check_gather(sig: OpSignature) -> Result:
    """One or two operands, 1D int32 indices."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinGather
    err = _one_or_two_operands(sig)
    if err:
        return err
    if len(sig.inputs[1].dims) != 1:
        return _shape("Only support 1D indices")
    if sig.inputs[1].type != _I32:
        return _type("Only accept INT32 indices")
    return None


# ---- fully connected and LSTM ---------------------------------------------------------


def _check_fully_connected(sig: OpSignature) -> Result:
    """Default weights format, at most 2 runtime inputs, a runtime input 0, and equal
    input and output ranks with keep_num_dims."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinFullyConnected
    if not sig.inputs:
        return _count("Expected at least 1 input")
    o = sig.options
    weights_format = int(o.get("weights_format", 0))  # schema and C enums agree (0, 1)
    if weights_format != 0:
        return _option(f"Unsupported FullyConnected weights format: {weights_format}")
    if _runtime_inputs(sig) > 2:
        return _count("FullyConnected doesn't support more than 2 runtime inputs.")
    if sig.inputs[0].is_const:
        return _option("FullyConnected doesn't support constant input.")
    if o.get("keep_num_dims", False):
        if not sig.outputs:
            return _count("Expected at least 1 output")
        if len(sig.inputs[0].dims) != len(sig.outputs[0].dims):
            return _shape("Input and output dimensions different and FullyConnected doesn't "
                          "support keep_num_dims.")
    return None


def _check_lstm(sig: OpSignature) -> Result:
    """Full kernel: 20 or 24 inputs, one output, sigmoid or tanh (only tanh can come from a
    model); basic kernel: 3 runtime and 2 constant inputs, 4 outputs, tanh, no clipping."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinLstm
    o = sig.options
    if not o:
        return _no_builtin_data()  # ParseLSTM refuses absent options; not reached
    activation = _activation(o)
    if int(o.get("kernel_type", 0)) == 0:  # kTfLiteLSTMFullKernel
        if len(sig.inputs) not in (20, 24):
            return _count(f"Expected 20 or 24 input tensors, but node has {len(sig.inputs)} "
                          "input(s).")
        if len(sig.outputs) != 1:
            return _count(f"Expected 1 output tensor, but node has {len(sig.outputs)} "
                          "output(s).")
        if activation not in (_ACT_SIGMOID, _ACT_TANH):
            return _option("Only sigmoid or tanh activation is supported, but node has "
                           f"{activation}")
        return None
    err = _check_ico(sig, 3, 2, 4)  # kTfLiteLSTMBasicKernel
    if err:
        return err
    if sig.outputs[3].dims and sig.outputs[3].dims[-1] % 4 != 0:
        return _shape("BasicLSTM activation depth must be a multiple of 4.")
    if activation != _ACT_TANH:
        return _option(f"Only TANH activation is supported. but node has {activation}")
    if float(o.get("cell_clip", 0.0)) != 0.0:
        return _option("cell_clip is not supported.")
    if float(o.get("proj_clip", 0.0)) != 0.0:
        return _option("proj_clip is not supported.")
    return None


# ---- reductions, padding, slicing, resizing -------------------------------------------


def _check_reduce(sig: OpSignature) -> Result:
    """One runtime and one constant input, one output, constant int32 axes."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, MEAN, the reduce ops, REVERSE_V2
    return _check_ico(sig, 1, 1, 1) or _check_axes(sig, 1)


def _check_pad(sig: OpSignature) -> Result:
    """Reflect mode for MIRROR_PAD; one runtime input; paddings of shape 3x2 or 4x2."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, cases Pad, Padv2, MirrorPad
    if sig.op == "MIRROR_PAD":
        mode = {0: 1, 1: 2}.get(int(sig.options.get("mode", -1)), 0)  # ConvertMirrorPadding
        if mode != 1:  # kTfLiteMirrorPaddingReflect
            return _option("Only Reflective padding is supported for Mirror Pad operation. "
                           f"But node has {mode}")
    err = _check_io(sig, 1, 1) or _check_available(sig, 1)
    if err:
        return err
    pads = sig.inputs[1].dims
    if len(pads) != 2:
        return _shape(f"Invalid paddings tensor dimension: expected 2 dim, got {len(pads)} dim")
    if pads[0] not in (3, 4) or pads[1] != 2:
        return _shape(f"Invalid paddings tensor shape: expected 4x2 or 3x2, got "
                      f"{pads[0]}x{pads[1]}")
    return None


def _check_slice(sig: OpSignature) -> Result:
    """At least 3 inputs and a 3D or 4D input."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinSlice
    if len(sig.inputs) < 3:
        return _count(f"SLICE requires 3 inputs, but node has {len(sig.inputs)} inputs.")
    rank = len(sig.inputs[0].dims)
    if rank not in (3, 4):
        return _shape("SLICE supports for 3 or 4 dimensional tensors only, but node has "
                      f"{rank} dimensional tensors.")
    return None


def _check_strided_slice(sig: OpSignature) -> Result:
    """No ellipsis, new-axis or shrink masks; 4 inputs; a 3D or 4D input."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinStridedSlice
    o = sig.options
    if o.get("ellipsis_mask", 0):
        return _option("StridedSlice does not support ellipsis_mask.")
    if o.get("new_axis_mask", 0):
        return _option("StridedSlice does not support new_axis_mask.")
    if o.get("shrink_axis_mask", 0):
        return _option("StridedSlice does not support shrink_axis_mask parameter.")
    if len(sig.inputs) < 4:
        return _count("STRIDED_SLICE requires 4 inputs.")
    if len(sig.inputs[0].dims) not in (3, 4):
        return _shape("STRIDED_SLICE supports for 3 or 4 dimensional tensors only.")
    return None


def _check_block_size(sig: OpSignature) -> Result:
    """One runtime input and output; block_size above 1."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, DepthToSpace and SpaceToDepth
    err = _check_io(sig, 1, 1)
    if err:
        return err
    block = int(sig.options.get("block_size", 0))
    if block == 1:
        return _option(f"{sig.op} block_size = 1 is a no-op.")
    if block < 1:
        return _option(f"{sig.op} block_size must be > 1.")
    return None


def _check_resize(sig: OpSignature) -> Result:
    """One runtime input and output; bilinear not both align_corners and half_pixel_centers."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, ResizeBilinear and
    # ResizeNearestNeighbor
    err = _check_io(sig, 1, 1)
    if err or sig.op != "RESIZE_BILINEAR":
        return err
    if sig.options.get("align_corners", False) and sig.options.get("half_pixel_centers", False):
        return _option("If half_pixel_centers is True, align_corners must be False.")
    return None


def _check_softmax(sig: OpSignature) -> Result:
    """beta is 1."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinSoftmax
    if float(sig.options.get("beta", 0.0)) != 1:
        return _option("Softmax.beta != 1 is not supported.")
    return None


# ---- StableHLO ------------------------------------------------------------------------


def _check_broadcast_in_dim(sig: OpSignature) -> Result:
    """One runtime and one constant input; 1D int32 indices, one per operand dim."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, StablehloBroadcastInDim
    if _check_ico(sig, 1, 1, 1):
        return _count("requires one runtime input, one const input, and one output")
    indices = sig.inputs[1]
    if len(indices.dims) != 1:
        return _shape("Only support 1D indices")
    if indices.type != _I32:
        return _type("Only support int32 indices")
    if len(sig.inputs[0].dims) != indices.dims[0]:
        return _shape("Require size(indices) = rank(operand)")
    return None


def _check_cbrt(sig: OpSignature) -> Result:
    """One float runtime input of the output's type."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinStablehloCbrt
    err = _check_ico(sig, 1, 0, 1)
    if err:
        return err
    if sig.inputs[0].type not in (_F16, _F32, _BF16):
        return _type("Only support float inputs")
    if sig.inputs[0].type != sig.outputs[0].type:
        return _type("Input and output types must match")
    return None


def _check_clamp(sig: OpSignature) -> Result:
    """Three same-typed runtime inputs; min and max of the input's shape or scalar."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinStablehloClamp
    err = _check_ico(sig, 3, 0, 1)
    if err:
        return err
    lo, x, hi = sig.inputs[0], sig.inputs[1], sig.inputs[2]
    if lo.type != x.type or x.type != hi.type:
        return _type("Clamp tensors must all be the same type")
    if lo.dims != x.dims and _num_elements(lo.dims) != 1:
        return _shape("Min tensor must be the same shape as the input, or a scalar")
    if hi.dims != x.dims and _num_elements(hi.dims) != 1:
        return _shape("Max tensor must be the same shape as the input, or a scalar")
    return None


# ---- dispatch -------------------------------------------------------------------------


def _ok(sig: OpSignature) -> Result:
    """Accepted whatever the node is."""
    return None


def _io(runtime_inputs: int, outputs: int) -> Callable[[OpSignature], Result]:
    """A check of CheckInputsOutputs alone."""
    return lambda sig: _check_io(sig, runtime_inputs, outputs)


def _check_add_n(sig: OpSignature) -> Result:
    """Exactly two inputs."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinAddN
    return None if len(sig.inputs) == 2 else _count("ADD_N only supports 2 inputs.")


def _check_batch_matmul(sig: OpSignature) -> Result:
    """Two inputs and one output."""
    # gpu_compatibility.cc, CheckGpuDelegateCompatibility, case kTfLiteBuiltinBatchMatmul
    if len(sig.inputs) == 2 and len(sig.outputs) == 1:
        return None
    return _count(f"Expected 2 inputs and 1 output, got: {len(sig.inputs)} inputs and "
                  f"{len(sig.outputs)} outputs")


_CHECKS: dict[str, Callable[[OpSignature], Result]] = {
    "ADD": _check_add,
    "ADD_N": _check_add_n,
    "AVERAGE_POOL_2D": _check_pooling,
    "BATCH_MATMUL": _check_batch_matmul,
    "BITCAST": _check_bitcast,
    "CAST": _check_cast,
    "CONCATENATION": _ok,
    "CONV_2D": _check_conv2d,
    "CUMSUM": _check_cumsum,
    "DENSIFY": _io(0, 1),
    "DEPTHWISE_CONV_2D": _check_depthwise,
    "DEPTH_TO_SPACE": _check_block_size,
    "DEQUANTIZE": _check_dequantize,
    "EMBEDDING_LOOKUP": _check_embedding_lookup,
    "DYNAMIC_UPDATE_SLICE": _check_dynamic_update_slice,
    "FULLY_CONNECTED": _check_fully_connected,
    "GATHER": _check_gather,
    "HARD_SWISH": _io(1, 1),
    "LSTM": _check_lstm,
    "MAX_POOL_2D": _check_pooling,
    "MEAN": _check_reduce,
    "MUL": _check_mul,
    "PACK": _ok,
    "ONE_HOT": _check_one_hot,
    "QUANTIZE": _io(1, 1),
    "RELU_N1_TO_1": _ok,
    "PRELU": _ok,
    "RESHAPE": _io(1, 1),
    "SELECT": _check_select,
    "SELECT_V2": _check_select,
    "SLICE": _check_slice,
    "SOFTMAX": _check_softmax,
    "SPACE_TO_DEPTH": _check_block_size,
    "SPLIT": _ok,
    "SPLIT_V": _ok,
    "STRIDED_SLICE": _check_strided_slice,
    "TILE": _io(1, 1),
    "TOPK_V2": _io(1, 2),
    "TRANSPOSE": _io(1, 1),
    "TRANSPOSE_CONV": _check_transpose_conv,
    "RESIZE_BILINEAR": _check_resize,
    "RESIZE_NEAREST_NEIGHBOR": _check_resize,
    "RELU": _ok,
    "RELU6": _ok,
    "LEAKY_RELU": _ok,
    "REDUCE_ALL": _check_reduce,
    "REDUCE_ANY": _check_reduce,
    "REDUCE_MAX": _check_reduce,
    "REDUCE_MIN": _check_reduce,
    "REDUCE_PROD": _check_reduce,
    "SUM": _check_reduce,
    "PAD": _check_pad,
    "PADV2": _check_pad,
    "MIRROR_PAD": _check_pad,
    "REVERSE_V2": _check_reduce,
    "STABLEHLO_BROADCAST_IN_DIM": _check_broadcast_in_dim,
    "STABLEHLO_CBRT": _check_cbrt,
    "STABLEHLO_CLAMP": _check_clamp,
    "CUSTOM": _check_custom,
    **dict.fromkeys(_UNARY, _check_unary),
    **dict.fromkeys(_BINARY, _check_binary),
}
"""The switch of CheckGpuDelegateCompatibility, by schema op name."""


def check_gpu_delegate_compatibility(sig: OpSignature) -> Failure | None:
    """`CheckGpuDelegateCompatibility(context, node, registration)` (kStandard broadcast):
    None when the node passes, else the failure with the delegate's message."""
    check = _CHECKS.get(sig.op)
    if check is None:
        return Failure(UNSUPPORTED, f"Not supported op {sig.op}")
    return check(sig)
