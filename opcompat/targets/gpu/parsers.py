"""The GPU delegate's per-node verdict: `IsSupported` of the parser `NewOperationParser`
picks, then the node-support function's tensor check.

Source: tflite/delegates/gpu/common/model_builder.cc: NewOperationParser (excluded ops first,
then the switch over builtin codes, custom ops by name), UnsupportedOperationParser,
CheckMaxSupportedOpVersion (operation_parser.cc), ElementwiseOperationParser::IsSupported
(logical ops), CastOperationParser::IsSupported (bool input), GetOpsToReplace (the tensor
check); tflite/delegates/gpu/common/unimplemented_operation_parser.h (custom ops: the op's
name as the text).
"""

from __future__ import annotations

from collections.abc import Sequence

from opcompat.model.graph import Model, Operator, Subgraph, TensorType
from opcompat.report import Reason
from opcompat.targets.gpu import reasons as codes
from opcompat.targets.gpu.graph import TensorUses
from opcompat.targets.gpu.node_support import LOGICAL_OPS, TENSOR_CHECK_MESSAGE, tensors_allowed
from opcompat.targets.gpu.table import SOURCE_FILE, ParserEntry, excluded_without_opencl, parser_for

NOT_SUPPORTED = "Operation is not supported."
"""UnsupportedOperationParser's text (model_builder.cc)."""
COMPAT_SOURCE = "tflite/tools/versioning/gpu_compatibility.cc, CheckGpuDelegateCompatibility"
_FLOATS = (int(TensorType.FLOAT16), int(TensorType.FLOAT32))
_COMPAT_CODES = {
    "op_version": codes.OP_VERSION,
    "operand_count": codes.OPERAND_COUNT,
    "options": codes.OPTIONS,
    "shape": codes.SHAPE,
    "tensor_type": codes.TENSOR_TYPE,
    "unsupported": codes.NO_PARSER,
}


class NodeContext:
    """What the verdicts of one subgraph's nodes share: the model, the options, and the
    producers and consumers of its tensors (built on first use)."""

    __slots__ = ("model", "subgraph", "allow_quant_ops", "opencl", "_uses")

    def __init__(self, model: Model, subgraph: Subgraph, allow_quant_ops: bool,
                 opencl: bool) -> None:
        self.model = model
        self.subgraph = subgraph
        self.allow_quant_ops = allow_quant_ops
        self.opencl = opencl
        self._uses: TensorUses | None = None

    @property
    def uses(self) -> TensorUses:
        if self._uses is None:
            self._uses = TensorUses(self.subgraph)
        return self._uses

    def dtype(self, tensor: int) -> int | None:
        tensors = self.subgraph.tensors
        return int(tensors[tensor].dtype) if 0 <= tensor < len(tensors) else None


def node_verdict(ctx: NodeContext, op: Operator, inputs: Sequence[int]) -> tuple[Reason, ...]:
    """The node-support function of `GetOpsToReplace` for `op` with `inputs` (the fp16
    helper's remapped inputs): empty when the GPU delegate accepts it."""
    failure = is_supported(ctx, op, inputs)
    if failure is not None:
        return (failure,)
    if not tensors_allowed(ctx.subgraph, op.op, inputs, op.outputs, ctx.allow_quant_ops):
        return (Reason(codes.TENSOR_TYPE, TENSOR_CHECK_MESSAGE,
                       f"{SOURCE_FILE}, GetOpsToReplace; IsAllAllowedTensors"),)
    return ()


def is_supported(ctx: NodeContext, op: Operator, inputs: Sequence[int]) -> Reason | None:
    """`NewOperationParser(...)->IsSupported(...)`: None when it returns OK."""
    if not ctx.opencl and op.op in excluded_without_opencl():
        return Reason(codes.EXCLUDED_WITHOUT_OPENCL, NOT_SUPPORTED,
                      "tflite/delegates/gpu/delegate.cc, DelegatePrepare (excluded_ops); "
                      f"{SOURCE_FILE}, NewOperationParser")
    entry = parser_for(op.op, op.custom_code)
    if entry is None or (entry.needs_quant_ops and not ctx.allow_quant_ops):
        return _no_parser(op, entry)
    if entry.max_version is not None and op.version > entry.max_version:
        return Reason(codes.OP_VERSION, f"Max version supported: {entry.max_version}. "
                      f"Requested version {op.version}.",
                      f"{entry.source}; operation_parser.cc, CheckMaxSupportedOpVersion")
    if entry.parser == "ElementwiseOperationParser" and op.op in LOGICAL_OPS:
        return _logical_op(ctx, op, entry)
    if entry.parser == "CastOperationParser":
        done, failure = _cast_from_bool(ctx, op, inputs, entry)
        if done:
            return failure
    if entry.checks_compatibility:
        return _compatibility(ctx, op, inputs)
    return None


def _no_parser(op: Operator, entry: ParserEntry | None) -> Reason:
    if entry is not None:  # QUANTIZE, DEQUANTIZE without allow_quant_ops
        return Reason(codes.QUANT_OPS_OFF, NOT_SUPPORTED,
                      f"{entry.source} (only with allow_quant_ops)")
    if op.op == "CUSTOM":
        return Reason(codes.CUSTOM_OP, op.custom_code or "",
                      "tflite/delegates/gpu/common/default/custom_parsers.cc, "
                      "NewCustomOperationParser (UnimplementedOperationParser)")
    return Reason(codes.NO_PARSER, NOT_SUPPORTED,
                  f"{SOURCE_FILE}, NewOperationParser (UnsupportedOperationParser)")


def _logical_op(ctx: NodeContext, op: Operator, entry: ParserEntry) -> Reason | None:
    """A comparison is taken only as the one input of a CAST or SELECT with a float output
    (ElementwiseOperationParser::IsSupported; no compatibility check follows)."""
    out = op.outputs[0] if op.outputs else -1
    producers, consumers = ctx.uses.producers_of(out), ctx.uses.consumers_of(out)
    source = f"{entry.source} (logical op)"
    if len(producers) != 1 or len(consumers) != 1:
        return Reason(codes.LOGICAL_OP_CONSUMER, "Not supported logical op case", source)
    nxt = ctx.subgraph.operators[consumers[0]]
    dst = ctx.dtype(nxt.outputs[0]) if nxt.outputs else None
    if nxt.op in ("CAST", "SELECT", "SELECT_V2") and dst in _FLOATS:
        return None
    return Reason(codes.LOGICAL_OP_CONSUMER, "Not supported logical op case.", source)


def _cast_from_bool(
    ctx: NodeContext, op: Operator, inputs: Sequence[int], entry: ParserEntry
) -> tuple[bool, Reason | None]:
    """CastOperationParser::IsSupported for a bool input and float output: (decided, verdict);
    not decided: the compatibility check follows."""
    if not inputs or not op.outputs:
        return False, None
    src, dst = ctx.dtype(inputs[0]), ctx.dtype(op.outputs[0])
    if src != int(TensorType.BOOL) or dst not in _FLOATS:
        return False, None
    source = f"{entry.source} (bool input)"
    producers = ctx.uses.producers_of(inputs[0])
    if len(producers) != 1 or len(ctx.uses.consumers_of(inputs[0])) != 1:
        return True, Reason(codes.LOGICAL_OP_CONSUMER, "Not supported cast case", source)
    if len(ctx.uses.consumers_of(op.outputs[0])) != 1:
        return True, Reason(codes.LOGICAL_OP_CONSUMER,
                            "Cast from bool not supported for outputs", source)
    if ctx.subgraph.operators[producers[0]].op in LOGICAL_OPS:
        return True, None
    return False, None


def _compatibility(ctx: NodeContext, op: Operator, inputs: Sequence[int]) -> Reason | None:
    from opcompat.targets.gpu.compatibility import check_gpu_delegate_compatibility
    from opcompat.tflite.op_signature import op_signature

    failure = check_gpu_delegate_compatibility(op_signature(ctx.model, ctx.subgraph, op, inputs))
    if failure is None:
        return None
    return Reason(_COMPAT_CODES.get(failure.kind, codes.OPTIONS), failure.message, COMPAT_SOURCE)
