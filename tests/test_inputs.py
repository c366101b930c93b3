"""MODEL arguments: files, directories, globs, and TensorFlow inputs (converted when TF is there)."""

from __future__ import annotations

import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from opcompat.errors import ModelReadError, UsageError
from opcompat.inputs import CONVERT_HINT, ModelInput, check_inputs, convert, expand, expand_paths


def touch(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    touch(tmp_path / "a.tflite")
    touch(tmp_path / "sub" / "b.tflite")
    touch(tmp_path / "sub" / "deeper" / "c.TFLITE")
    touch(tmp_path / "sub" / "notes.txt")
    touch(tmp_path / "empty" / "readme.md")
    touch(tmp_path / "saved" / "saved_model.pb")
    touch(tmp_path / "k.keras")
    touch(tmp_path / "g.pb")
    return tmp_path


def test_directories_are_searched_recursively(tree: Path) -> None:
    got = [i.path for i in expand([str(tree / "sub")])]
    assert got == [str(tree / "sub" / "b.tflite"), str(tree / "sub" / "deeper" / "c.TFLITE")]


def test_files_globs_and_no_repeats(tree: Path) -> None:
    got = expand([str(tree / "a.tflite"), str(tree / "**" / "*.tflite"), str(tree / "sub")])
    assert [Path(i.path).name for i in got] == ["a.tflite", "b.tflite", "c.TFLITE"]
    assert all(i.kind == "tflite" for i in got)


def test_missing_file_is_kept_for_the_check_to_report(tmp_path: Path) -> None:
    assert expand([str(tmp_path / "gone.tflite")]) == [ModelInput(str(tmp_path / "gone.tflite"))]


def test_empty_directory_and_empty_glob_are_usage_errors(tree: Path) -> None:
    with pytest.raises(UsageError, match="contains no .tflite models"):
        expand([str(tree / "empty")])
    with pytest.raises(UsageError, match="no file matches"):
        expand([str(tree / "*.nothing")])


def test_tensorflow_inputs_are_recognised(tree: Path) -> None:
    kinds = {
        Path(i.path).name: i.kind
        for i in expand([str(tree / "saved"), str(tree / "k.keras"), str(tree / "g.pb")])
    }
    assert kinds == {"saved": "saved_model", "k.keras": "keras", "g.pb": "frozen_graph"}
    with pytest.raises(UsageError, match="TensorFlow saved model"):
        expand_paths([str(tree / "saved")])


def test_without_tensorflow_the_message_names_the_extra(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import tensorflow -> ImportError
    with pytest.raises(UsageError) as err:
        convert(ModelInput(str(tree / "saved"), "saved_model"))
    assert CONVERT_HINT in str(err.value)
    assert 'pip install "opcompat[convert]"' in str(err.value)


class FakeConverter:
    made: list[tuple[str, Any]] = []

    def __init__(self, how: str, what: Any, payload: bytes) -> None:
        self.how, self.what, self.payload = how, what, payload
        self.target_spec = types.SimpleNamespace(supported_ops=None)
        self.allow_custom_ops = False
        FakeConverter.made.append((how, self))

    def convert(self) -> bytes:
        if self.payload == b"fail":
            raise ValueError("Op type not registered 'Frobnicate'\nmore detail")
        return self.payload


def fake_tensorflow(payload: bytes, calls: list[Any]) -> types.ModuleType:
    tf = types.ModuleType("tensorflow")
    ops_set = types.SimpleNamespace(TFLITE_BUILTINS="builtins", SELECT_TF_OPS="select")

    class Lite:
        OpsSet = ops_set

        class TFLiteConverter:
            @staticmethod
            def from_saved_model(path: str) -> FakeConverter:
                return FakeConverter("saved_model", path, payload)

            @staticmethod
            def from_keras_model(model: Any) -> FakeConverter:
                return FakeConverter("keras", model, payload)

    def load_model(path: str, **kwargs: Any) -> str:
        calls.append(("load_model", path, kwargs))
        return "keras-model"

    tf.lite = Lite  # type: ignore[attr-defined]
    tf.keras = types.SimpleNamespace(models=types.SimpleNamespace(load_model=load_model))  # type: ignore[attr-defined]
    return tf


def test_conversion_keeps_flex_and_custom_ops(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"TFL3-bytes", calls))
    FakeConverter.made.clear()
    assert convert(ModelInput(str(tree / "saved"), "saved_model")) == b"TFL3-bytes"
    assert convert(ModelInput(str(tree / "k.keras"), "keras")) == b"TFL3-bytes"
    assert calls == [("load_model", str(tree / "k.keras"), {"safe_mode": True, "compile": False})]
    for _, conv in FakeConverter.made:
        assert conv.target_spec.supported_ops == ["builtins", "select"]
        assert conv.allow_custom_ops is True


def test_conversion_failure_is_one_line(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"fail", []))
    with pytest.raises(ModelReadError) as err:
        convert(ModelInput(str(tree / "saved"), "saved_model"))
    assert (
        str(err.value)
        == f"{tree / 'saved'}: TensorFlow could not convert it: Op type not registered 'Frobnicate'"
    )


def test_converted_model_is_checked_under_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: list[Path]
) -> None:
    real = next(m for m in corpus if m.name == "gh-tflm__hello_world_int8.tflite")
    touch(tmp_path / "saved" / "saved_model.pb")
    shutil.copy(real, tmp_path / "plain.tflite")
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(real.read_bytes(), []))
    report = check_inputs(
        expand(
            [
                str(tmp_path / "plain.tflite"),
                str(tmp_path / "saved"),
                str(tmp_path / "missing.tflite"),
            ]
        ),
        api_level=30,
    )
    paths = [m.path for m in report.models]
    assert paths == [
        str(tmp_path / "plain.tflite"),
        str(tmp_path / "saved"),
        str(tmp_path / "missing.tflite"),
    ]
    plain, saved, missing = report.models
    assert plain.sha256 == saved.sha256 and plain.operators == saved.operators
    assert hasattr(missing, "error")
