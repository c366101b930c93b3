"""The NNAPI operation(s) the delegate emits for one operator at one target.

The delegate mapping table lists every operation a builtin *can* become (CONV_2D: CONV_2D,
DEQUANTIZE, GROUPED_CONV_2D). `nnapi_operations_for` follows the decisions the delegate takes
while it builds the NNAPI model of a partition, in `tflite/delegates/nnapi/nnapi_delegate.cc`:
`NNAPIDelegateKernel::AddOpsAndTensors` (lowerings done before Map, the keep_num_dims RESHAPE
and the MEAN requantization after it), `NNAPIDelegateKernel::Map` (GROUPED_CONV_2D, PAD_V2,
QUANTIZED_16BIT_LSTM, the DEQUANTIZE ahead of a requantizing QUANTIZE), the
`NNAPIOpBuilder::Transform*IntoSupportedOps` helpers, and
`NNAPIDelegateKernel::AddDequantizeOperatorsWhereNeeded` (hybrid operators).

Names are NNAPI operation names without `ANEURALNETWORKS_`, each once, in the order the delegate
adds them to the NNAPI model (a hybrid FULLY_CONNECTED is `("DEQUANTIZE", "FULLY_CONNECTED")`).
An operator Validate refuses gets the table's primary operation, so a report still names its
counterpart. Operators the delegate folds into others emit nothing: a constant DENSIFY and an
fp16 DEQUANTIZE.

Limitation: the delegate dequantizes a quantized weight once per partition; an operator sharing
that weight with an earlier hybrid operator of the same partition emits no DEQUANTIZE of its
own, but is still shown with one here (the function sees one operator, not its partition).
"""

from __future__ import annotations

from collections.abc import Callable

from opcompat.model.graph import OPTIONAL_TENSOR, Model, Operator, Subgraph, Tensor, TensorType
from opcompat.tables.delegate_mapping import MappingEntry, mapping
from opcompat.targets.nnapi.levels import FEATURE_LEVEL_CODE, FL6, SDK_NNAPI13, Target
from opcompat.targets.nnapi.rules.context import OpContext
from opcompat.targets.nnapi.rules.tensor_checks import (
    builtin_params,
    dim,
    dtype,
    is_float,
    is_quantized,
)

SOURCE = "tflite/delegates/nnapi/nnapi_delegate.cc"

Lowering = Callable[[OpContext], tuple[str, ...]]

_LOWERINGS: dict[str, Lowering] = {}


def _lowering(*names: str) -> Callable[[Lowering], Lowering]:
    def register(fn: Lowering) -> Lowering:
        for name in names:
            _LOWERINGS[name] = fn
        return fn

    return register


def _unique(names: list[str]) -> tuple[str, ...]:
    """Each name once, in first-emission order."""
    return tuple(dict.fromkeys(names))


def builder_level(target: Target) -> int:
    """`target_feature_level_` of AddOpsAndTensors: the runtime feature level as a level code
    (1000006.. from FL6). Source: NNAPIDelegateKernel::AddOpsAndTensors, GetTargetFeatureLevel."""
    return FEATURE_LEVEL_CODE[target.feature_level]


def _dequantized_inputs(ctx: OpContext, positions: range | tuple[int, ...]) -> bool:
    """A DEQUANTIZE is added: input 0 is float32 and one of `positions` is uint8/int8.

    Source: NNAPIDelegateKernel::AddDequantizeOperatorsWhereNeeded, NNAPIOpBuilder::AddDequantize.
    """
    if not is_float(dtype(ctx.input(0))):
        return False
    return any(is_quantized(dtype(ctx.input(i))) for i in positions)


def _is_lstm_full_kernel(ctx: OpContext) -> bool:
    """`isLstmFullKernel`: 24 inputs, or 20 (no layer-norm weights)."""
    return ctx.num_inputs in (20, 24)


def _is_lstm_basic_kernel(ctx: OpContext) -> bool:
    """`isLstmBasicKernel`: the 5-input quantized basic cell."""
    return ctx.num_inputs == 5


@_lowering("CONV_2D")
def _conv_2d(ctx: OpContext) -> tuple[str, ...]:
    """GROUPED_CONV_2D when the input's channels differ from the filter's (both shapes known),
    else CONV_2D; a DEQUANTIZE first for quantized weights or bias under a float input.

    Source: NNAPIDelegateKernel::Map, case kTfLiteBuiltinConv2d (is_grouped_conv);
    NNAPIDelegateKernel::AddDequantizeOperatorsWhereNeeded (inputs 1 and 2).
    Validate refuses grouped convolution below NNAPI 1.2 (level 29).
    """
    names: list[str] = []
    if _dequantized_inputs(ctx, (1, 2)):
        names.append("DEQUANTIZE")
    in_ch, filter_ch = dim(ctx.input(0), 3), dim(ctx.input(1), 3)
    grouped = in_ch is not None and filter_ch is not None and in_ch != filter_ch
    names.append("GROUPED_CONV_2D" if grouped else "CONV_2D")
    return _unique(names)


@_lowering("FULLY_CONNECTED")
def _fully_connected(ctx: OpContext) -> tuple[str, ...]:
    """FULLY_CONNECTED; a DEQUANTIZE first for quantized weights or bias under a float input;
    a RESHAPE after it to the output's shape when keep_num_dims is set (Validate: level 30+).

    Source: NNAPIDelegateKernel::AddDequantizeOperatorsWhereNeeded (inputs 1 and 2);
    NNAPIDelegateKernel::AddOpsAndTensors (fc_nn_intermediate_output_index, AppendReshape).
    """
    names: list[str] = []
    if _dequantized_inputs(ctx, (1, 2)):
        names.append("DEQUANTIZE")
    names.append("FULLY_CONNECTED")
    if builtin_params(ctx, "FullyConnectedOptions", {"keep_num_dims": False})["keep_num_dims"]:
        names.append("RESHAPE")
    return _unique(names)


@_lowering("LSTM")
def _lstm(ctx: OpContext) -> tuple[str, ...]:
    """QUANTIZED_LSTM for a full-kernel LSTM with an int8 input when the runtime feature level is
    30 or more; QUANTIZED_16BIT_LSTM for the 5-input basic kernel; else LSTM, with a DEQUANTIZE
    first when a weight is quantized under a float input (hybrid).

    Source: NNAPIDelegateKernel::AddOpsAndTensors ("Fully quantized full LSTM" branch);
    NNAPIDelegateKernel::Map, case kTfLiteBuiltinLstm (isLstmBasicKernel);
    NNAPIDelegateKernel::AddDequantizeOperatorsWhereNeeded (inputs 1-17 and 20-23).
    """
    first = dtype(ctx.input(0))
    if (
        builder_level(ctx.target) >= SDK_NNAPI13
        and _is_lstm_full_kernel(ctx)
        and first == TensorType.INT8
    ):
        return ("QUANTIZED_LSTM",)
    if _is_lstm_basic_kernel(ctx):
        return ("QUANTIZED_16BIT_LSTM",)
    hybrid = _dequantized_inputs(ctx, (*range(1, 18), 20, 21, 22, 23))
    return ("DEQUANTIZE", "LSTM") if hybrid else ("LSTM",)


@_lowering("HARD_SWISH")
def _hard_swish(ctx: OpContext) -> tuple[str, ...]:
    """Below API level 30 (the device's android_sdk_version, not the feature level) lowered to
    three MULs and an ADD; from 30 on the single HARD_SWISH.

    Source: NNAPIDelegateKernel::AddOpsAndTensors (kMinSdkVersionForNNAPI13 test);
    NNAPIOpBuilder::TransformHardSwishIntoSupportedOps.
    """
    if ctx.target.api_level < SDK_NNAPI13:
        return ("MUL", "ADD")
    return ("HARD_SWISH",)


@_lowering("PACK")
def _pack(ctx: OpContext) -> tuple[str, ...]:
    """Below runtime feature level 6 lowered to CONCATENATION + RESHAPE; from FL6 on PACK.

    Source: NNAPIDelegateKernel::AddOpsAndTensors (kNNAPIRuntimeFeatureLevel6 test);
    NNAPIOpBuilder::TransformPackIntoSupportedOps.
    """
    if builder_level(ctx.target) < FL6:
        return ("CONCATENATION", "RESHAPE")
    return ("PACK",)


@_lowering("UNPACK")
def _unpack(ctx: OpContext) -> tuple[str, ...]:
    """Always lowered: RESHAPE (merge the unpacked axis with the next) then SPLIT.

    Source: NNAPIDelegateKernel::AddOpsAndTensors; NNAPIOpBuilder::TransformUnpackIntoSupportedOps.
    """
    return ("RESHAPE", "SPLIT")


@_lowering("SPLIT_V")
def _split_v(ctx: OpContext) -> tuple[str, ...]:
    """Always lowered to one SLICE per output.

    Source: NNAPIDelegateKernel::AddOpsAndTensors; NNAPIOpBuilder::TransformSplitVIntoSupportedOps.
    """
    return ("SLICE",)


@_lowering("SQUARED_DIFFERENCE")
def _squared_difference(ctx: OpContext) -> tuple[str, ...]:
    """Always lowered: SUB (the difference) then MUL (its square).

    Source: NNAPIDelegateKernel::AddOpsAndTensors;
    NNAPIOpBuilder::TransformSquaredDifferenceIntoSupportedOps.
    """
    return ("SUB", "MUL")


@_lowering("COS")
def _cos(ctx: OpContext) -> tuple[str, ...]:
    """Always lowered: SUB (pi/2 - x) then SIN.

    Source: NNAPIDelegateKernel::AddOpsAndTensors; NNAPIOpBuilder::TransformCosIntoSupportedOps.
    """
    return ("SUB", "SIN")


def _legacy_params(t: Tensor) -> tuple[float, int]:
    """`TfLiteTensor.params` (scale, zero_point): (0, 0) without a single-scale quantization."""
    q = t.quantization
    return (0.0, 0) if q is None else (q.legacy_scale, q.legacy_zero_point)


@_lowering("MEAN")
def _mean(ctx: OpContext) -> tuple[str, ...]:
    """MEAN, then an ADD of zero that requantizes to the output's scale and zero point when they
    differ from the input's.

    Source: NNAPIDelegateKernel::AddOpsAndTensors (IsMeanWithDifferentInputOutputQuantization,
    mean_nn_intermediate_output_index); NNAPIOpBuilder::AppendRequantize.
    """
    first, out = ctx.input(0), ctx.output(0)
    if first is not None and out is not None and _legacy_params(first) != _legacy_params(out):
        return ("MEAN", "ADD")
    return ("MEAN",)


@_lowering("PAD", "PADV2")
def _pad(ctx: OpContext) -> tuple[str, ...]:
    """PAD_V2 only when a padding value is given (a third input that is not omitted), else PAD,
    for PAD and PADV2 alike.

    Source: NNAPIDelegateKernel::Map, case kTfLiteBuiltinPad / kTfLiteBuiltinPadv2.
    """
    if ctx.num_inputs >= 3 and ctx.op.inputs[2] != OPTIONAL_TENSOR:
        return ("PAD_V2",)
    return ("PAD",)


@_lowering("QUANTIZE")
def _quantize(ctx: OpContext) -> tuple[str, ...]:
    """A requantization (uint8/int8 input) is a DEQUANTIZE to float then QUANTIZE.

    Source: NNAPIDelegateKernel::Map, case kTfLiteBuiltinQuantize (NNAPIOpBuilder::AddDequantize).
    """
    if is_quantized(dtype(ctx.input(0))):
        return ("DEQUANTIZE", "QUANTIZE")
    return ("QUANTIZE",)


@_lowering("DEQUANTIZE")
def _dequantize(ctx: OpContext) -> tuple[str, ...]:
    """An fp16 DEQUANTIZE emits nothing: a constant input is converted to a float32 operand for
    its consumers, a non-constant one (accepted from level 30) is skipped; else DEQUANTIZE.

    Source: NNAPIDelegateKernel::AddOpsAndTensors (IsDequantizeConstFloat16,
    IsDequantizeNonConstFloat16 skips).
    """
    if dtype(ctx.input(0)) == TensorType.FLOAT16:
        return ()
    return ("DEQUANTIZE",)


@_lowering("DENSIFY")
def _densify(ctx: OpContext) -> tuple[str, ...]:
    """Nothing: a constant DENSIFY's dense weights become a constant operand of the CONV_2D that
    reads them.

    Source: NNAPIDelegateKernel::AddOpsAndTensors (IsDensifyConstTensor skip);
    NNAPIDelegateKernel::DensifyAndDequantizeConstTensor.
    """
    return ()


def primary_operation(entry: MappingEntry) -> tuple[str, ...]:
    """The table's operation named like the builtin (underscores aside: PADV2 -> PAD_V2), else
    its first; empty when the table lists none (DENSIFY)."""
    ops = entry.nnapi_operations
    if not ops:
        return ()
    plain = entry.name.replace("_", "")
    for name in ops:
        if name.replace("_", "") == plain:
            return (name,)
    return (ops[0],)


def nnapi_operations_for(
    model: Model,
    subgraph: Subgraph,
    op: Operator,
    target: Target,
    *,
    supported: bool | None = None,
) -> tuple[str, ...]:
    """The NNAPI operations the delegate emits for `op` at `target`, in emission order.

    `supported`: whether the delegate takes the operator (Validate accepts it, or the fp16 path
    delegates it); None runs Validate. An operator it does not take gets the table's primary
    operation; custom ops and builtins Validate has no case for get ().
    """
    if op.op == "CUSTOM":
        return ()
    entry = mapping(op.op)
    if entry is None:
        return ()
    lower = _LOWERINGS.get(op.op)
    if lower is None:
        return entry.nnapi_operations
    if supported is None:
        from opcompat.targets.nnapi.rules.engine import validate

        supported = not validate(model, subgraph, op, target)
    if not supported:
        return primary_operation(entry)
    try:
        return lower(OpContext(model, subgraph, op, target))
    except (IndexError, KeyError, TypeError, ValueError):
        # A malformed operator the rules let through: name its counterpart rather than fail.
        return primary_operation(entry)
