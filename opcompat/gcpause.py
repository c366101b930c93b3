"""Pause Python's cyclic garbage collector around work that allocates many objects and no
cycles (reading a model, checking it): the collector would only rescan them, 15-20 % of the
time on large graphs. Collection resumes afterwards, so cycles made meanwhile are still freed.
"""
from __future__ import annotations

import gc
from types import TracebackType


class paused_gc:  # noqa: N801  (used like a function: `with paused_gc():`)
    """`with paused_gc():` runs its block with the collector off, unless it was off already."""

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._was_enabled:
            gc.enable()
