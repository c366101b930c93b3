"""The seed models the mutators start from: small corpus models, else synthetic ones."""

from __future__ import annotations

import os
from pathlib import Path

from .synth import chain

_REPO = Path(__file__).resolve().parent.parent.parent
CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", _REPO.parent / "shared" / "models"))


def seed_models(max_size: int = 16_384, limit: int = 200) -> list[tuple[str, bytes]]:
    """Up to `limit` corpus models of at most `max_size` bytes, spread over the sorted names
    (so every op family is represented), plus two synthetic chains. Deterministic."""
    out: list[tuple[str, bytes]] = [
        ("synth-chain3", chain(3)),
        ("synth-chain40", chain(40, (2, 3))),
    ]
    if CORPUS.is_dir():
        small = [p for p in sorted(CORPUS.glob("*.tflite")) if p.stat().st_size <= max_size]
        step = max(1, len(small) // limit)
        out += [(p.stem, p.read_bytes()) for p in small[::step][:limit]]
    return out
