"""Benchmark: `opcompat check` against what a user would run instead, whole process.

For each model (default: the 3 largest of the corpus and a synthetic chain of 50k ADDs from
`tests/fuzz/synth.py`), the median of N runs (after one warm-up run) of:

* `opcompat check MODEL --api-level 30 --format json` (reader, Validate at every API level,
  partitioning, the NNAPI spec cross-check, the JSON report);
* `tf.lite.experimental.Analyzer.analyze(model_path=MODEL, gpu_compatibility=False)`, run by
  the Python of another virtualenv that has TensorFlow (`--tf-python PATH`; opcompat never
  depends on tensorflow). Without one, or when it cannot import tensorflow, the row says
  "skipped";
* a full walk of the model with the `tflite` package (flatc-generated; the walk of
  `bench_inspect.py`), when that package is installed: the least a Python program reading
  every operator and tensor must pay.

Wall time is taken around the child process, CPU time (user + system) and peak RSS come from
`os.wait4`; CPU time is the steadier figure on a busy machine. This process stays small (the
synthetic model is built by a child): Linux starts a child's peak RSS at its parent's size.
The ratio column is the Analyzer's median wall time divided by opcompat's (above 1: opcompat
is faster).

    python benchmarks/bench_check.py --tf-python /work/tfvenv/bin/python
    python benchmarks/bench_check.py -n 9 --no-synthetic a.tflite b.tflite
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_inspect import TFLITE_WALK, largest_models, measure  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", REPO.parent / "shared" / "models"))
SYNTHETIC_OPS = 50_000

ANALYZER = r"""
import sys
import tensorflow as tf

tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1], gpu_compatibility=False)
"""


def tf_python(given: str | None) -> tuple[str | None, str]:
    """(interpreter that can import tensorflow, or None; why not)."""
    if not given:
        return None, "skipped: no --tf-python given"
    path = shutil.which(given) or given
    if not os.access(path, os.X_OK):
        return None, f"skipped: {given} is not an executable"
    probe = subprocess.run([path, "-c", "import tensorflow"], capture_output=True, timeout=300)
    if probe.returncode != 0:
        return None, f"skipped: {given} cannot import tensorflow"
    return path, ""


def tf_version(python: str) -> str:
    out = subprocess.run(
        [python, "-c", "import tensorflow as tf; print(tf.__version__)"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path,
                        help="models to time (default: the 3 largest of the corpus)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--tf-python", default=None, metavar="PATH",
                        help="a Python that can import tensorflow (for the Analyzer rows)")
    parser.add_argument("--no-synthetic", action="store_true",
                        help=f"leave out the synthetic {SYNTHETIC_OPS}-operator chain")
    parser.add_argument("--api-level", type=int, default=30)
    args = parser.parse_args(argv)

    models = list(args.models) or largest_models(args.corpus, 3)
    py = sys.executable
    tfpy, tf_note = tf_python(args.tf_python)
    check_cmd = [py, "-m", "opcompat", "check", "--api-level", str(args.api_level),
                 "--format", "json"]
    walk_cmd = [py, "-c", TFLITE_WALK] if importlib.util.find_spec("tflite") else None

    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_synthetic:
            # Built in a child: a child's peak RSS starts from its parent's size at fork, so
            # this process must stay smaller than anything it measures.
            synthetic = Path(tmp) / f"synthetic_chain_{SYNTHETIC_OPS // 1000}k_add.tflite"
            subprocess.run(
                [py, "-c", "import sys; from fuzz.synth import chain; "
                 "open(sys.argv[1], 'wb').write(chain(int(sys.argv[2])))",
                 str(synthetic), str(SYNTHETIC_OPS)],
                check=True,
                env={**os.environ, "PYTHONPATH": str(REPO / "tests")},
            )
            models.append(synthetic)
        if not models:
            parser.error(f"no models given and none found in {args.corpus}")

        tf_line = f"tensorflow {tf_version(tfpy)} ({tfpy})" if tfpy else tf_note
        print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
              f"median of {args.runs} runs after a warm-up; whole process; {tf_line}\n")
        header = (f"{'model':<44} {'MiB':>5}  {'tool':<22} {'wall s':>7} {'cpu s':>6} "
                  f"{'RSS MiB':>8} {'Analyzer/opcompat':>18}")
        print(header)
        print("-" * len(header))
        for model in models:
            size = model.stat().st_size / (1024 * 1024)
            label = f"{model.name[:44]:<44} {size:>5.1f}"
            ours = measure([*check_cmd, str(model)], args.runs)
            print(f"{label}  {'opcompat check':<22} {ours[0]:>7.3f} {ours[1]:>6.3f} "
                  f"{ours[2]:>8.1f}", flush=True)
            if tfpy:
                theirs = measure([tfpy, "-c", ANALYZER, str(model)], args.runs)
                ratio = theirs[0] / ours[0] if ours[0] > 0 else float("inf")
                print(f"{label}  {'tf Analyzer.analyze':<22} {theirs[0]:>7.3f} "
                      f"{theirs[1]:>6.3f} {theirs[2]:>8.1f} {ratio:>17.1f}x", flush=True)
            else:
                print(f"{label}  {'tf Analyzer.analyze':<22} {tf_note}")
            if walk_cmd:
                walk = measure([*walk_cmd, str(model)], args.runs)
                print(f"{label}  {'tflite package walk':<22} {walk[0]:>7.3f} {walk[1]:>6.3f} "
                      f"{walk[2]:>8.1f}", flush=True)
            else:
                print(f"{label}  {'tflite package walk':<22} skipped: tflite is not installed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
