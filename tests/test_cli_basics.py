"""The CLI's contract that every command shares: --version, usage errors."""
from __future__ import annotations

import subprocess
import sys

import opcompat
from opcompat.cli import main


def test_version(capsys: object) -> None:
    proc = subprocess.run([sys.executable, "-m", "opcompat", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"opcompat {opcompat.__version__}"


def test_unknown_command_is_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "opcompat", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_main_returns_usage_code_for_bad_flag() -> None:
    try:
        main(["inspect", "--no-such-flag"])
    except SystemExit as exc:
        assert exc.code == 2
