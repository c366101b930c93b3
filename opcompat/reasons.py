"""Every reason code opcompat can emit, defined once: what it means and its SARIF help.

Two families: the delegate's own failure types (`NNAPIValidationFailureType` of
`tflite/delegates/nnapi/nnapi_delegate_kernel.h`, in its order), and opcompat's `opcompat*`
codes (model-wide refusals, why a supported operator is not delegated, warnings). The report
schema's code enums and `reports/reason_codes.md` are generated from this registry:

    python -m opcompat.reason_docs --write     # after adding a code
    python -m opcompat.reason_docs --check     # exit 1 when a generated file is stale

Targets' own codes come from their packages' `reasons` modules (standard library only).
Imports only `opcompat.report` and those: importing this module must stay cheap.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import NamedTuple

from opcompat.report import Reason


class Code(NamedTuple):
    """One reason code."""

    name: str
    kind: str
    """delegate (the delegate's own failure type), refusal (the whole model is refused),
    reason (opcompat's own: why an operator is on the CPU), or warning (a finding that changes
    no verdict)."""
    description: str
    """What it means, in one or two sentences (the schema, the docs)."""
    help: str = ""
    """SARIF's rule help; empty: SARIF shows an example message of the rule instead."""


DELEGATE_HEADER = "tflite/delegates/nnapi/nnapi_delegate_kernel.h"

# The delegate's failure types, in the order of enum class NNAPIValidationFailureType.
_DELEGATE = (
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

# Model-wide refusals (Refusal.code).
INTERPRETER_BUILD_FAILS = "opcompatInterpreterBuildFails"
DYNAMIC_TENSORS = "opcompatDynamicTensors"
NNAPI_MODEL_BUILD_FAILS = "opcompatNnapiModelBuildFails"
# Why a supported operator is not delegated (OperatorResult.reasons).
PARTITION_DROPPED = "opcompatPartitionDropped"
DELEGATION_REFUSED = "opcompatDelegationRefused"
SUBGRAPH_NOT_DELEGATED = "opcompatSubgraphNotDelegated"
SILENT_REFUSAL = "opcompatRefusedWithoutReason"
RULE_ERROR = "opcompatRuleError"
# Hazards and findings (warnings).
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
"""The NNAPI specification cross-check's findings (`opcompat.targets.nnapi.rules.spec_check`):
what `--fail-on spec` fails on."""

_OPCOMPAT = (
    Code(INTERPRETER_BUILD_FAILS, "refusal", "TFLite's InterpreterBuilder refuses the model "
         "(e.g. invalid quantization parameters): it does not run at all, on NNAPI or on the "
         "CPU."),
    Code(DYNAMIC_TENSORS, "refusal", "A subgraph has tensors that are dynamic before any kernel "
         "runs (string, resource or variant): ModifyGraphWithDelegate returns "
         "kTfLiteApplicationError."),
    Code(NNAPI_MODEL_BUILD_FAILS, "refusal", "The NNAPI model of a partition cannot be built: "
         "the delegate fails (kTfLiteDelegateError) and the interpreter restores the original "
         "graph."),
    Code(PARTITION_DROPPED, "reason", "Supported, but its partition was dropped by the "
         "delegate's partition cap."),
    Code(DELEGATION_REFUSED, "reason", "Supported, but the delegate delegated nothing in "
         "this model (see refusal)."),
    Code(SUBGRAPH_NOT_DELEGATED, "reason", "Supported, but the delegate was not applied "
         "to this subgraph."),
    Code(SILENT_REFUSAL, "reason", "Validate returned false without recording a failure."),
    Code(RULE_ERROR, "reason", "The rule could not evaluate this (malformed) operator."),
    Code(FP16_WEIGHTS_HAZARD, "warning", "Constant fp16 weights are converted while the NNAPI "
         "model is built; the delegate keeps a TfLiteTensor pointer across "
         "context->AddTensors (a dangling pointer when the tensor vector grows)."),
    Code(FP16_REWIRED_ON_CPU, "warning", "The fp16 remapping rewired this node to fp16 weights, "
         "but it stays on the CPU, whose kernel may not accept fp16 weights."),
    Code(FP16_WEIGHTS_REVALIDATED, "warning", "The model has constant fp16 weights behind "
         "DEQUANTIZE nodes: the delegate re-validates their consumers with the weights remapped "
         "(GetSupportedOpsWithFp16WeightRemapping), which changes which nodes it delegates."),
    Code(FP16_DELEGATED_WITH_WEIGHTS, "warning", "Validate refuses it as it stands, but it is "
         "delegated through the fp16 weight remapping (GetSupportedOpsWithFp16WeightRemapping)."),
    Code(SPEC_CONFIGURATION, "warning", "The NNAPI operand types of input, filter, bias and "
         "output form no combination the NNAPI specification allows at the device's feature "
         "level."),
    Code(SPEC_NOT_IN_FEATURE_LEVEL, "warning", "The NNAPI operation the delegate builds is not in "
         "the NNAPI specification of the device's feature level."),
    Code(SPEC_OPERAND_TYPE, "warning", "The NNAPI operand type the delegate gives a tensor is not "
         "one the NNAPI specification allows for that operation at the device's feature level."),
    Code(SPEC_RANK, "warning", "A data input's rank is outside the ranks the NNAPI specification "
         "allows for that operation."),
)

def _target_codes() -> tuple[Code, ...]:
    """The codes of every target that defines its own (`opcompat.targets.<name>.reasons`)."""
    from opcompat.targets import TargetChoice

    out: list[Code] = []
    for t in TargetChoice:
        name = f"opcompat.targets.{t.value}.reasons"
        if importlib.util.find_spec(name) is not None:
            out.extend(Code(*c) for c in importlib.import_module(name).CODES)
    return tuple(out)


_TARGETS = _target_codes()

CODES: dict[str, Code] = {
    **{name: Code(name, "delegate", text, text) for name, text in _DELEGATE},
    **{c.name: c for c in _OPCOMPAT},
    **{c.name: c for c in _TARGETS},
}
"""Every code, the delegate's first (in its header's order), then opcompat's own, then the
other targets' own."""

DELEGATE_CODES: tuple[str, ...] = tuple(name for name, _ in _DELEGATE)
OPCOMPAT_CODES: tuple[str, ...] = tuple(c.name for c in _OPCOMPAT + _TARGETS)


def describe(code: str) -> str:
    """The description of `code` ('' for a code not in the registry)."""
    got = CODES.get(code)
    return got.description if got is not None else ""


def reason(code: str, source: str) -> Reason:
    """A `Reason` of an opcompat code whose message is its description, citing `source`."""
    return Reason(code, describe(code), source)
