"""Validate dispatch (the switch around the rules) and the per-op lowest API level."""

from __future__ import annotations

from engine_graphs import G, model_of

from opcompat.model.graph import TensorType
from opcompat.targets.nnapi.levels import make_target
from opcompat.targets.nnapi.rules import engine
from opcompat.targets.nnapi.rules.context import RULES


def one(
    op: str,
    dtype: int = TensorType.FLOAT32,
    version: int = 1,
    custom: str | None = None,
    n_inputs: int = 1,
):  # type: ignore[no-untyped-def]
    g = G()
    ins = [g.t(dtype) for _ in range(n_inputs)]
    out = g.t(dtype)
    g.op(op, ins, [out], version=version, custom_code=custom)
    g.inputs, g.outputs = ins, [out]
    m = model_of(g)
    return m, m.subgraphs[0], m.subgraphs[0].operators[0]


def test_supported_op_has_no_reasons() -> None:
    m, sg, op = one("RELU")
    assert engine.validate(m, sg, op, make_target(30)) == ()


def test_op_without_rule_fails_like_the_default_case() -> None:
    m, sg, op = one("GELU")
    assert "GELU" not in RULES
    reasons = engine.validate(m, sg, op, make_target(33))
    assert [(r.code, r.message) for r in reasons] == [
        ("kUnsupportedOperator", "Unsupported operation type.")
    ]


def test_custom_and_unknown_ops_are_unsupported() -> None:
    for name, custom in (("CUSTOM", "MyOp"), ("UNKNOWN_250", None)):
        m, sg, op = one(name, custom=custom)
        assert [r.code for r in engine.validate(m, sg, op, make_target(35))] == [
            "kUnsupportedOperator"
        ]


def test_custom_ops_say_where_they_run() -> None:
    for custom, says in (
        ("FlexCumprod", "FlexCumprod is a Select TF (Flex) op, run on the CPU by the Flex"),
        ("MyOp", "MyOp is a custom op, run on the CPU by the app's own kernel"),
        ("Bad\x1bName", "Bad\\x1bName is a custom op"),
    ):
        m, sg, op = one("CUSTOM", custom=custom)
        (reason,) = engine.validate(m, sg, op, make_target(35))
        assert reason.code == "kUnsupportedOperator"
        assert reason.message.startswith("Unsupported operation type. " + says)
        assert reason.message.endswith("; the NNAPI delegate takes no custom ops.")


def test_rule_failures_are_returned_in_order() -> None:
    m, sg, op = one("RELU", dtype=TensorType.INT16)
    reasons = engine.validate(m, sg, op, make_target(30))
    assert reasons and all(r.code == "kUnsupportedInputType" for r in reasons)


def test_a_rule_that_raises_becomes_a_reason(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(ctx):  # type: ignore[no-untyped-def]
        raise IndexError("boom")

    engine._load_rules()
    monkeypatch.setitem(RULES, "RELU", broken)
    m, sg, op = one("RELU")
    reasons = engine.validate(m, sg, op, make_target(30))
    assert [r.code for r in reasons] == [engine.RULE_ERROR_CODE]
    assert "IndexError" in reasons[0].message


def test_silent_refusal_gets_a_reason_of_its_own() -> None:
    # DENSIFY below level 30 returns false without a failure (Validate, case kTfLiteBuiltinDensify).
    g = G()
    w = g.t(const=True)
    out = g.t()
    g.op("DENSIFY", [w], [out])
    g.outputs = [out]
    m = model_of(g)
    sg = m.subgraphs[0]
    assert [r.code for r in engine.validate(m, sg, sg.operators[0], make_target(29))] == [
        engine.SILENT_REFUSAL_CODE
    ]
    assert engine.validate(m, sg, sg.operators[0], make_target(30)) == ()


def test_tensor_override_changes_what_the_rule_sees() -> None:
    m, sg, op = one("RELU")
    f16 = sg.tensors[0].__class__(0, "w", TensorType.INT16, (1, 4), None, 0, False, False, None)
    assert engine.validate(m, sg, op, make_target(30), {0: f16}) != ()


def test_first_api_level() -> None:
    m, sg, op = one("RELU")
    assert engine.first_api_level(m, sg, op) == 27
    m, sg, op = one("ELU")  # ELU needs API level 30
    assert engine.first_api_level(m, sg, op) == 30
    m, sg, op = one("BATCH_MATMUL", n_inputs=2)  # feature level 6: API 33 with default levels
    assert engine.first_api_level(m, sg, op) == 33
    m, sg, op = one("GELU")
    assert engine.first_api_level(m, sg, op) is None


def test_support_by_level_covers_every_api_level() -> None:
    m, sg, op = one("ELU")
    levels = engine.support_by_level(m, sg, op)
    assert list(levels) == list(range(27, 36))
    assert [levels[a] for a in (29, 30, 32, 35)] == [False, True, True, True]
