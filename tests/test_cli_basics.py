"""The CLI's contract that every command shares: --version, usage errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

import opcompat
from opcompat.cli import main


def test_version(capsys: object) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "opcompat", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"opcompat {opcompat.__version__}"


def test_unknown_command_is_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "opcompat", "frobnicate"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_main_returns_usage_code_for_bad_flag() -> None:
    with pytest.raises(SystemExit) as exc:  # argparse exits; a return would be a bug
        main(["inspect", "--no-such-flag"])
    assert exc.value.code == 2


def test_level_flags_agree_with_the_engine() -> None:
    """The CLI's start-up copies of the level constants equal the engine's."""
    from opcompat import analysis
    from opcompat.commands import _levels
    from opcompat.targets.nnapi import levels

    assert _levels.DEFAULT_API_LEVEL == analysis.DEFAULT_API_LEVEL
    assert (_levels.MIN_API_LEVEL, _levels.MAX_API_LEVEL) == (
        levels.MIN_API_LEVEL,
        levels.MAX_API_LEVEL,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "no\nmatch*.tflite"],
        ["check", "{empty}"],
        ["check", "--api-level", "3\n0", "x.tflite"],
        ["inspect", "missing\x1b[2J.tflite"],
    ],
)
def test_error_lines_escape_what_the_user_gave(
    argv: list[str], tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name from a pull request cannot forge a second stderr line or drive the terminal."""
    import pathlib

    empty = pathlib.Path(str(tmp_path)) / "nl\ndir"
    empty.mkdir()
    argv = [a.replace("{empty}", str(empty)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code in (2, 3)
    assert err.count("\n") == 1 and err.endswith("\n")
    assert "\x1b" not in err and "\\n" in err or "\\x1b" in err


def test_models_may_stand_on_both_sides_of_the_options(tmp_path: object) -> None:
    import json
    import pathlib

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    from fuzz.synth import chain

    a, b = pathlib.Path(str(tmp_path)) / "a.tflite", pathlib.Path(str(tmp_path)) / "b.tflite"
    a.write_bytes(chain(1))
    b.write_bytes(chain(2))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "opcompat",
            "check",
            str(a),
            "--api-level",
            "29",
            str(b),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    models = json.loads(proc.stdout)["models"]
    assert [m["path"] for m in models] == [str(a), str(b)]
    assert {m["options"]["api_level"] for m in models} == {29}
