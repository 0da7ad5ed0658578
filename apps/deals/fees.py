"""Deal fees: the one-off setup fee and the yearly management fee.

A setup fee is ``amount x rate``; a management fee is ``base x yearly rate x days / 365``
(ACT/365, leap years included). Each fee is computed exactly and rounded once, to the minor
unit, half up (``COMPUTED_AMOUNT_ROUNDING``); a fee charged by periods rounds each period on its
own. Fee rates lie in ``[0, 1)``.
"""

from datetime import date
from fractions import Fraction

from apps.core.money import COMPUTED_AMOUNT_ROUNDING, Money
from apps.deals.interest import DayCount, Rate, exact_rate, period_bounds, year_fraction


def _fee_rate(rate: Rate, name: str) -> Fraction:
    value = exact_rate(rate, name=name)
    if value >= 1:
        raise ValueError(f"{name} must be below 1, not {rate}")
    return value


def _check_amount(value: Money, name: str) -> None:
    if not isinstance(value, Money):
        raise TypeError(f"{name} must be Money, not {type(value).__name__}")
    if value.amount_minor < 0:
        raise ValueError(f"{name} cannot be negative, not {value}")


def setup_fee(*, amount: Money, rate: Rate) -> Money:
    """Return the setup fee on ``amount`` at ``rate``, rounded once."""
    _check_amount(amount, "amount")
    return amount.times(_fee_rate(rate, "rate"), rounding=COMPUTED_AMOUNT_ROUNDING)


def management_fee(*, base: Money, yearly_rate: Rate, start: date, end: date) -> Money:
    """Return the management fee on ``base`` from ``start`` to ``end`` (ACT/365), rounded once."""
    _check_amount(base, "base")
    fraction = _fee_rate(yearly_rate, "yearly_rate") * year_fraction(start, end, DayCount.ACT_365)
    return base.times(fraction, rounding=COMPUTED_AMOUNT_ROUNDING)


def management_fee_periods(
    *, base: Money, yearly_rate: Rate, start: date, end: date, every_months: int = 3
) -> list[tuple[date, date, Money]]:
    """Return the management fee for each period of ``every_months`` months, each rounded once.

    The periods are counted from ``start`` and the last one ends at ``end``.
    """
    return [
        (
            period_start,
            period_end,
            management_fee(base=base, yearly_rate=yearly_rate, start=period_start, end=period_end),
        )
        for period_start, period_end in period_bounds(start, end, every_months)
    ]
