"""The pre-commit hooks and the GitHub Action: well-formed, and the Action's gate script works."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACTION = (REPO / "action.yml").read_text()
GATE = REPO / "action" / "gate.sh"
HOOKS = (REPO / ".pre-commit-hooks.yaml").read_text()


def test_action_inputs_are_declared_and_never_interpolated_into_scripts() -> None:
    declared = set(re.findall(r"^  ([a-z][a-z0-9-]*):\n    description:", ACTION, flags=re.M))
    used = set(re.findall(r"\$\{\{\s*inputs\.([a-z0-9-]+)\s*\}\}", ACTION))
    assert used <= declared and {"models", "api-level", "fail-on", "baseline", "sarif"} <= declared
    # Inputs reach the shell through env only: no ${{ }} inside a run script.
    scripts = re.findall(r"^      run: (?:\|\n((?:        .*\n)+)|(.*)\n)", ACTION, flags=re.M)
    assert len(scripts) == 2
    for block, line in scripts:
        assert "${{" not in block + line
    env_set = set(re.findall(r"^\s+(OPCOMPAT_[A-Z_]+):", ACTION, flags=re.M))
    env_read = set(re.findall(r"\$\{?(OPCOMPAT_[A-Z_]+)", GATE.read_text()))
    assert env_read - {"OPCOMPAT_PACKAGE"} <= env_set
    assert "GITHUB_STEP_SUMMARY" in GATE.read_text()


def test_gate_script_is_valid_bash() -> None:
    subprocess.run(["bash", "-n", str(GATE)], check=True)


def test_hooks_name_the_check_command() -> None:
    ids = re.findall(r"^- id: (\S+)", HOOKS, flags=re.M)
    assert ids == ["opcompat-check", "opcompat-new-fallback"]
    entries = re.findall(r"^  entry: (.+)$", HOOKS, flags=re.M)
    assert all(e.startswith("opcompat check ") for e in entries)
    assert re.findall(r"^  files: (.+)$", HOOKS, flags=re.M) == [r"\.tflite$"] * 2
    from opcompat.cli import build_parser

    for entry in entries:
        argv = shlex.split(entry)[1:] + ["model.tflite"]
        args = build_parser().parse_args(argv)
        assert args.fail_on in ("any-fallback", "new-fallback")


def run_gate(tmp_path: Path, models: str, **env: str) -> tuple[int, str, dict[str, str]]:
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    full_env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "OPCOMPAT_MODELS": models,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "OPCOMPAT_REPORT": str(tmp_path / "report.md"),
        **env,
    }
    proc = subprocess.run(
        ["bash", str(GATE)], env=full_env, capture_output=True, text=True, timeout=300
    )
    outs = (
        dict(line.split("=", 1) for line in outputs.read_text().splitlines())
        if outputs.exists()
        else {}
    )
    return proc.returncode, summary.read_text() if summary.exists() else "", outs


def test_gate_script_end_to_end(corpus: list[Path], tmp_path: Path) -> None:
    by_name = {p.name: str(p) for p in corpus}
    full = by_name["gh-coral__mobilenet_v1_0.25_128_quant.tflite"]
    edgetpu = by_name["gh-coral__mobilenet_v1_0.25_128_quant_edgetpu.tflite"]
    code, summary, outs = run_gate(tmp_path, full, OPCOMPAT_API_LEVEL="30")
    assert code == 0 and outs["exit-code"] == "0"
    assert summary.startswith("## opcompat: NNAPI delegation report")
    sarif = tmp_path / "r.sarif"
    code, _, outs = run_gate(tmp_path, f"{full} {edgetpu}", OPCOMPAT_SARIF=str(sarif))
    assert code == 1 and outs["exit-code"] == "1"
    assert '"version": "2.1.0"' in sarif.read_text()
    code, _, _ = run_gate(tmp_path, full, OPCOMPAT_FAIL_ON="new-fallback")
    assert code == 2
    code, summary, _ = run_gate(tmp_path, str(tmp_path / "missing.tflite"))
    assert code == 3
    assert "**opcompat gate: a model could not be read**" in summary
    assert "missing.tflite" in summary.split("could not be read**", 1)[1]


def test_gate_summary_states_the_verdict_and_fits_github(
    corpus: list[Path], tmp_path: Path
) -> None:
    by_name = {p.name: str(p) for p in corpus}
    full = by_name["gh-coral__mobilenet_v1_0.25_128_quant.tflite"]
    edgetpu = by_name["gh-coral__mobilenet_v1_0.25_128_quant_edgetpu.tflite"]
    code, summary, _ = run_gate(tmp_path, full, OPCOMPAT_API_LEVEL="30")
    assert code == 0 and "**opcompat gate: passed** (`--fail-on any-fallback`)" in summary
    (tmp_path / "summary.md").unlink()
    code, summary, _ = run_gate(tmp_path, f"{full} {edgetpu}", OPCOMPAT_API_LEVEL="30")
    assert code == 1 and "**opcompat gate: failed**" in summary
    assert "\n- policy failed: " in summary
    report = (tmp_path / "report.md").read_text()
    assert summary.startswith(report)
    # Over the limit: the overview only, and where the whole report is.
    (tmp_path / "summary.md").unlink()
    code, summary, _ = run_gate(
        tmp_path, f"{full} {edgetpu}", OPCOMPAT_API_LEVEL="30", GATE_SUMMARY_LIMIT="2000"
    )
    assert code == 1 and "### " not in summary and "larger than a job summary allows" in summary
    assert summary.startswith("## opcompat: NNAPI delegation report")
    assert "**opcompat gate: failed**" in summary


def test_gate_script_takes_one_path_per_line_with_spaces_and_the_target(
    corpus: list[Path], tmp_path: Path
) -> None:
    by_name = {p.name: p for p in corpus}
    spaced = tmp_path / "my models" / "a model.tflite"
    spaced.parent.mkdir()
    shutil.copy(by_name["gh-coral__mobilenet_v1_0.25_128_quant.tflite"], spaced)
    other = by_name["zoo-multi__chain5part_fp32.tflite"]
    code, summary, _ = run_gate(
        tmp_path, f"  {spaced}\n{other}\n", OPCOMPAT_TARGET="gpu", OPCOMPAT_FAIL_ON="none",
        OPCOMPAT_MAX_PARTITIONS="0",
    )
    assert code == 0, summary
    assert summary.startswith("## opcompat: GPU delegation report")
    assert "a model.tflite" in summary and "zoo-multi__chain5part_fp32.tflite" in summary
    assert "max partitions no limit" in summary or "max partitions 0" in summary


def test_action_declares_every_target_option() -> None:
    for name in ("target", "nnapi-cpu", "max-partitions", "gpu-no-quant", "gpu-no-opencl",
                 "strict-count"):
        assert f"\n  {name}:\n" in ACTION, name
