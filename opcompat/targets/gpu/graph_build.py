"""What `BuildFinalModel` of TFLite's GPU delegate does with one delegated partition.

After the partitions are chosen, the delegate kernel's Init builds a GPU graph for each
(`BuildFinalModel` -> `BuildModel` -> `BuildModelEnforceIO`, then
`ApplyModelTransformations`). A failed status reverts the whole delegation; an exception
thrown by a transformation aborts the app. This module replays the checks of that build on the
model's own tensors, in the order the build makes them, and returns the first failure.

Sources (google-ai-edge/LiteRT at f67457790c9c, directory tflite/delegates/gpu/common/):
model_builder.cc (`BuildModelEnforceIO`, `PrecreateInputTensors`, `PrecreateOutputTensors`,
`CopyVariableTensorOutputs`, each operation parser's `Parse`), object_reader.cc and
object_reader.h (`ObjectReader`), model_builder_helper.cc and model_builder_helper.h
(`ExtractTensorShape`, `PopulateQuantParams`, `CreateVectorCopyData`, `SetAllDimensions`),
lstm_parser.cc (`ParseLSTMAttributes`), transformations/fuse_add_to_conv.cc
(`MergeAddWithConvolution`).
"""
from __future__ import annotations

import math
import struct
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from opcompat.model.graph import OPTIONAL_TENSOR, Model, Operator, Subgraph, Tensor, TensorType
from opcompat.tflite.types import MMAP_RO, allocation_type

MB = "model_builder.cc"
OR = "object_reader.cc"
ORH = "object_reader.h"
MBH = "model_builder_helper.cc"
MBHH = "model_builder_helper.h"
LP = "lstm_parser.cc"


class BuildOutcome(NamedTuple):
    """The result of `BuildFinalModel` for one partition."""

    status: str
    """"ok", "failed" or "crash"."""
    message: str
    """For "failed": the absl status message as BuildFinalModel returns it; for "crash": what
    aborts."""
    source: str
    """Upstream file and function where the failure arises ("" when ok)."""


class _Fail(Exception):
    """A non-ok absl::Status: its message and where it is made."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.message = message
        self.source = source


class _Crash(Exception):
    """The process dies (uncaught exception or invalid memory access)."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.message = message
        self.source = source


BHWC = tuple[int, int, int, int]

# TfLiteFusedActivation values (tflite/core/c/builtin_op_data.h), equal to the schema's.
_ACT_NONE, _ACT_TANH, _ACT_SIGMOID = 0, 4, 6
_ACT_FUSABLE = frozenset({0, 1, 2, 3, 4, 6})

# Index constants of the full LSTM kernel (tflite/kernels/lstm_shared.h).
_LSTM_INPUT, _LSTM_OUTPUT_STATE, _LSTM_CELL_STATE = 0, 18, 19
_LSTM_I2I, _LSTM_I2F, _LSTM_I2C, _LSTM_I2O = 1, 2, 3, 4
_LSTM_R2I, _LSTM_R2F, _LSTM_R2C, _LSTM_R2O = 5, 6, 7, 8
_LSTM_C2I, _LSTM_C2F, _LSTM_C2O = 9, 10, 11
_LSTM_BI, _LSTM_BF, _LSTM_BC, _LSTM_BO = 12, 13, 14, 15
_LSTM_PROJ_W, _LSTM_PROJ_B = 16, 17
_LSTM_NI, _LSTM_NF, _LSTM_NC, _LSTM_NO = 20, 21, 22, 23

_ITEM: dict[int, int] = {TensorType.FLOAT32: 4, TensorType.FLOAT16: 2, TensorType.INT32: 4,
         TensorType.UINT8: 1, TensorType.INT64: 8, TensorType.BOOL: 1, TensorType.INT16: 2,
         TensorType.COMPLEX64: 8, TensorType.INT8: 1, TensorType.FLOAT64: 8,
         TensorType.COMPLEX128: 16, TensorType.UINT64: 8, TensorType.UINT32: 4,
         TensorType.UINT16: 2, TensorType.BFLOAT16: 2}
_STRUCT: dict[int, str] = {TensorType.FLOAT32: "f", TensorType.INT32: "i", TensorType.UINT8: "B",
           TensorType.INT64: "q", TensorType.BOOL: "?", TensorType.INT16: "h",
           TensorType.INT8: "b", TensorType.FLOAT64: "d", TensorType.UINT64: "Q",
           TensorType.UINT32: "I", TensorType.UINT16: "H"}
# CreateVectorCopyData<T> (model_builder_helper.h): the element types it refuses, by message.
_COPY_REFUSED = {TensorType.STRING: "src can't be string.",
                 TensorType.COMPLEX64: "src can't be complex64.",
                 TensorType.FLOAT16: "src can't be float16.",
                 TensorType.BFLOAT16: "src can't be bfloat16.",
                 TensorType.COMPLEX128: "src can't be complex128.",
                 TensorType.RESOURCE: "src can't be resource.",
                 TensorType.VARIANT: "src can't be variant.",
                 TensorType.UINT4: "src can't be uint4.", TensorType.INT4: "src can't be int4.",
                 TensorType.INT2: "src can't be int2.",
                 TensorType.FLOAT8_E4M3FN: "src can't be float8_e4m3fn.",
                 TensorType.FLOAT8_E5M2: "src can't be float8_e5m2."}
_FLOAT_COPYABLE = frozenset({TensorType.FLOAT32, TensorType.FLOAT16, TensorType.INT8,
                             TensorType.UINT8, TensorType.INT32})
_QUANT_TYPES = frozenset({TensorType.INT8, TensorType.UINT8})
_BLOCKWISE, _MULTI_AXIS = 2, 3  # QuantizationDetails union types without affine params


def _dims_str(dims: Sequence[int]) -> str:
    """GetDimensionString (model_builder_helper.cc)."""
    return "x".join(str(d) for d in dims)


def _num_elements(dims: Sequence[int]) -> int:
    return math.prod(dims)


def _bhwc(t: Tensor) -> BHWC:
    """ExtractTensorShape (model_builder_helper.cc); raises for a rank outside 1..4."""
    d = t.shape
    if len(d) == 1:
        return (d[0], 1, 1, 1)
    if len(d) == 2:
        return (d[0], 1, 1, d[1])
    if len(d) == 3:
        return (d[0], 1, d[1], d[2])
    if len(d) == 4:
        return (d[0], d[1], d[2], d[3])
    raise _Fail(f'Tensor "{t.name}" has bad input dims size: {len(d)}.',
                f"{MBH}, ExtractTensorShape")


def _axis(t: Tensor, index: int) -> int:
    """ExtractAxisFromIndex (model_builder_helper.cc): the BHWC position (0..3) of `index`."""
    rank = len(t.shape)
    if index < 0:
        index += rank
    if index < 0 or index >= rank:
        raise _Fail("Index for axis out of range", f"{MBH}, ExtractAxisFromIndex")
    layouts = {1: (0,), 2: (0, 3), 3: (0, 2, 3), 4: (0, 1, 2, 3)}
    if rank not in layouts:
        raise _Fail("Unknown layout.", f"{MBH}, ExtractAxisFromIndex")
    return layouts[rank][index]


def _set_dims(dims: Sequence[int], kind: str) -> tuple[int, ...]:
    """SetAllDimensions for the shape type `kind` (model_builder_helper.cc)."""
    src = f"{MBH}, SetAllDimensions"
    if kind == "scalar":
        if any(d != 1 for d in dims):
            raise _Fail(f"{_dims_str(dims)}  cannot be reduced to scalar.", src)
        return (1,)
    if kind == "linear":
        if len(dims) <= 0:
            raise _Fail("Dimension is empty.", f"{MBH}, CheckIfLinearConvertible")
        if any(d != 1 for d in dims[:-1]):
            raise _Fail(f"{_dims_str(dims)}  cannot be reduced to linear.",
                        f"{MBH}, CheckIfLinearConvertible")
        return (dims[-1],)
    if kind == "hwc":
        if len(dims) == 3:
            return tuple(dims)
        if len(dims) == 4:
            if dims[0] != 1:
                raise _Fail("Batch size is not equal to 1.", src)
            return tuple(dims[1:])
        raise _Fail("Expected a 3D tensor of shape HxWxC or a 4D tensor of shape 1xHxWxC but "
                    f"got {_dims_str(dims)}", src)
    wanted = {"hw": (2, "2D", "HxW"), "ohwi": (4, "4D", "OxHxWxI"),
              "bhwc": (4, "4D", "BxHxWxC")}[kind]
    if len(dims) != wanted[0]:
        raise _Fail(f"Expected a {wanted[1]} tensor of shape {wanted[2]} but got "
                    f"{_dims_str(dims)}", src)
    return tuple(dims)


def _is_affine(t: Tensor) -> bool:
    """`quantization.type == kTfLiteAffineQuantization` as InterpreterBuilder::
    ParseQuantization (tflite/core/interpreter_builder.cc) sets it."""
    q = t.quantization
    return q is not None and q.details_type not in (_BLOCKWISE, _MULTI_AXIS) and bool(q.scale)


class _Builder:
    """The state of one `BuildModelEnforceIO` call: which tensors already have a GPU Value."""

    def __init__(self, model: Model, subgraph: Subgraph, allow_quant_ops: bool,
                 node_inputs: Mapping[int, tuple[int, ...]]) -> None:
        self.model = model
        self.sg = subgraph
        self.quant = allow_quant_ops
        self.node_inputs = node_inputs
        self.valued: set[int] = set()
        self.mapped: set[int] = set()  # in quant_conversion_map

    def tensor(self, index: int) -> Tensor:
        return self.sg.tensors[index]

    def is_const(self, index: int) -> bool:
        """tflite::IsConstantTensor: allocation type kTfLiteMmapRo."""
        return allocation_type(self.tensor(index)) == MMAP_RO

    def inputs_of(self, op: Operator) -> tuple[int, ...]:
        return self.node_inputs.get(op.index, op.inputs)

    def read_nonconst(self, index: int, used: bool = True) -> None:
        """ObjectReader::ReadNonConstantTensor (object_reader.cc): make the tensor's Value."""
        src = f"{OR}, ObjectReader::ReadNonConstantTensor"
        if index < 0 or index >= len(self.sg.tensors):
            raise _Fail(f"ReadNonConstTensor: input tensor index: {index & 0xFFFFFFFF}", src)
        if index in self.valued:
            return
        t = self.tensor(index)
        if self.is_const(index):
            raise _Fail(f"ReadNonConstantTensor: value is a constant tensor: {index}", src)
        if self.quant and t.dtype in _QUANT_TYPES:
            if index in self.mapped:  # an earlier attempt failed after updating the map
                if used:
                    raise _Crash(f"null Value for tensor {index} (its first read failed)", src)
                return
            self.mapped.add(index)
            _bhwc(t._replace(name="nullptr"))  # the new float tensor has no name
            self.populate_quant_params(t)
        else:
            _bhwc(t)
        self.valued.add(index)

    @staticmethod
    def populate_quant_params(t: Tensor) -> None:
        """PopulateQuantParams (model_builder_helper.cc)."""
        src = f"{MBH}, PopulateQuantParams"
        if not _is_affine(t):
            raise _Fail(f"Tensor not quantized: {t.name}", src)
        assert t.quantization is not None
        if len(t.quantization.scale) > 1:
            raise _Fail(f"Non-constant per-channel quantized tensor: {t.name}", src)

    def value_shape(self, index: int) -> BHWC:
        """The shape of the Value made for a tensor (ConvertTfLiteTensorToTensorRef)."""
        return _bhwc(self.tensor(index))

    def runtime_inputs(self, ins: Sequence[int]) -> int:
        """GetNumberOfRuntimeInputsForNode (model_builder_helper.cc)."""
        return sum(1 for i in ins if i != OPTIONAL_TENSOR and not self.is_const(i))

    def verify(self, ins: Sequence[int], outs: Sequence[int], runtime: int, const: int,
               outputs: int) -> None:
        """CheckInputsConstsOutputs (model_builder_helper.cc)."""
        src = f"{MBH}, CheckInputsConstsOutputs"
        n_rt = self.runtime_inputs(ins)
        if len(ins) - n_rt != const:
            raise _Fail(f"Expected {const} const input tensor(s), but node has "
                        f"{len(ins) - n_rt} const input(s).", src)
        if n_rt != runtime:
            raise _Fail(f"Expected {runtime} runtime input tensor(s), but node has {n_rt} "
                        "runtime input(s).", f"{MBH}, CheckInputsOutputs")
        if len(outs) != outputs:
            raise _Fail(f"Expected {outputs} output tensor(s), but node has {len(outs)} "
                        "output(s).", f"{MBH}, CheckInputsOutputs")

    def read_value(self, ins: Sequence[int], k: int) -> None:
        """ObjectReader::ReadValue / AddInput (object_reader.cc)."""
        if k >= len(ins):
            raise _Fail(f"ReadValue: input tensor index: {k}", f"{OR}, ObjectReader::ReadValue")
        self.read_nonconst(ins[k])

    def add_outputs(self, outs: Sequence[int]) -> None:
        """ObjectReader::AddOutputs (object_reader.cc)."""
        for o in outs:
            self.read_nonconst(o)

    def add_output(self, outs: Sequence[int], k: int) -> None:
        """ObjectReader::AddOutput (object_reader.cc)."""
        if len(outs) <= k:
            raise _Fail(f"Data id {k} must be less than tflite node outputs size {len(outs)}",
                        f"{OR}, ObjectReader::AddOutput")
        self.read_nonconst(outs[k])

    def read_tensor(self, ins: Sequence[int], k: int, kind: str,
                    int32: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """ObjectReader::ReadTensor (object_reader.h): (its data when read as int32, else ();
        its shape as SetAllDimensions makes it for `kind`)."""
        src = f"{ORH}, ObjectReader::ReadTensor"
        if k >= len(ins):
            raise _Fail("Invalid data index found.", src)
        if ins[k] < 0:
            raise _Fail("Invalid data index found. Possibly an unset optional tensor is being "
                        "read.", src)
        t = self.tensor(ins[k])
        data: tuple[int, ...] = ()
        if t.is_sparse:
            if t.dtype not in (TensorType.FLOAT32, TensorType.FLOAT16):
                raise _Fail("Unexpected data type in sparse tensor", src)
        elif int32:
            data = self.copy_int32(t)
        else:
            self.copy_float(t)
        return data, _set_dims(t.shape, kind)

    def raw(self, t: Tensor) -> bytes:
        """The tensor's data (`TfLiteTensor.data`); a crash when it has none to copy."""
        data = self.model.buffer_data(t) if allocation_type(t) == MMAP_RO else None
        if data is None:
            if _num_elements(t.shape) * _ITEM.get(t.dtype, 1) == 0:
                return b""
            raise _Crash(f"memcpy from the unallocated data of tensor \"{t.name}\" (not a "
                         "constant)", f"{MBHH}, CreateVectorCopyData")
        return bytes(data)

    def copy_float(self, t: Tensor) -> None:
        """CreateVectorCopyData<float> (model_builder_helper.cc)."""
        if t.dtype not in _FLOAT_COPYABLE:
            raise _Fail("Unsupported data type for float32 tensor",
                        f"{MBH}, CreateVectorCopyData<float>")
        self.raw(t)
        if t.dtype != TensorType.FLOAT32 and t.dtype != TensorType.FLOAT16 and (
                t.quantization is None or not _is_affine(t)):
            raise _Crash(f"null quantization params of tensor \"{t.name}\" dereferenced",
                         f"{MBHH}, DequantizeConstantTensor")

    def copy_int32(self, t: Tensor) -> tuple[int, ...]:
        """CreateVectorCopyData<int32_t> (model_builder_helper.h)."""
        src = f"{MBHH}, CreateVectorCopyData"
        data = self.raw(t)
        n = _num_elements(t.shape)
        if len(data) % 4:
            raise _Fail(f"Input data size {len(data)} is not aligned to expected type: 4", src)
        if n * 4 == len(data):
            return struct.unpack(f"<{n}i", data)
        if t.dtype in _COPY_REFUSED:
            raise _Fail(_COPY_REFUSED[TensorType(t.dtype)], src)
        code = _STRUCT.get(t.dtype)
        if code is None:
            raise _Fail("src has no type.", src)
        count = min(n, len(data) // struct.calcsize(code))
        return tuple(int(v) for v in struct.unpack(f"<{count}{code}", data[:count *
                                                    struct.calcsize(code)]))

    def raw_i32(self, index: int) -> tuple[int, ...]:
        """`tensor->data.i32`, as the parsers read axes directly."""
        data = self.raw(self.tensor(index))
        return struct.unpack(f"<{len(data) // 4}i", data[:len(data) // 4 * 4])

    def fuse_activation(self, act: int) -> None:
        """MaybeFuseActivation (model_builder_helper.cc)."""
        if act not in _ACT_FUSABLE:
            raise _Fail(f"Unsupported fused activation: {act}", f"{MBH}, MaybeFuseActivation")


Ins = Sequence[int]
_Parser = Callable[[_Builder, Operator, Ins, Ins], "frozenset[int] | None"]

_ONE_ARG = frozenset({"ABS", "COS", "ELU", "EXP", "FLOOR", "GELU", "LOG", "NEG", "RSQRT",
                      "LOGISTIC", "SIGN", "SIN", "SQRT", "SQUARE", "TANH"})
_TWO_ARG = frozenset({"ADD", "ADD_N", "DIV", "EQUAL", "FLOOR_DIV", "FLOOR_MOD", "GREATER",
                      "GREATER_EQUAL", "LESS", "LESS_EQUAL", "LOGICAL_AND", "MAXIMUM",
                      "MINIMUM", "MUL", "NOT_EQUAL", "POW", "SQUARED_DIFFERENCE", "SUB"})
# OperationType names (operations.cc, ToString) that ParseInputsWithConstTensorImpl quotes.
_GPU_OP_NAME = {"ADD": "add", "ADD_N": "add", "DIV": "div", "EQUAL": "equal",
                "FLOOR_DIV": "floor_div", "FLOOR_MOD": "floor_mod", "GREATER": "greater",
                "GREATER_EQUAL": "greater_equal", "LESS": "less", "LESS_EQUAL": "less_equal",
                "LOGICAL_AND": "logical_and", "MAXIMUM": "maximum", "MINIMUM": "minimum",
                "MUL": "mul", "NOT_EQUAL": "not_equal", "POW": "pow",
                "SQUARED_DIFFERENCE": "squared_diff", "SUB": "sub"}


def _p_elementwise(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """ElementwiseOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, ElementwiseOperationParser::Parse"
    if op.op in _ONE_ARG:
        b.verify(ins, outs, 1, 0, 1)
        b.read_value(ins, 0)
    else:
        try:
            b.verify(ins, outs, 2, 0, 1)
            two_runtime = True
        except _Fail:
            two_runtime = False
        if two_runtime:
            if len(ins) != 2:
                raise _Fail("Applies only two input tensors", src)
            if ins[0] == ins[1]:
                if op.op not in ("MUL", "ADD", "ADD_N"):
                    raise _Fail("No support of few identical inputs in the same operation.",
                                src)
                b.read_value(ins, 0)
            else:
                if op.op in ("MUL", "ADD", "ADD_N"):
                    _bhwc(b.tensor(ins[0]))
                    _bhwc(b.tensor(ins[1]))
                b.read_value(ins, 0)
                b.read_value(ins, 1)
        else:
            b.verify(ins, outs, 1, 1, 1)
            _inputs_with_const(b, op, ins)
    b.add_outputs(outs)
    if op.op in ("MUL", "ADD", "SUB", "DIV"):
        act = int(op.options.get("fused_activation_function", _ACT_NONE))
        if act:
            b.fuse_activation(act)


def _inputs_with_const(b: _Builder, op: Operator, ins: Ins) -> None:
    """ParseInputsWithConstTensorImpl (model_builder.cc): one runtime and one constant input."""
    src = f"{MB}, ParseInputsWithConstTensorImpl"
    name = _GPU_OP_NAME[op.op]
    if len(ins) < 1:
        raise _Fail(f"Couldn't get the 1st input tensor for {name}", src)
    if len(ins) < 2:
        raise _Fail(f"Couldn't get the 2nd input tensor for {name}", src)
    c0, c1 = b.is_const(ins[0]), b.is_const(ins[1])
    if c0 and c1:
        raise _Fail(f"No runtime input tensors for {name}", src)
    runtime, const = (1, 0) if c0 else (0, 1)
    b.read_value(ins, runtime)
    ct = b.tensor(ins[const])
    # The element type follows the constant (ParseInputsWithConstTensor): bool, int32, float.
    as_int = ct.dtype in (TensorType.INT32, TensorType.BOOL)
    dims = ct.shape
    if len(dims) <= 0 or _num_elements(dims) == 1:
        kind = "scalar"
    elif len(dims) > 0 and all(d == 1 for d in dims[:-1]):
        kind = "linear"
    elif len(dims) == 2:
        kind = "hw"
    else:
        kind = "hwc"
    if ct.dtype == TensorType.BOOL:
        _read_bool(b, ins, const, kind)
    else:
        b.read_tensor(ins, const, kind, int32=as_int)


def _read_bool(b: _Builder, ins: Ins, k: int, kind: str) -> None:
    """ReadTensor of a Tensor<_, DataType::BOOL> (uint8 storage): a one-byte copy."""
    t = b.tensor(ins[k])
    b.raw(t)
    _set_dims(t.shape, kind)


def _p_conv2d(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """Conv2DOperationParser::Parse and ReadAttributes (model_builder.cc)."""
    src = f"{MB}, Conv2DOperationParser::Parse"
    src_shape = _bhwc(b.tensor(ins[0]))
    runtime = b.runtime_inputs(ins)
    if runtime == 1:
        _, w = b.read_tensor(ins, 1, "ohwi")
        if w[3] == 0:
            raise _Crash("integer division by zero (weights with 0 input channels)", src)
    else:
        if len(ins) < 2:
            raise _Fail("Expected second runtime tensor.",
                        f"{MB}, Conv2DOperationParser::ReadAttributes")
        _bhwc(b.tensor(ins[1]))
    _ignore(lambda: b.read_tensor(ins, 2, "linear"))
    if runtime == 2:
        if src_shape[3] != _bhwc(b.tensor(ins[1]))[3]:
            raise _Fail("No support of CONVOLUTION_2D with runtime grouped weights.", src)
        b.read_value(ins, 0)
        b.read_value(ins, 1)
    else:
        _bhwc(b.tensor(ins[0]))
        _bhwc(b.tensor(outs[0]))
        b.read_value(ins, 0)
    b.add_outputs(outs)
    b.fuse_activation(int(op.options.get("fused_activation_function", 0)))


def _ignore(call: Callable[[], object]) -> None:
    """`.IgnoreError()` on a status (a crash still crashes)."""
    try:
        call()
    except _Fail:
        pass


def _p_depthwise(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """DepthwiseConvolutionOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    if b.runtime_inputs(ins) == 2:
        b.read_value(ins, 1)
    else:
        b.read_tensor(ins, 1, "ohwi")
    _ignore(lambda: b.read_tensor(ins, 2, "linear"))
    b.fuse_activation(int(op.options.get("fused_activation_function", 0)))


def _p_fully_connected(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """FullyConnectedOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, FullyConnectedOperationParser::Parse"
    if b.runtime_inputs(ins) == 2:
        b.read_value(ins, 0)
        b.read_value(ins, 1)
        _bhwc(b.tensor(ins[0]))
        _bhwc(b.tensor(ins[1]))
        _bhwc(b.tensor(outs[0]))
        b.add_outputs(outs)
        _ignore(lambda: b.read_tensor(ins, 2, "linear"))
        b.fuse_activation(int(op.options.get("fused_activation_function", 0)))
        return
    b.read_value(ins, 0)
    if int(op.options.get("weights_format", 0)) != 0:
        raise _Fail("Unsupported FullyConnected weights format.", src)
    _, hw = b.read_tensor(ins, 1, "hw")  # GetFullyConnectedAttributes
    _ignore(lambda: b.read_tensor(ins, 2, "linear"))
    if b.value_shape(ins[0])[3] != hw[1]:
        raise _Fail("Amount of input channels should match weights width", src)
    b.add_outputs(outs)
    b.fuse_activation(int(op.options.get("fused_activation_function", 0)))


def _p_in_out(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """Parsers that add input 0 and the outputs and fail nowhere else (model_builder.cc:
    Cast, Cumsum, DepthToSpace, HardSwish, OneHot, ReLU, Reshape, SpaceToDepth, Tile)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)


def _p_batch_matmul(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """BatchedMatMulOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, BatchedMatMulOperationParser::Parse"
    runtime = b.runtime_inputs(ins)
    if runtime == 2:
        b.read_value(ins, 0)
        b.read_value(ins, 1)
        b.add_outputs(outs)
        return
    if runtime != 1 or not b.is_const(ins[1]) or len(b.tensor(ins[1]).shape) != 2:
        raise _Fail("Not supported batched mat mul case", src)
    b.read_value(ins, 0)
    b.add_outputs(outs)
    b.read_tensor(ins, 1, "hw")


def _read_value_or_const(b: _Builder, ins: Ins, k: int) -> BHWC:
    """ReadValue, else ReadTensor into a TensorFloat32 (Concatenation and Pack parsers)."""
    try:
        b.read_value(ins, k)
        return b.value_shape(ins[k])
    except _Fail:
        _, shape = b.read_tensor(ins, k, "bhwc")
        return (shape[0], shape[1], shape[2], shape[3])


def _p_concat(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """ConcatenationOperationParser::Parse and SetAxis (model_builder.cc)."""
    shapes = [_read_value_or_const(b, ins, k) for k in range(len(ins))]
    b.add_outputs(outs)
    _concat_axis(shapes)
    b.fuse_activation(int(op.options.get("fused_activation_function", 0)))


def _concat_axis(shapes: Sequence[BHWC]) -> None:
    """ConcatenationOperationParser::SetAxis (model_builder.cc): each step looks for an input
    that differs from the first in all three of the listed axes; the fourth step fails."""
    first = shapes[0] if shapes else (0, 0, 0, 0)
    for step, axes in enumerate(((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 2, 1))):
        if not any(all(first[a] != s[a] for a in axes) for s in shapes[1:]):
            return
        if step == 3:
            raise _Fail("Can concatenate tensors only by batch, height, width, or channels.",
                        f"{MB}, ConcatenationOperationParser::SetAxis")


def _p_dequantize(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """DequantizeOperationParser::Parse (model_builder.cc)."""
    if b.runtime_inputs(ins) == 0:
        b.read_tensor(ins, 0, "bhwc")
        b.add_outputs(outs)
        return
    b.read_value(ins, 0)
    b.add_outputs(outs)
    # An input Value without quant params is accepted when there is one runtime input, which
    # a DEQUANTIZE that reached this point always has.


def _p_quantize(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """QuantizeOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    if not outs or b.tensor(outs[0]).dtype not in _QUANT_TYPES:
        raise _Fail("Encountered Quantize output with no quant params",
                    f"{MB}, QuantizeOperationParser::Parse")


def _p_gather(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """GatherOperationParser::Parse (model_builder.cc)."""
    _axis(b.tensor(ins[0]), int(op.options.get("axis", 0)))
    b.read_value(ins, 0)
    if not b.is_const(ins[1]):
        b.read_value(ins, 1)
    else:
        b.read_tensor(ins, 1, "linear", int32=True)
    b.add_outputs(outs)


def _p_pack(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """PackOperationParser::Parse (model_builder.cc)."""
    if len(ins) == 1:
        b.read_value(ins, 0)
        b.add_outputs(outs)
        return
    for k in range(len(ins)):
        _read_value_or_const(b, ins, k)
    out = b.tensor(outs[0])
    _axis(out, int(op.options.get("axis", 0)))
    _bhwc(out)
    b.add_outputs(outs)


def _p_prelu(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """PReLUOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, PReLUOperationParser::Parse"
    b.read_value(ins, 0)
    shape = b.value_shape(ins[0])
    try:
        _, linear = b.read_tensor(ins, 1, "linear")
    except _Fail:
        _, hwc = b.read_tensor(ins, 1, "hwc")
        if hwc != shape[1:]:
            raise _Fail("Alpha shape does not match input shape.", src) from None
    else:
        if linear[0] != shape[3]:
            raise _Fail("Linear alpha shape does not match the number of input channels.",
                        src)
    b.add_outputs(outs)


def _p_pad(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """PadOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    _, hw = b.read_tensor(ins, 1, "hw", int32=True)
    if hw not in ((4, 2), (3, 2)):
        raise _Fail("Paddings tensor has unexpected shape.", f"{MB}, PadOperationParser::Parse")


def _p_pooling(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """Pooling2DOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_output(outs, 0)
    b.fuse_activation(int(op.options.get("fused_activation_function", 0)))
    if len(outs) > 1:
        _ignore(lambda: b.add_output(outs, 1))


def _p_reduce(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """ReduceOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    _reduce_axes(b, ins)
    if not op.options.get("keep_dims", False):
        _bhwc(b.tensor(outs[0]))
    b.add_outputs(outs)


def _reduce_axes(b: _Builder, ins: Ins) -> None:
    """The axes loop of the Reduce and Mean parsers: ExtractAxisFromIndex per `data.i32`."""
    axes = b.tensor(ins[1])
    n = _num_elements(axes.shape)
    values = b.raw_i32(ins[1]) if n else ()
    for i in range(n):
        _axis(b.tensor(ins[0]), values[i] if i < len(values) else 0)


def _p_mean(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """MeanOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    _reduce_axes(b, ins)


def _p_resampler(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """ResamplerOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, ResamplerOperationParser::Parse"
    b.read_value(ins, 0)
    b.read_value(ins, 1)
    b.add_outputs(outs)
    src_shape, warp = b.value_shape(ins[0]), b.value_shape(ins[1])
    if src_shape[0] != warp[0]:
        raise _Fail("src_shape.b != warp_shape.b", src)
    if warp[3] < 2:
        raise _Fail("warp_shape.c < 2", src)


def _p_resize(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """Resize2DOperationParser::Parse, GetHalfPixelCentersValue (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    if (op.op == "RESIZE_BILINEAR" and op.options.get("align_corners")
            and op.options.get("half_pixel_centers")):
        raise _Fail("If half_pixel_centers is True, align_corners must be False.",
                    f"{MB}, Resize2DOperationParser::GetHalfPixelCentersValue")


def _p_select(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """SelectV2OperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    for k in (1, 2):
        if not b.is_const(ins[k]):
            b.read_value(ins, k)
        elif _num_elements(b.tensor(ins[k]).shape) < 2:
            b.read_tensor(ins, k, "scalar")
        elif k == 1:
            b.read_tensor(ins, k, "bhwc")
        else:
            try:
                b.read_tensor(ins, k, "bhwc")
            except _Fail as e:
                # Retried as HWC on absl::InvalidArgumentError, which every ReadTensor
                # failure is but the OutOfRange one.
                if e.message == "Invalid data index found.":
                    raise
                b.read_tensor(ins, k, "hwc")
    b.add_outputs(outs)


def _p_slice(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """SliceOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, SliceOperationParser::Parse"
    b.add_outputs(outs)
    b.read_value(ins, 0)
    rank = len(b.tensor(ins[0]).shape)
    starts, _ = b.read_tensor(ins, 1, "linear", int32=True)
    sizes, _ = b.read_tensor(ins, 2, "linear", int32=True)
    if len(starts) != len(sizes):
        raise _Fail("Starts amount != sizes amount.", src)
    in_shape = b.value_shape(ins[0])
    st, sz = [0, 0, 0, 0], list(in_shape)
    if rank == 4 and len(starts) == 4:
        st, sz = list(starts), list(sizes)
    elif rank == 4 and len(starts) == 3:
        st[1:], sz[1:] = list(starts), list(sizes)
    elif rank == 3 and len(starts) == 3:
        for j, a in enumerate((0, 2, 3)):
            st[a], sz[a] = starts[j], sizes[j]
    else:
        raise _Fail("Slicing is supported for 3 or 4 dimensional tensors only.", src)
    sz = [in_shape[a] - st[a] if sz[a] == -1 else sz[a] for a in range(4)]
    ends = [st[a] + sz[a] for a in range(4)]
    ends = [in_shape[a] + ends[a] if ends[a] < 0 else ends[a] for a in range(4)]
    _check_slice_output(b.value_shape(outs[0]), st, ends, [1, 1, 1, 1], src)


def _check_slice_output(out: BHWC, starts: Sequence[int], ends: Sequence[int],
                        strides: Sequence[int], src: str) -> None:
    """The output-shape checks that end the Slice and StridedSlice parsers (C++ division)."""
    names = ("Output batch don't match", "Output height doesn't match",
             "Output width doesn't match", "Output channels don't match")
    for a in range(4):
        if int((ends[a] - starts[a] + strides[a] - 1) / strides[a]) != out[a]:
            raise _Fail(names[a], src)


def _p_strided_slice(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """StridedSliceOperationParser::Parse (model_builder.cc)."""
    src = f"{MB}, StridedSliceOperationParser::Parse"
    b.add_outputs(outs)
    b.read_value(ins, 0)
    tmp, _ = b.read_tensor(ins, 1, "linear", int32=True)
    if len(tmp) not in (3, 4):
        raise _Fail("Slicing is supported for 3 or 4 dimensional tensors only.", src)
    o = op.options
    if o.get("ellipsis_mask"):
        raise _Fail("Slice does not support ellipsis_mask.", src)
    if o.get("new_axis_mask"):
        raise _Fail("Slice does not support new_axis_mask.", src)
    if o.get("shrink_axis_mask"):
        raise _Fail("Slice does not support shrink_axis_mask parameter. ", src)
    shape = b.value_shape(ins[0])
    vals = [list(b.read_tensor(ins, k, "linear", int32=True)[0]) for k in (1, 2, 3)]
    if any(len(v) < len(tmp) for v in vals):
        raise _Crash("out-of-bounds read of the begin/end/strides data", src)
    pos = (0, 1, 2, 3) if len(tmp) == 4 else (1, 2, 3)
    st, en, sd = ([0, 0, 0, 0] for _ in range(3))
    for j, a in enumerate(pos):
        st[a], en[a], sd[a] = vals[0][j], vals[1][j], vals[2][j]
    for a in range(4):  # UpdateIfNegative
        en[a] = shape[a] + en[a] if en[a] < 0 else en[a]
        st[a] = shape[a] + st[a] if st[a] < 0 else st[a]
    for j, a in enumerate(pos):  # UpdateWithMask
        if int(o.get("begin_mask", 0)) & (1 << j):
            st[a] = 0
        if int(o.get("end_mask", 0)) & (1 << j):
            en[a] = shape[a]
    if len(tmp) == 3:
        st[0], en[0], sd[0] = 0, shape[0], 1
    if 0 in sd:
        raise _Fail("stride values must be non-zero", src)
    if any(s < 0 for s in sd):
        raise _Fail("Reverse slices are not supported.", src)
    _check_slice_output(b.value_shape(outs[0]), st, en, sd, src)


def _p_softmax(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """SoftmaxOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    if float(op.options.get("beta", 1.0)) != 1:
        raise _Fail("Softmax.beta != 1 is not supported.", f"{MB}, SoftmaxOperationParser::Parse")


def _p_split(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """SplitOperationParser::Parse and SplitVOperationParser::Parse (model_builder.cc)."""
    data_k, axis_k = (1, 0) if op.op == "SPLIT" else (0, 2)
    if int(op.options.get("num_splits", 0)) == 1:
        b.read_value(ins, data_k)
        b.add_outputs(outs)
        return
    axis = b.raw_i32(ins[axis_k])
    _axis(b.tensor(ins[data_k]), axis[0] if axis else 0)
    b.read_value(ins, data_k)
    for k in range(len(outs)):
        b.add_output(outs, k)


def _p_transpose(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """TransposeOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    perm, _ = b.read_tensor(ins, 1, "linear", int32=True)
    if len(perm) not in (2, 3, 4):
        raise _Fail("Permutation for transpose is invalid.",
                    f"{MB}, TransposeOperationParser::Parse")


def _p_transpose_conv(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """TransposeConvBuiltinOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 2)
    b.add_outputs(outs)
    if b.runtime_inputs(ins) == 2:
        b.read_value(ins, 1)
    else:
        b.read_tensor(ins, 1, "ohwi")
    _ignore(lambda: b.read_tensor(ins, 3, "linear"))


def _p_transpose_conv_bias(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """TransposeConvCustomOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.add_outputs(outs)
    b.read_tensor(ins, 1, "ohwi")
    _ignore(lambda: b.read_tensor(ins, 2, "linear"))


def _p_unpooling(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """Unpooling2DOperationParser::Parse (model_builder.cc)."""
    b.read_value(ins, 0)
    b.read_value(ins, 1)
    b.add_outputs(outs)
    if op.custom_options_size <= 0:
        raise _Fail("Unable to retrieve custom_initial_data.",
                    f"{MB}, RetrieveCustomInitialData")


def _p_densify(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """DensifyOperationParser::Parse (model_builder.cc)."""
    if not b.tensor(ins[0]).is_sparse:
        raise _Fail("Input tensor must be sparse.", f"{MB}, DensifyOperationParser::Parse")
    b.read_tensor(ins, 0, "bhwc")
    b.add_outputs(outs)


def _p_unpack(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """UnpackOperationParser::Parse (model_builder.cc)."""
    if int(op.options.get("num", 0)) == 1:
        b.read_value(ins, 0)
        b.add_outputs(outs)
        return
    t = b.tensor(ins[0])
    _bhwc(t)
    _axis(t, int(op.options.get("axis", 0)))
    b.read_value(ins, 0)
    for k in range(len(outs)):
        _bhwc(b.tensor(outs[k]))
        b.add_output(outs, k)


def _p_lstm(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> frozenset[int] | None:
    """LSTMOperationParser::Parse (model_builder.cc): ParseBasic, or ParseFull
    (ParseLSTMAttributes in lstm_parser.cc), which gives new values for two variables."""
    src = f"{MB}, LSTMOperationParser::ParseBasic"
    o = op.options
    if int(o.get("kernel_type", 0)) == 0:
        _lstm_full(b, op, ins, outs)
        return frozenset({_LSTM_CELL_STATE, _LSTM_OUTPUT_STATE})
    if len(ins) != 5:
        raise _Fail("LSTM should have 5 input tensors", src)
    if len(outs) != 4:
        raise _Fail("LSTM should have 4 output tensors", src)
    if int(o.get("fused_activation_function", 0)) != _ACT_TANH:
        raise _Fail("Only TANH activation is supported.", src)
    if float(o.get("cell_clip", 0.0)) != 0.0:
        raise _Fail("cell_clip is not supported.", src)
    if float(o.get("proj_clip", 0.0)) != 0.0:
        raise _Fail("proj_clip is not supported.", src)
    b.read_tensor(ins, 2, "hw")
    _ignore(lambda: b.read_tensor(ins, 3, "linear"))
    b.read_nonconst(outs[2])
    b.read_nonconst(outs[3])
    if b.value_shape(outs[3])[3] % 4:
        raise _Fail("BasicLSTM activation depth must be a multiple of 4.", src)
    for k in (0, 1, 4):
        b.read_value(ins, k)
    b.add_output(outs, 1)
    b.add_output(outs, 0)
    return None


def _has(ins: Ins, k: int) -> bool:
    """HasTensor (lstm_parser.cc)."""
    return k < len(ins) and ins[k] != OPTIONAL_TENSOR


def _lstm_full(b: _Builder, op: Operator, ins: Ins, outs: Ins) -> None:
    """ParseLSTMAttributes (lstm_parser.cc)."""
    peephole, norm = _has(ins, _LSTM_C2F), _has(ins, _LSTM_NF)
    b.read_value(ins, _LSTM_CELL_STATE)
    if b.value_shape(ins[_LSTM_CELL_STATE])[0] != 1:
        raise _Fail("Batched execution is not supported for LSTM",
                    f"{LP}, ParseLSTMAttributes")
    b.read_value(ins, _LSTM_OUTPUT_STATE)
    act = int(op.options.get("fused_activation_function", 0))
    _lstm_gate(b, ins, (_LSTM_I2F, _LSTM_R2F, _LSTM_C2F, _LSTM_BF, _LSTM_NF), _ACT_SIGMOID,
               peephole, norm)
    if _has(ins, _LSTM_I2I):  # no CIFG
        _lstm_gate(b, ins, (_LSTM_I2I, _LSTM_R2I, _LSTM_C2I, _LSTM_BI, _LSTM_NI),
                   _ACT_SIGMOID, peephole, norm)
    _lstm_gate(b, ins, (_LSTM_I2C, _LSTM_R2C, -1, _LSTM_BC, _LSTM_NC), act, False, norm)
    b.read_value(ins, _LSTM_CELL_STATE)  # BuildCellStateUpdate
    _lstm_gate(b, ins, (_LSTM_I2O, _LSTM_R2O, _LSTM_C2O, _LSTM_BO, _LSTM_NO), _ACT_SIGMOID,
               peephole, norm)
    if act not in (_ACT_TANH, _ACT_SIGMOID):  # BuildOutputStateUpdate
        raise _Fail(f"Unsupported activation: {act}", f"{LP}, BuildOutputStateUpdate")
    if _has(ins, _LSTM_PROJ_W):
        _lstm_fc(b, ins, _LSTM_PROJ_W, _LSTM_PROJ_B)
    b.add_output(outs, 0)


def _lstm_gate(b: _Builder, ins: Ins, ids: tuple[int, int, int, int, int], act: int,
               peephole: bool, norm: bool) -> None:
    """BuildLstmGate (lstm_parser.cc)."""
    w_in, w_rec, w_cell, bias, w_norm = ids
    _lstm_fc(b, ins, w_in, -1 if norm else bias)
    b.read_value(ins, _LSTM_INPUT)
    _lstm_fc(b, ins, w_rec, -1)
    if peephole:
        b.read_tensor(ins, w_cell, "linear")
    if norm:
        b.read_tensor(ins, w_norm, "linear")
        b.read_tensor(ins, bias, "linear")
    b.fuse_activation(act)


def _lstm_fc(b: _Builder, ins: Ins, weights: int, bias: int) -> None:
    """GetFullyConnectedNode (lstm_parser.cc)."""
    src = f"{LP}, GetFullyConnectedNode"
    if weights >= len(ins) or ins[weights] < 0:
        raise _Crash("LSTM weights tensor missing (invalid tensor pointer dereferenced)", src)
    t = b.tensor(ins[weights])
    if t.dtype == TensorType.INT8:
        if t.quantization is None or not _is_affine(t):
            raise _Crash(f"null quantization params of \"{t.name}\" dereferenced", src)
        if len(t.quantization.scale) == 1:
            b.raw(t)
            if bias != -1:
                _ignore(lambda: b.read_tensor(ins, bias, "linear"))
            return
    b.read_tensor(ins, weights, "hw")
    if bias != -1:
        _ignore(lambda: b.read_tensor(ins, bias, "linear"))


_PARSERS: dict[str, _Parser] = {  # NewOperationParser (model_builder.cc)
    **dict.fromkeys(_ONE_ARG | _TWO_ARG, _p_elementwise),
    "AVERAGE_POOL_2D": _p_pooling, "MAX_POOL_2D": _p_pooling,
    "CUSTOM:MaxPoolingWithArgmax2D": _p_pooling,
    "BATCH_MATMUL": _p_batch_matmul, "CONCATENATION": _p_concat, "CONV_2D": _p_conv2d,
    "DENSIFY": _p_densify, "DEPTHWISE_CONV_2D": _p_depthwise, "FULLY_CONNECTED":
    _p_fully_connected, "GATHER": _p_gather, "LSTM": _p_lstm, "MEAN": _p_mean,
    "MIRROR_PAD": _p_pad, "PAD": _p_pad, "PADV2": _p_pad, "PACK": _p_pack, "PRELU": _p_prelu,
    "REDUCE_MAX": _p_reduce, "REDUCE_MIN": _p_reduce, "REDUCE_PROD": _p_reduce,
    "SUM": _p_reduce, "RESIZE_BILINEAR": _p_resize, "RESIZE_NEAREST_NEIGHBOR": _p_resize,
    "SELECT": _p_select, "SELECT_V2": _p_select, "SLICE": _p_slice, "SOFTMAX": _p_softmax,
    "SPLIT": _p_split, "SPLIT_V": _p_split, "STRIDED_SLICE": _p_strided_slice,
    "TRANSPOSE": _p_transpose, "TRANSPOSE_CONV": _p_transpose_conv, "UNPACK": _p_unpack,
    "CUSTOM:Convolution2DTransposeBias": _p_transpose_conv_bias,
    "CUSTOM:MaxUnpooling2D": _p_unpooling, "CUSTOM:Resampler": _p_resampler,
    **dict.fromkeys(("CAST", "CUMSUM", "DEPTH_TO_SPACE", "HARD_SWISH", "ONE_HOT", "RELU",
                     "RELU6", "RELU_0_TO_1", "RELU_N1_TO_1", "LEAKY_RELU", "RESHAPE",
                     "SPACE_TO_DEPTH", "TILE"), _p_in_out),
}
_QUANT_ONLY = {"DEQUANTIZE": _p_dequantize, "QUANTIZE": _p_quantize}


def _parser_for(op: Operator, allow_quant_ops: bool) -> _Parser | str:
    """The parser `NewOperationParser` picks, or the message of the one that always fails
    (UnsupportedOperationParser; UnimplementedOperationParser for other custom ops)."""
    key = op.display_name
    if key in _PARSERS:
        return _PARSERS[key]
    if allow_quant_ops and key in _QUANT_ONLY:
        return _QUANT_ONLY[key]
    if op.op == "CUSTOM":
        return op.custom_code or ""
    return "Operation is not supported."


def _op_name(op: Operator) -> str:
    """GetOpNameByRegistration (tflite/util.cc)."""
    if op.op == "CUSTOM":
        return f"CUSTOM {op.custom_code}" if op.custom_code is not None else "CUSTOM"
    return "" if op.op.startswith("UNKNOWN_") else op.op


def _is_fp16_const_dequantize(b: _Builder, op: Operator) -> bool:
    """The DEQUANTIZE nodes BuildModelEnforceIO skips (model_builder.cc): input 0 an fp16
    constant."""
    if op.op != "DEQUANTIZE" or not op.inputs or op.inputs[0] < 0:
        return False
    t = b.tensor(op.inputs[0])
    return t.dtype == TensorType.FLOAT16 and b.is_const(op.inputs[0])


def _copy_variable_outputs(b: _Builder, op: Operator, ins: Ins,
                           provided: frozenset[int] | None) -> None:
    """CopyVariableTensorOutputs (model_builder.cc): every variable input needs a new value."""
    src = f"{MB}, CopyVariableTensorOutputs"
    left = set(provided or ())
    for i, index in enumerate(ins):
        try:
            b.read_nonconst(index)
        except _Fail:
            continue
        if not b.tensor(index).is_variable:
            continue
        if i not in left:
            raise _Fail(f"{_op_name(op)} did not provide a new value for the variable input "
                        f"tensor with index {index}", src)
        left.discard(i)
    if left:
        raise _Fail("More input variable tensors asked to be copied than present on the node",
                    src)


def build_final_model(model: Model, subgraph: Subgraph, nodes: Sequence[int],
                      input_tensors: Sequence[int], output_tensors: Sequence[int],
                      allow_quant_ops: bool,
                      node_inputs: Mapping[int, tuple[int, ...]] | None = None) -> BuildOutcome:
    """What `BuildFinalModel` (model_builder.cc) gives for one partition: `nodes` in plan
    order, its boundary tensors as TfLiteDelegateParams has them, and `node_inputs` for the
    operators whose inputs the fp16 partition helper rewired.

    FP16GraphPartitionHelper::RemapFp16InputTensors (tflite/delegates/utils.cc) rewires every
    node it returns, in a partial delegation as in a full one: the consumers of an fp16
    constant DEQUANTIZE read the fp16 constant itself.
    """
    b = _Builder(model, subgraph, allow_quant_ops, node_inputs or {})
    try:
        return _build(b, nodes, input_tensors, output_tensors)
    except _Fail as e:
        return BuildOutcome("failed", e.message, e.source)
    except _Crash as e:
        return BuildOutcome("crash", e.message, e.source)


def _build(b: _Builder, nodes: Sequence[int], input_tensors: Sequence[int],
           output_tensors: Sequence[int]) -> BuildOutcome:
    """BuildModelEnforceIO, then the transformation that throws (model_builder.cc)."""
    ops = [b.sg.operators[n] for n in nodes]
    ops = [op for op in ops if not _is_fp16_const_dequantize(b, op)]
    for index in input_tensors:  # PrecreateInputTensors
        if index >= 0 and not b.is_const(index):
            b.read_nonconst(index, used=False)
    for index in output_tensors:  # PrecreateOutputTensors
        if index >= 0 and not b.is_const(index):
            b.read_nonconst(index)
    full_lstm = False
    for op in ops:
        ins = b.inputs_of(op)
        parser = _parser_for(op, b.quant)
        try:
            if isinstance(parser, str):
                raise _Fail(parser, f"{MB}, UnsupportedOperationParser::Parse")
            provided = parser(b, op, ins, op.outputs)
        except _Fail as e:  # BuildModelEnforceIO prefixes the op name
            raise _Fail(f"{_op_name(op)}: {e.message}", e.source) from None
        except (IndexError, KeyError) as e:
            # The parser reads an input or output the node does not have: upstream indexes
            # the node's arrays unchecked, which is undefined behaviour, not a status.
            raise _Crash(f"{_op_name(op)} (node {op.index}) reads an operand it does not have "
                         f"({len(ins)} inputs, {len(op.outputs)} outputs): out-of-bounds read",
                         f"{MB}, the op's Parse") from e
        _copy_variable_outputs(b, op, ins, provided)
        full_lstm = full_lstm or (op.op == "LSTM" and provided is not None)
    if full_lstm:
        # The gate ADD nodes of ParseLSTMAttributes carry no attributes; each is followed by
        # a one-input node (its fused activation, or the normalization), so
        # MergeAddWithConvolution's any_cast<ElementwiseAttributes> throws.
        raise _Crash("std::bad_any_cast in MergeAddWithConvolution (ADD made by the LSTM "
                     "parser has no attributes)",
                     "transformations/fuse_add_to_conv.cc, "
                     "MergeAddWithConvolution::ApplyToNodesSequence")
    return BuildOutcome("ok", "", "")
