"""The bounded fuzz run of CI, and the replay of every input that once failed.

The bounded run is `tests/fuzz/runner.py` with a fixed seed, in a subprocess: the not-models
(empty, text, PNG, zip, Git LFS pointer, ...), every truncation within the first 4 KB of two
seed models, then structure-aware mutants, about 20k inputs in all. Each must give a report
or a one-line ModelReadError within 2 s, and the process must stay under 200 MB of RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from deadline import within
from fuzz.mutators import not_models, truncations
from fuzz.seeds import seed_models
from fuzz.targets import Targets

from opcompat.errors import ModelReadError
from opcompat.model import read_model

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "fuzz" / "runner.py"
REGRESSIONS = HERE / "fuzz" / "regressions"

BOUNDED_INPUTS = int(os.environ.get("OPCOMPAT_FUZZ_INPUTS", "20000"))
BOUNDED_SEED = 20261125
PER_INPUT_SECONDS = 2.0
PEAK_RSS_MB = 200.0


def _regression_files() -> list[Path]:
    return (
        sorted(p for p in REGRESSIONS.iterdir() if p.suffix == ".bin")
        if REGRESSIONS.is_dir()
        else []
    )


@pytest.fixture(scope="module")
def targets() -> Targets:
    return Targets()


def test_bounded_fuzz_run() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            "--inputs",
            str(BOUNDED_INPUTS),
            "--seed",
            str(BOUNDED_SEED),
            "--limit",
            str(PER_INPUT_SECONDS),
            "--hang",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.stdout.strip(), proc.stderr[-3000:]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    assert figures["inputs"] == BOUNDED_INPUTS
    assert figures["failure_counts"] == {}, json.dumps(figures["failures"], indent=1)[:4000]
    assert figures["slowest_seconds"] < PER_INPUT_SECONDS, figures["slowest_input"]
    assert figures["peak_rss_mb"] < PEAK_RSS_MB, figures
    # The mutants must reach past the reader's checks, or the run tests little.
    assert figures["outcomes"].get("report", 0) > BOUNDED_INPUTS // 20, figures["outcomes"]
    assert figures["outcomes"].get("rejected", 0) > BOUNDED_INPUTS // 4, figures["outcomes"]
    assert proc.returncode == 0


@pytest.mark.parametrize("path", _regression_files(), ids=lambda p: p.name)
def test_regression_input(path: Path, targets: Targets) -> None:
    outcome = within(PER_INPUT_SECONDS, targets.run, path.read_bytes())
    assert outcome in ("report", "rejected")  # not "backstop": a deliberate check must say it


def test_regression_corpus_is_not_empty() -> None:
    assert len(_regression_files()) >= 5


@pytest.mark.parametrize("name", sorted(not_models()))
def test_not_a_model_is_one_clear_line(name: str) -> None:
    with pytest.raises(ModelReadError) as info:
        read_model(not_models()[name])
    msg = str(info.value)
    assert "\n" not in msg and msg.strip()
    assert "malformed flatbuffer (" not in msg  # a deliberate check, not the last-resort except


def test_lfs_pointer_message_says_what_and_how() -> None:
    with pytest.raises(ModelReadError) as info:
        read_model(not_models()["lfs_pointer"])
    msg = str(info.value)
    assert "Git LFS pointer" in msg
    assert "git lfs pull" in msg


def test_every_truncation_of_a_small_model_is_rejected() -> None:
    name, data = min(seed_models(), key=lambda s: len(s[1]))
    read_model(data)  # the whole file reads
    for _name, prefix in truncations(data):
        with pytest.raises(ModelReadError):
            read_model(prefix)


def test_valid_flatbuffers_with_hostile_content(targets: Targets) -> None:
    """Hypothesis-made models (any op, version, type, shape, options, index) reach the engine
    and every format: each gives a report or a clear refusal, within the time limit."""
    from fuzz.strategies import models
    from fuzz.synth import build
    from hypothesis import HealthCheck, given, settings

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(models())
    def run(spec):  # type: ignore[no-untyped-def]
        assert within(PER_INPUT_SECONDS, targets.run, build(spec)) in ("report", "rejected")

    run()
