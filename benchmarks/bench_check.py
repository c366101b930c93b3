"""Benchmark: `opcompat check` against what a user would run instead, whole processes.

Three parts, each timed in the same run (median of N runs after one warm-up run):

1. The largest models of the corpus (default 3) and a synthetic chain of 50k ADDs
   (`tests/fuzz/synth.py`), each with:
   * `opcompat check MODEL --api-level 30` in the table format (reader, Validate at every API
     level, partitioning, the NNAPI spec cross-check, the report) and in JSON (which adds the
     file's sha256);
   * `tf.lite.experimental.Analyzer.analyze(model_path=MODEL)`, by the Python of another
     virtualenv that has TensorFlow (`--tf-python PATH`); most of its time is
     `import tensorflow`;
   * LiteRT's own C++ analyzer, `ai_edge_litert._pywrap_analyzer_wrapper.ModelAnalyzer(path,
     True, True)`, by the Python of a virtualenv that has `ai-edge-litert` (`--litert-python
     PATH`, no TensorFlow): it only lists the graph, the least a tool reading it can cost.
   Without such a Python the row says "skipped". The ratio columns are the Analyzer's wall time
   over opcompat's (above 1: opcompat is faster) and opcompat's over LiteRT's analyzer.
2. A sparse 2 GiB model (one constant, as `tests/builders.py` `sparse_weights_model` makes it)
   in every format: wall time and peak RSS, which must not grow with the weights.

Wall time is taken around the child process; CPU time (user + system) and peak RSS come from
`os.wait4`; CPU time is the steadier figure on a busy machine. This process stays small (the
synthetic models are built by children): Linux starts a child's peak RSS at its parent's size.
The hash cache is off (`OPCOMPAT_CACHE_DIR=`), so JSON hashes the whole file every run.

    python benchmarks/bench_check.py --tf-python /work/tfvenv/bin/python \\
        --litert-python /work/litertvenv/bin/python
    python benchmarks/bench_check.py -n 9 --no-synthetic a.tflite b.tflite
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_inspect import largest_models, measure, other_python  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", REPO.parent / "shared" / "models"))
SYNTHETIC_OPS = 50_000
SPARSE_BYTES = (2 << 30) - (16 << 20)  # under flatbuffers' 2 GiB limit, with the graph
FORMATS = ("table", "markdown", "json", "sarif", "html")

ANALYZER = r"""
import sys
import tensorflow as tf

tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1], gpu_compatibility=False)
"""

LITERT_ANALYZER = r"""
import sys
from ai_edge_litert import _pywrap_analyzer_wrapper as analyzer

sys.stdout.write(analyzer.ModelAnalyzer(sys.argv[1], True, True))
"""


def version_of(python: str, module: str) -> str:
    """`module.__version__` as that interpreter imports it."""
    out = subprocess.run(
        [python, "-c", f"import {module} as m; print(getattr(m, '__version__', '?'))"],
        capture_output=True, text=True, timeout=300,
    )
    return out.stdout.strip().splitlines()[-1] if out.returncode == 0 and out.stdout else "?"


def build_in_child(code: str, *args: str) -> None:
    """Run `code` in a child with tests/ on the path (this process must stay small)."""
    subprocess.run([sys.executable, "-c", code, *args], check=True,
                   env={**os.environ, "PYTHONPATH": str(REPO / "tests")})


def row(label: str, tool: str, got: tuple[float, float, float], extra: str = "") -> None:
    print(f"{label}  {tool:<24} {got[0]:>7.3f} {got[1]:>6.3f} {got[2]:>8.1f} {extra}",
          flush=True)


def compare_models(models: list[Path], args: argparse.Namespace, tfpy: str | None,
                   tf_note: str, litpy: str | None, lit_note: str) -> None:
    py = sys.executable
    check = [py, "-m", "opcompat", "check", "--api-level", str(args.api_level)]
    header = (f"{'model':<40} {'MiB':>6}  {'tool':<24} {'wall s':>7} {'cpu s':>6} "
              f"{'RSS MiB':>8} ratio")
    print(header)
    print("-" * len(header))
    for model in models:
        size = model.stat().st_size / (1024 * 1024)
        label = f"{model.name[:40]:<40} {size:>6.1f}"
        table = measure([*check, "--format", "table", str(model)], args.runs)
        row(label, "opcompat check (table)", table)
        as_json = measure([*check, "--format", "json", str(model)], args.runs)
        row(label, "opcompat check (json)", as_json)
        if tfpy:
            theirs = measure([tfpy, "-c", ANALYZER, str(model)], args.runs)
            row(label, "tf Analyzer.analyze", theirs, f"{theirs[0] / table[0]:.1f}x slower")
        else:
            print(f"{label}  {'tf Analyzer.analyze':<24} {tf_note}")
        if litpy:
            lit = measure([litpy, "-c", LITERT_ANALYZER, str(model)], args.runs)
            row(label, "LiteRT ModelAnalyzer", lit, f"opcompat {table[0] / lit[0]:.1f}x its time")
        else:
            print(f"{label}  {'LiteRT ModelAnalyzer':<24} {lit_note}")


def sparse_model_in_every_format(folder: Path, runs: int) -> None:
    model = folder / "sparse_2gib.tflite"
    build_in_child("import sys; from pathlib import Path; from builders import "
                   "sparse_weights_model as build; build(Path(sys.argv[1]), int(sys.argv[2]))",
                   str(model), str(SPARSE_BYTES))
    size = model.stat().st_size / (1024 * 1024)
    print(f"\nsparse model of {size:.0f} MiB (one constant, a hole on disk), every format:")
    label = f"{model.name:<40} {size:>6.0f}"
    for fmt in FORMATS:
        got = measure([sys.executable, "-m", "opcompat", "check", "--format", fmt,
                       "-o", str(folder / f"report.{fmt}"), str(model)], runs)
        row(label, f"opcompat check ({fmt})", got)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", type=Path,
                        help="models to time (default: the 3 largest of the corpus)")
    parser.add_argument("-n", "--runs", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--largest", type=int, default=3, help="corpus models to time")
    parser.add_argument("--tf-python", default=None, metavar="PATH",
                        help="a Python that can import tensorflow (the Analyzer rows)")
    parser.add_argument("--litert-python", default=None, metavar="PATH",
                        help="a Python that can import ai_edge_litert (LiteRT's analyzer rows)")
    parser.add_argument("--no-synthetic", action="store_true",
                        help=f"leave out the synthetic {SYNTHETIC_OPS}-operator chain")
    parser.add_argument("--no-sparse", action="store_true",
                        help="leave out the sparse 2 GiB model")
    parser.add_argument("--api-level", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ["OPCOMPAT_CACHE_DIR"] = ""  # the children hash every time

    models = list(args.models) or largest_models(args.corpus, args.largest)
    tfpy, tf_note = other_python(args.tf_python, "tensorflow", "--tf-python")
    litpy, lit_note = other_python(args.litert_python, "ai_edge_litert", "--litert-python")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_synthetic:
            synthetic = Path(tmp) / f"synthetic_chain_{SYNTHETIC_OPS // 1000}k_add.tflite"
            build_in_child("import sys; from fuzz.synth import chain; "
                           "open(sys.argv[1], 'wb').write(chain(int(sys.argv[2])))",
                           str(synthetic), str(SYNTHETIC_OPS))
            models.append(synthetic)
        if not models:
            parser.error(f"no models given and none found in {args.corpus}")
        tf_line = f"tensorflow {version_of(tfpy, 'tensorflow')}" if tfpy else tf_note
        lit_line = f"ai-edge-litert {version_of(litpy, 'ai_edge_litert')}" if litpy else lit_note
        print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs; "
              f"median of {args.runs} runs after a warm-up; whole processes; {tf_line}; "
              f"{lit_line}\n")
        compare_models(models, args, tfpy, tf_note, litpy, lit_note)
        if not args.no_sparse:
            sparse_model_in_every_format(Path(tmp), args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
