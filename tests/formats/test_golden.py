"""Golden outputs of every format for real corpus models (`tests/golden/formats/`).

A difference fails the test. After a deliberate change, regenerate them with
`OPCOMPAT_REGEN_GOLDEN=1 python -m pytest tests/formats/test_golden.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from opcompat.formats.base import FormatChoice
from opcompat.report import ModelReport, Report

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "formats"
REGEN = os.environ.get("OPCOMPAT_REGEN_GOLDEN") == "1"
API_LEVEL = 30

MODELS = (
    "gh-coral__mobilenet_v1_0.25_128_quant.tflite",  # fully delegated, one partition
    "gh-tflm__keyword_scrambled.tflite",  # three partitions, most ops on the CPU
    "pypi-pymicro-wakeword__hey_mycroft.tflite",  # two subgraphs, refused as a whole
    "gen-gru__fp32.tflite",  # three subgraphs (WHILE), partitions in each
    "gh-litert__ff.tflite",  # the plan runs a CPU op (10) before the partition of ops 1-12
)
EXTENSIONS = {"table": "txt", "markdown": "md", "json": "json", "sarif": "sarif", "html": "html"}


def normalised(report: Report) -> Report:
    """Without what depends on the machine or the release: the directory, versions, table hashes."""
    models = tuple(
        m._replace(path=Path(m.path).name) if isinstance(m, ModelReport) else m
        for m in report.models
    )
    return Report(models, tool_version="golden", tables={})


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize("name", MODELS)
def test_golden(corpus: list[Path], name: str, fmt: str) -> None:
    from opcompat.analysis import check_many

    path = next((p for p in corpus if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} is not in the corpus")
    text = (
        FormatChoice(fmt)
        .to_format()
        .render(normalised(check_many([str(path)], api_level=API_LEVEL)))
    )
    if fmt == "json":
        from test_json_schema import validate_report_json

        validate_report_json(json.loads(text))
    elif fmt == "sarif":
        from test_sarif import validate_sarif

        validate_sarif(json.loads(text))
    golden = GOLDEN / Path(name).stem / f"api{API_LEVEL}.{EXTENSIONS[fmt]}"
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    if not golden.is_file():
        pytest.fail(f"no golden file {golden}; create it with OPCOMPAT_REGEN_GOLDEN=1")
    expected = golden.read_text(encoding="utf-8")
    assert text == expected, (
        f"{fmt} output of {name} differs from {golden}; if the change is intended, "
        "regenerate with OPCOMPAT_REGEN_GOLDEN=1 and review the diff"
    )


TARGET_MODELS = (
    ("zoo-multi__chain5part_fp16.tflite", "gpu"),  # five partitions, one kept; fp16 weights
    ("gh-litert__ff.tflite", "gpu"),  # the graph build fails: refused as a whole
    ("gh-tflm__keyword_scrambled.tflite", "all"),  # both targets side by side
)


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize(("name", "target"), TARGET_MODELS)
def test_golden_targets(corpus: list[Path], name: str, target: str, fmt: str) -> None:
    from opcompat.analysis import check_many

    path = next((p for p in corpus if p.name == name), None)
    if path is None:
        pytest.skip(f"{name} is not in the corpus")
    report = normalised(check_many([str(path)], api_level=API_LEVEL, target=target))
    text = FormatChoice(fmt).to_format().render(report)
    if fmt == "json":
        from test_json_schema import validate_report_json

        validate_report_json(json.loads(text))
    elif fmt == "sarif":
        from test_sarif import validate_sarif

        validate_sarif(json.loads(text))
    golden = GOLDEN / Path(name).stem / f"{target}.{EXTENSIONS[fmt]}"
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    if not golden.is_file():
        pytest.fail(f"no golden file {golden}; create it with OPCOMPAT_REGEN_GOLDEN=1")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{fmt} output of {name} for --target {target} differs from {golden}; if the change "
        "is intended, regenerate with OPCOMPAT_REGEN_GOLDEN=1 and review the diff"
    )
