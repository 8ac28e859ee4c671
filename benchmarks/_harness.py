"""Tiny timing harness shared by the benchmark scripts: medians over interleaved rounds."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable


def median_seconds(
    candidates: dict[str, Callable[[], object]], *, rounds: int = 7, number: int = 1
) -> dict[str, float]:
    """Median wall time per call of each candidate, measured in interleaved rounds.

    Interleaving (A, B, A, B, ...) keeps a slow moment of the machine from favouring one side.
    Like ``timeit``, the cyclic garbage collector is paused while a candidate runs (and run
    between candidates), so a collection triggered by one side's allocations is not charged
    to whichever side happens to be running.
    """
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, call in candidates.items():
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                for _ in range(number):
                    call()
                samples[name].append((time.perf_counter() - start) / number)
            finally:
                gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, rows: list[tuple[str, str, str]]) -> None:
    """Print a small aligned table: measure, figure, target."""
    print(f"\n{title}")
    width = max(len(r[0]) for r in rows)
    for name, figure, target in rows:
        print(f"  {name.ljust(width)}  {figure:>22}  {target}")
