"""Simple interest on debt and notes: day counts, accrued interest and interest schedules.

Interest is ``principal x rate x year fraction``, computed exactly and rounded once, to the
minor unit, half up (``COMPUTED_AMOUNT_ROUNDING``), when the amount is computed. A schedule
rounds each period on its own, so the periods may differ from one accrual over the whole term
by at most one minor unit per period.

Day counts:

- ACT/365 (fixed): actual days divided by 365, leap years included.
- ACT/360: actual days divided by 360.
- 30/360 (US bond basis): each month counts 30 days and the year 360. With ``D1`` and ``D2`` the
  start and end days of the month, a ``D1`` of 31 becomes 30; then, if ``D1`` is 30, a ``D2`` of
  31 becomes 30. The days are ``360 x (Y2 - Y1) + 30 x (M2 - M1) + (D2 - D1)``. The last day of
  February is not adjusted, so a 30/360 period from the end of February to a 31st counts one
  day more than the whole term gives it: a schedule from a 30th or a 31st that crosses February
  can add up to a day more per such period than one accrual over the term.
"""

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from apps.core.dates import add_months
from apps.core.money import COMPUTED_AMOUNT_ROUNDING, Money

Rate = Fraction | Decimal


class DayCount(enum.StrEnum):
    ACT_365 = "act_365"
    ACT_360 = "act_360"
    THIRTY_360 = "30_360"

    @property
    def label(self) -> str:
        return {"act_365": "ACT/365", "act_360": "ACT/360", "30_360": "30/360"}[self.value]


@dataclass(frozen=True)
class Period:
    """One interest period of a schedule and the interest accrued over it."""

    start: date
    end: date
    interest: Money


def exact_rate(rate: Rate, *, name: str = "rate") -> Fraction:
    """Return ``rate`` as an exact fraction; refuse other types and negative rates."""
    if not isinstance(rate, Fraction | Decimal):
        raise TypeError(f"{name} must be a Fraction or a Decimal, not {type(rate).__name__}")
    if isinstance(rate, Decimal) and not rate.is_finite():
        raise ValueError(f"{name} {rate} is not a number")
    value = Fraction(rate)
    if value < 0:
        raise ValueError(f"{name} cannot be negative, not {rate}")
    return value


def _check_date(value: date, name: str) -> None:
    # A datetime is a date to isinstance, but its time of day has no place in a day count.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


def _check_money(value: Money, name: str) -> None:
    if not isinstance(value, Money):
        raise TypeError(f"{name} must be Money, not {type(value).__name__}")
    if value.amount_minor < 0:
        raise ValueError(f"{name} cannot be negative, not {value}")


def _check_period(start: date, end: date) -> None:
    _check_date(start, "start")
    _check_date(end, "end")
    if end < start:
        raise ValueError(f"the period cannot end ({end}) before it starts ({start})")


def _days_30_360(start: date, end: date) -> int:
    start_day = min(start.day, 30)
    end_day = 30 if start_day == 30 and end.day == 31 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (end_day - start_day)


def year_fraction(start: date, end: date, day_count: DayCount) -> Fraction:
    """Return the exact fraction of a year from ``start`` to ``end`` under ``day_count``."""
    _check_period(start, end)
    match DayCount(day_count):
        case DayCount.ACT_365:
            return Fraction((end - start).days, 365)
        case DayCount.ACT_360:
            return Fraction((end - start).days, 360)
        case DayCount.THIRTY_360:
            return Fraction(_days_30_360(start, end), 360)


def accrued_interest(
    *, principal: Money, rate: Rate, start: date, end: date, day_count: DayCount
) -> Money:
    """Return the simple interest on ``principal`` from ``start`` to ``end``, rounded once."""
    _check_money(principal, "principal")
    fraction = exact_rate(rate) * year_fraction(start, end, day_count)
    return principal.times(fraction, rounding=COMPUTED_AMOUNT_ROUNDING)


def accrued_as_of(
    *, principal: Money, rate: Rate, start: date, as_of: date, day_count: DayCount
) -> Money:
    """Return the interest accrued from ``start`` up to ``as_of``, rounded once."""
    return accrued_interest(
        principal=principal, rate=rate, start=start, end=as_of, day_count=day_count
    )


def period_bounds(start: date, end: date, every_months: int) -> list[tuple[date, date]]:
    """Cut ``start``..``end`` into periods of ``every_months`` calendar months.

    Each boundary is counted from ``start`` itself, not from the previous boundary, so a
    clamped month end does not drift (31 January, 30 April, 31 July). The last period ends at
    ``end`` and may be shorter.
    """
    _check_period(start, end)
    if isinstance(every_months, bool) or not isinstance(every_months, int):
        raise TypeError(f"every_months must be an int, not {type(every_months).__name__}")
    if every_months <= 0:
        raise ValueError(f"every_months must be positive, not {every_months}")
    if end == start:
        raise ValueError("the term must last at least one day")
    bounds = []
    period_start, step = start, 1
    while period_start < end:
        period_end = min(add_months(start, step * every_months), end)
        bounds.append((period_start, period_end))
        period_start, step = period_end, step + 1
    return bounds


def interest_schedule(
    *,
    principal: Money,
    rate: Rate,
    start: date,
    maturity: date,
    every_months: int,
    day_count: DayCount,
) -> list[Period]:
    """Return the interest periods from ``start`` to ``maturity``, each rounded once."""
    return [
        Period(
            start=period_start,
            end=period_end,
            interest=accrued_interest(
                principal=principal,
                rate=rate,
                start=period_start,
                end=period_end,
                day_count=day_count,
            ),
        )
        for period_start, period_end in period_bounds(start, maturity, every_months)
    ]
