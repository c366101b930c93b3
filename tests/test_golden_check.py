"""`opcompat check --format json` on three corpus models equals the committed golden documents.

Regenerate after an intended change: `python tests/test_golden_check.py` (then review the diff).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from tests.conftest import CORPUS  # noqa: E402

GOLDEN = HERE / "golden" / "check"

# (model, argv after the model): fp16 weights with control-flow subgraphs; an int16 conv whose
# int64 bias makes the NNAPI model unbuildable; resource variables (dynamic tensors: refused
# as a whole).
CASES: dict[str, tuple[str, list[str]]] = {
    "lstm_fp16_api30": ("gen-lstm__fp16.tflite", ["--api-level", "30"]),
    "conv_i16x8_api33": ("zoo-conv_2d__i16x8_nobiasq.tflite", ["--api-level", "33"]),
    "hey_mycroft_api33": ("pypi-pymicro-wakeword__hey_mycroft.tflite", ["--api-level", "33"]),
}


def produce(model: Path, argv: list[str]) -> dict[str, Any]:
    from opcompat.analysis import check_many
    from opcompat.formats.json import render

    api = int(argv[argv.index("--api-level") + 1])
    doc = json.loads(render(check_many([str(model)], api_level=api)))
    doc["tool"]["version"] = "<version>"
    doc["tool"]["tables"] = "<tables>"
    for m in doc["models"]:
        m["path"] = Path(m["path"]).name
        # The NNAPI spec cross-check (opcompat.targets.nnapi.rules.spec_check) is pinned by its
        # own tests.
        for op in m.get("operators", []):
            op["warnings"] = [w for w in op["warnings"] if not w["code"].startswith("opcompatSpec")]
    return doc


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    model_name, argv = CASES[name]
    model = CORPUS / model_name
    if not model.is_file():
        pytest.skip(f"{model} not found")
    expected = json.loads((GOLDEN / f"{name}.json").read_text())
    assert produce(model, argv) == expected


if __name__ == "__main__":
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, (model_name, argv) in CASES.items():
        text = json.dumps(produce(CORPUS / model_name, argv), indent=1) + "\n"
        (GOLDEN / f"{name}.json").write_text(text)
        print(f"wrote {GOLDEN / name}.json")
