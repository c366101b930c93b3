"""The canonical synthetic reports every format, gate, baseline and diff test renders.

Built from the frozen result types only, so the formats are tested without the engine. The
fixtures are in `tests/formats/conftest.py`; `validate_report_json` checks a JSON report against
the published schema.
"""

from __future__ import annotations

import json
from pathlib import Path

from opcompat.digest import ModelDigest
from opcompat.report import (
    CheckOptions,
    ModelError,
    ModelReport,
    OperatorResult,
    Partition,
    Reason,
    Refusal,
    Report,
    SubgraphResult,
)

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "reports" / "schema" / "report.schema.json"


def validate_report_json(data: object) -> None:
    """Assert that `data` is valid against the published report schema (formats included)."""
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


OPTS30 = CheckOptions(
    api_level=30, feature_level=4, validate_level=30, is_accelerator_specified=True
)

# Reason codes used below: the delegate's own failure types, and opcompat's codes for a
# partition dropped by the partition cap and for a model refused as a whole.
CAP_CODE = "opcompatPartitionDropped"
REFUSAL_CODE = "opcompatDynamicTensors"
REFUSED_OP_CODE = "opcompatDelegationRefused"

SHA_PARTIAL = "a" * 64
SHA_FULL = "b" * 64
SHA_REFUSED = "c" * 64
SHA_MULTI = "d" * 64
SHA_TRICKY = "e" * 64


def op(
    sg: int,
    index: int,
    name: str,
    *,
    delegated: bool,
    partition: int | None = None,
    supported: bool | None = None,
    reasons: tuple[Reason, ...] = (),
    version: int = 1,
    nnapi: tuple[str, ...] = (),
    first: int | None = 27,
) -> OperatorResult:
    return OperatorResult(
        subgraph=sg,
        index=index,
        op=name,
        version=version,
        operations=nnapi,
        supported=delegated if supported is None else supported,
        delegated=delegated,
        reasons=reasons,
        partition=partition if delegated else None,
        first_api_level=first,
    )


def part(sg: int, nodes: tuple[int, ...]) -> Partition:
    return Partition(subgraph=sg, nodes=nodes, input_tensors=(0,), output_tensors=(1,))


def partial_model() -> ModelReport:
    """Three partitions, a custom op, a too-new op version, and a partition left by the cap."""
    ops = (
        op(0, 0, "CONV_2D", delegated=True, partition=0, nnapi=("CONV_2D",)),
        op(0, 1, "DEPTHWISE_CONV_2D", delegated=True, partition=0, nnapi=("DEPTHWISE_CONV_2D",)),
        op(
            0,
            2,
            "CUSTOM:TFLite_Detection_PostProcess",
            delegated=False,
            first=None,
            reasons=(Reason("kUnsupportedOperator", "Unsupported operation type."),),
        ),
        op(0, 3, "ADD", delegated=True, partition=1, nnapi=("ADD",)),
        op(
            0,
            4,
            "MEAN",
            delegated=False,
            version=3,
            first=None,
            nnapi=("MEAN",),
            reasons=(
                Reason("kUnsupportedOperatorVersion", "Supported op versions are [1, 2]"),
                Reason("kUnsupportedInputType", "Input should be kTfLiteFloat32 or kTfLiteUInt8"),
            ),
        ),
        op(0, 5, "SOFTMAX", delegated=True, partition=2, nnapi=("SOFTMAX",)),
        op(
            0,
            6,
            "MEAN",
            delegated=False,
            version=3,
            first=None,
            nnapi=("MEAN",),
            reasons=(Reason("kUnsupportedOperatorVersion", "Supported op versions are [1, 2]"),),
        ),
        op(
            0,
            7,
            "LOGISTIC",
            delegated=False,
            supported=True,
            nnapi=("LOGISTIC",),
            reasons=(
                Reason(CAP_CODE, "partition dropped: only the 3 largest partitions are delegated"),
            ),
        ),
    )
    sg = SubgraphResult(
        0, "main", (part(0, (0, 1)), part(0, (3,)), part(0, (5,))), (part(0, (7,)),)
    )
    return ModelReport(
        "models/partial.tflite", ModelDigest(value=SHA_PARTIAL), OPTS30, ops, (sg,), None, None
    )


def full_model() -> ModelReport:
    ops = (
        op(0, 0, "CONV_2D", delegated=True, partition=0, nnapi=("CONV_2D",)),
        op(0, 1, "RELU", delegated=True, partition=0, nnapi=("RELU",)),
        op(
            0,
            2,
            "FULLY_CONNECTED",
            delegated=True,
            partition=0,
            nnapi=("FULLY_CONNECTED",),
            first=28,
        ),
    )
    sg = SubgraphResult(0, "", (part(0, (0, 1, 2)),))
    return ModelReport(
        "models/full.tflite", ModelDigest(value=SHA_FULL), OPTS30, ops, (sg,), None, 28
    )


def refused_model() -> ModelReport:
    """A model with a dynamic tensor: the delegate delegates nothing at all."""
    ops = (
        op(
            0,
            0,
            "ADD",
            delegated=False,
            supported=True,
            nnapi=("ADD",),
            reasons=(
                Reason(
                    REFUSED_OP_CODE, "Supported, but the delegate delegated nothing in this model"
                ),
            ),
        ),
        op(0, 1, "RESHAPE", delegated=False, supported=True, nnapi=("RESHAPE",)),
        op(
            0,
            2,
            "GATHER",
            delegated=False,
            supported=False,
            nnapi=("GATHER",),
            first=29,
            reasons=(Reason("kUnsupportedAndroidVersion", "Android sdk version less than 29"),),
        ),
    )
    sg = SubgraphResult(0, "", ())
    refusal = Refusal(
        REFUSAL_CODE, "tensor 3 is dynamic: the delegate applies to static graphs only", ((0, 3),)
    )
    return ModelReport(
        "models/refused.tflite", ModelDigest(value=SHA_REFUSED), OPTS30, ops, (sg,), refusal, None
    )


def multi_model() -> ModelReport:
    """Two subgraphs: a WHILE on the CPU in 0, its body delegated in 1."""
    ops = (
        op(
            0,
            0,
            "WHILE",
            delegated=False,
            first=None,
            reasons=(Reason("kUnsupportedOperator", "Unsupported operation type."),),
        ),
        op(1, 0, "ADD", delegated=True, partition=0, nnapi=("ADD",)),
        op(1, 1, "LESS", delegated=True, partition=0, nnapi=("LESS",), first=29),
    )
    sgs = (SubgraphResult(0, "main", ()), SubgraphResult(1, "body", (part(1, (0, 1)),)))
    return ModelReport(
        "models/multi.tflite", ModelDigest(value=SHA_MULTI), OPTS30, ops, sgs, None, None
    )


def tricky_model() -> ModelReport:
    """Names and messages with every character a format must escape."""
    ops = (
        op(
            0,
            0,
            'CUSTOM:a|b<c>&"d`',
            delegated=False,
            first=None,
            reasons=(
                Reason("kUnsupportedOperator", 'bad | pipe <script>alert(1)</script> & "q"\nline'),
            ),
        ),
        op(0, 1, "ADD", delegated=True, partition=0, nnapi=("ADD",)),
    )
    sg = SubgraphResult(0, "</script>", (part(0, (1,)),))
    return ModelReport(
        "models/we|ird <name>&.tflite",
        ModelDigest(value=SHA_TRICKY),
        OPTS30,
        ops,
        (sg,),
        None,
        None,
    )


def broken_model() -> ModelError:
    return ModelError("models/broken.tflite", "not a TFLite flatbuffer: bad file identifier 'XXXX'")


def big_model(n: int = 120) -> ModelReport:
    """Many operators alternating between partitions and CPU runs (markdown collapses it)."""
    ops = []
    partitions: dict[int, list[int]] = {}
    for i in range(n):
        if i % 10 == 9:
            ops.append(
                op(
                    0,
                    i,
                    "CUSTOM:Foo",
                    delegated=False,
                    first=None,
                    reasons=(Reason("kUnsupportedOperator", "Unsupported operation type."),),
                )
            )
        else:
            p = i // 10
            partitions.setdefault(p, []).append(i)
            ops.append(op(0, i, "CONV_2D", delegated=True, partition=p, nnapi=("CONV_2D",)))
    sg = SubgraphResult(0, "", tuple(part(0, tuple(v)) for _, v in sorted(partitions.items())))
    return ModelReport(
        "models/big.tflite", ModelDigest(value="f" * 64), OPTS30, tuple(ops), (sg,), None, None
    )


def report_of(*models: ModelReport | ModelError) -> Report:
    return Report(tuple(models), tool_version="0.0.0-test")


SYNTHETIC = {
    "partial": lambda: report_of(partial_model()),
    "full": lambda: report_of(full_model()),
    "refused": lambda: report_of(refused_model()),
    "multi": lambda: report_of(multi_model()),
    "tricky": lambda: report_of(tricky_model()),
    "mixed": lambda: report_of(partial_model(), full_model(), broken_model()),
    "big": lambda: report_of(big_model()),
    "empty": lambda: report_of(),
}
