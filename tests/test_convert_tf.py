"""The `convert` extra end to end with the real TensorFlow (skipped where it is not installed).

Models are built by a child process (TensorFlow stays out of the test process, whose warnings
are errors); `opcompat` runs as a child too, as users run it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Found, not imported (unlike pytest.importorskip): importing TensorFlow here would add ~500 MB
# to this process, which the children it forks inherit in their peak-RSS figures
# (tests/test_fuzz_bounded.py measures them), and opcompat itself never imports it here either.
if importlib.util.find_spec("tensorflow") is None:
    pytest.skip(
        "TensorFlow is not installed (the convert extra; CI does not install it)",
        allow_module_level=True,
    )

BUILD = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
import keras

out, marker = sys.argv[1], sys.argv[2]

class Small(tf.Module):
    def __init__(self):
        self.w = tf.Variable(tf.ones([4, 3]))

    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32)])
    def __call__(self, x):
        return tf.nn.relu(tf.matmul(x, self.w))

tf.saved_model.save(Small(), os.path.join(out, "saved"))

class NeedsFlex(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([1, 16], tf.float32)])
    def __call__(self, x):
        # Cumprod and MatrixInverse have no TFLite builtin: Select TF ops.
        return tf.nn.relu(tf.math.cumprod(x, axis=1)), tf.linalg.inv(tf.reshape(x, [1, 4, 4]))

tf.saved_model.save(NeedsFlex(), os.path.join(out, "flex"))

keras.Sequential(
    [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)]
).save(os.path.join(out, "seq.keras"))
inp = keras.Input((16, 16, 3))
x = keras.layers.Conv2D(4, 3, activation="relu")(inp)
x = keras.layers.GlobalAveragePooling2D()(x)
functional = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(x))
functional.save(os.path.join(out, "func.h5"))

# Calling this Lambda (Keras does when it rebuilds the model) creates the marker file.
def touch_marker(t):
    open(marker, "w").close()
    return t * 2.0

lam = keras.Sequential(
    [keras.Input((4,)), keras.layers.Lambda(lambda t: touch_marker(t)), keras.layers.Dense(2)]
)
os.remove(marker)  # building the model above called it once
lam.save(os.path.join(out, "lambda.keras"))
lam.save(os.path.join(out, "lambda.h5"))

@keras.saving.register_keras_serializable(package="mypkg")
class Twice(keras.layers.Layer):
    def call(self, x):
        return x * 2.0

custom = keras.Sequential([keras.Input((4,)), Twice(), keras.layers.Dense(2)])
custom.save(os.path.join(out, "custom.keras"))
custom.export(os.path.join(out, "exported"))  # the same model as a SavedModel: no code needed

g = tf.Graph()
with g.as_default():
    x = tf.compat.v1.placeholder(tf.float32, [1, 8], name="input")
    tf.nn.tanh(tf.matmul(x, tf.constant([[0.5] * 4] * 8)), name="output")
tf.io.write_graph(g.as_graph_def(), out, "frozen.pb", as_text=False)
"""

ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tf_models")
    marker = out / "lambda-ran"
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(out), str(marker)],
        capture_output=True, text=True, env=ENV, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not marker.exists()
    return out


def opcompat(*args: str, tmpdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(ENV)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(
        [sys.executable, "-m", "opcompat", *args],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )


def check_json(path: Path, tmp_path: Path) -> dict[str, Any]:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = opcompat("check", "--format", "json", "--api-level", "30", str(path), tmpdir=scratch)
    assert done.returncode == 0, done.stderr
    assert list(scratch.iterdir()) == []  # nothing left behind in the temporary directory
    doc = json.loads(done.stdout)  # stdout is the report alone: no TensorFlow chatter
    (model,) = doc["models"]
    assert model["path"] == str(path)
    return dict(model)


def ops(model: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(o["op"], o["delegated"]) for o in model["operators"]]


def test_saved_model_from_a_tf_module(models: Path, tmp_path: Path) -> None:
    model = check_json(models / "saved", tmp_path)
    assert ops(model) == [("FULLY_CONNECTED", True)]
    (tmp_path / "again").mkdir()  # its saved_model.pb named as a file stands for the directory
    model = check_json(models / "saved" / "saved_model.pb", tmp_path / "again")
    assert ops(model) == [("FULLY_CONNECTED", True)]


def test_keras_file_sequential(models: Path, tmp_path: Path) -> None:
    model = check_json(models / "seq.keras", tmp_path)
    assert ops(model) == [("FULLY_CONNECTED", True), ("FULLY_CONNECTED", True)]


def test_h5_file_functional(models: Path, tmp_path: Path) -> None:
    model = check_json(models / "func.h5", tmp_path)
    assert ops(model) == [
        ("CONV_2D", True), ("MEAN", True), ("FULLY_CONNECTED", True), ("SOFTMAX", True)
    ]


def test_frozen_graph(models: Path, tmp_path: Path) -> None:
    model = check_json(models / "frozen.pb", tmp_path)
    assert ops(model) == [("FULLY_CONNECTED", True), ("TANH", True)]


def test_select_tf_ops_are_on_the_cpu_with_the_reason(models: Path, tmp_path: Path) -> None:
    model = check_json(models / "flex", tmp_path)
    flex = [o for o in model["operators"] if o["op"].startswith("CUSTOM:Flex")]
    assert sorted(o["op"] for o in flex) == ["CUSTOM:FlexCumprod", "CUSTOM:FlexMatrixInverse"]
    for o in flex:
        assert not o["delegated"] and not o["supported"]
        (reason,) = o["reasons"]
        assert reason["code"] == "kUnsupportedOperator"
        assert "is a Select TF (Flex) op, run on the CPU by the Flex delegate" in reason["message"]
    assert model["min_api_level"] is None


@pytest.mark.parametrize("name", ["lambda.keras", "lambda.h5"])
def test_lambda_layer_is_refused_and_never_run(models: Path, tmp_path: Path, name: str) -> None:
    for command in ("check", "inspect"):
        done = opcompat(command, str(models / name))
        assert done.returncode == 3
        lines = done.stderr.splitlines()
        expected = (
            "refused: the Keras model contains a Lambda layer (Python code stored in the file); "
            "opcompat never runs code from a model file"
        )
        assert len(lines) == 1 and expected in lines[0], done.stderr
        assert str(models / name) in lines[0]
    assert not (models / "lambda-ran").exists()


def test_custom_keras_class_is_refused_and_its_export_checks(models: Path, tmp_path: Path) -> None:
    done = opcompat("check", str(models / "custom.keras"))
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert "refused: the Keras model contains the custom class 'mypkg>Twice'" in line
    assert "model.export()" in line
    model = check_json(models / "exported", tmp_path)
    assert ops(model) == [("FULLY_CONNECTED", True)]  # the converter folds x * 2 into it


def test_keras_safe_mode_refuses_the_lambda_on_its_own(models: Path, tmp_path: Path) -> None:
    """With opcompat's own scan switched off, Keras' safe_mode still refuses the Lambda."""
    script = (
        "import sys\nfrom opcompat import tfconvert\n"
        "tfconvert.unsafe_keras_reason = lambda config: None\n"
        "sys.exit(tfconvert.main(sys.argv[1:]))\n"
    )
    out = tmp_path / "model.tflite"
    done = subprocess.run(
        [sys.executable, "-c", script, "keras", str(models / "lambda.keras"), str(out)],
        capture_output=True, text=True, env=ENV, timeout=600, check=False,
    )
    assert done.returncode == 1 and not out.exists()
    failure = json.loads(Path(f"{out}.error").read_text())
    assert failure["error"] == "model"
    assert failure["message"].startswith("refused by Keras safe_mode: ")
    assert "\n" not in failure["message"]
    assert not (models / "lambda-ran").exists()


def test_inspect_converts_each_kind(models: Path) -> None:
    names = ["saved", "seq.keras", "func.h5", "frozen.pb", "flex"]
    done = opcompat("inspect", "--format", "json", *(str(models / n) for n in names))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    got = {Path(m["path"]).name: {o["op"] for o in m["subgraphs"][0]["ops"]} for m in doc["models"]}
    assert got["frozen.pb"] == {"FULLY_CONNECTED", "TANH"}
    assert {"CUSTOM:FlexCumprod", "CUSTOM:FlexMatrixInverse"} <= got["flex"]
    assert list(got) == names


@pytest.mark.parametrize(
    ("name", "data"),
    [("bad.pb", b"\xff\xff not a graph"), ("bad.keras", b"not a zip"), ("bad.h5", b"")],
)
def test_broken_inputs_are_one_line_and_exit_3(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    done = opcompat("check", str(tmp_path / name))
    assert done.returncode == 3
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / name}: "), done.stderr


def test_broken_saved_model_is_one_line_and_exit_3(tmp_path: Path) -> None:
    (tmp_path / "sm").mkdir()
    (tmp_path / "sm" / "saved_model.pb").write_bytes(b"\x08\x01garbage")
    done = opcompat("check", str(tmp_path / "sm"))
    assert done.returncode == 3
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"{tmp_path / 'sm'}: "), done.stderr


def test_tensorflow_is_imported_only_by_the_child(models: Path, tmp_path: Path) -> None:
    """A .tflite check never imports TensorFlow; a TensorFlow input imports it in the child."""
    tflite = tmp_path / "m.tflite"
    out = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom opcompat.inputs import ModelInput, convert\n"
         "sys.stdout.buffer.write(convert(ModelInput(sys.argv[1], 'saved_model')))\n"
         "assert 'tensorflow' not in sys.modules\n", str(models / "saved")],
        capture_output=True, env=ENV, timeout=600, check=True,
    )
    tflite.write_bytes(out.stdout)
    script = (
        "import sys\nfrom opcompat.cli import main\n"
        "rc = main(['check', '--format', 'json', sys.argv[1], sys.argv[2]])\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tflite), str(models / "frozen.pb")],
        capture_output=True, text=True, env=ENV, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [m["path"] for m in json.loads(done.stdout)["models"]] == [
        str(tflite), str(models / "frozen.pb")
    ]
