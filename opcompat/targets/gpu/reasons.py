"""The GPU target's own reason codes (registered in `opcompat.reasons`).

The GPU delegate has no failure-type enum: its reasons carry the delegate's own text as the
message and one of these codes for its kind. Standard library only (imported by
`opcompat.reasons`).
"""

from __future__ import annotations

NO_PARSER = "opcompatGpuNoParser"
OP_VERSION = "opcompatGpuOpVersion"
OPERAND_COUNT = "opcompatGpuOperandCount"
OPTIONS = "opcompatGpuOptions"
SHAPE = "opcompatGpuShape"
TENSOR_TYPE = "opcompatGpuTensorType"
LOGICAL_OP_CONSUMER = "opcompatGpuLogicalOpConsumer"
QUANT_OPS_OFF = "opcompatGpuQuantOpsOff"
CUSTOM_OP = "opcompatGpuCustomOp"
EXCLUDED_WITHOUT_OPENCL = "opcompatGpuExcludedWithoutOpenCL"
CONST_FP16_DEQUANTIZE = "opcompatGpuConstFp16Dequantize"
GRAPH_BUILD_FAILS = "opcompatGpuGraphBuildFails"
CRASH = "opcompatGpuCrash"

CODES: tuple[tuple[str, str, str], ...] = (
    (NO_PARSER, "reason", "The GPU delegate has no parser for this op (NewOperationParser "
     "returns UnsupportedOperationParser), whatever gpu_compatibility.cc says of it."),
    (OP_VERSION, "reason", "The op's version is above what the GPU delegate's parser or "
     "compatibility check accepts."),
    (OPERAND_COUNT, "reason", "The GPU delegate does not accept this number of inputs, outputs "
     "or runtime (non-constant) inputs for the op."),
    (OPTIONS, "reason", "An option of the op (activation, stride, axis, a constant parameter) "
     "is not supported by the GPU delegate."),
    (SHAPE, "reason", "A tensor's shape, a broadcast or a dimension is not supported by the "
     "GPU delegate for this op."),
    (TENSOR_TYPE, "reason", "A tensor's type or rank is not supported by the GPU delegate: the "
     "node-support check refuses rank 5 and more on any tensor, and types other than float32 "
     "and float16 (int8 and uint8 with quantized ops allowed, plus per-op extras) on "
     "activations."),
    (LOGICAL_OP_CONSUMER, "reason", "A comparison op is delegated only when its one consumer "
     "is a CAST, SELECT or SELECT_V2 with a float output, and a bool input only when it comes "
     "from such an op."),
    (QUANT_OPS_OFF, "reason", "QUANTIZE and DEQUANTIZE have a GPU parser only when quantized "
     "ops are allowed (TFLITE_GPU_EXPERIMENTAL_FLAGS_ENABLE_QUANT, on by default)."),
    (CUSTOM_OP, "reason", "A custom op without a parser in this GPU delegate build (the "
     "open-source build parses Convolution2DTransposeBias, MaxPoolingWithArgmax2D, "
     "MaxUnpooling2D and Resampler)."),
    (EXCLUDED_WITHOUT_OPENCL, "reason", "On a device without OpenCL the delegate excludes SPLIT "
     "and SPLIT_V (DelegatePrepare)."),
    (CONST_FP16_DEQUANTIZE, "reason", "A DEQUANTIZE of constant fp16 weights: the fp16 "
     "partition helper never accepts it as a node (the delegate gives no text); it is taken "
     "along only when every other node of the subgraph is delegated."),
    (GRAPH_BUILD_FAILS, "refusal", "The GPU graph of a delegated partition cannot be built "
     "(BuildFinalModel fails in the kernel's Init): the delegate fails and nothing runs on "
     "the GPU."),
    (CRASH, "refusal", "The GPU delegate's graph build aborts the process (an uncaught "
     "exception): the app crashes instead of falling back to the CPU."),
)
"""(code, kind, description), as `opcompat.reasons.Code` takes them."""
