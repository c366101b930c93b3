"""What to change so an operator runs on the delegate: one remedy per reason code.

`remedy_for(code, op, message, target)` scans a data table of specific remedies in order
(code, op, a regular expression on the delegate's message) and falls back to the code's
generic remedy. Every remedy names its source: the upstream function whose check it answers,
the converter function that gives an op its version, or the converter option it relies on.
Target-neutral: codes come from `opcompat.reasons` and the targets' `reasons` modules (no
code is spelled out here); otherwise standard library only.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from opcompat import reasons as R
from opcompat.targets.gpu import reasons as G


class Remedy(NamedTuple):
    """A fix for one reason."""

    text: str
    """What to change, in the model or in the app, so the op runs on the delegate."""
    source: str
    """Where the fact behind it comes from."""


class _Row(NamedTuple):
    code: str
    op: str | None
    """A regular expression the op name must match in full (`CUSTOM:<code>` for custom ops);
    None: any op."""
    pattern: str | None
    """A regular expression searched in the message (case-insensitive); None: any message."""
    text: str
    source: str


NN = "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate"
OPV = "tflite/converter/tools/versioning/op_version.cc, GetBuiltinOperatorVersion"
PTQ = ("LiteRT post-training quantization guide (converter.optimizations, "
       "representative_dataset, target_spec.supported_ops)")
GPU_MB = "tflite/delegates/gpu/common/model_builder.cc"
GPU_COMPAT = "tflite/tools/versioning/gpu_compatibility.cc, CheckGpuDelegateCompatibility"
GPU_DELEGATE = "tflite/delegates/gpu/delegate.cc"

INT8 = ("full-integer int8 quantization (`converter.optimizations = [tf.lite.Optimize.DEFAULT]`, "
        "a `representative_dataset`, `converter.target_spec.supported_ops = "
        "[tf.lite.OpsSet.TFLITE_BUILTINS_INT8]`)")
X16 = "16x8 (`tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8`)"
DYNAMIC = ("dynamic-range quantization (`Optimize.DEFAULT` without a `representative_dataset`: "
           "float activations, int8 weights)")
FIXED_SHAPES = ("give the model fixed shapes before conversion (a `tf.function` with a fully "
                "defined `input_signature`, e.g. `tf.TensorSpec([1, 224, 224, 3])`, then "
                "`from_concrete_functions`); `interpreter.resize_tensor_input` at run time does "
                "not help, the delegate sees the converted graph")
VERSION_CODES = f"kUnsupportedOperatorVersion|{G.OP_VERSION}"
"""The op-version codes of both targets, as a row's code pattern."""
UNROLL = ("unroll the recurrence (Keras `unroll=True`) or convert a stateless step with the "
          "state as explicit inputs and outputs")

_VERSION_ROWS: tuple[_Row, ...] = (
    _Row("kUnsupportedOperatorVersion", "DEPTHWISE_CONV_2D", None,
         "NNAPI takes DEPTHWISE_CONV_2D up to v3 (v2: dilation, v3: int8). v4/v6 come from "
         f"{DYNAMIC}, v5 from {X16}, v7 from int4 weights: convert to float32 or {INT8}.",
         f"{OPV} (DEPTHWISE_CONV_2D); {NN}, kTfLiteBuiltinDepthwiseConv2d"),
    _Row("kUnsupportedOperatorVersion", "FULLY_CONNECTED", None,
         "NNAPI takes FULLY_CONNECTED up to v5. v6 is a FULLY_CONNECTED without bias (keep "
         "`use_bias=True`), v7/v11 int16 activations (16x8), v8 sparse weights "
         "(`Optimize.EXPERIMENTAL_SPARSITY`), v9/v12 "
         f"{DYNAMIC}, v10/v13 int4 weights: convert to float32 or {INT8}.",
         f"{OPV} (FULLY_CONNECTED); {NN}, kTfLiteBuiltinFullyConnected"),
    _Row("kUnsupportedOperatorVersion", "CONV_2D", None,
         "NNAPI takes CONV_2D up to v5. v6 is a grouped convolution (`groups > 1`: split it "
         "into per-group CONV_2D and CONCATENATION), v7 int4 weights, v8 16x8 with a "
         f"quantized bias: convert to float32 or {INT8}.", f"{OPV} (CONV_2D)"),
    _Row("kUnsupportedOperatorVersion",
         "LSTM|UNIDIRECTIONAL_SEQUENCE_LSTM|BIDIRECTIONAL_SEQUENCE_LSTM|RNN|"
         "UNIDIRECTIONAL_SEQUENCE_RNN|SVDF", None,
         "Recurrent ops get their higher versions from hybrid (float in, int8 weights) kernels "
         f"of {DYNAMIC}, with asymmetric inputs, or from 16x8: convert the model as float32 "
         f"(or {INT8} for LSTM) instead.", f"{OPV} (LSTM, RNN, SVDF cases)"),
    _Row("kUnsupportedOperatorVersion", "DEQUANTIZE", None,
         "NNAPI's DEQUANTIZE takes v1-v2 (uint8, int8). v3 comes from int16 or float16 input "
         "(fp16 weights: `target_spec.supported_types = [tf.float16]`), v5 from per-channel "
         "int8, v6+ from int4/int2: convert without fp16 weights or with per-tensor int8.",
         f"{OPV} (DEQUANTIZE); {NN}, kTfLiteBuiltinDequantize"),
    _Row(VERSION_CODES,
         "TRANSPOSE|SLICE|PAD|PADV2|BATCH_TO_SPACE_ND|SPACE_TO_BATCH_ND", None,
         "The higher versions of this op come from an input of rank > 4 or an int16/bool/fp16 "
         "input: reshape to rank <= 4 and use float32 or int8 tensors.",
         f"{OPV} (TRANSPOSE, SLICE, PAD, BATCH_TO_SPACE_ND cases)"),
    _Row(VERSION_CODES, "GATHER", None,
         "GATHER is v2 with int8 input, v3 bool, v4 int16, v5 with `batch_dims != 0`, v6 "
         "int16 indices: use `batch_dims=0` (flatten the batch into the indices) and "
         "float32 data (the GPU parser takes v1 only, i.e. float data).", f"{OPV} (GATHER)"),
    _Row(VERSION_CODES, "ABS", None,
         "ABS is v2 for int8/uint8, v3/v4 for int16, v5 for int32 input: apply it to float32 "
         "(or, for NNAPI, which takes v1 only, keep this part of the model float).",
         f"{OPV} (ABS)"),
    _Row(VERSION_CODES, "CONCATENATION", None,
         "CONCATENATION is v3 with int16 input (16x8), v4 uint32, v6 fp16: use float32 or "
         f"{INT8}.", f"{OPV} (CONCATENATION)"),
    _Row("kUnsupportedOperatorVersion",
         "EXP|LOG|SQRT|REDUCE_PROD|SUM|LOG_SOFTMAX|LEAKY_RELU|TILE|FILL|CAST|BATCH_MATMUL",
         None, "NNAPI takes only the first version(s) of this op; the higher ones come from "
               "quantized (int8/int16) or bool/string/fp16 tensors: keep this op in float32 "
               "(e.g. selective quantization with `tf.lite.experimental.QuantizationDebugger` "
               "and `denylisted_ops`, or a float model).",
         f"{OPV}; {NN} (ExpectOpVersion)"),
    _Row(G.OP_VERSION, "FULLY_CONNECTED", None,
         "The GPU delegate takes FULLY_CONNECTED up to v9. v11/v13 are int16 activations, v10 "
         f"and v13 int4 weights, v12 per-channel {DYNAMIC}: convert to float32 (optionally "
         "fp16 weights) or per-tensor dense layers "
         "(`converter._experimental_disable_per_channel_quantization_for_dense_layers = True`).",
         f"{OPV} (FULLY_CONNECTED); {GPU_MB}, FullyConnectedOperationParser"),
    _Row(G.OP_VERSION, "TRANSPOSE_CONV", None,
         "TRANSPOSE_CONV is v4 when an activation is fused into it and v5 for 16x8 with a "
         "quantized bias; the GPU parser takes up to v3: keep the activation a separate op "
         "(e.g. a RELU after the transposed convolution that the converter does not fuse) "
         "or use float32.",
         f"{OPV} (TRANSPOSE_CONV); {GPU_MB}, TransposeConvBuiltinOperationParser"),
    _Row(G.OP_VERSION, "DEQUANTIZE", None,
         "The GPU parser takes DEQUANTIZE up to v3 (int8, fp16, int16 per tensor); higher "
         "versions come from per-channel int8 or int4 weights: use fp16 or per-tensor int8.",
         f"{OPV} (DEQUANTIZE); {GPU_MB}, DequantizeOperationParser"),
)

_NNAPI_OP_ROWS: tuple[_Row, ...] = (
    _Row("kUnsupportedOperator", "GELU", None,
         "Replace GELU by its sigmoid approximation x * sigmoid(1.702 x) (MUL, LOGISTIC) or the "
         "tanh form 0.5 x (1 + tanh(0.7978846 (x + 0.044715 x^3))) (MUL, ADD, TANH): all "
         "have NNAPI mappings. In Keras, write it out instead of `gelu`.",
         f"{NN} (no GELU case; MUL, ADD, TANH, LOGISTIC cases)"),
    _Row("kUnsupportedOperator", "SQUARE", None, "Compute x * x with MUL.", f"{NN}, case MUL"),
    _Row("kUnsupportedOperator", "CEIL", None,
         "Compute ceil(x) as -floor(-x) (NEG, FLOOR, NEG).", f"{NN}, cases NEG, FLOOR"),
    _Row("kUnsupportedOperator", "ROUND", None,
         "Compute floor(x + 0.5) (ADD, FLOOR); note ROUND rounds halves to even, so results "
         "differ at exact .5.", f"{NN}, cases ADD, FLOOR"),
    _Row("kUnsupportedOperator", "FLOOR_DIV", None,
         "For float tensors compute floor(a / b) (DIV, FLOOR).", f"{NN}, cases DIV, FLOOR"),
    _Row("kUnsupportedOperator", "FLOOR_MOD", None,
         "For float tensors compute a - floor(a / b) * b (DIV, FLOOR, MUL, SUB).",
         f"{NN}, cases DIV, FLOOR, MUL, SUB"),
    _Row("kUnsupportedOperator", "ADD_N", None, "Sum the inputs with a chain of ADD.",
         f"{NN}, case ADD"),
    _Row("kUnsupportedOperator", "SELECT_V2", None,
         "Give condition and both inputs the same shape (broadcast them explicitly) and use "
         "SELECT (`tf.raw_ops.Select`), or blend arithmetically: c * x + (1 - c) * y.",
         f"{NN}, case Select (same-shape inputs)"),
    _Row("kUnsupportedOperator", "BROADCAST_TO", None,
         "Drop the explicit broadcast and let the consumer broadcast (ADD, MUL, SUB do), or use "
         "TILE with constant multiples.", f"{NN}, cases ADD, MUL, TILE"),
    _Row("kUnsupportedOperator", "RELU_0_TO_1", None,
         "Compute min(max(x, 0), 1) with MAXIMUM and MINIMUM.", f"{NN}, cases Maximum / Minimum"),
    _Row("kUnsupportedOperator", "REDUCE_ALL", None,
         "Compute all(x) as not(any(not(x))) (LOGICAL_NOT, REDUCE_ANY, LOGICAL_NOT).",
         f"{NN}, cases LOGICAL_NOT, REDUCE_ANY"),
    _Row("kUnsupportedOperator", "ONE_HOT", None,
         "Compare the indices with a constant range (EQUAL) and CAST the result to float.",
         f"{NN}, cases EQUAL, CAST"),
    _Row("kUnsupportedOperator", "CUMSUM", None,
         "For a short axis, multiply by a constant triangular matrix of ones "
         "(FULLY_CONNECTED or BATCH_MATMUL).", f"{NN}, cases FullyConnected, BatchMatmul"),
    _Row("kUnsupportedOperator", "WHILE|IF|CALL_ONCE|VAR_HANDLE|READ_VARIABLE|ASSIGN_VARIABLE",
         None, f"Control flow and resource variables have no NNAPI mapping: {UNROLL}.",
         f"{NN} (no case for control flow or variables)"),
    _Row("kUnsupportedOperator", r"CUSTOM:.*", None,
         "The NNAPI delegate takes no custom ops: rewrite it with builtin ops, or move it out "
         "of the delegated part (pre- or post-processing in the app).",
         f"{NN} (kTfLiteBuiltinCustom has no case)"),
    _Row("kUnsupportedInputType", "TOPK_V2", "constant",
         "Make k a constant int32 (a Python int in the model, not a tensor input).",
         f"{NN}, case kTfLiteBuiltinTopkV2"),
    _Row("kUnsupportedInputType|kUnsupportedAndroidVersion", "SQUARED_DIFFERENCE", None,
         "SQUARED_DIFFERENCE needs API 28 for float32, 29 for uint8, 30 for int8/int32: use "
         "float32 or a newer device level, or compute d = a - b, d * d (SUB, MUL) where those "
         "ops are accepted for the type.", f"{NN}, case kTfLiteBuiltinSquaredDifference"),
    _Row("kUnsupportedInputType", "HARD_SWISH", None,
         "HARD_SWISH needs float32 or 8-bit input: use float32 or int8 (not 16x8); or write "
         "x * relu6(x + 3) / 6 (ADD, RELU6, MUL).", f"{NN}, case kTfLiteBuiltinHardSwish"),
    _Row("kUnsupportedInputType|kUnsupportedOutputType", "ARG_MAX|ARG_MIN", r"int32|Int32",
         "Use `output_type=tf.int32` and a constant int32 axis.",
         f"{NN}, case kTfLiteBuiltinArgMax / ArgMin"),
    _Row("kUnsupportedInputType", None, r"constant int32 (axis|size_splits)|Axis should be Int32"
         r"|Multipliers should be Int32|(Begin|Size) type should be Int32|Positions type",
         "Make this parameter a constant int32 tensor (fixed Python ints in the model; "
         "int64 comes from `tf.int64` indices or axes).", NN),
    _Row("kUnsupportedInputType", "FILL", "dynamic dimensions",
         f"FILL needs constant dimensions: {FIXED_SHAPES}.", f"{NN}, case kTfLiteBuiltinFill"),
    _Row("kUnsupportedInputType|kUnsupportedOutputType", None, r"of type kTfLiteInt16",
         f"Use {INT8} instead of {X16}: NNAPI refuses int16 activations here.", f"{NN}; {PTQ}"),
    _Row("kUnsupportedInputType", None, r"Float or UINT8",
         "Before API 29 NNAPI takes only float32 or uint8 here: use float32, or target API 29+ "
         "for int8 models.", NN),
    _Row("kUnsupportedInputType", None, r"^Input should be Float(32)?\.?$|^Expected Float32 input"
         r"|floating point input|only support float|float32 (weights|values)|Weights should be",
         "NNAPI runs this op in float only: keep it float32 (a float model, or selective "
         "quantization: `tf.lite.experimental.QuantizationDebugger` with `denylisted_ops`).",
         NN),
    _Row("kUnsupportedInputType", None, r"Quant8|Quantized input|uint8|int8",
         f"Use float32 or {INT8} for this op; 16x8 (int16) and int32/int64 activations are "
         "refused here.", f"{NN}; {PTQ}"),
)

_NNAPI_ROWS: tuple[_Row, ...] = (
    _Row("kUnsupportedOutputType", "FULLY_CONNECTED", r"Int16",
         f"Use {INT8} instead of {X16}: NNAPI's FULLY_CONNECTED refuses an int16 output.",
         f"{NN}, case kTfLiteBuiltinFullyConnected; {PTQ}"),
    _Row("kUnsupportedOutputType", "QUANTIZE", r"UInt8|Int8",
         f"QUANTIZE must output uint8 (or int8 from API 30): use {INT8}, not 16x8.",
         f"{NN}, case kTfLiteBuiltinQuantize"),
    _Row("kUnsupportedInputType|kUnsupportedOperandRank", "BATCH_MATMUL", r"broadcast|rank",
         "Give both operands the same batch dimensions (TILE or RESHAPE explicitly; no "
         "implicit broadcast) and ranks 2 to 4.", f"{NN}, case kTfLiteBuiltinBatchMatmul"),
    _Row("kUnsupportedOutputType", None, r"scalar",
         "Keep a dimension in the output (`keepdims=True`, or reduce to shape [1]) and "
         "reshape afterwards.", NN),
    _Row("kUnsupportedOperandRank", "GATHER", r"0-dimension",
         "Use 1-D indices (`[i]` instead of a scalar `i`) and RESHAPE the result.",
         f"{NN}, case kTfLiteBuiltinGather"),
    _Row("kInputTensorShouldHaveConstantShape", "RESHAPE|RESIZE_BILINEAR|RESIZE_NEAREST_NEIGHBOR",
         None, f"The shape/size input must be a constant: {FIXED_SHAPES}; avoid shapes computed "
               "from `tf.shape(x)`.", f"{NN}, cases Reshape, ResizeBilinear"),
    _Row("kMissingRequiredOperand", "CONV_2D", r"bias",
         "Give the convolution a bias (`use_bias=True`, zeros are fine) so the converter keeps a "
         "bias tensor.", f"{NN}, case kTfLiteBuiltinConv2d"),
    _Row("kUnsupportedOperandValue", "UNPACK|PACK", r"last dimension",
         "Pack/unpack along another axis (TRANSPOSE first), or use SPLIT / CONCATENATION and "
         "RESHAPE.", f"{NN}, cases Pack, Unpack"),
    _Row("kUnsupportedOperandValue", "BATCH_TO_SPACE_ND", r"crops",
         "Use zero crops and crop afterwards with SLICE or STRIDED_SLICE.",
         f"{NN}, case kTfLiteBuiltinBatchToSpaceNd"),
    _Row("kUnsupportedOperandValue", "SELECT", r"same shape",
         "Broadcast condition and inputs to the output shape explicitly before SELECT.",
         f"{NN}, case kTfLiteBuiltinSelect"),
    _Row("kUnsupportedOperandValue", "RESIZE_BILINEAR|RESIZE_NEAREST_NEIGHBOR",
         r"align_corners|half_pixel", "Resize with `align_corners=False` and "
                                      "`half_pixel_centers=False`, or target API 30+.",
         f"{NN}, cases ResizeBilinear, ResizeNearestNeighbor"),
    _Row("kUnsupportedAndroidVersion", "FULLY_CONNECTED", r"30",
         "`keep_num_dims` needs API 30: feed FULLY_CONNECTED 2-D input (RESHAPE to "
         "[batch * steps, features] and back) for older devices.",
         f"{NN}, case kTfLiteBuiltinFullyConnected"),
    _Row(R.NNAPI_MODEL_BUILD_FAILS, None, r"INT64",
         f"An int64 tensor (the bias of 16x8 convolutions, or int64 indices) cannot be an NNAPI "
         f"operand: use {INT8} instead of 16x8, and int32 indices.",
         "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIOpBuilder::AddTensor; " + PTQ),
    _Row(R.NNAPI_MODEL_BUILD_FAILS, None, r"no input data",
         "The partition computes from constants only: fold it at conversion (constant folding) "
         "or keep a runtime input in it.",
         "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::BuildGraph"),
    _Row(f"{R.SPEC_OPERAND_TYPE}|{R.SPEC_CONFIGURATION}", None, r"QUANT16",
         f"int16 tensors become TENSOR_QUANT16_SYMM operands the spec does not allow here: "
         f"use {INT8} instead of 16x8.", "NNAPI NeuralNetworks.h operation specifications"),
    _Row(R.SPEC_OPERAND_TYPE, "FULLY_CONNECTED", r"PER_CHANNEL",
         "NNAPI's FULLY_CONNECTED has no per-channel weights: convert with "
         "`converter._experimental_disable_per_channel_quantization_for_dense_layers = True`.",
         "NNAPI NeuralNetworks.h, ANEURALNETWORKS_FULLY_CONNECTED; TFLiteConverter option"),
    _Row(R.SPEC_OPERAND_TYPE, None, r"TENSOR_INT32",
         "Keep int32 tensors away from this op (CAST to float32 first, or float indices math).",
         "NNAPI NeuralNetworks.h operation specifications"),
)

_GPU_ROWS: tuple[_Row, ...] = (
    _Row(G.NO_PARSER, "TOPK_V2|ARG_MAX|ARG_MIN|NON_MAX_SUPPRESSION_V4|"
         "NON_MAX_SUPPRESSION_V5", None,
         "Move it to post-processing on the CPU: end the model before it and compute it in the "
         "app on the output.", f"{GPU_MB}, NewOperationParser"),
    _Row(G.NO_PARSER, "CEIL", None,
         "Compute ceil(x) as -floor(-x) (NEG, FLOOR, NEG have GPU parsers).",
         f"{GPU_MB}, NewOperationParser (ElementwiseOperationParser: FLOOR, NEG)"),
    _Row(G.NO_PARSER, "ROUND", None,
         "Compute floor(x + 0.5) (ADD, FLOOR); ROUND rounds halves to even, so results differ "
         "at exact .5.", f"{GPU_MB}, NewOperationParser (ElementwiseOperationParser)"),
    _Row(G.NO_PARSER, "SQUEEZE|EXPAND_DIMS", None,
         "Use RESHAPE with a constant shape instead.", f"{GPU_MB}, ReshapeOperationParser"),
    _Row(G.NO_PARSER, "L2_NORMALIZATION", None,
         "Compute x * rsqrt(sum(x * x, axis, keepdims=True) + eps) (MUL, SUM, ADD, RSQRT).",
         f"{GPU_MB}, ElementwiseOperationParser, ReduceOperationParser"),
    _Row(G.NO_PARSER, "LOG_SOFTMAX", None,
         "Compute log(softmax(x)) (SOFTMAX, LOG), or x - log(sum(exp(x))) for better range.",
         f"{GPU_MB}, SoftmaxOperationParser, ElementwiseOperationParser"),
    _Row(G.NO_PARSER, "UNIDIRECTIONAL_SEQUENCE_LSTM|BIDIRECTIONAL_SEQUENCE_LSTM|RNN|"
         "UNIDIRECTIONAL_SEQUENCE_RNN|SVDF|WHILE", None,
         f"The GPU delegate has no sequence kernels: {UNROLL}, which gives FULLY_CONNECTED and "
         "elementwise ops.", f"{GPU_MB}, NewOperationParser"),
    _Row(G.NO_PARSER, "SPACE_TO_BATCH_ND|BATCH_TO_SPACE_ND", None,
         "These usually wrap a dilated convolution: use a CONV_2D / DEPTHWISE_CONV_2D with "
         "dilation factors (`dilation_rate` in Keras) at a fixed input shape.",
         f"{GPU_MB}, Conv2DOperationParser"),
    _Row(G.NO_PARSER, "FILL", None, f"Make it a constant: {FIXED_SHAPES}.",
         f"{GPU_MB}, NewOperationParser"),
    _Row(G.NO_PARSER, "VAR_HANDLE|READ_VARIABLE|ASSIGN_VARIABLE|CALL_ONCE", None,
         f"Resource variables do not run on the GPU: {UNROLL}.", f"{GPU_MB}, NewOperationParser"),
    _Row(G.LOGICAL_OP_CONSUMER, "CAST", None,
         "A bool input of CAST must come from a comparison whose only consumer is this CAST: "
         "compute the bool in the model from a comparison, or pass a float 0/1 tensor "
         "instead of a bool input.", f"{GPU_MB}, CastOperationParser::IsSupported"),
    _Row(G.OPERAND_COUNT, "ADD_N", None,
         "Sum the inputs with a chain of ADD (the GPU parser takes 2 inputs).", GPU_COMPAT),
    _Row(G.OPERAND_COUNT, "RESHAPE", r"runtime input",
         f"The new shape must be constant: {FIXED_SHAPES}.", GPU_COMPAT),
    _Row(G.OPTIONS, "MIRROR_PAD", r"Reflective",
         "Use `mode='REFLECT'` (SYMMETRIC is not supported).", GPU_COMPAT),
    _Row(G.OPTIONS, "STRIDED_SLICE", r"shrink_axis",
         "Slice without `shrink_axis_mask` (keep the axis of size 1) and RESHAPE afterwards.",
         GPU_COMPAT),
    _Row(G.SHAPE, "SLICE|STRIDED_SLICE|PAD|MIRROR_PAD|PADV2", r"3 or 4|4x2 or 3x2",
         "Reshape the tensor to rank 3 or 4 around this op.", GPU_COMPAT),
    _Row(G.SHAPE, "GATHER", r"1D indices",
         "Use 1-D indices (flatten them, RESHAPE the result).", GPU_COMPAT),
    _Row(G.SHAPE, "SELECT|SELECT_V2", None,
         "Give condition, x and y the output's shape (or make x/y constant scalars), with a "
         "float or bool condition.", GPU_COMPAT),
    _Row(G.TENSOR_TYPE, "CAST", r"Cast case",
         "The GPU casts only bool <-> float and float32/int32 <-> float32/int32: do other "
         "casts (int8, int16, uint8, int64) on the CPU side or remove them.",
         f"{GPU_COMPAT}, case kTfLiteBuiltinCast"),
    _Row(G.TENSOR_TYPE, "DEQUANTIZE", r"dequantization type",
         "Dequantize only int8, uint8 or fp16 tensors: use fp16 or int8 weights, not int16.",
         f"{GPU_COMPAT}, case kTfLiteBuiltinDequantize"),
    _Row(G.GRAPH_BUILD_FAILS, None, r"bad input dims size: 0",
         "A scalar (rank-0) tensor cannot be a GPU tensor: reshape scalars to shape [1] and "
         "keep outputs at rank >= 1 (e.g. `keepdims=True`).",
         "tflite/delegates/gpu/common/model_builder_helper.cc, ExtractTensorShape"),
    _Row(G.GRAPH_BUILD_FAILS, None, r"identical inputs",
         "Do not feed the same tensor twice to one elementwise op (e.g. x - x, x * x: use "
         "SQUARE or a constant).", f"{GPU_MB}, ElementwiseOperationParser::Parse"),
    _Row(G.GRAPH_BUILD_FAILS, None, r"Unsupported data type|not quantized",
         "Blockwise or int4 weights are not read by the GPU delegate: use float32, fp16 or "
         "per-tensor int8 weights.",
         "tflite/delegates/gpu/common/model_builder_helper.cc, CreateVectorCopyData"),
    _Row(G.GRAPH_BUILD_FAILS, None, r"variable input",
         f"Variable (stateful) tensors: {UNROLL}.", f"{GPU_MB}, CopyVariableTensorOutputs"),
    _Row(G.CRASH, None, r"LSTM",
         f"Avoid the LSTM op on the GPU: {UNROLL}.",
         "tflite/delegates/gpu/common/transformations/fuse_add_to_conv.cc, "
         "MergeAddWithConvolution"),
)

_SPECIFIC: tuple[_Row, ...] = _VERSION_ROWS + _NNAPI_OP_ROWS + _NNAPI_ROWS + _GPU_ROWS
"""Specific remedies, scanned in order: the first row whose code, op and message match wins."""

_GENERIC: dict[str, Remedy] = {
    "kUnsupportedOperator": Remedy(
        "NNAPI has no mapping for this op: rewrite it with ops the delegate takes (see "
        "reports/supported_ops.md), or move it to pre-/post-processing in the app.", NN),
    "kUnsupportedAndroidVersion": Remedy(
        "The op (or this form of it) needs a newer Android API level than the target: raise the "
        "device level the app requires, or replace the op with ones available at this level.",
        f"{NN} (ExpectMinAndroidSdkVersion)"),
    "kUnsupportedOperatorVersion": Remedy(
        "The converter gave the op a version the delegate does not take; versions grow with "
        f"quantized, int16, hybrid or higher-rank forms: convert to float32 or {INT8} and keep "
        "ranks <= 4.", f"{OPV}; {NN} (ExpectMaxOpVersion, ExpectOpVersion)"),
    "kUnsupportedInputType": Remedy(
        f"Give the op an input type it takes at this level (the message lists them): float32 or "
        f"{INT8}; not 16x8 (int16), and no int32/int64 activations where they are refused.",
        f"{NN}; {PTQ}"),
    "kNotRestrictedScaleCompliant": Remedy(
        "NNAPI 1.0/1.1 (API 27-28) need input_scale * filter_scale < output_scale: target API "
        "29+, use float32, or requantize (a representative dataset that widens the output range).",
        f"{NN} (ExpectIsRestrictedScalesCompliant)"),
    "kUnsupportedOutputType": Remedy(
        f"Give the op an output type it takes (the message lists them): float32 or {INT8}, "
        "int32 indices, no scalar outputs.", NN),
    "kUnsupportedOperandSize": Remedy(
        "Reduce the operand: e.g. a pooling window of at most 16x16 (split a large average "
        "pool into smaller ones) or use float32.", f"{NN}, case kTfLiteBuiltinAveragePool2d"),
    "kUnsupportedOperandValue": Remedy(
        "Change the parameter the message names (axis, crops, padding mode, "
        "align_corners/half_pixel_centers, dilation) to a value NNAPI takes, or target a "
        "newer API level.", NN),
    "kUnsupportedHybridOperator": Remedy(
        f"Hybrid ops come from {DYNAMIC}: convert to float32 or {INT8}.",
        f"{NN} (IsHybridOperator); {PTQ}"),
    "kUnsupportedQuantizationType": Remedy(
        "Per-channel quantized weights need NNAPI 1.2 (API 29): target API 29+, or use "
        "per-tensor quantization (`converter._experimental_disable_per_channel = True`).",
        f"{NN}, case kTfLiteBuiltinConv2d"),
    "kMissingRequiredOperand": Remedy(
        "Supply the operand NNAPI requires (e.g. a zero bias: `use_bias=True`).",
        f"{NN}, case kTfLiteBuiltinConv2d"),
    "kUnsupportedOperandRank": Remedy(
        "Reshape to rank <= 4 around the op (merge leading dimensions into the batch), and use "
        "rank >= 1 indices.", NN),
    "kInputTensorShouldHaveConstantShape": Remedy(
        f"The tensor must be constant with a static shape: {FIXED_SHAPES}.", NN),
    "kUnsupportedOperatorVariant": Remedy(
        "Use the form of the op NNAPI maps (the number of inputs the message names: e.g. PAD "
        "without a constant value before API 29, a full LSTM with 20 or 24 inputs).", NN),
    "kNoActivationExpected": Remedy(
        "Keep the activation as its own op after this one (NNAPI takes no fused activation "
        "here, e.g. int32 ADD/MUL/SUB, CONCATENATION, L2_NORMALIZATION).", NN),
    "kUnsupportedQuantizationParameters": Remedy(
        "Requantize with valid parameters (scale > 0; for the basic LSTM the fixed scales it "
        "needs) using a representative dataset, or use float32.", f"{NN}; {PTQ}"),
    R.INTERPRETER_BUILD_FAILS: Remedy(
        "The file's quantization parameters are invalid, so TFLite cannot load it at all: "
        "re-export the model with a current converter (or fix the tensor the message names).",
        "tflite/core/interpreter_builder.cc, InterpreterBuilder::ParseQuantization"),
    R.DYNAMIC_TENSORS: Remedy(
        "Remove string, resource and variant tensors from the model: do string handling "
        f"(tokenizing, lookups) in the app, and for stateful layers {UNROLL}.",
        "opcompat/tflite/refusals.py, dynamic_refusal; the delegates' static-size check"),
    R.NNAPI_MODEL_BUILD_FAILS: Remedy(
        "A tensor of the partition cannot become an NNAPI operand (the message names it): "
        f"change its type (e.g. int64 -> int32, or {INT8} instead of 16x8).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::BuildGraph"),
    R.PARTITION_DROPPED: Remedy(
        "Too many partitions: make the ops that split the graph delegable (see their reasons), "
        "or raise the cap (NNAPI: `StatefulNnApiDelegate::Options::"
        "max_number_delegated_partitions`, 0 for no limit; GPU: "
        "`TfLiteGpuDelegateOptionsV2::max_delegated_partitions`).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, LimitDelegatedPartitions; "
        f"{GPU_DELEGATE}, DelegatePrepare"),
    R.DELEGATION_REFUSED: Remedy(
        "The whole model is refused: fix the refusal shown for the model first.",
        "the model's refusal (opcompat/reasons.py)"),
    R.SUBGRAPH_NOT_DELEGATED: Remedy(
        "The interpreter never applied the delegate to this subgraph: it skips validation "
        "subgraphs (`VALIDATION:` names) and stops at the first subgraph whose delegation "
        "fails; fix that earlier subgraph's refusal, and keep ops meant for the delegate "
        "out of validation subgraphs.",
        "tflite/core/interpreter.cc, Interpreter::ModifyGraphWithDelegateImpl"),
    R.SILENT_REFUSAL: Remedy(
        "Validate refuses this form without a message (e.g. DENSIFY outside the fp16/sparse "
        "weight pattern): densify the weights at conversion (no sparsity optimization).",
        f"{NN}, case kTfLiteBuiltinDensify"),
    R.RULE_ERROR: Remedy(
        "The operator is malformed (missing tensors or options): re-export the model with a "
        "current converter.", "opcompat/targets/nnapi/rules/engine.py"),
    R.FP16_WEIGHTS_HAZARD: Remedy(
        "Avoid constant fp16 weights on NNAPI: convert without "
        "`target_spec.supported_types = [tf.float16]` (float32 or int8 weights).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIOpBuilder::AddTensor"),
    R.FP16_REWIRED_ON_CPU: Remedy(
        "Make this node delegable too, or convert without fp16 weights so no node is rewired.",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    R.FP16_WEIGHTS_REVALIDATED: Remedy(
        "No change needed; for predictable delegation on NNAPI convert without fp16 weights "
        "(float32 or int8).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    R.FP16_DELEGATED_WITH_WEIGHTS: Remedy(
        "No change needed: it is delegated through the fp16 weight remapping.",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    R.SPEC_CONFIGURATION: Remedy(
        f"Drivers may reject this type combination at compile time: use float32 or {INT8} "
        "(int8 input, int8 filter, int32 bias).",
        "NNAPI NeuralNetworks.h operation specifications"),
    R.SPEC_NOT_IN_FEATURE_LEVEL: Remedy(
        "The operation is newer than the device's NNAPI feature level: target a newer "
        "level or replace the op.", "NNAPI NeuralNetworks.h (Available since ...)"),
    R.SPEC_OPERAND_TYPE: Remedy(
        f"Use an operand type the spec allows for this operation (usually float32 or {INT8}).",
        "NNAPI NeuralNetworks.h operation specifications"),
    R.SPEC_RANK: Remedy(
        "Reshape to rank <= 4 around the op: the spec allows no more.",
        "NNAPI NeuralNetworks.h operation specifications"),
    G.NO_PARSER: Remedy(
        "The GPU delegate has no parser for this op: rewrite it with ops it parses, or move it "
        "to pre-/post-processing on the CPU.", f"{GPU_MB}, NewOperationParser"),
    G.OP_VERSION: Remedy(
        "The op's version is above the GPU parser's maximum; higher versions come from "
        "quantized (int8/int16/int4), bool or rank > 4 forms: convert to float32 (fp16 "
        "weights are fine) and keep ranks <= 4.", f"{OPV}; {GPU_MB}, CheckMaxSupportedOpVersion"),
    G.OPERAND_COUNT: Remedy(
        "Make the extra inputs constants (fixed shapes, constant parameters) or split the op "
        "into two-input ops.", GPU_COMPAT),
    G.OPTIONS: Remedy(
        "Change the option the message names (activation, stride, axis, mode) to one the GPU "
        "delegate takes.", GPU_COMPAT),
    G.SHAPE: Remedy(
        "Reshape to the ranks and shapes the message names (3-D or 4-D tensors, no implicit "
        "broadcast): insert RESHAPE around the op.", GPU_COMPAT),
    G.TENSOR_TYPE: Remedy(
        "Use float32/float16 tensors (int8/uint8 only with quantized ops allowed) of rank <= 4: "
        "reshape rank-5 tensors to rank <= 4, convert 16x8 models as float or int8, CAST int32 "
        "to float; with `--gpu-no-quant`, set TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT in "
        "`experimental_flags` or use a float model.",
        "tflite/delegates/gpu/common/model_builder.cc, IsAllAllowedTensors"),
    G.LOGICAL_OP_CONSUMER: Remedy(
        "Feed the comparison into exactly one CAST to float, or a SELECT/SELECT_V2 with a float "
        "output (e.g. `tf.cast(a > b, tf.float32)`), rather than returning or reusing the bool.",
        f"{GPU_MB}, ElementwiseOperationParser::IsSupported"),
    G.QUANT_OPS_OFF: Remedy(
        "Allow quantized ops (keep TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT in "
        "`TfLiteGpuDelegateOptionsV2::experimental_flags`), or use a float model.",
        f"{GPU_MB}, QuantizeOperationParser, DequantizeOperationParser"),
    G.CUSTOM_OP: Remedy(
        "Rewrite the custom op with builtin ops, move it to pre-/post-processing, or build the "
        "delegate with a parser for it.",
        "tflite/delegates/gpu/common/default/custom_parsers.cc, NewCustomOperationParser"),
    G.EXCLUDED_WITHOUT_OPENCL: Remedy(
        "Without OpenCL (the OpenGL backend) SPLIT/SPLIT_V stay on the CPU: replace them with "
        "SLICE or STRIDED_SLICE ops, or run on a device with OpenCL.",
        f"{GPU_DELEGATE}, DelegatePrepare (excluded_ops)"),
    G.CONST_FP16_DEQUANTIZE: Remedy(
        "Keep the whole subgraph delegable so the DEQUANTIZE is taken along, or convert without "
        "fp16 weights (`target_spec.supported_types` left empty).",
        "tflite/delegates/utils.cc, FP16GraphPartitionHelper"),
    G.GRAPH_BUILD_FAILS: Remedy(
        "The GPU graph of a partition cannot be built (the message names the op and check): "
        "change that op (shapes, constants, weight types) or move it out of the GPU part.",
        f"{GPU_MB}, BuildFinalModel"),
    G.CRASH: Remedy(
        "The delegate aborts on this graph: change or remove the op the message names before "
        "shipping with the GPU delegate.", "tflite/delegates/gpu/common/transformations"),
}
"""The fallback remedy of each code."""

UNKNOWN = Remedy("No remedy is known for this code.", "opcompat/remedies.py")


def _matches(row: _Row, code: str, op: str, message: str) -> bool:
    """Whether `row` applies to this (code, op, message)."""
    if not re.fullmatch(row.code, code):
        return False
    if row.op is not None and not re.fullmatch(row.op, op):
        return False
    return row.pattern is None or re.search(row.pattern, message, re.IGNORECASE) is not None


def remedy_for(code: str, op: str, message: str, target: str = "nnapi") -> Remedy:
    """The remedy of one reason: the first matching specific row, else the code's generic
    remedy (`UNKNOWN` for a code without one). `target` picks between targets' variants of
    a remedy where the code is shared."""
    for row in _SPECIFIC:
        if _matches(row, code, op, message):
            return Remedy(row.text, row.source)
    return generic_remedy(code, target)


def generic_remedy(code: str, target: str = "") -> Remedy:
    """The fallback remedy of `code` (for `target`'s delegate where that matters; `""`: the
    target-neutral text), `UNKNOWN` for a code without one."""
    if code == R.PARTITION_DROPPED and target:
        return _partition_remedy(target)
    return _GENERIC.get(code, UNKNOWN)


def _partition_remedy(target: str) -> Remedy:
    """The partition-cap remedy, with the option of `target`'s delegate."""
    if target == "gpu":
        return Remedy(
            "Make the ops that split the graph GPU-delegable (see their reasons) so fewer, larger "
            "partitions remain, or raise `TfLiteGpuDelegateOptionsV2::max_delegated_partitions` "
            "(default 1).", f"{GPU_DELEGATE}, DelegatePrepare (max_delegated_partitions)")
    if target == "nnapi":
        return Remedy(
            "Make the ops that split the graph NNAPI-delegable (see their reasons) so fewer "
            "partitions remain, or raise `StatefulNnApiDelegate::Options::"
            "max_number_delegated_partitions` (default 3; 0 or less: no limit).",
            "tflite/delegates/nnapi/nnapi_delegate.cc, LimitDelegatedPartitions")
    return _GENERIC[R.PARTITION_DROPPED]


def specific_count() -> int:
    """How many specific (op- or message-dependent) remedies the table has."""
    return len(_SPECIFIC)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def remedy_table_markdown() -> str:
    """The specific remedies as a Markdown table, in the order they are tried."""
    lines = ["| code | op | message matches | remedy | source |", "|---|---|---|---|---|"]
    for row in _SPECIFIC:
        op = f"`{_cell(row.op)}`" if row.op else "any"
        pattern = f"`{_cell(row.pattern)}`" if row.pattern else "any"
        lines.append(f"| `{_cell(row.code)}` | {op} | {pattern} | {_cell(row.text)} | "
                     f"{_cell(row.source)} |")
    return "\n".join(lines) + "\n"
