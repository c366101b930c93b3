"""Benchmark: `opcompat check` against what a user would run instead, whole processes.

Three parts, each timed in the same run (median of N runs after one warm-up run):

1. The largest models of the corpus (default 3) and a synthetic chain of 50k ADDs
   (`tests/fuzz/synth.py`), each with:
   * `opcompat check MODEL --api-level 30` in the table format (reader, Validate at every API
     level, partitioning, the NNAPI spec cross-check, the report) and in JSON (which adds the
     file's sha256); then `--target gpu` and `--target all` (table);
   * `tf.lite.experimental.Analyzer.analyze(model_path=MODEL)`, by the Python of another
     virtualenv that has TensorFlow (`--tf-python PATH`); most of its time is
     `import tensorflow`; and the same with `gpu_compatibility=True`, the anchor of the GPU
     target. The operators its printed text flags ("GPU COMPATIBILITY WARNING: ...", one per
     operator) are counted beside those opcompat's GPU target finds unsupported and leaves on
     the CPU (from its JSON); the Analyzer's verdict is reported as printed, not judged;
   * LiteRT's own C++ analyzer, `ai_edge_litert._pywrap_analyzer_wrapper.ModelAnalyzer(path,
     True, True)`, by the Python of a virtualenv that has `ai-edge-litert` (`--litert-python
     PATH`, no TensorFlow): it only lists the graph, the least a tool reading it can cost.
   Without such a Python the row says "skipped". The ratio columns are the Analyzer's wall time
   over opcompat's (above 1: opcompat is faster) and opcompat's over LiteRT's analyzer.
2. A sparse 2 GiB model (one constant, as `tests/builders.py` `sparse_weights_model` makes it)
   in every format: wall time and peak RSS, which must not grow with the weights.
3. The corpus as a whole: `opcompat check CORPUS --target T --format json -o FILE` for each
   target, with the default worker processes and with `-j 1`, and the report's totals; with
   `--tf-python`, one process that imports TensorFlow once and runs the GPU Analyzer on every
   model (one run), with the models it flags.

Wall time is taken around the child process; CPU time (user + system) and peak RSS come from
`os.wait4`; CPU time is the steadier figure on a busy machine. This process stays small (the
synthetic models are built, and JSON reports read, by children): Linux starts a child's
peak RSS at its parent's size.
The hash cache is off (`OPCOMPAT_CACHE_DIR=`), so JSON hashes the whole file every run.
With worker processes, peak RSS is the largest single process of the tree (what `wait4`
reports), not their sum.

    python benchmarks/bench_check.py --tf-python /work/tfvenv/bin/python \\
        --litert-python /work/litertvenv/bin/python
    python benchmarks/bench_check.py -n 9 --no-synthetic a.tflite b.tflite
    python benchmarks/bench_check.py -n 1 --no-sparse --no-corpus --tf-python PY a.tflite
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_inspect import largest_models, measure, other_python, run_once  # noqa: E402

DEFAULT_CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", REPO.parent / "shared" / "models"))
SYNTHETIC_OPS = 50_000
SPARSE_BYTES = (2 << 30) - (16 << 20)  # under flatbuffers' 2 GiB limit, with the graph
FORMATS = ("table", "markdown", "json", "sarif", "html")
TARGETS = ("nnapi", "gpu", "all")

ANALYZER = r"""
import sys
import tensorflow as tf

tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1], gpu_compatibility=False)
"""

ANALYZER_GPU = r"""
import sys
import tensorflow as tf

tf.lite.experimental.Analyzer.analyze(model_path=sys.argv[1], gpu_compatibility=True)
"""

# Every model found under argv[1], TensorFlow imported once: {file name: operators flagged}.
ANALYZER_GPU_CORPUS = r"""
import contextlib, io, json, re, sys
from pathlib import Path
import tensorflow as tf

flagged = {}
for path in sorted(Path(sys.argv[1]).rglob("*.tflite")):
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_path=str(path), gpu_compatibility=True)
    flagged[path.name] = len(re.findall(sys.argv[3], text.getvalue()))
Path(sys.argv[2]).write_text(json.dumps(flagged))
"""

# Totals of a JSON report and its GPU entries, printed as JSON (run as a child).
REPORT_COUNTS = r"""
import json, sys
from pathlib import Path

entries = json.loads(Path(sys.argv[1]).read_text())["models"]
sums = [e["summary"] for e in entries]
gpu = {Path(e["path"]).name: [s["operators"], s["operators"] - s["supported"],
                              s["operators"] - s["delegated"]]
       for e, s in zip(entries, sums) if e["target"] == "gpu"}
print(json.dumps({"entries": len(entries), "ops": sum(s["operators"] for s in sums),
                  "cpu": sum(s["operators"] - s["delegated"] for s in sums), "gpu": gpu}))
"""

# model_analyzer.cc: one warning per operator, then one per subgraph listing the nodes.
GPU_WARNING = r"GPU COMPATIBILITY WARNING: (?!Subgraph#)"
GPU_VERDICT = "looks compatible with GPU delegate"

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


Timing = tuple[float, float, float]  # wall s, CPU s, peak RSS MiB


def row(label: str, tool: str, got: Timing, extra: str = "") -> None:
    print(f"{label}  {tool:<24} {got[0]:>7.3f} {got[1]:>6.3f} {got[2]:>8.1f} {extra}",
          flush=True)


def cell(got: Timing | None) -> str:
    return f"{got[0]:.3f} s / {got[2]:.1f} MiB" if got else "skipped"


def time_model(model: Path, args: argparse.Namespace, tfpy: str | None, tf_note: str,
               litpy: str | None, lit_note: str) -> dict[str, Timing]:
    """Print and return the timings of one model: opcompat per target, then the anchors."""
    check = [sys.executable, "-m", "opcompat", "check", "--api-level", str(args.api_level)]
    size = model.stat().st_size / (1024 * 1024)
    label = f"{model.name[:40]:<40} {size:>6.1f}"
    got: dict[str, Timing] = {}
    for key, tool, extra in (("table", "opcompat check (table)", ["--format", "table"]),
                             ("json", "opcompat check (json)", ["--format", "json"]),
                             ("gpu", "opcompat --target gpu", ["--target", "gpu"]),
                             ("all", "opcompat --target all", ["--target", "all"])):
        got[key] = measure([*check, *extra, str(model)], args.runs)
        row(label, tool, got[key])
    if tfpy:
        got["tf"] = measure([tfpy, "-c", ANALYZER, str(model)], args.runs)
        row(label, "tf Analyzer.analyze", got["tf"],
            f"{got['tf'][0] / got['table'][0]:.1f}x slower than nnapi")
        got["tf gpu"] = measure([tfpy, "-c", ANALYZER_GPU, str(model)], args.runs)
        row(label, "tf Analyzer (gpu)", got["tf gpu"],
            f"{got['tf gpu'][0] / got['gpu'][0]:.1f}x slower than --target gpu")
    else:
        print(f"{label}  {'tf Analyzer.analyze':<24} {tf_note}")
        print(f"{label}  {'tf Analyzer (gpu)':<24} {tf_note}")
    if litpy:
        got["litert"] = lit = measure([litpy, "-c", LITERT_ANALYZER, str(model)], args.runs)
        row(label, "LiteRT ModelAnalyzer", lit,
            f"opcompat {got['table'][0] / lit[0]:.1f}x its time")
    else:
        print(f"{label}  {'LiteRT ModelAnalyzer':<24} {lit_note}")
    return got


def report_counts(report: Path) -> dict:
    """A JSON report's totals (entries, ops, cpu) and its GPU entries ({file name: [operators,
    not supported, left on the CPU]}), read by a child: this process must stay small."""
    out = subprocess.run([sys.executable, "-c", REPORT_COUNTS, str(report)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout)


def gpu_flags(model: Path, tfpy: str | None, folder: Path) -> tuple[str, str]:
    """(what the TF Analyzer's GPU check flags, what opcompat's GPU target leaves on the CPU),
    one untimed run of each."""
    report = folder / "gpu.json"
    subprocess.run([sys.executable, "-m", "opcompat", "check", "--target", "gpu", "--format",
                    "json", "-o", str(report), str(model)], check=True,
                   stderr=subprocess.DEVNULL)
    ops, unsupported, cpu = report_counts(report)["gpu"][model.name]
    ours = f"{unsupported} unsupported, {cpu} on CPU of {ops}"
    if not tfpy:
        return "skipped", ours
    text = subprocess.run([tfpy, "-c", ANALYZER_GPU, str(model)], capture_output=True,
                          text=True, timeout=600, check=True).stdout
    flagged = len(re.findall(GPU_WARNING, text))
    verdict = "says compatible" if GPU_VERDICT in text else "no compatible verdict"
    return f"{flagged} flagged, {verdict}", ours


def compare_models(models: list[Path], args: argparse.Namespace, tfpy: str | None,
                   tf_note: str, litpy: str | None, lit_note: str, folder: Path) -> None:
    header = (f"{'model':<40} {'MiB':>6}  {'tool':<24} {'wall s':>7} {'cpu s':>6} "
              f"{'RSS MiB':>8} ratio")
    print(header)
    print("-" * len(header))
    lines = []
    for model in models:
        got = time_model(model, args, tfpy, tf_note, litpy, lit_note)
        theirs, ours = gpu_flags(model, tfpy, folder)
        ratio = f"{got['tf gpu'][0] / got['gpu'][0]:.1f}x" if "tf gpu" in got else "-"
        lines.append(f"| {model.name} | {cell(got['table'])} | {cell(got['gpu'])} | "
                     f"{cell(got['all'])} | {cell(got.get('tf gpu'))} | {ratio} | {theirs} | "
                     f"{ours} |")
    print("\n| model | nnapi (table) | --target gpu | --target all | TF Analyzer gpu | "
          "Analyzer gpu / check gpu | TF Analyzer GPU check | opcompat GPU target |")
    print("|---|---|---|---|---|---:|---|---|")
    print("\n".join(lines), flush=True)


def corpus_as_a_whole(corpus: Path, runs: int, folder: Path, tfpy: str | None) -> None:
    """Every target over the whole corpus (default workers and -j 1), then, with TensorFlow,
    the GPU Analyzer over every model in one process."""
    count = sum(1 for _ in corpus.rglob("*.tflite"))
    print(f"\nthe corpus as a whole ({count} models in {corpus}), --format json -o FILE:")
    label = f"{f'corpus, {count} models':<47}"
    report = folder / "corpus.json"
    gpu: dict[str, list[int]] = {}
    for target in TARGETS:
        for jobs in ([], ["-j", "1"]):
            got = measure([sys.executable, "-m", "opcompat", "check", str(corpus), "--target",
                           target, "--format", "json", "-o", str(report), *jobs], runs)
            counts = report_counts(report)
            row(label, f"--target {target} {' '.join(jobs)}", got,
                f"{counts['entries']} entries, {counts['ops']} ops, {counts['cpu']} on the CPU")
        gpu = counts["gpu"] or gpu
    if not tfpy:
        return
    out = folder / "analyzer.json"
    got = run_once([tfpy, "-c", ANALYZER_GPU_CORPUS, str(corpus), str(out), GPU_WARNING])
    flagged = json.loads(out.read_text())  # one small number per model
    some_cpu = sum(1 for counts in gpu.values() if counts[2])
    row(label, "tf Analyzer (gpu), 1 run", got,
        f"flags {sum(1 for n in flagged.values() if n)} of {len(flagged)} models "
        f"({sum(flagged.values())} ops); opcompat --target gpu leaves ops on the CPU in "
        f"{some_cpu} of {len(gpu)} ({sum(c[2] for c in gpu.values())} ops)")


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
    parser.add_argument("--no-corpus", action="store_true",
                        help="leave out the corpus as a whole (every target, one command)")
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
        compare_models(models, args, tfpy, tf_note, litpy, lit_note, Path(tmp))
        if not args.no_sparse:
            sparse_model_in_every_format(Path(tmp), args.runs)
        if not args.no_corpus:
            corpus_as_a_whole(args.corpus, args.runs, Path(tmp), tfpy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
