"""The GPU target's remedies (registered by `opcompat.remedies`): specific rows, the generic
remedy of each of its codes, and the partition-cap remedy. Each names its source."""

from __future__ import annotations

from opcompat.remedies import DYNAMIC, FIXED_SHAPES, OPV, UNROLL, Remedy
from opcompat.remedies import Row as _Row
from opcompat.targets.gpu import reasons as G

GPU_MB = "tflite/delegates/gpu/common/model_builder.cc"
GPU_COMPAT = "tflite/tools/versioning/gpu_compatibility.cc, CheckGpuDelegateCompatibility"
GPU_DELEGATE = "tflite/delegates/gpu/delegate.cc"
OP_VERSION_CODE = G.OP_VERSION
"""Its op-version code, for the converter's shared op-version rows."""

VERSION_ROWS: tuple[_Row, ...] = (
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

ROWS: tuple[_Row, ...] = (
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

GENERIC: dict[str, Remedy] = {
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

PARTITION_DROPPED = Remedy(
    "Make the ops that split the graph GPU-delegable (see their reasons) so fewer, larger "
    "partitions remain, or raise `TfLiteGpuDelegateOptionsV2::max_delegated_partitions` "
    "(default 1).", f"{GPU_DELEGATE}, DelegatePrepare (max_delegated_partitions)")
