"""The rules ADD..TRANSPOSE against the real delegate's decisions in the oracle.

For every node of these ops in every subgraph of every oracle result, the rule must give the
same `supported` verdict and the same failure list (types and messages, in order).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import opcompat.rules.ops  # noqa: F401  (registers every rule)
from opcompat.levels import make_target
from opcompat.model import read_model
from opcompat.rules.context import RULES, OpContext
from tests.conftest import CORPUS, ORACLE

OPS = frozenset(
    """ADD ARG_MAX ARG_MIN MUL AVERAGE_POOL_2D MAX_POOL_2D L2_POOL_2D CONV_2D DEPTHWISE_CONV_2D
    FULLY_CONNECTED HARD_SWISH SOFTMAX RESHAPE RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR SQUEEZE
    UNIDIRECTIONAL_SEQUENCE_LSTM L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION LSH_PROJECTION
    CONCATENATION DEQUANTIZE DENSIFY FLOOR RELU RELU_N1_TO_1 RELU6 LOGISTIC TANH SUB DIV PAD
    PADV2 UNIDIRECTIONAL_SEQUENCE_RNN SPACE_TO_BATCH_ND BATCH_TO_SPACE_ND STRIDED_SLICE
    TRANSPOSE""".split()
)
# The oracle's API levels and the runtime feature level its fake device reported.
FEATURE_LEVEL = {27: None, 28: None, 29: 3, 30: 4, 31: 5, 33: 6, 34: 7, 35: 8}


def _disagreements() -> Iterator[str]:
    for path in sorted(ORACLE.glob("*.json")):
        data = json.loads(path.read_text())
        model_path = CORPUS / data["model_file_name"]
        if not model_path.is_file():
            continue
        model = None
        for result in data["results"]:
            if "nodes" not in result:
                continue
            groups: list[tuple[int, list[dict[str, Any]]]] = [(0, result["nodes"])]
            groups += [(g["index"], g["nodes"]) for g in result.get("other_subgraphs") or []]
            target = make_target(result["sdk"], FEATURE_LEVEL[result["sdk"]])
            for sg_index, nodes in groups:
                for node in nodes:
                    if node["op"] not in OPS:
                        continue
                    if model is None:
                        model = read_model(model_path)
                    subgraph = model.subgraphs[sg_index]
                    ctx = OpContext(model, subgraph, subgraph.operators[node["index"]], target)
                    RULES[node["op"]](ctx)
                    want = [(f["type"], f["message"]) for f in node["failures"]]
                    got = [(r.code, r.message) for r in ctx.failures]
                    if ctx.supported != node["supported"] or want != got:
                        yield (
                            f"{data['model_file_name']} sg{sg_index} #{node['index']} "
                            f"{node['op']} api {result['sdk']}: oracle {node['supported']} {want}, "
                            f"opcompat {ctx.supported} {got}"
                        )


def test_rules_equal_the_oracle() -> None:
    if not ORACLE.is_dir() or not CORPUS.is_dir():
        pytest.skip(f"oracle or corpus not found ({ORACLE}, {CORPUS})")
    differences = list(_disagreements())
    assert not differences, "\n".join(differences[:20])
