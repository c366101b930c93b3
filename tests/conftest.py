"""Shared fixtures: where the model corpus and the reference data are.

The corpus is `../shared/models` beside the checkout, or the folder named by OPCOMPAT_CORPUS;
tests that need it skip cleanly when it is absent.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OPCOMPAT_SHARED", REPO.parent / "shared"))
CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", SHARED / "models"))
ORACLE = Path(os.environ.get("OPCOMPAT_ORACLE", SHARED / "oracle"))

# The hash cache of opcompat.digest goes to a folder of this run, never the user's ~/.cache (the
# CLI tests run opcompat in child processes, which inherit it).
os.environ["OPCOMPAT_CACHE_DIR"] = tempfile.mkdtemp(prefix="opcompat-test-cache-")


def corpus_models() -> list[Path]:
    """Every .tflite of the corpus, sorted; empty when the corpus is absent."""
    if not CORPUS.is_dir():
        return []
    return sorted(CORPUS.glob("*.tflite"))


def shared_model(name: str) -> Path:
    """A model of `shared/models` or `shared/models-gpu` by file name (`.tflite` optional);
    the test is skipped when it is absent."""
    file = name if name.endswith(".tflite") else f"{name}.tflite"
    for folder in (CORPUS, SHARED / "models-gpu"):
        if (folder / file).is_file():
            return folder / file
    pytest.skip(f"{file} not found under {SHARED} (set OPCOMPAT_SHARED)")


@pytest.fixture(scope="session")
def corpus() -> list[Path]:
    models = corpus_models()
    if not models:
        pytest.skip(
            f"model corpus not found at {CORPUS} (set OPCOMPAT_SHARED to the shared folder, or "
            "OPCOMPAT_CORPUS to its models/)"
        )
    return models
