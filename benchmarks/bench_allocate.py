"""Allocation: largest-remainder split of 10^17 minor units over 100,000 weights."""

import random
from decimal import Decimal
from fractions import Fraction

from apps.core.money import allocate
from benchmarks.timing import Measure, best_of

WEIGHTS = 100_000
TOTAL = 10**17 + 12_345


def run() -> list[Measure]:
    rng = random.Random(2026)
    integers = [rng.randint(1, 10**9) for _ in range(WEIGHTS)]
    units = sum(integers)
    ownership = [Fraction(held, units) for held in integers]  # shares of one vehicle
    percentages = [Decimal(rng.randint(1, 10**8)).scaleb(-6) for _ in range(WEIGHTS)]

    def floor_pass(weights: list[int]) -> None:
        # The unavoidable work: one exact quota per weight, nothing else.
        whole = sum(weights)
        for weight in weights:
            divmod(TOTAL * weight, whole)

    floor = best_of(lambda: floor_pass(integers))
    measures = []
    for label, weights in [
        ("int units held", integers),
        ("Fraction ownership shares", ownership),
        ("Decimal percentages (6 places)", percentages),
    ]:
        assert sum(allocate(TOTAL, weights)) == TOTAL
        measures.append(
            Measure(
                name=f"allocate over {WEIGHTS:,} {label}",
                seconds=best_of(lambda weights=weights: allocate(TOTAL, weights)),
                floor_name="one divmod per int weight",
                floor_seconds=floor,
            )
        )
    return measures
