"""The distributions: the wheel built from the sdist (as `python -m build` and PyPI do) ships
the op tables and the report schema, and opcompat runs from it alone."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("build")
    pytest.importorskip("hatchling")
    out = tmp_path_factory.mktemp("dist")
    # Without --sdist/--wheel, build makes the sdist and then the wheel from the sdist.
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (whl,) = out.glob("*.whl")
    return whl


def test_wheel_from_the_sdist_ships_tables_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tables = {p.relative_to(REPO).as_posix() for p in (REPO / "op_tables").rglob("*.json")}
    assert {f"opcompat/{t}" for t in tables} <= names
    assert "opcompat/report_schema/report.schema.json" in names
    assert "scrapers/update.py" in names
    # The checkout's symlinks are not shipped as links or as empty entries.
    assert "opcompat/op_tables" not in names and "opcompat/report_schema" not in names


def test_opcompat_runs_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    model = tmp_path / "chain.tflite"
    sys.path.insert(0, str(REPO / "tests"))
    try:
        from fuzz.synth import chain
    finally:
        sys.path.remove(str(REPO / "tests"))
    model.write_bytes(chain(3))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import opcompat; from importlib.resources import files;"
        "assert opcompat.__file__.startswith(sys.argv[1]), opcompat.__file__;"
        "assert (files('opcompat') / 'report_schema' / 'report.schema.json').is_file();"
        "from opcompat.cli import main; sys.exit(main(['check', sys.argv[2], '--format', 'json',"
        " '--fail-on', 'any-fallback']))"
    )
    proc = subprocess.run(
        [sys.executable, "-I", "-c", code, str(site), str(model)],
        capture_output=True,
        text=True,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
    assert '"min_api_level": 27' in proc.stdout
