"""The TFLite core facts and target-neutral options added for a second target."""

from __future__ import annotations

from pathlib import Path

import pytest

from opcompat.model.graph import Tensor, TensorType
from opcompat.tflite.types import (
    ARENA_RW,
    ARENA_RW_PERSISTENT,
    DYNAMIC,
    MMAP_RO,
    allocation_type,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def _tensor(dtype: TensorType, constant: bool = False, variable: bool = False) -> Tensor:
    return Tensor(0, "t", dtype, (1,), None, 1, constant, variable, None)


@pytest.mark.parametrize(
    ("tensor", "expected"),
    [
        (_tensor(TensorType.FLOAT32, constant=True), MMAP_RO),
        (_tensor(TensorType.FLOAT32), ARENA_RW),
        (_tensor(TensorType.FLOAT32, variable=True), ARENA_RW_PERSISTENT),
        (_tensor(TensorType.STRING), DYNAMIC),
        (_tensor(TensorType.RESOURCE, variable=True), DYNAMIC),  # dynamic wins over variable
    ],
)
def test_allocation_type(tensor: Tensor, expected: str) -> None:
    assert allocation_type(tensor) == expected


def test_custom_options_bytes_are_located() -> None:
    path = SHARED / "models-gpu" / "gpuzoo-maxpoolingwithargmax2d__same_k3s2_fp32.tflite"
    if not path.is_file():
        pytest.skip("../shared is absent")
    from opcompat.model import read_model

    model = read_model(str(path))
    op = model.subgraphs[0].operators[0]
    data = model.custom_options(op)
    assert data is not None and len(data) == op.custom_options_size == 40
    # TfLitePoolParams: padding, stride_width, stride_height, filter_width, filter_height
    assert bytes(data[:20]) == bytes([1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0])
    builtin = read_model(str(SHARED / "models" / "zoo-multi__chain5part_fp16.tflite"))
    assert builtin.custom_options(builtin.subgraphs[0].operators[0]) is None


def test_baseline_entries_record_their_target(tmp_path: Path) -> None:
    from opcompat.baseline import Baseline, ModelBaseline, dumps, load

    b = Baseline((ModelBaseline("m.tflite", "ab", (), "nnapi"),), 30, "t")
    f = tmp_path / "b.json"
    f.write_text(dumps(b))
    got = load(f)
    assert got.models[0].target == "nnapi"
    assert got.for_model("x/m.tflite", "", "nnapi") is not None
    assert got.for_model("x/m.tflite", "", "other") is None
    # A file written before targets existed: its entries are NNAPI's.
    f.write_text(dumps(b).replace('"target": "nnapi",', ""))
    assert load(f).models[0].target == "nnapi"


def test_target_all_gives_one_entry_per_model_and_target() -> None:
    path = SHARED / "models" / "zoo-multi__chain5part_fp16.tflite"
    if not path.is_file():
        pytest.skip("../shared is absent")
    from opcompat.analysis import check_many
    from opcompat.targets import TargetChoice

    report = check_many([str(path), str(path)], target="all", jobs=1)
    assert [m.target for m in report.models] == [t.value for t in TargetChoice] * 2


def test_options_without_levels_render() -> None:
    from opcompat.formats import summary
    from opcompat.formats.json import options_to_dict
    from opcompat.report import CheckOptions

    o = CheckOptions(None, None, None, None, False, 1, (("quant", True),))
    assert options_to_dict(o)["api_level"] is None and options_to_dict(o)["quant"] is True
    assert summary.checked_at.__doc__


@pytest.mark.parametrize(
    ("args", "notes"),
    [
        (["--gpu-no-quant"], ["--gpu-no-quant is an option of --target gpu"]),
        (["--target", "gpu", "--api-level", "30", "--nnapi-cpu"],
         ["--api-level is an option of --target nnapi",
          "--nnapi-cpu is an option of --target nnapi"]),
        (["--target", "all", "--api-level", "30", "--gpu-no-opencl"], []),
        (["--target", "gpu", "--gpu-no-quant"], []),
        (["--api-level", "30"], []),
    ],
)
def test_a_flag_of_a_target_not_checked_is_noted(
    args: list[str], notes: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    from opcompat.cli import main

    assert main(["check", "--example", "chain", "--summary", *args]) == 0
    err = capsys.readouterr().err
    shown = [line for line in err.splitlines() if line.startswith("opcompat: note: ")]
    assert len(shown) == len(notes), err
    for line, note in zip(shown, notes, strict=True):
        assert line.startswith(f"opcompat: note: {note}") and line.endswith(": ignored")
