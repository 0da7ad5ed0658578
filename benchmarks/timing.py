"""Measure a piece of work against its floor and print both with their ratio."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    name: str
    seconds: float
    floor_name: str
    floor_seconds: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor_seconds


def best_of(func: Callable[[], object], *, repeat: int = 5) -> float:
    """Return the median wall time of ``repeat`` runs of ``func`` (after one warm-up run)."""
    func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, measures: list[Measure]) -> None:
    print(f"\n{title}")
    print(f"  {'what':<56} {'time':>10} {'floor':>10} {'ratio':>7}  floor is")
    for m in measures:
        print(
            f"  {m.name:<56} {m.seconds * 1000:>8.2f}ms {m.floor_seconds * 1000:>8.2f}ms "
            f"{m.ratio:>6.1f}x  {m.floor_name}"
        )
