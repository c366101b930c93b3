"""Run a batch of fuzz inputs in this process, with a per-input time limit, and report figures.

    python tests/fuzz/runner.py --inputs 20000 --seed 1 [--save DIR] [--json]

Every input must give a report or a one-line `ModelReadError` within `--limit` seconds. A
failure is a *crash* (any other exception, or a rule that could not evaluate an operator), a
*hang* (killed by the alarm at `--hang` seconds), *slow* (finished, but over `--limit`) or a
*backstop* (refused only by the reader's last-resort `except`, not by a deliberate check).
Failing inputs are written to `--save` so they can join `tests/fuzz/regressions/`. The last
line of output is a JSON object with the figures (inputs, outcomes, failures, slowest input,
peak RSS).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import signal
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `fuzz` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "fuzz"

from fuzz.mutators import Mutator, not_models, truncations  # noqa: E402
from fuzz.seeds import seed_models  # noqa: E402
from fuzz.targets import Targets  # noqa: E402


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` swallows it."""


def _alarm(signum: int, frame: object) -> None:
    raise Hang()


@dataclass(slots=True)
class Failure:
    kind: str  # crash | hang | slow | backstop
    name: str
    detail: str
    data: bytes
    seconds: float


def plan(
    count: int, seed: int, seeds: list[tuple[str, bytes]], truncate: int = 2
) -> Iterator[tuple[str, bytes]]:
    """The inputs of one batch: the not-models, every truncation (within 4 KB) of `truncate`
    seed models, then structure-aware mutants until `count` inputs in all."""
    n = 0
    for name, data in not_models().items():
        yield name, data
        n += 1
    rng = random.Random(seed)
    # The largest seeds give the longest runs of truncations, the smallest the most complete.
    by_size = sorted(seeds, key=lambda s: len(s[1]))
    picks = [by_size[-1], by_size[0], *rng.sample(by_size, min(len(by_size), max(0, truncate - 2)))]
    for sname, sdata in picks[:truncate]:
        for tname, tdata in truncations(sdata):
            if n >= count:
                return
            yield f"{sname}:{tname}", tdata
            n += 1
    mut = Mutator(seeds, rng)
    while n < count:
        yield mut.next()
        n += 1


def run_batch(
    inputs: Iterator[tuple[str, bytes]],
    *,
    limit: float = 2.0,
    hang: float = 10.0,
    deep: bool = True,
    progress: float = 0.0,
    save: Path | None = None,
) -> dict[str, object]:
    """Run every input; return the figures. Failing inputs go to `save` as they are found."""
    targets = Targets(deep=deep)
    signal.signal(signal.SIGALRM, _alarm)
    outcomes: Counter[str] = Counter()
    failures: list[Failure] = []
    slowest = (0.0, "")
    start = last = time.perf_counter()
    total = 0
    for name, data in inputs:
        total += 1
        t0 = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, hang)
        try:
            outcome = targets.run(data)
        except Hang:
            outcome = "hang"
            failures.append(Failure("hang", name, f"no answer after {hang} s", data, hang))
        except (Exception, RecursionError, MemoryError) as exc:  # noqa: B014 - say what we mean
            outcome = "crash"
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{tb[-1].filename}:{tb[-1].lineno}" if tb else "?"
            failures.append(
                Failure(
                    "crash",
                    name,
                    f"{type(exc).__name__}: {exc} [{where}]"[:500],
                    data,
                    time.perf_counter() - t0,
                )
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        dt = time.perf_counter() - t0
        if outcome == "backstop":  # refused, but only by the reader's last-resort except
            failures.append(Failure("backstop", name, "caught only by the backstop", data, dt))
        if outcome not in ("hang", "crash") and dt > limit:
            failures.append(Failure("slow", name, f"{dt:.2f} s", data, dt))
        if dt > slowest[0]:
            slowest = (dt, name)
        outcomes[outcome] += 1
        if save is not None and failures and failures[-1].name == name:
            _save(save, failures[-1])
        now = time.perf_counter()
        if progress and now - last > progress:
            last = now
            print(
                f"[{now - start:7.1f}s] {total} inputs, {dict(outcomes)}, {len(failures)} failures",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - start
    return {
        "inputs": total,
        "outcomes": dict(outcomes),
        "failures": [{"kind": f.kind, "name": f.name, "detail": f.detail} for f in failures[:50]],
        "failure_counts": dict(Counter(f.kind for f in failures)),
        "slowest_seconds": round(slowest[0], 4),
        "slowest_input": slowest[1],
        "elapsed_seconds": round(elapsed, 2),
        "inputs_per_second": round(total / elapsed, 1) if elapsed else 0.0,
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "engine": targets.check is not None,
        "formats": sorted(targets.renderers),
    }


def _peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024


def _save(folder: Path, f: Failure) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(f.data).hexdigest()[:12]
    (folder / f"{f.kind}-{digest}.bin").write_bytes(f.data)
    (folder / f"{f.kind}-{digest}.txt").write_text(f"{f.name}\n{f.detail}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=float, default=2.0, help="seconds an input may take")
    ap.add_argument(
        "--hang", type=float, default=10.0, help="seconds before an input counts as a hang"
    )
    ap.add_argument(
        "--truncate", type=int, default=2, help="seed models truncated at every position"
    )
    ap.add_argument("--max-seed-size", type=int, default=16_384)
    ap.add_argument("--reader-only", action="store_true", help="do not run the engine and formats")
    ap.add_argument(
        "--memory-cap-mb",
        type=int,
        default=1024,
        help="address-space cap, so that a blow-up fails fast instead of swapping",
    )
    ap.add_argument("--progress", type=float, default=0.0, help="print progress every N seconds")
    ap.add_argument("--save", type=Path, help="write failing inputs here")
    args = ap.parse_args(argv)

    if args.memory_cap_mb:
        cap = args.memory_cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    seeds = seed_models(args.max_seed_size)
    stats = plan(args.inputs, args.seed, seeds, args.truncate)
    figures = run_batch(
        stats,
        limit=args.limit,
        hang=args.hang,
        deep=not args.reader_only,
        progress=args.progress,
        save=args.save,
    )
    figures["seed"] = args.seed
    figures["seed_models"] = len(seeds)
    print(json.dumps(figures))
    return 1 if figures["failure_counts"] else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
