"""The long fuzz campaign: structure-aware mutants, then coverage-guided atheris, one process.

    python tests/fuzz/campaign.py --inputs 100000 --atheris-runs 100000 --out /tmp/opcompat-fuzz

Phase 1 runs `--inputs` mutants (`fuzz.runner`, seeds `--seed`, `--seed`+1, ... in batches
of 10k). Phase 2 (skipped without atheris or with `--atheris-runs 0`) runs the atheris harness
for `--atheris-runs` executions on a corpus under `--out`. Failing inputs land in
`--out/failures` (phase 1) and `--out/atheris` (phase 2); copy the ones worth keeping into
`tests/fuzz/regressions/`. The figures are printed and written to `--out/summary.json`.
Use one process: the CI machines have two cores.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.py"
HARNESS = HERE / "harness.py"


def _mutator_phase(args: argparse.Namespace) -> dict[str, object]:
    batches = []
    left, seed = args.inputs, args.seed
    while left > 0:
        n = min(args.batch, left)
        cmd = [
            sys.executable,
            str(RUNNER),
            "--inputs",
            str(n),
            "--seed",
            str(seed),
            "--limit",
            "2",
            "--hang",
            "10",
            "--truncate",
            "3" if seed == args.seed else "0",
            "--save",
            str(args.out / "failures"),
            "--max-seed-size",
            str(args.max_seed_size),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = proc.stdout.strip().splitlines()
        if not lines:
            raise SystemExit(f"runner died (seed {seed}): {proc.stderr[-2000:]}")
        fig = json.loads(lines[-1])
        batches.append(fig)
        print(
            f"  seed {seed}: {fig['inputs']} inputs in {fig['elapsed_seconds']} s, "
            f"{fig['outcomes']}, failures {fig['failure_counts']}, peak {fig['peak_rss_mb']} MB",
            flush=True,
        )
        left -= n
        seed += 1
    total: dict[str, int] = {}
    fails: dict[str, int] = {}
    for b in batches:
        for k, v in b["outcomes"].items():  # type: ignore[union-attr]
            total[k] = total.get(k, 0) + v
        for k, v in b["failure_counts"].items():  # type: ignore[union-attr]
            fails[k] = fails.get(k, 0) + v
    return {
        "inputs": sum(int(b["inputs"]) for b in batches),  # type: ignore[call-overload]
        "outcomes": total,
        "failure_counts": fails,
        "failures": [f for b in batches for f in b["failures"]][:100],  # type: ignore[union-attr]
        "slowest_seconds": max(float(b["slowest_seconds"]) for b in batches),  # type: ignore[arg-type]
        "peak_rss_mb": max(float(b["peak_rss_mb"]) for b in batches),  # type: ignore[arg-type]
        "elapsed_seconds": round(sum(float(b["elapsed_seconds"]) for b in batches), 1),  # type: ignore[arg-type]
        "engine": batches[0]["engine"],
        "formats": batches[0]["formats"],
    }


def _atheris_phase(args: argparse.Namespace) -> dict[str, object]:
    if importlib.util.find_spec("atheris") is None:
        return {"skipped": "atheris is not installed (pip install -e '.[fuzz]')"}
    work = args.out / "atheris"
    corpus = args.out / "atheris-corpus"
    work.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        str(HARNESS),
        str(corpus),
        f"-runs={args.atheris_runs}",
        "-timeout=2",
        "-rss_limit_mb=1024",
        "-max_len=32768",
        f"-seed={args.seed}",
        "-print_final_stats=1",
        f"-artifact_prefix={work}/",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=work)
    elapsed = time.perf_counter() - t0
    (work / "log.txt").write_text(proc.stderr[-200_000:], encoding="utf-8")
    stats = {}
    for line in proc.stderr.splitlines():
        if line.startswith("stat::"):
            key, _, value = line[6:].partition(":")
            stats[key.strip()] = value.strip()
    artifacts = sorted(
        p.name
        for p in work.iterdir()
        if p.name.split("-")[0] in ("crash", "timeout", "oom", "slow")
    )
    return {
        "runs": int(stats.get("number_of_executed_units", 0)),
        "exit_code": proc.returncode,
        "artifacts": artifacts,
        "peak_rss_mb": int(stats.get("peak_rss_mb", 0)),
        "elapsed_seconds": round(elapsed, 1),
        "tail": proc.stderr.strip().splitlines()[-3:],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=100_000)
    ap.add_argument("--atheris-runs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--max-seed-size", type=int, default=16_384)
    ap.add_argument("--out", type=Path, default=Path("/tmp/opcompat-fuzz"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    summary: dict[str, object] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    print(f"phase 1: {args.inputs} structure-aware mutants", flush=True)
    summary["mutators"] = _mutator_phase(args) if args.inputs else {"skipped": "--inputs 0"}
    if args.atheris_runs:
        print(f"phase 2: atheris, {args.atheris_runs} runs", flush=True)
        summary["atheris"] = _atheris_phase(args)
    summary["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))
    m = summary["mutators"]
    a = summary.get("atheris", {})
    bad = (isinstance(m, dict) and m.get("failure_counts")) or (
        isinstance(a, dict) and a.get("artifacts")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
