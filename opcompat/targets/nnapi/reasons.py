"""The NNAPI target's own reason codes (registered in `opcompat.reasons`): the delegate's
failure types (`NNAPIValidationFailureType` of `tflite/delegates/nnapi/nnapi_delegate_kernel.h`,
in its order), and opcompat's codes for what only the NNAPI delegate does: its model build, its
fp16 weight remapping (`GetSupportedOpsWithFp16WeightRemapping` in `nnapi_delegate.cc`) and the
NNAPI specification cross-check. Standard library only (imported by `opcompat.reasons`).
"""

from __future__ import annotations

FAILURE_TYPES_ENUM = "NNAPIValidationFailureType"
FAILURE_TYPES_SOURCE = "tflite/delegates/nnapi/nnapi_delegate_kernel.h"

# The delegate's failure types, in the order of enum class NNAPIValidationFailureType.
FAILURE_TYPES: tuple[tuple[str, str], ...] = (
    ("kUnsupportedOperator", "The operator is not supported by NNAPI or by the NNAPI delegate."),
    ("kUnsupportedAndroidVersion", "The operation or its operands need a newer Android API level."),
    ("kUnsupportedOperatorVersion", "This version of the operator is not supported by the "
     "delegate."),
    ("kUnsupportedInputType", "An input operand type is not supported for this op at this level."),
    ("kNotRestrictedScaleCompliant", "NNAPI 1.0/1.1 need input_scale * filter_scale < "
     "output_scale."),
    ("kUnsupportedOutputType", "An output operand type is not supported for this op at this "
     "level."),
    ("kUnsupportedOperandSize", "An operand tensor is too large."),
    ("kUnsupportedOperandValue", "An operand value (or combination of values) is not supported."),
    ("kUnsupportedHybridOperator", "Float inputs with quantized weights are not supported."),
    ("kUnsupportedQuantizationType", "The quantization type (e.g. per-channel) is not supported."),
    ("kMissingRequiredOperand", "NNAPI needs an operand that the model does not specify."),
    ("kUnsupportedOperandRank", "The rank of an operand is not supported."),
    ("kInputTensorShouldHaveConstantShape", "An input tensor must have a constant shape."),
    ("kUnsupportedOperatorVariant", "The operator's number of inputs is not supported by NNAPI."),
    ("kNoActivationExpected", "The NNAPI operation cannot have a fused activation."),
    ("kUnsupportedQuantizationParameters", "The quantization scale or zero point is not "
     "supported."),
)

NNAPI_MODEL_BUILD_FAILS = "opcompatNnapiModelBuildFails"
SILENT_REFUSAL = "opcompatRefusedWithoutReason"
FP16_WEIGHTS_HAZARD = "opcompatFp16WeightsConversionHazard"
FP16_REWIRED_ON_CPU = "opcompatFp16RewiredNodeOnCpu"
FP16_WEIGHTS_REVALIDATED = "opcompatFp16WeightsRevalidated"
FP16_DELEGATED_WITH_WEIGHTS = "opcompatFp16Remapped"
"""Delegated although Validate refuses it as it stands."""
SPEC_CONFIGURATION = "opcompatSpecConfiguration"
SPEC_NOT_IN_FEATURE_LEVEL = "opcompatSpecNotInFeatureLevel"
SPEC_OPERAND_TYPE = "opcompatSpecOperandType"
SPEC_RANK = "opcompatSpecRank"
SPEC_CODES = frozenset({SPEC_CONFIGURATION, SPEC_NOT_IN_FEATURE_LEVEL, SPEC_OPERAND_TYPE,
                        SPEC_RANK})
"""The NNAPI specification cross-check's findings (`rules.spec_check`): what `--fail-on spec`
fails on."""

CODES: tuple[tuple[str, str, str], ...] = (
    (NNAPI_MODEL_BUILD_FAILS, "refusal", "The NNAPI model of a partition cannot be built: "
     "the delegate fails (kTfLiteDelegateError) and the interpreter restores the original "
     "graph."),
    (SILENT_REFUSAL, "reason", "Validate returned false without recording a failure."),
    (FP16_WEIGHTS_HAZARD, "warning", "Constant fp16 weights are converted while the NNAPI "
     "model is built; the delegate keeps a TfLiteTensor pointer across "
     "context->AddTensors (a dangling pointer when the tensor vector grows)."),
    (FP16_REWIRED_ON_CPU, "warning", "The fp16 remapping rewired this node to fp16 weights, "
     "but it stays on the CPU, whose kernel may not accept fp16 weights."),
    (FP16_WEIGHTS_REVALIDATED, "warning", "The model has constant fp16 weights behind "
     "DEQUANTIZE nodes: the delegate re-validates their consumers with the weights remapped "
     "(GetSupportedOpsWithFp16WeightRemapping), which changes which nodes it delegates."),
    (FP16_DELEGATED_WITH_WEIGHTS, "warning", "Validate refuses it as it stands, but it is "
     "delegated through the fp16 weight remapping (GetSupportedOpsWithFp16WeightRemapping)."),
    (SPEC_CONFIGURATION, "warning", "The NNAPI operand types of input, filter, bias and "
     "output form no combination the NNAPI specification allows at the device's feature "
     "level."),
    (SPEC_NOT_IN_FEATURE_LEVEL, "warning", "The NNAPI operation the delegate builds is not in "
     "the NNAPI specification of the device's feature level."),
    (SPEC_OPERAND_TYPE, "warning", "The NNAPI operand type the delegate gives a tensor is not "
     "one the NNAPI specification allows for that operation at the device's feature level."),
    (SPEC_RANK, "warning", "A data input's rank is outside the ranks the NNAPI specification "
     "allows for that operation."),
)
