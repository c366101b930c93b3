"""`within(seconds, fn, *args)`: a call that fails with TimeoutError instead of hanging."""

from __future__ import annotations

import signal
from collections.abc import Callable
from typing import TypeVar

R = TypeVar("R")


def within(seconds: float, fn: Callable[..., R], *args: object) -> R:
    """`fn(*args)` under a SIGALRM timer (main thread only); the old handler is restored."""

    def _raise(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
