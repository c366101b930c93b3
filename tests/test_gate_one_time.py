"""One-time operators (DEQUANTIZEs of constants, tflite/kernels/dequantize.cc) in the ratios and
the gate, `--strict-count`, and `--fail-on spec`, on corpus models (skipped without them)."""

from __future__ import annotations

from opcompat.analysis import check
from opcompat.gate import FailOn, evaluate, make_policy
from opcompat.report import Report
from tests.conftest import shared_model as _model


def test_constant_dequantize_is_one_time_and_not_a_per_inference_fallback() -> None:
    r = check(_model("gen-vit_tiny__fp16.tflite"), api_level=33)
    once = [o for o in r.operators if o.one_time]
    assert once and all(o.op == "DEQUANTIZE" for o in once)
    assert not any(o.one_time for o in r.operators if o.op != "DEQUANTIZE")
    assert r.per_inference_ratio > r.delegated_ratio
    assert all(not o.one_time for o in r.per_inference_fallbacks)


def test_a_dequantize_of_an_activation_is_per_inference() -> None:
    r = check(_model("zoo-sub__int8fio.tflite"), api_level=33)
    assert not any(o.one_time for o in r.operators)


def test_the_gate_ignores_one_time_ops_unless_strict() -> None:
    r = check(_model("gen-vit_tiny__fp16.tflite"), api_level=33)
    ratio = (r.delegated_ratio + r.per_inference_ratio) / 2
    lenient = evaluate(Report((r,)), make_policy(min_delegated_ratio=ratio))
    strict = evaluate(Report((r,)), make_policy(min_delegated_ratio=ratio, strict_count=True))
    assert lenient.exit_code == 0 and strict.exit_code == 1
    failed = evaluate(Report((r,)), make_policy(FailOn.ANY_FALLBACK))
    assert failed.exit_code == 1 and "one-time op" in failed.failures[0]


def test_fail_on_spec() -> None:
    # gen-efficientnet_b0__int8 at API 30: a delegated op whose NNAPI operand type the
    # specification does not allow (opcompat.targets.nnapi.rules.spec_check).
    r = check(_model("gen-efficientnet_b0__int8.tflite"), api_level=30)
    got = evaluate(Report((r,)), make_policy(FailOn.SPEC))
    assert got.exit_code == 1 and "opcompatSpec" in got.failures[0]
    clean = check(_model("gh-coral__mobilenet_v1_0.25_128_quant.tflite"), api_level=30)
    assert evaluate(Report((clean,)), make_policy(FailOn.SPEC)).exit_code == 0
