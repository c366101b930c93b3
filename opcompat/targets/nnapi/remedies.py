"""The NNAPI target's remedies (registered by `opcompat.remedies`): specific rows, the generic
remedy of each of its codes, and the partition-cap remedy. Each names its source."""

from __future__ import annotations

from opcompat import reasons as R
from opcompat.remedies import DYNAMIC, FIXED_SHAPES, INT8, OPV, PTQ, UNROLL, X16, Remedy
from opcompat.remedies import Row as _Row
from opcompat.targets.nnapi import reasons as NR

NN = "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate"
OP_VERSION_CODE = "kUnsupportedOperatorVersion"
"""Its op-version code, for the converter's shared op-version rows."""

VERSION_ROWS: tuple[_Row, ...] = (
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
    _Row("kUnsupportedOperatorVersion",
         "EXP|LOG|SQRT|REDUCE_PROD|SUM|LOG_SOFTMAX|LEAKY_RELU|TILE|FILL|CAST|BATCH_MATMUL",
         None, "NNAPI takes only the first version(s) of this op; the higher ones come from "
               "quantized (int8/int16) or bool/string/fp16 tensors: keep this op in float32 "
               "(e.g. selective quantization with `tf.lite.experimental.QuantizationDebugger` "
               "and `denylisted_ops`, or a float model).",
         f"{OPV}; {NN} (ExpectOpVersion)"),
)

ROWS: tuple[_Row, ...] = (
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
    _Row(NR.NNAPI_MODEL_BUILD_FAILS, None, r"INT64",
         f"An int64 tensor (the bias of 16x8 convolutions, or int64 indices) cannot be an NNAPI "
         f"operand: use {INT8} instead of 16x8, and int32 indices.",
         "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIOpBuilder::AddTensor; " + PTQ),
    _Row(NR.NNAPI_MODEL_BUILD_FAILS, None, r"no input data",
         "The partition computes from constants only: fold it at conversion (constant folding) "
         "or keep a runtime input in it.",
         "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::BuildGraph"),
    _Row(f"{NR.SPEC_OPERAND_TYPE}|{NR.SPEC_CONFIGURATION}", None, r"QUANT16",
         f"int16 tensors become TENSOR_QUANT16_SYMM operands the spec does not allow here: "
         f"use {INT8} instead of 16x8.", "NNAPI NeuralNetworks.h operation specifications"),
    _Row(NR.SPEC_OPERAND_TYPE, "FULLY_CONNECTED", r"PER_CHANNEL",
         "NNAPI's FULLY_CONNECTED has no per-channel weights: convert with "
         "`converter._experimental_disable_per_channel_quantization_for_dense_layers = True`.",
         "NNAPI NeuralNetworks.h, ANEURALNETWORKS_FULLY_CONNECTED; TFLiteConverter option"),
    _Row(NR.SPEC_OPERAND_TYPE, None, r"TENSOR_INT32",
         "Keep int32 tensors away from this op (CAST to float32 first, or float indices math).",
         "NNAPI NeuralNetworks.h operation specifications"),
)

GENERIC: dict[str, Remedy] = {
    NR.SILENT_REFUSAL: Remedy(
        "Validate refuses this form without a message (e.g. DENSIFY outside the fp16/sparse "
        "weight pattern): densify the weights at conversion (no sparsity optimization).",
        f"{NN}, case kTfLiteBuiltinDensify"),
    R.RULE_ERROR: Remedy(
        "The operator is malformed (missing tensors or options): re-export the model with a "
        "current converter.", "opcompat/targets/nnapi/rules/engine.py"),
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
    NR.NNAPI_MODEL_BUILD_FAILS: Remedy(
        "A tensor of the partition cannot become an NNAPI operand (the message names it): "
        f"change its type (e.g. int64 -> int32, or {INT8} instead of 16x8).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::BuildGraph"),
    NR.FP16_WEIGHTS_HAZARD: Remedy(
        "Avoid constant fp16 weights on NNAPI: convert without "
        "`target_spec.supported_types = [tf.float16]` (float32 or int8 weights).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIOpBuilder::AddTensor"),
    NR.FP16_REWIRED_ON_CPU: Remedy(
        "Make this node delegable too, or convert without fp16 weights so no node is rewired.",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    NR.FP16_WEIGHTS_REVALIDATED: Remedy(
        "No change needed; for predictable delegation on NNAPI convert without fp16 weights "
        "(float32 or int8).",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    NR.FP16_DELEGATED_WITH_WEIGHTS: Remedy(
        "No change needed: it is delegated through the fp16 weight remapping.",
        "tflite/delegates/nnapi/nnapi_delegate.cc, GetSupportedOpsWithFp16WeightRemapping"),
    NR.SPEC_CONFIGURATION: Remedy(
        f"Drivers may reject this type combination at compile time: use float32 or {INT8} "
        "(int8 input, int8 filter, int32 bias).",
        "NNAPI NeuralNetworks.h operation specifications"),
    NR.SPEC_NOT_IN_FEATURE_LEVEL: Remedy(
        "The operation is newer than the device's NNAPI feature level: target a newer "
        "level or replace the op.", "NNAPI NeuralNetworks.h (Available since ...)"),
    NR.SPEC_OPERAND_TYPE: Remedy(
        f"Use an operand type the spec allows for this operation (usually float32 or {INT8}).",
        "NNAPI NeuralNetworks.h operation specifications"),
    NR.SPEC_RANK: Remedy(
        "Reshape to rank <= 4 around the op: the spec allows no more.",
        "NNAPI NeuralNetworks.h operation specifications"),
}

PARTITION_DROPPED = Remedy(
    "Make the ops that split the graph NNAPI-delegable (see their reasons) so fewer "
    "partitions remain, or raise `StatefulNnApiDelegate::Options::"
    "max_number_delegated_partitions` (default 3; 0 or less: no limit).",
    "tflite/delegates/nnapi/nnapi_delegate.cc, LimitDelegatedPartitions")
