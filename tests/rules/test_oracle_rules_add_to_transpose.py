"""Every Validate rule against the real delegate's decisions in the oracle.

For every node of every subgraph of every oracle result, opcompat's Validate
(`opcompat.targets.nnapi.rules.engine.validate`: the registered rule of the op, or the
switch's `default:` for
custom ops and builtins without a rule) must give the same `supported` verdict and the same
failure list (types and messages, in order) as the delegate.

Two representations differ by design and are normalised here, nothing else:
- a custom op: opcompat appends where the op runs instead (Flex delegate or the app's kernel) to
  kUnsupportedOperator "Unsupported operation type."; only that exact prefix is accepted;
- a bare `return false` in Validate (DENSIFY below its level): the oracle records no failure,
  opcompat records the single SILENT_REFUSAL reason.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import opcompat.targets.nnapi.rules.ops  # noqa: F401  (registers every rule)
from opcompat.model import read_model
from opcompat.report import Reason
from opcompat.targets.nnapi.levels import make_target
from opcompat.targets.nnapi.rules.context import RULES
from opcompat.targets.nnapi.rules.engine import SILENT_REFUSAL, UNSUPPORTED_OPERATOR, validate
from tests.conftest import CORPUS, ORACLE

# The ops the first version of this test compared: all must still be covered.
ORIGINAL_OPS = frozenset(
    """ADD ARG_MAX ARG_MIN MUL AVERAGE_POOL_2D MAX_POOL_2D L2_POOL_2D CONV_2D DEPTHWISE_CONV_2D
    FULLY_CONNECTED HARD_SWISH SOFTMAX RESHAPE RESIZE_BILINEAR RESIZE_NEAREST_NEIGHBOR SQUEEZE
    UNIDIRECTIONAL_SEQUENCE_LSTM L2_NORMALIZATION LOCAL_RESPONSE_NORMALIZATION LSH_PROJECTION
    CONCATENATION DEQUANTIZE DENSIFY FLOOR RELU RELU_N1_TO_1 RELU6 LOGISTIC TANH SUB DIV PAD
    PADV2 UNIDIRECTIONAL_SEQUENCE_RNN SPACE_TO_BATCH_ND BATCH_TO_SPACE_ND STRIDED_SLICE
    TRANSPOSE""".split()
)
# The oracle's API levels and the runtime feature level its fake device reported.
FEATURE_LEVEL = {27: None, 28: None, 29: 3, 30: 4, 31: 5, 33: 6, 34: 7, 35: 8}

_CUSTOM_PREFIX = UNSUPPORTED_OPERATOR.message + " "


def _normalise(op: str, reasons: tuple[Reason, ...]) -> tuple[bool, list[tuple[str, str]]]:
    """(supported, [(type, message)]) as the oracle would record opcompat's reasons."""
    if reasons == (SILENT_REFUSAL,):
        return False, []
    got = [(r.code, r.message) for r in reasons]
    if (
        op == "CUSTOM"
        and len(got) == 1
        and got[0][0] == UNSUPPORTED_OPERATOR.code
        and got[0][1].startswith(_CUSTOM_PREFIX)
    ):
        got = [(UNSUPPORTED_OPERATOR.code, UNSUPPORTED_OPERATOR.message)]
    return not reasons, got


def _compare(seen: set[str]) -> Iterator[str]:
    """Every disagreement, one line each; adds every op compared to `seen`."""
    for path in sorted(ORACLE.glob("*.json")):
        data = json.loads(path.read_text())
        model_path = CORPUS / data["model_file_name"]
        if not model_path.is_file():
            continue
        model = None
        for result in data["results"]:
            if "nodes" not in result:
                continue
            target = make_target(result["sdk"], FEATURE_LEVEL[result["sdk"]])
            nnapi = result["nnapi"]
            if (target.validate_level, target.is_accelerator_specified) != (
                nnapi["validate_target_feature_level"],
                nnapi["validate_is_accelerator_specified"],
            ):
                yield (
                    f"{data['model_file_name']} api {result['sdk']}: oracle Validate args "
                    f"{nnapi['validate_target_feature_level']}/"
                    f"{nnapi['validate_is_accelerator_specified']}, opcompat "
                    f"{target.validate_level}/{target.is_accelerator_specified}"
                )
                continue
            groups: list[tuple[int, list[dict[str, Any]]]] = [(0, result["nodes"])]
            groups += [(g["index"], g["nodes"]) for g in result.get("other_subgraphs") or []]
            for sg_index, nodes in groups:
                for node in nodes:
                    if model is None:
                        model = read_model(model_path)
                    subgraph = model.subgraphs[sg_index]
                    op = subgraph.operators[node["index"]]
                    seen.add(node["op"])
                    where = (
                        f"{data['model_file_name']} sg{sg_index} #{node['index']} "
                        f"{node['op']} api {result['sdk']}"
                    )
                    if op.op != node["op"]:
                        yield f"{where}: opcompat reads the op as {op.op}"
                        continue
                    supported, got = _normalise(op.op, validate(model, subgraph, op, target))
                    want = [(f["type"], f["message"]) for f in node["failures"]]
                    if supported != node["supported"] or want != got:
                        yield (
                            f"{where}: oracle {node['supported']} {want}, "
                            f"opcompat {supported} {got}"
                        )


def test_rules_equal_the_oracle() -> None:
    if not ORACLE.is_dir() or not CORPUS.is_dir():
        pytest.skip(f"oracle or corpus not found ({ORACLE}, {CORPUS})")
    seen: set[str] = set()
    differences = list(_compare(seen))
    assert not differences, f"{len(differences)} disagreements:\n" + "\n".join(differences[:20])
    # Every registered rule, the custom-op path and the original ops were really compared.
    assert not set(RULES) - seen, f"rules the oracle never exercised: {sorted(set(RULES) - seen)}"
    assert "CUSTOM" in seen
    assert ORIGINAL_OPS <= seen


def test_custom_normalisation_is_narrow() -> None:
    """Only the custom-op suffix and the silent refusal are normalised."""
    ours = Reason(UNSUPPORTED_OPERATOR.code, _CUSTOM_PREFIX + "X is a custom op.", "")
    assert _normalise("CUSTOM", (ours,)) == (
        False, [(UNSUPPORTED_OPERATOR.code, UNSUPPORTED_OPERATOR.message)]
    )
    # The same text on a builtin op, or another message on a custom op, is kept as it is.
    assert _normalise("ADD", (ours,)) == (False, [(ours.code, ours.message)])
    other = Reason(UNSUPPORTED_OPERATOR.code, "Unsupported operation typeX", "")
    assert _normalise("CUSTOM", (other,)) == (False, [(other.code, other.message)])
    assert _normalise("DENSIFY", (SILENT_REFUSAL,)) == (False, [])
    assert _normalise("ADD", ()) == (True, [])
