"""MODEL arguments: files, directories, globs, TensorFlow inputs (converted when TF is there)."""

from __future__ import annotations

import json
import shutil
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest

from opcompat import inputs, tfconvert
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
    # A SavedModel's saved_model.pb named as a file stands for its directory.
    assert expand([str(tree / "saved" / "saved_model.pb")])[0].kind == "saved_model"
    with pytest.raises(UsageError, match="TensorFlow SavedModel"):
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

    tf.lite = Lite  # type: ignore[attr-defined]
    return tf


def fake_keras(calls: list[Any], version: str = "3.15.1") -> types.ModuleType:
    keras = types.ModuleType("keras")

    def load_model(path: str, **kwargs: Any) -> str:
        calls.append(("load_model", path, kwargs))
        return "keras-model"

    keras.__version__ = version  # type: ignore[attr-defined]
    keras.models = types.SimpleNamespace(load_model=load_model)  # type: ignore[attr-defined]
    return keras


def keras_file(path: Path, layers: list[dict[str, Any]]) -> Path:
    """A `.keras` zip whose config.json holds a Sequential model of `layers`."""
    config = {"module": "keras", "class_name": "Sequential", "config": {"layers": layers}}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
    return path


DENSE = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 2}}
LAMBDA = {
    "module": "keras.layers",
    "class_name": "Lambda",
    "config": {"function": {"class_name": "__lambda__", "config": {"code": "4wEAAA=="}}},
}


def test_conversion_keeps_flex_and_custom_ops(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"TFL3-bytes", calls))
    monkeypatch.setitem(sys.modules, "keras", fake_keras(calls))
    keras_file(tree / "k.keras", [DENSE])
    FakeConverter.made.clear()
    assert tfconvert.convert_in_process("saved_model", str(tree / "saved")) == b"TFL3-bytes"
    assert tfconvert.convert_in_process("keras", str(tree / "k.keras")) == b"TFL3-bytes"
    assert calls == [("load_model", str(tree / "k.keras"), {"safe_mode": True, "compile": False})]
    for _, conv in FakeConverter.made:
        assert conv.target_spec.supported_ops == ["builtins", "select"]
        assert conv.allow_custom_ops is True


@pytest.mark.parametrize(
    ("layer", "why"),
    [
        (LAMBDA, "a Lambda layer"),
        ({"module": "os", "class_name": "system", "config": {}}, "an object from the module 'os'"),
        (
            {"module": None, "class_name": "Twice", "registered_name": "mypkg>Twice"},
            "the custom class 'mypkg>Twice'",
        ),
    ],
)
def test_unsafe_keras_files_are_refused_before_keras_loads_them(
    tree: Path, monkeypatch: pytest.MonkeyPatch, layer: dict[str, Any], why: str
) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"TFL3-bytes", calls))
    monkeypatch.setitem(sys.modules, "keras", fake_keras(calls))
    keras_file(tree / "k.keras", [DENSE, layer])
    with pytest.raises(tfconvert.Refused, match=f"refused: the Keras model contains {why}"):
        tfconvert.convert_in_process("keras", str(tree / "k.keras"))
    assert calls == []  # Keras never saw the file


def test_old_keras_is_not_trusted_with_keras_files(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"TFL3-bytes", calls))
    monkeypatch.setitem(sys.modules, "keras", fake_keras(calls, version="3.8.0"))
    keras_file(tree / "k.keras", [DENSE])
    with pytest.raises(tfconvert.Unavailable, match="Keras 3.8.0 cannot load Keras files safely"):
        tfconvert.convert_in_process("keras", str(tree / "k.keras"))
    assert calls == []


def test_conversion_failure_is_one_line(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", fake_tensorflow(b"fail", []))
    with pytest.raises(tfconvert.Refused) as err:
        tfconvert.convert_in_process("saved_model", str(tree / "saved"))
    assert str(err.value) == "TensorFlow could not convert it: Op type not registered 'Frobnicate'"


# A stand-in `tensorflow` package for the child process: what it does is read from a `mode`
# file in the SavedModel directory, and it notes the temporary directory it was given.
FAKE_TF_PACKAGE = r"""
import os, signal, sys, tempfile

class _Converter:
    def __init__(self, path):
        self.path = path
        self.target_spec = type("Spec", (), {})()

    def convert(self):
        with open(os.path.join(self.path, "tmpdir"), "w") as fh:
            fh.write(tempfile.gettempdir())
        with open(os.path.join(tempfile.gettempdir(), "scratch"), "w") as fh:
            fh.write("left behind")
        print("Saved artifact at '/tmp/x'. noise on stdout")
        print("noise on stderr", file=sys.stderr)
        mode = open(os.path.join(self.path, "mode")).read()
        if mode == "abort":
            print("F0000 check.cc:1] Check failed: \x1b[31mnodes\x1b[0m", file=sys.stderr)
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGABRT)
        if mode == "fail":
            raise ValueError("Op type not registered 'Frobnicate'\nmore detail")
        with open(os.path.join(self.path, "model.bin"), "rb") as fh:
            return fh.read()

class lite:
    class OpsSet:
        TFLITE_BUILTINS, SELECT_TF_OPS = 1, 2

    class TFLiteConverter:
        @staticmethod
        def from_saved_model(path):
            return _Converter(path)
"""


@pytest.fixture
def child_tf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake TensorFlow importable by this process (found, never imported) and its child."""
    site = tmp_path / "site"
    touch(site / "tensorflow" / "__init__.py", FAKE_TF_PACKAGE.encode())
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    saved = tmp_path / "saved"
    touch(saved / "saved_model.pb")
    return saved


def run_child(saved: Path, mode: str, payload: bytes = b"") -> bytes:
    (saved / "mode").write_text(mode)
    (saved / "model.bin").write_bytes(payload)
    before = sys.modules.get("tensorflow")  # the real one when test_convert_tf.py ran first
    try:
        return convert(ModelInput(str(saved), "saved_model"))
    finally:
        scratch = Path((saved / "tmpdir").read_text())
        assert scratch.name.startswith("opcompat-convert-")
        assert not scratch.exists()  # the child's temporary directory is gone
        assert sys.modules.get("tensorflow") is before  # this process imported nothing


def test_child_process_returns_the_flatbuffer_and_keeps_stdout_clean(
    child_tf: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_child(child_tf, "ok", b"TFL3-converted") == b"TFL3-converted"
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_child_process_failure_is_one_line(child_tf: Path) -> None:
    with pytest.raises(ModelReadError) as err:
        run_child(child_tf, "fail")
    assert str(err.value) == (
        f"{child_tf}: TensorFlow could not convert it: Op type not registered 'Frobnicate'"
    )


def test_child_process_crash_is_one_line(child_tf: Path) -> None:
    with pytest.raises(ModelReadError) as err:
        run_child(child_tf, "abort")
    message = str(err.value)
    assert message.startswith(f"{child_tf}: TensorFlow crashed converting it (killed by SIGABRT")
    assert "Check failed" in message and "\x1b" not in message and "\n" not in message


def test_child_process_timeout(child_tf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    def slow(cmd: Any, **kwargs: Any) -> Any:
        Path(kwargs["env"]["TMPDIR"], "scratch").write_text("x")
        (child_tf / "tmpdir").write_text(kwargs["env"]["TMPDIR"])
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", slow)
    monkeypatch.setattr(inputs, "CONVERT_TIMEOUT", 7.0)
    with pytest.raises(ModelReadError, match="did not convert it within 7 s"):
        run_child(child_tf, "ok")


def test_converted_model_is_checked_under_its_own_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus: list[Path]
) -> None:
    real = next(m for m in corpus if m.name == "gh-tflm__hello_world_int8.tflite")
    touch(tmp_path / "saved" / "saved_model.pb")
    shutil.copy(real, tmp_path / "plain.tflite")
    monkeypatch.setattr(inputs, "tensorflow_available", lambda: True)
    monkeypatch.setattr(inputs, "convert", lambda item: real.read_bytes())
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


def test_without_tensorflow_check_and_inspect_exit_2_naming_the_extra(
    tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from opcompat.cli import main

    monkeypatch.setitem(sys.modules, "tensorflow", None)
    for command in ("check", "inspect"):
        assert main([command, str(tree / "a.tflite"), str(tree / "saved")]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"opcompat: error: {tree / 'saved'}: a TensorFlow SavedModel; converting it needs "
            f'TensorFlow: install the convert extra: pip install "opcompat[convert]"\n'
        )
