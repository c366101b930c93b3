"""Benchmark: `opcompat inspect` against other ways of reading a .tflite model.

Whole-process figures, each the median of N runs, on the largest models of the corpus:

* `opcompat inspect MODEL --format json` (the memory-mapped reader of opcompat);
* a full walk with the `tflite` package (flatc-generated Python; imports numpy): every
  operator code, tensor (shape, signature, type, buffer, name, quantization), operator
  (inputs, outputs, options table) and buffer size, from the file read into memory, as a
  program using that package would;
* `tf.lite.experimental.Analyzer.analyze(model_path=...)`, run by `--tf-python PATH` (the
  Python of another virtualenv that has TensorFlow; opcompat never depends on it) or, without
  that option, by this Python when it can import tensorflow; else reported as skipped.

Wall time is measured around the child process; CPU time (user + system) and peak RSS come
from `os.wait4`, and CPU time is the steadier figure on a busy machine. Peak RSS is the
child's `ru_maxrss` (this process stays smaller than its children, so Linux's carry-over of
the parent's peak across exec does not distort it).

    python benchmarks/bench_inspect.py                 # 3 largest models, 5 runs each
    python benchmarks/bench_inspect.py -n 9 a.tflite b.tflite
    python benchmarks/bench_inspect.py --tf-python /work/tfvenv/bin/python
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", REPO.parent / "shared" / "models"))

TFLITE_WALK = r"""
import sys
import tflite

data = open(sys.argv[1], "rb").read()
m = tflite.Model.GetRootAsModel(data, 0)
codes = []
for i in range(m.OperatorCodesLength()):
    oc = m.OperatorCodes(i)
    codes.append((max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), oc.Version(),
                  oc.CustomCode()))
sizes = [m.Buffers(i).DataLength() for i in range(m.BuffersLength())]
hist = {}
for s in range(m.SubgraphsLength()):
    sg = m.Subgraphs(s)
    sg.InputsAsNumpy(), sg.OutputsAsNumpy(), sg.Name()
    for t in range(sg.TensorsLength()):
        tensor = sg.Tensors(t)
        tensor.ShapeAsNumpy(), tensor.ShapeSignatureAsNumpy(), tensor.Type()
        tensor.Buffer(), tensor.Name(), tensor.IsVariable(), tensor.Sparsity()
        q = tensor.Quantization()
        if q is not None:
            q.ScaleAsNumpy(), q.ZeroPointAsNumpy(), q.MinAsNumpy(), q.MaxAsNumpy()
            q.QuantizedDimension()
    for o in range(sg.OperatorsLength()):
        op = sg.Operators(o)
        op.InputsAsNumpy(), op.OutputsAsNumpy(), op.IntermediatesAsNumpy()
        op.BuiltinOptionsType(), op.BuiltinOptions(), op.CustomOptionsLength()
        key = codes[op.OpcodeIndex()]
        hist[key] = hist.get(key, 0) + 1
print(len(hist))
"""

ANALYZER = r"""
import sys
import tensorflow as tf

tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1])
"""


def run_once(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one child process; output discarded.

    Its stderr goes to a file, not a pipe: a pipe read only after `wait4` fills (64 KiB) and
    blocks a child that writes more, e.g. a check of the whole corpus for every target."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv[:4])}... failed ({proc.returncode}): "
                         f"{err.strip()[-300:]}")
    rss_mib = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, usage.ru_utime + usage.ru_stime, rss_mib


def measure(argv: list[str], runs: int) -> tuple[float, float, float]:
    """Medians of wall time, CPU time and peak RSS over `runs` runs (after a warm-up run)."""
    run_once(argv)  # warm the page cache and .pyc files
    results = [run_once(argv) for _ in range(runs)]
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results),
            statistics.median(r[2] for r in results))


def other_python(given: str | None, module: str, flag: str) -> tuple[str | None, str]:
    """(an interpreter that can import `module`, or None; why not)."""
    if not given:
        return None, f"skipped: no {flag} given"
    path = shutil.which(given) or given
    if not os.access(path, os.X_OK):
        return None, f"skipped: {given} is not an executable"
    probe = subprocess.run([path, "-c", f"import {module}"], capture_output=True, timeout=300)
    if probe.returncode != 0:
        return None, f"skipped: {given} cannot import {module}"
    return path, ""


def largest_models(corpus: Path, count: int) -> list[Path]:
    models = sorted(corpus.glob("*.tflite"), key=lambda p: p.stat().st_size, reverse=True)
    return models[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path,
                        help="models to time (default: the 3 largest of the corpus)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--tf-python", default=None, metavar="PATH",
                        help="a Python that can import tensorflow (for the Analyzer rows)")
    args = parser.parse_args(argv)

    models = args.models or largest_models(args.corpus, 3)
    if not models:
        parser.error(f"no models given and none found in {args.corpus}")
    py = sys.executable
    tools: list[tuple[str, list[str] | None, str]] = [
        ("opcompat inspect", [py, "-m", "opcompat", "inspect", "--format", "json"], ""),
    ]
    if importlib.util.find_spec("tflite") is not None:
        tools.append(("tflite package walk", [py, "-c", TFLITE_WALK], ""))
    else:
        tools.append(("tflite package walk", None, "skipped: the tflite package is not installed"))
    if args.tf_python:
        tfpy, why = other_python(args.tf_python, "tensorflow", "--tf-python")
        tools.append(("tf Analyzer.analyze", [tfpy, "-c", ANALYZER] if tfpy else None, why))
    elif importlib.util.find_spec("tensorflow") is not None:
        tools.append(("tf Analyzer.analyze", [py, "-c", ANALYZER], ""))
    else:
        tools.append(("tf Analyzer.analyze", None,
                      "skipped: tensorflow is not importable (give --tf-python PATH)"))

    print(f"python {sys.version.split()[0]} on {sys.platform}; median of {args.runs} runs "
          f"(after a warm-up); whole process\n")
    header = (f"{'model':<40} {'MiB':>5}  {'tool':<20} {'wall s':>7} {'cpu s':>6} "
              f"{'peak RSS MiB':>13} {'x opcompat':>11}")
    print(header)
    print("-" * len(header))
    for model in models:
        size = model.stat().st_size / (1024 * 1024)
        ours = None
        for name, cmd, note in tools:
            if cmd is None:
                print(f"{model.name[:40]:<40} {size:>5.1f}  {name:<20} {note}")
                continue
            wall, cpu, rss = measure([*cmd, str(model)], args.runs)
            ours = wall if ours is None else ours  # opcompat's row comes first
            # The tool's median wall time over opcompat's: above 1, opcompat is faster.
            ratio = "" if name.startswith("opcompat") else f"{wall / ours:>10.1f}x"
            print(f"{model.name[:40]:<40} {size:>5.1f}  {name:<20} {wall:>7.3f} {cpu:>6.3f} "
                  f"{rss:>13.1f} {ratio:>11}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
