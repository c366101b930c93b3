"""Benchmark: cost of `opcompat check` as the number of operators grows (5k ... 50k).

Synthetic float32 chains of N ADDs (`tests/fuzz/synth.py`). For each N, three figures, each
the best of `-n` runs:

* `read`: `read_model` on the file, in this process;
* `check`: `opcompat.analysis.check` (reader, rules at every API level, partitioning), in
  this process;
* `cli`: the whole `opcompat check MODEL --api-level 30` process, table output to /dev/null,
  CPU time (user + system) from `os.wait4`, and its peak RSS (measured by a small launcher
  process: a child's peak RSS would start at this process's size).

The last columns divide each time by N: flat columns mean linear cost.

    python benchmarks/bench_scale.py            # 5k, 10k, 20k, 50k; best of 3
    python benchmarks/bench_scale.py -n 5 --sizes 1000 100000
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from fuzz.synth import chain  # noqa: E402

from opcompat.analysis import check  # noqa: E402
from opcompat.model import read_model  # noqa: E402


def best(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    out = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


# Runs the command and prints its wall time, CPU time, peak RSS (KiB) and exit code. Linux
# starts a child's peak RSS at its parent's size at fork, and this process has just built and
# checked a 50k-operator model: the command is started by this small launcher instead.
_LAUNCHER = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "_, status, u = os.wait4(p.pid, 0)\n"
    "err = p.stderr.read().decode(errors='replace')[-500:]\n"
    "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, u.ru_maxrss,\n"
    "      os.waitstatus_to_exitcode(status))\n"
    "sys.stderr.write(err)\n"
)


def cli(path: Path, n: int) -> tuple[float, float, float]:
    """(best wall s, best CPU s, peak RSS MB) of `opcompat check` as a child process."""
    wall = cpu = float("inf")
    rss = 0.0
    for _ in range(n):
        out = subprocess.run(
            [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "opcompat", "check",
             str(path), "--api-level", "30"],
            capture_output=True,
            text=True,
        )
        w, c, maxrss, code = out.stdout.split()
        if int(code) != 0:
            raise SystemExit(f"opcompat check failed on {path}: {out.stderr}")
        wall, cpu = min(wall, float(w)), min(cpu, float(c))
        rss = max(rss, int(maxrss) / 1024)
    return wall, cpu, rss


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=3, help="runs per figure (best is kept)")
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 50_000])
    args = ap.parse_args()
    print(f"{'ops':>7} {'MB':>6} {'read s':>7} {'check s':>8} {'cli wall':>9} {'cli cpu':>8} "
          f"{'cli RSS':>8} | {'read us/op':>10} {'check us/op':>11} {'cli us/op':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            data = chain(size)
            path = Path(tmp) / f"chain{size}.tflite"
            path.write_bytes(data)
            r = best(args.n, lambda data=data: read_model(data))
            c = best(args.n, lambda data=data: check(data, api_level=30))
            wall, cpu, rss = cli(path, args.n)
            print(f"{size:>7} {len(data) / 1e6:>6.1f} {r:>7.3f} {c:>8.3f} {wall:>9.3f} {cpu:>8.3f} "
                  f"{rss:>7.0f}M | {r / size * 1e6:>10.1f} {c / size * 1e6:>11.1f} "
                  f"{wall / size * 1e6:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
