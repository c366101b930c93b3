"""The GPU target's conditions, one passing and one failing case each where a corpus model has
both, on the real models of `shared/models` and `shared/models-gpu` (skipped without them).

Each case cites where the condition comes from upstream (LiteRT f67457790c9c).
"""

from __future__ import annotations

from typing import Any

import pytest

from opcompat.analysis import check
from opcompat.errors import UsageError
from opcompat.reasons import DYNAMIC_TENSORS, PARTITION_DROPPED
from opcompat.report import ModelReport, OperatorResult
from opcompat.targets.gpu import reasons as codes
from opcompat.targets.gpu.node_support import TENSOR_CHECK_MESSAGE
from tests.conftest import shared_model as _model


def _gpu(name: str, **options: Any) -> ModelReport:
    return check(_model(name), target="gpu", **options)


def _ops(report: ModelReport, op: str) -> list[OperatorResult]:
    got = [o for o in report.operators if o.op == op]
    assert got, f"no {op} in {report.path}"
    return got


def _only(report: ModelReport, op: str) -> OperatorResult:
    return _ops(report, op)[0]


def test_an_op_without_parser_is_refused_whatever_compatibility_says() -> None:
    # model_builder.cc, NewOperationParser: no case for CEIL -> UnsupportedOperationParser.
    o = _only(_gpu("zoo-ceil__unsup_fp32"), "CEIL")
    assert not o.supported and o.reasons[0].code == codes.NO_PARSER
    assert o.reasons[0].message == "Operation is not supported."
    assert _only(_gpu("gpuzoo-floor__fp32"), "FLOOR").supported  # FLOOR has a parser


def test_a_custom_op_without_parser_gives_its_name() -> None:
    # default/custom_parsers.cc, NewCustomOperationParser: UnimplementedOperationParser(op_name).
    o = _only(_gpu("gh-litert__max_unpooling_2d"), "CUSTOM:LiteRtMaxUnpooling2D")
    assert (o.supported, o.reasons[0].code) == (False, codes.CUSTOM_OP)
    assert o.reasons[0].message == "LiteRtMaxUnpooling2D"
    assert _only(_gpu("gpuzoo-maxunpooling2d__pair_fp32"), "CUSTOM:MaxUnpooling2D").supported


def test_op_version_cap() -> None:
    # model_builder.cc, FullyConnectedOperationParser::IsSupported: CheckMaxSupportedOpVersion 9.
    refused = [o for o in _ops(_gpu("gen-vit_tiny__dynamic"), "FULLY_CONNECTED")
               if o.version > 9]
    assert refused and all(o.reasons[0].code == codes.OP_VERSION for o in refused)
    assert refused[0].reasons[0].message == (
        f"Max version supported: 9. Requested version {refused[0].version}.")
    assert all(o.supported for o in _ops(_gpu("gen-vit_tiny__fp32"), "FULLY_CONNECTED"))


@pytest.mark.parametrize(("model", "message"), [
    ("gpuzoo-greater__twoconsumers_fp32", "Not supported logical op case"),
    ("gpuzoo-greater__boolout_fp32", "Not supported logical op case"),
    ("gpuzoo-greater__where_int8", "Not supported logical op case."),
])
def test_a_comparison_needs_one_float_cast_or_select_consumer(model: str, message: str) -> None:
    # model_builder.cc, ElementwiseOperationParser::IsSupported (IsLogicalOp branch).
    o = _only(_gpu(model), "GREATER")
    assert (o.supported, o.reasons[0].code, o.reasons[0].message) == (
        False, codes.LOGICAL_OP_CONSUMER, message)


def test_a_comparison_into_a_float_cast_is_taken() -> None:
    report = _gpu("gpuzoo-greater__cast_fp32")
    assert _only(report, "GREATER").supported and _only(report, "CAST").supported


def test_cast_from_bool_needs_a_comparison_producer() -> None:
    # model_builder.cc, CastOperationParser::IsSupported.
    o = _only(_gpu("gpuzoo-cast__boolinput_fp32"), "CAST")
    assert (o.supported, o.reasons[0].message) == (False, "Not supported cast case")
    assert _only(_gpu("gpuzoo-cast__fromcmp_fp32"), "CAST").supported


def test_rank_five_fails_the_tensor_check() -> None:
    # model_builder.cc, IsAllAllowedTensors: dims->size >= 5 fails, whatever the tensor.
    o = _only(_gpu("gpuzoo-cos__rank5_fp32"), "COS")
    assert (o.supported, o.reasons[0].code, o.reasons[0].message) == (
        False, codes.TENSOR_TYPE, TENSOR_CHECK_MESSAGE)
    assert _only(_gpu("gpuzoo-cos__fp32"), "COS").supported


def test_quantized_tensors_and_ops_need_allow_quant_ops() -> None:
    # model_builder.cc, NewOperationParser (QUANTIZE/DEQUANTIZE only with allow_quant_ops) and
    # GetOpsToReplace (int8/uint8 activations only with allow_quant_ops).
    assert all(o.supported for o in _gpu("zoo-sub__int8fio").operators)
    off = _gpu("zoo-sub__int8fio", gpu_no_quant=True)
    assert _only(off, "SUB").reasons[0].message == TENSOR_CHECK_MESSAGE
    q = [o for o in off.operators if o.op in ("QUANTIZE", "DEQUANTIZE")]
    assert q and all(o.reasons[0].code == codes.QUANT_OPS_OFF for o in q)


def test_split_is_excluded_without_opencl() -> None:
    # delegate.cc, DelegatePrepare: excluded_ops = {SPLIT, SPLIT_V} without OpenCL.
    name = "gen-gru_unrolled__fp32"
    assert all(o.supported for o in _ops(_gpu(name), "SPLIT"))
    for o in _ops(_gpu(name, gpu_no_opencl=True), "SPLIT"):
        assert (o.supported, o.reasons[0].code, o.reasons[0].message) == (
            False, codes.EXCLUDED_WITHOUT_OPENCL, "Operation is not supported.")


def test_constant_fp16_dequantize_is_taken_only_with_the_whole_subgraph() -> None:
    # delegates/utils.cc, FP16GraphPartitionHelper: IsNodeSupported refuses it; Scenario 1
    # (everything else supported) delegates every node.
    whole = _gpu("gpuzoo-cos__constadd_fp16")
    d = _only(whole, "DEQUANTIZE")
    assert (d.supported, d.delegated, d.reasons[0].code) == (
        False, True, codes.CONST_FP16_DEQUANTIZE)
    partial = _gpu("zoo-multi__chain5part_fp16")
    assert all(not o.delegated for o in _ops(partial, "DEQUANTIZE"))


def test_one_partition_by_default_and_every_one_without_limit() -> None:
    # delegate.cc: max_delegated_partitions 1 by default; utils.cc, GetFirstNLargestPartitions.
    one = _gpu("zoo-multi__chain5part_fp32")
    assert len(one.subgraphs[0].partitions) == 1 and one.subgraphs[0].dropped_partitions
    dropped = [o for o in one.operators if o.supported and not o.delegated]
    assert dropped and all(o.reasons[0].code == PARTITION_DROPPED for o in dropped)
    every = _gpu("zoo-multi__chain5part_fp32", max_partitions=0)
    assert len(every.subgraphs[0].partitions) > 1
    assert all(o.delegated for o in every.operators if o.supported)


def test_a_failed_graph_build_refuses_the_model() -> None:
    # model_builder.cc, BuildFinalModel via the kernel's Init (delegate.cc): the message the
    # delegate logs, and nothing delegated.
    report = _gpu("gh-litert__ff")
    assert report.refusal is not None and report.refusal.code == codes.GRAPH_BUILD_FAILS
    assert report.refusal.message.startswith(
        "TfLiteGpuDelegate Init: BATCH_MATMUL: Not supported batched mat mul case")
    assert not any(o.delegated for o in report.operators)


def test_a_crash_in_the_graph_build_is_a_crash_refusal() -> None:
    # lstm_parser.cc makes ADD nodes without attributes; MergeAddWithConvolution's any_cast
    # throws std::bad_any_cast: the app aborts.
    report = _gpu("zoo-lstm__fp32")
    assert report.refusal is not None and report.refusal.code == codes.CRASH
    assert "crash" in report.refusal.message


def test_dynamic_tensors_refuse_the_delegate() -> None:
    # core/subgraph.cc, ModifyGraphWithDelegateImpl: the GPU delegate does not allow them.
    report = _gpu("gh-litert__gather_string")
    assert report.refusal is not None and report.refusal.code == DYNAMIC_TENSORS
    assert report.status == "kTfLiteApplicationError"


def test_gpu_entries_carry_no_levels_and_their_options() -> None:
    report = _gpu("gpuzoo-cos__fp32", gpu_no_quant=True)
    assert report.target == "gpu" and report.options.api_level is None
    assert dict(report.options.target_options) == {"allow_quant_ops": False, "opencl": True}
    assert report.min_api_level is None


def test_a_negative_partition_cap_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        check(b"", target="gpu", max_partitions=-1)
