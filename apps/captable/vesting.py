"""Vesting schedules: how much of a grant has vested on a given date.

A grant vests nothing before its cliff; at the cliff it vests the instalments accrued since the
start, then one instalment every ``frequency_months``, and all of it at the end of the schedule.
Each instalment date vests ``quantity * months_elapsed / duration_months`` rounded down to whole
units, and the last date vests exactly ``quantity``: rounding only ever delays units, it never
loses them. Months are calendar months; a day that a month lacks is clamped to its last day.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

from apps.core.dates import add_months


def _is_int(value: object) -> bool:
    return type(value) is int


@dataclass(frozen=True)
class VestingSchedule:
    """A vesting schedule in whole months: cliff, total duration and instalment frequency."""

    cliff_months: int
    duration_months: int
    frequency_months: int = 1

    def __post_init__(self) -> None:
        fields = (self.cliff_months, self.duration_months, self.frequency_months)
        if not all(_is_int(value) for value in fields):
            raise ValueError("a vesting schedule counts whole months")
        if self.duration_months < 1:
            raise ValueError("a vesting schedule lasts at least one month")
        if not 0 <= self.cliff_months <= self.duration_months:
            raise ValueError("the cliff falls between the start and the end of the schedule")
        if self.frequency_months < 1:
            raise ValueError("instalments are at least one month apart")


def _months_elapsed(start: date, as_of: date) -> int:
    """Return the whole calendar months from ``start`` to ``as_of`` (never negative)."""
    months = (as_of.year - start.year) * 12 + as_of.month - start.month
    if add_months(start, months) > as_of:
        months -= 1
    return max(months, 0)


def vested_quantity(
    *, quantity: Decimal, schedule: VestingSchedule, start: date, as_of: date
) -> Decimal:
    """Return how much of ``quantity`` has vested on ``as_of`` under ``schedule`` from ``start``."""
    if not isinstance(quantity, Decimal) or not quantity.is_finite() or quantity < 0:
        raise ValueError("the quantity granted is a finite, non-negative Decimal")
    if as_of >= add_months(start, schedule.duration_months):
        return quantity
    if as_of < add_months(start, schedule.cliff_months):
        return Decimal(0)
    months = _months_elapsed(start, as_of)
    vested_months = months - months % schedule.frequency_months
    return Decimal(floor(Fraction(quantity) * vested_months / schedule.duration_months))
