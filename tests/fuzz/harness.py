"""Coverage-guided fuzzing with atheris (libFuzzer), with the structure-aware mutators.

    pip install -e ".[fuzz]"
    python tests/fuzz/harness.py CORPUS_DIR -runs=100000 -timeout=2 -rss_limit_mb=1024 \
        -max_len=32768

The corpus directory is filled with the seed models on first use. Half of the mutations are
atheris' own byte-level ones, half are `fuzz.mutators.Mutator` operations on the flatbuffer
layout of the input (offsets, lengths, vtables, unions, indices); coverage of `opcompat`
decides which results are kept. A crash (any exception but a one-line ModelReadError), a
timeout (over `-timeout` seconds) or an RSS over `-rss_limit_mb` stops the run and leaves the
input as `crash-*`, `timeout-*` or `oom-*` in the working directory.
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "fuzz"

import atheris  # noqa: E402

with atheris.instrument_imports(include=["opcompat"]):
    # Everything the targets reach must be imported here to be instrumented: the reader, the
    # engine and its rule modules (loaded lazily otherwise), and every report format.
    import opcompat.model.reader  # noqa: F401
    from fuzz.targets import Targets

    try:
        import opcompat.analysis  # noqa: F401
        from opcompat.targets.nnapi.rules import engine as _engine

        _engine.rule_for("ADD")  # loads every rule module
    except ImportError:
        pass
    _TARGETS = Targets()  # imports the formats
    from fuzz.seeds import seed_models

    for _name, _data in seed_models()[:40]:
        _TARGETS.run(_data)  # imports what the engine imports on first use

from fuzz.layout import walk  # noqa: E402
from fuzz.mutators import Mutator, Seed, not_models  # noqa: E402

_MUT = Mutator([], random.Random(0))


def test_one_input(data: bytes) -> None:
    _TARGETS.run(data)


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    if rng.random() < 0.5:
        return atheris.Mutate(data, max_size)
    _MUT.rng = rng
    op = rng.choices(_MUT.ops, _MUT._weights)[0][0]
    try:
        _, out = op(_MUT, Seed("input", data, walk(data, max_sites=5000)))
    except (IndexError, ValueError, OverflowError):
        return atheris.Mutate(data, max_size)
    return out[:max_size]


def custom_crossover(data1: bytes, data2: bytes, max_out_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    a = rng.randrange(len(data1) + 1)
    b = rng.randrange(len(data2) + 1)
    return (data1[:a] + data2[b:])[:max_out_size]


def fill_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    for name, data in [*seed_models(), *not_models().items()]:
        digest = hashlib.sha1(data).hexdigest()[:10]
        (folder / f"{name}-{digest}").write_bytes(data)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    for folder in args[:1]:
        fill_corpus(Path(folder))
    _MUT.seeds = [Seed(n, d, walk(d)) for n, d in seed_models()]
    atheris.Setup(
        sys.argv, test_one_input, custom_mutator=custom_mutator, custom_crossover=custom_crossover
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
