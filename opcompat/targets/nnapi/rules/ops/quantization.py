"""Validate rules: DEQUANTIZE and DENSIFY.

Both cases return early in `NNAPIDelegateKernel::Validate`: DEQUANTIZE accepts a non-constant
float16 input from API 30 at once, and DENSIFY returns true or false without recording a
failure.
"""
from __future__ import annotations

from opcompat.model.graph import TensorType as T
from opcompat.targets.nnapi.levels import SDK_NNAPI12, SDK_NNAPI13
from opcompat.targets.nnapi.rules.context import OpContext, rule
from opcompat.targets.nnapi.rules.predicates import DELEGATE_SOURCE, expect_input_type_in
from opcompat.targets.nnapi.rules.tensor_checks import dtype, is_mmap_ro, legacy_params


def _source(case: str) -> str:
    return f"{DELEGATE_SOURCE}, NNAPIDelegateKernel::Validate, case kTfLiteBuiltin{case}"


@rule("DEQUANTIZE")
def dequantize(ctx: OpContext) -> None:
    """Non-constant float16 from API 30; else version 1-2 and uint8 (int8 from API 29) input.

    At API 29 an int8 input must be symmetric (zero point 0).

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinDequantize
    """
    source = _source("Dequantize")
    input_tensor = ctx.input(0)
    non_constant_fp16 = dtype(input_tensor) == T.FLOAT16 and not is_mmap_ro(input_tensor)
    if ctx.level >= SDK_NNAPI13 and non_constant_fp16:
        return
    # Irregular version check (exactly 1 or 2): kept literal.
    ctx.expect(
        ctx.version in (1, 2),
        "kUnsupportedOperatorVersion",
        "Supported op versions are 1 and 2 only",
        source,
    )
    input_type = dtype(input_tensor)
    if ctx.level < SDK_NNAPI12:
        expect_input_type_in(ctx, input_type, (T.UINT8,))
    else:
        expect_input_type_in(ctx, input_type, (T.UINT8, T.INT8))
        if ctx.level == SDK_NNAPI12 and input_type == T.INT8:
            _, zero_point = legacy_params(input_tensor)
            ctx.expect(
                zero_point == 0,
                "kUnsupportedInputType",
                "NN API supports int8 type since version 1.2 but only for symmetric quantization.",
                source,
            )


@rule("DENSIFY")
def densify(ctx: OpContext) -> None:
    """A constant (sparse) input from API 30; otherwise refused without a recorded failure.

    Source: tflite/delegates/nnapi/nnapi_delegate.cc, NNAPIDelegateKernel::Validate,
    case kTfLiteBuiltinDensify
    """
    if ctx.level >= SDK_NNAPI13 and is_mmap_ro(ctx.input(0)):
        return
    ctx.refuse_silently()
