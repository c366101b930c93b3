"""NNAPI spec cross-check warnings (op_tables/nnapi_13.json) beside Validate's verdict."""

from __future__ import annotations

import pytest
from engine_graphs import G

from opcompat.levels import make_target
from opcompat.model.graph import TensorType
from opcompat.rules import spec_check

pytestmark = pytest.mark.skipif(not spec_check._tables_available(), reason="no NNAPI tables")

CONV_OPTIONS = {"padding": 0, "stride_w": 1, "stride_h": 1, "fused_activation_function": 0}


def conv(dtype: int, bias: int) -> G:
    g = G()
    x = g.t(dtype, (1, 4, 4, 2))
    w = g.t(TensorType.INT8 if dtype == TensorType.INT16 else dtype, (2, 1, 1, 2), const=True)
    b = g.t(bias, (2,), const=True)
    y = g.t(dtype, (1, 4, 4, 2))
    g.op("CONV_2D", [x, w, b], [y], options=CONV_OPTIONS)
    return g


def unary(op: str, shape: tuple[int, ...]) -> G:
    g = G()
    x = g.t(TensorType.FLOAT32, shape)
    g.op(op, [x], [g.t(TensorType.FLOAT32, shape)])
    return g


def warn(g: G, api: int) -> list[str]:
    sg = g.subgraph()
    return [r.message for r in spec_check.spec_warnings(sg, sg.operators[0], make_target(api))]


def test_int16_conv_is_not_in_the_nnapi_spec() -> None:
    assert warn(conv(TensorType.INT16, TensorType.INT64), 33) == [
        "NNAPI CONV_2D does not take TENSOR_QUANT16_SYMM inputs (the NNAPI spec); "
        "the device may reject it"
    ]
    assert warn(conv(TensorType.FLOAT32, TensorType.FLOAT32), 33) == []


def test_rank_limits() -> None:
    assert warn(unary("LOGISTIC", (1, 2, 3, 4, 5)), 33) == [
        "NNAPI LOGISTIC takes inputs of rank 0..4; this one has rank 5"
    ]
    assert warn(unary("LOGISTIC", (1, 2, 3, 4)), 33) == []


def test_lowered_ops_are_not_checked_as_themselves() -> None:
    # Below API 30 HARD_SWISH becomes MUL/ADD/RELU6 operations (AddOpsAndTensors).
    assert warn(unary("HARD_SWISH", (1, 4)), 27) == []
    assert warn(unary("HARD_SWISH", (1, 4)), 30) == []


def test_no_tables_no_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spec_check, "_tables_available", lambda: False)
    assert warn(conv(TensorType.INT16, TensorType.INT64), 33) == []
