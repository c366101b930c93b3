"""Cross-check against the NNAPI specification: operators Validate accepts but NNAPI itself may not.

The delegate's Validate is not the last word: the NNAPI runtime and drivers check each operation
against the NNAPI spec (`NeuralNetworks.h`), and an operation the device rejects stays on the
CPU (device filtering) or makes compilation fail. opcompat's verdicts follow the delegate; these
findings are warnings beside them, from the `op_tables/nnapi_<release>.json` tables:

* the NNAPI operation is newer than the device's feature level;
* the operand type the delegate gives the data input (`NNAPIOpBuilder::AddTensor`: e.g. int16
  becomes TENSOR_QUANT16_SYMM) is not listed for that operation at that feature level;
* the data input's rank is outside the operation's documented limits.

Only operators mapped to one NNAPI operation of their own are checked (lowerings to several
operations are skipped). Without the tables, nothing is reported.
"""

from __future__ import annotations

import functools
from typing import Any

from opcompat.levels import Target
from opcompat.model.graph import OPTIONAL_TENSOR, Operator, Subgraph, TensorType
from opcompat.report import Reason
from opcompat.rules.graph_checks import SPEC_MISMATCH

SOURCE = "op_tables/nnapi_13.json (NeuralNetworks.h); NNAPIOpBuilder::AddTensor"


def _nnapi_type(dtype: int, feature_level: int) -> str | None:
    """The NNAPI operand type `NNAPIOpBuilder::AddTensor` uses for a non-hybrid input."""
    if dtype == TensorType.INT8:
        # From NNAPI 1.3 signed; before, the delegate converts int8 data to uint8 (zero point +128).
        return "TENSOR_QUANT8_ASYMM_SIGNED" if feature_level >= 4 else "TENSOR_QUANT8_ASYMM"
    return {
        TensorType.FLOAT32: "TENSOR_FLOAT32",
        TensorType.FLOAT16: "TENSOR_FLOAT16",
        TensorType.UINT8: "TENSOR_QUANT8_ASYMM",
        TensorType.INT32: "TENSOR_INT32",
        TensorType.BOOL: "TENSOR_BOOL8",
        TensorType.INT16: "TENSOR_QUANT16_SYMM",
    }.get(dtype)  # type: ignore[call-overload]


@functools.lru_cache(maxsize=1)
def _tables_available() -> bool:
    try:
        from opcompat.tables import access

        access.nnapi_table()
    except Exception:  # noqa: BLE001  (no tables, or unreadable ones: the check is optional)
        return False
    return True


# The data input whose type and rank NNAPI documents, when it is not input 0.
_DATA_INPUT = {"SPLIT": 1, "SELECT": 1, "TRANSPOSE_CONV": 2}

# Ops whose rank-0 inputs the delegate passes as shape [1] tensors (IsScalarInputSupported).
_SCALAR_AS_TENSOR = frozenset(
    {
        "ADD",
        "MUL",
        "SUB",
        "DIV",
        "EQUAL",
        "NOT_EQUAL",
        "GREATER",
        "GREATER_EQUAL",
        "LESS",
        "LESS_EQUAL",
        "POW",
        "MAXIMUM",
        "MINIMUM",
        "PRELU",
        "LEAKY_RELU",
    }
)


def _primary_operation(
    subgraph: Subgraph, op: Operator, operations: tuple[str, ...], builder_fl: int, sdk: int
) -> str | None:
    """The NNAPI operation the delegate emits for `op` itself, or None when it lowers or folds
    it into other operations (AddOpsAndTensors: PACK below FL6, HARD_SWISH below API 30,
    QUANTIZE of quantized data preceded by DEQUANTIZE, fp16 DEQUANTIZE folded, LSTM kernels)."""
    first = _tensor_type(subgraph, op, 0)
    if op.op == "HARD_SWISH" and sdk < 30:
        return None
    if op.op == "PACK" and builder_fl < 6:
        return None
    if op.op == "QUANTIZE" and first in (TensorType.UINT8, TensorType.INT8):
        return None
    if op.op == "DEQUANTIZE" and first == TensorType.FLOAT16:
        return None
    if op.op == "LSTM":
        if len(op.inputs) == 5:
            return "QUANTIZED_16BIT_LSTM"
        if first == TensorType.INT8 and builder_fl >= 4:
            return "QUANTIZED_LSTM"
        return "LSTM"
    if len(operations) == 1:
        return operations[0]
    return op.op if op.op in operations else None


def _tensor_type(subgraph: Subgraph, op: Operator, pos: int) -> int | None:
    if pos >= len(op.inputs) or not 0 <= op.inputs[pos] < len(subgraph.tensors):
        return None
    return int(subgraph.tensors[op.inputs[pos]].dtype)


def spec_warnings(subgraph: Subgraph, op: Operator, target: Target) -> tuple[Reason, ...]:
    """Warnings for an operator Validate accepts; () when the spec tables agree or are absent."""
    if not _tables_available():
        return ()
    from opcompat.tables import access
    from opcompat.tables.delegate_mapping import mapping

    entry = mapping(op.op)
    if entry is None:
        return ()
    fl = target.feature_level
    name = _primary_operation(subgraph, op, entry.nnapi_operations, fl, target.api_level)
    if name is None:
        return ()
    spec: dict[str, Any] | None = access.nnapi_operation(name)
    if spec is None:
        return ()
    out: list[Reason] = []
    since = spec.get("since_feature_level")
    if isinstance(since, int) and since > fl:
        out.append(
            Reason(
                SPEC_MISMATCH,
                f"NNAPI {name} needs feature level {since}; the device has {fl}",
                SOURCE,
            )
        )
    pos = _DATA_INPUT.get(op.op, 0)
    first = op.inputs[pos] if pos < len(op.inputs) else OPTIONAL_TENSOR
    if not 0 <= first < len(subgraph.tensors):
        return tuple(out)
    tensor = subgraph.tensors[first]
    nn_type = _nnapi_type(tensor.dtype, fl)
    listed = {t["type"] for t in access.operand_types(name, "input")}
    if nn_type is not None and listed:
        allowed = access.supported_types(name, "input", fl)
        full = "ANEURALNETWORKS_" + nn_type
        if full not in allowed:
            later = full in listed
            out.append(
                Reason(
                    SPEC_MISMATCH,
                    f"NNAPI {name} does not take {nn_type} inputs"
                    + (f" at feature level {fl}" if later else "")
                    + " (the NNAPI spec); the device may reject it",
                    SOURCE,
                )
            )
    limits = access.rank_limits(name, "input")
    rank = tensor.rank
    if rank == 0 and op.op in _SCALAR_AS_TENSOR:
        rank = 1
    if limits and tensor.has_rank:
        lo, hi = limits.get("min"), limits.get("max")
        if (isinstance(hi, int) and rank > hi) or (isinstance(lo, int) and rank < lo):
            out.append(
                Reason(
                    SPEC_MISMATCH,
                    f"NNAPI {name} takes inputs of rank {lo if lo is not None else 0}.."
                    f"{hi if hi is not None else 'any'}; this one has rank {rank}",
                    SOURCE,
                )
            )
    return tuple(out)
