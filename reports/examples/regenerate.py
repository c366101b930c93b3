"""Regenerate the example reports of this folder from a real corpus model.

    python reports/examples/regenerate.py [MODELS_DIR]

MODELS_DIR defaults to ../shared/models beside the checkout. The screenshot needs headless
Chromium (`chromium` on PATH).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from opcompat.analysis import check_many
from opcompat.formats.base import FormatChoice
from opcompat.report import ModelReport, Report

HERE = Path(__file__).resolve().parent
MODEL = "gh-coral__movenet_single_pose_lightning_ptq.tflite"
API_LEVEL = 30


def main() -> int:
    models = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "models"
    for target, stem in (("nnapi", f"movenet_api{API_LEVEL}"),
                         ("all", f"movenet_all_api{API_LEVEL}")):
        report = check_many([str(models / MODEL)], api_level=API_LEVEL, target=target)
        # File names only: the examples must not depend on where the corpus lives.
        report = Report(
            tuple(
                m._replace(path=MODEL) if isinstance(m, ModelReport) else m
                for m in report.models
            ),
            tool_version=report.tool_version,
        )
        (HERE / f"{stem}.md").write_text(
            FormatChoice.MARKDOWN.to_format().render(report), encoding="utf-8"
        )
        page = HERE / f"{stem}.html"
        page.write_text(FormatChoice.HTML.to_format().render(report), encoding="utf-8")
        _screenshot(page, HERE / f"{stem}.png")
    return 0


def _screenshot(page: Path, png: Path) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        print("chromium not found: screenshot not updated", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                "--window-size=1280,2000",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
