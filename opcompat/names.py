"""How models and counts are named in messages: shared by the formats, the gate and baselines."""

from __future__ import annotations

import os
from collections.abc import Sequence


def plural(n: int, word: str) -> str:
    """`1 op`, `3 ops`."""
    return f"{n} {word}{'s' if n != 1 else ''}"


def model_name(path: str) -> str:
    """The file name shown for a model."""
    return os.path.basename(path.rstrip("/\\")) or path


def display_names(paths: Sequence[str]) -> list[str]:
    """The name shown for each model of one report: its file name, or, where several models
    share it (`a/model.tflite`, `b/model.tflite`), as many trailing path parts as tell them
    apart."""
    names = [model_name(p) for p in paths]
    if len(set(names)) == len(names):
        return names
    parts = [[x for x in p.replace("\\", "/").split("/") if x] or [p] for p in paths]
    out = list(names)
    for name in set(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        shown = [paths[i] for i in group]  # the same path twice: nothing tells them apart
        for depth in range(2, max(len(parts[i]) for i in group) + 1):
            candidate = ["/".join(parts[i][-depth:]) for i in group]
            if len(set(candidate)) == len(candidate):
                shown = candidate
                break
        for i, text in zip(group, shown, strict=True):
            out[i] = text
    return out
