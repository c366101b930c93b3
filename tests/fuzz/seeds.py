"""The seed models the mutators start from: small corpus models, else synthetic ones."""

from __future__ import annotations

import os
from pathlib import Path

from . import crafted
from .synth import chain

_REPO = Path(__file__).resolve().parent.parent.parent
CORPUS = Path(os.environ.get("OPCOMPAT_CORPUS", _REPO.parent / "shared" / "models"))


SMALL_CRAFTED = {
    "while_self": crafted.while_self,
    "if_self": crafted.if_self,
    "call_once_self": crafted.call_once_self,
    "call_self": crafted.call_self,
    "control_flow_out_of_range": crafted.control_flow_out_of_range,
    "while_chain": lambda: crafted.while_chain(12),
    "absurd_shapes": crafted.absurd_shapes,
    "absurd_versions": crafted.absurd_versions,
    "alternating": lambda: crafted.alternating(24),
    "dataflow_cycle": lambda: crafted.dataflow_cycle(12),
    "fan_in": lambda: crafted.fan_in(24),
    "fan_out": lambda: crafted.fan_out(24),
    "many_subgraphs": lambda: crafted.many_subgraphs(8),
    "many_producers": lambda: crafted.many_producers(8),
}


def seed_models(max_size: int = 16_384, limit: int = 200) -> list[tuple[str, bytes]]:
    """Up to `limit` corpus models of at most `max_size` bytes, spread over the sorted names
    (so every op family is represented), plus two synthetic chains and small crafted models
    (control flow that calls itself, absurd shapes, dataflow cycles, fan-in, fan-out).
    Deterministic."""
    out: list[tuple[str, bytes]] = [
        ("synth-chain3", chain(3)),
        ("synth-chain40", chain(40, (2, 3))),
    ]
    out += [(f"crafted-{name}", build()) for name, build in SMALL_CRAFTED.items()]
    if CORPUS.is_dir():
        small = [p for p in sorted(CORPUS.glob("*.tflite")) if p.stat().st_size <= max_size]
        step = max(1, len(small) // limit)
        out += [(p.stem, p.read_bytes()) for p in small[::step][:limit]]
    return out
