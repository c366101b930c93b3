"""`opcompat inspect`: the op histogram with versions, dtypes, counts; exit codes 0/2/3."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from builders import ModelBuilder, Quant

from opcompat.cli import main


def _model(path: Path) -> Path:
    mb = ModelBuilder(description="demo")
    sg = mb.subgraph("main")
    x = sg.tensor([1, 8, 8, 3], "FLOAT32", name="x")
    w = sg.tensor([4, 1, 1, 3], "INT8", data=bytes(12), quant=Quant(scale=[1.0] * 4,
                                                                    zero_point=[0] * 4))
    y = sg.tensor([1, 8, 8, 4], "FLOAT32", name="y")
    z = sg.tensor([1, 8, 8, 4], "FLOAT32", name="z")
    sg.op("CONV_2D", [x, w, -1], [y], options={}, version=3)
    sg.op("CONV_2D", [y, w, -1], [z], options={}, version=3)
    sg.op("CONV_2D", [z, w, -1], [y], options={}, version=2)
    sg.op("CUSTOM", [y], [z], custom_code="MyOp")
    sg.op(4242, [z], [y])
    sg.inputs, sg.outputs = [x], [y, z]
    body = mb.subgraph("body")
    a, b = body.tensor([1], "INT32"), body.tensor([1], "INT32")
    body.op("CUMSUM", [a], [b], options={})
    body.inputs, body.outputs = [a], [b]
    mb.signature("serving_default", 0, {"x": x}, {"y": y, "z": z})
    return mb.write(path)


def test_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _model(tmp_path / "demo.tflite")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: " in out and "2 subgraphs" in out and "'demo'" in out
    assert "subgraph 0 'main': 5 operators, 1 input, 2 outputs, 4 tensors (1 constant)" in out
    lines = [line.split() for line in out.splitlines()]
    assert ["CONV_2D", "v3", "×2"] in lines
    assert ["CONV_2D", "v2", "×1"] in lines
    assert ["CUSTOM:MyOp", "v1", "×1"] in lines
    assert ["UNKNOWN_4242", "v1", "×1"] in lines
    assert ["CUMSUM", "v1", "×1"] in lines
    assert ["FLOAT32", "3", "0"] in lines and ["INT8", "1", "1"] in lines
    assert "signature 'serving_default' -> subgraph 0: inputs x; outputs y, z" in out


def test_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _model(tmp_path / "demo.tflite")
    assert main(["inspect", "--format", "json", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"opcompat_version", "models", "errors"} and doc["errors"] == []
    (m,) = doc["models"]
    assert m["path"] == str(path) and m["schema_version"] == 3 and m["description"] == "demo"
    assert m["size"] == path.stat().st_size
    assert m["signatures"] == [{"key": "serving_default", "subgraph": 0, "inputs": ["x"],
                                "outputs": ["y", "z"]}]
    main_sg, body = m["subgraphs"]
    assert {k: main_sg[k] for k in ("index", "name", "inputs", "outputs", "tensors",
                                    "constants", "operators")} == {
        "index": 0, "name": "main", "inputs": 1, "outputs": 2, "tensors": 4, "constants": 1,
        "operators": 5}
    assert main_sg["ops"] == [
        {"op": "CONV_2D", "version": 3, "count": 2},
        {"op": "CONV_2D", "version": 2, "count": 1},
        {"op": "CUSTOM:MyOp", "version": 1, "count": 1},
        {"op": "UNKNOWN_4242", "version": 1, "count": 1},
    ]
    assert main_sg["dtypes"] == [{"dtype": "FLOAT32", "tensors": 3, "constants": 0},
                                 {"dtype": "INT8", "tensors": 1, "constants": 1}]
    assert body["ops"] == [{"op": "CUMSUM", "version": 1, "count": 1}]


def test_unreadable_model_exit_3_others_still_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _model(tmp_path / "good.tflite")
    lfs = tmp_path / "lfs.tflite"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 9\n")
    missing = tmp_path / "missing.tflite"
    assert main(["inspect", "--format", "json", str(lfs), str(good), str(missing)]) == 3
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [m["path"] for m in doc["models"]] == [str(good)]
    assert [e["path"] for e in doc["errors"]] == [str(lfs), str(missing)]
    err = captured.err.splitlines()
    assert err == [
        f"opcompat: error: {lfs}: is a Git LFS pointer, not a model; run `git lfs pull`",
        f"opcompat: error: {missing}: no such file",
    ]


def test_truncated_model_table_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _model(tmp_path / "good.tflite")
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(good.read_bytes()[:100])
    assert main(["inspect", str(good), str(bad)]) == 3
    captured = capsys.readouterr()
    assert "CONV_2D" in captured.out
    assert len(captured.err.splitlines()) == 1 and str(bad) in captured.err


@pytest.mark.parametrize("argv", [["inspect"], ["inspect", "--format", "xml", "m.tflite"],
                                  ["inspect", "--bogus", "m.tflite"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_process_no_traceback(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    proc = subprocess.run([sys.executable, "-m", "opcompat", "inspect", str(empty)],
                          capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stderr == f"opcompat: error: {empty}: is empty (0 bytes), not a model\n"
    assert proc.stdout == ""


def test_corpus_models_inspect(corpus: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    paths = [str(p) for p in corpus[:: max(1, len(corpus) // 25)]]
    assert main(["inspect", "--format", "json", *paths]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["models"]) == len(paths)
    for m in doc["models"]:
        for sg in m["subgraphs"]:
            assert sum(o["count"] for o in sg["ops"]) == sg["operators"]
            assert sum(d["tensors"] for d in sg["dtypes"]) == sg["tensors"]
            assert sum(d["constants"] for d in sg["dtypes"]) == sg["constants"]


def test_directory_and_glob_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    a = _model(tmp_path / "a.tflite")
    b = _model(tmp_path / "sub" / "b.tflite")
    assert main(["inspect", "--format", "json", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["path"] for m in doc["models"]] == [str(a), str(b)]
    assert main(["inspect", "--format", "json", str(tmp_path / "*.tflite")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["path"] for m in doc["models"]] == [str(a)]


def test_empty_directory_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(tmp_path)]) == 2
    assert "contains no .tflite models" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_inspect_writes_to_a_file(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from builders import simple_model

    model = tmp_path / "m.tflite"
    model.write_bytes(simple_model("ADD"))
    out = tmp_path / f"inspect.{fmt}"
    assert main(["inspect", str(model), "--format", fmt, "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert "ADD" in out.read_text()
    assert main(["inspect", str(model), "-o", str(model)]) == 2  # never over an input model
