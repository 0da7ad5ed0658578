"""Fee rates, guards, rounding and periods on small examples worked by hand."""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.core.money import Money
from apps.deals.fees import management_fee, management_fee_periods, setup_fee
from tests.messages import exactly

YEAR = (date(2025, 1, 1), date(2026, 1, 1))
JUST_BELOW_ONE = 1 - Fraction(1, 10**9)
JUST_ABOVE_ONE = 1 + Fraction(1, 10**9)
JUST_BELOW_ZERO = Fraction(-1, 10**9)


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def fee(start: date, end: date, *, base: str = "5000000.00", rate=Decimal("0.02")) -> Money:
    return management_fee(base=eur(base), yearly_rate=rate, start=start, end=end)


# Setup fee.


def test_a_setup_fee_on_zero_is_zero():
    assert setup_fee(amount=eur("0.00"), rate=Decimal("0.03")) == eur("0.00")


@pytest.mark.parametrize(("amount", "kind"), [(100, "int"), (Decimal("1.00"), "Decimal")])
def test_a_setup_fee_on_anything_but_money_is_refused(amount, kind):
    with pytest.raises(TypeError, match=exactly(f"amount must be Money, not {kind}")):
        setup_fee(amount=amount, rate=Decimal("0.03"))


def test_a_setup_fee_on_minus_one_cent_is_refused():
    with pytest.raises(ValueError, match="amount cannot be negative"):
        setup_fee(amount=Money(-1, "EUR"), rate=Decimal("0.03"))


def test_a_setup_fee_rate_just_below_one_is_accepted():
    # 100,000 cents x (1 - 10^-9) = 99,999.9999 -> 100,000.
    assert setup_fee(amount=eur("1000.00"), rate=JUST_BELOW_ONE) == eur("1000.00")


def test_a_setup_fee_rate_just_above_one_is_refused():
    with pytest.raises(ValueError, match=r"^rate must be below 1"):
        setup_fee(amount=eur("1000.00"), rate=JUST_ABOVE_ONE)


def test_a_setup_fee_rate_just_below_zero_is_refused():
    with pytest.raises(ValueError, match=r"^rate cannot be negative"):
        setup_fee(amount=eur("1000.00"), rate=JUST_BELOW_ZERO)


# Management fee: ACT/365, rounded once, half up.


def test_a_management_fee_of_exactly_half_a_cent_rounds_up():
    # 73 days = 1/5 year: 50,025 cents x 10 % / 5 = 1,000.5 -> 1,001.
    assert fee(date(2025, 1, 1), date(2025, 3, 15), base="500.25", rate=Decimal("0.1")) == eur(
        "10.01"
    )


def test_a_management_fee_just_below_half_a_cent_rounds_down():
    # 50,024 cents x 10 % / 5 = 1,000.48 -> 1,000.
    assert fee(date(2025, 1, 1), date(2025, 3, 15), base="500.24", rate=Decimal("0.1")) == eur(
        "10.00"
    )


def test_a_management_fee_counts_actual_days_not_30_360():
    # 59 actual days (30/360 would count 60): 100,000.00 x 59 / 365 = 16,164.383... -> 16,164.38.
    assert fee(date(2025, 1, 31), date(2025, 3, 31)) == eur("16164.38")


def test_a_management_fee_for_one_day_is_one_365th_of_the_year():
    # 100,000.00 / 365 = 273.972... -> 273.97.
    assert fee(date(2025, 1, 1), date(2025, 1, 2)) == eur("273.97")


def test_a_management_fee_on_a_zero_base_is_zero():
    assert fee(*YEAR, base="0.00") == eur("0.00")


def test_a_management_fee_on_minus_one_cent_is_refused():
    with pytest.raises(ValueError, match="base cannot be negative"):
        management_fee(
            base=Money(-1, "EUR"), yearly_rate=Decimal("0.02"), start=YEAR[0], end=YEAR[1]
        )


def test_a_management_fee_rate_of_zero_is_accepted():
    assert fee(*YEAR, rate=Fraction(0)) == eur("0.00")


def test_a_management_fee_rate_just_below_one_is_accepted():
    # 100,000 cents x (1 - 10^-9) x 1 year = 99,999.9999 -> 100,000.
    assert fee(*YEAR, base="1000.00", rate=JUST_BELOW_ONE) == eur("1000.00")


def test_a_management_fee_rate_just_above_one_is_refused():
    with pytest.raises(ValueError, match="yearly_rate must be below 1"):
        fee(*YEAR, rate=JUST_ABOVE_ONE)


def test_a_management_fee_rate_just_below_zero_is_refused():
    with pytest.raises(ValueError, match="yearly_rate cannot be negative"):
        fee(*YEAR, rate=JUST_BELOW_ZERO)


@pytest.mark.parametrize("rate", ["NaN", "Infinity"])
def test_a_management_fee_rate_that_is_not_finite_is_refused(rate):
    with pytest.raises(ValueError, match=f"yearly_rate {rate} is not a number"):
        fee(*YEAR, rate=Decimal(rate))


def test_a_management_fee_starting_at_a_datetime_is_refused():
    with pytest.raises(TypeError, match="start must be a date"):
        fee(datetime(2025, 1, 1), date(2026, 1, 1))


# Management fee by periods.


def periods(start: date, end: date, **terms) -> list[tuple[date, date, Money]]:
    terms = {"base": eur("5000000.00"), "yearly_rate": Decimal("0.02")} | terms
    return management_fee_periods(start=start, end=end, **terms)


def test_monthly_fees_are_each_rounded_once():
    # 100,000.00 x 31, 28 and 31 days / 365: 8,493.150.., 7,671.232.., 8,493.150...
    assert periods(date(2025, 1, 1), date(2025, 4, 1), every_months=1) == [
        (date(2025, 1, 1), date(2025, 2, 1), eur("8493.15")),
        (date(2025, 2, 1), date(2025, 3, 1), eur("7671.23")),
        (date(2025, 3, 1), date(2025, 4, 1), eur("8493.15")),
    ]


def test_fee_periods_are_quarterly_unless_told_and_the_last_may_be_one_day():
    # 100,000.00 x 90 / 365 = 24,657.534..; x 1 / 365 = 273.972...
    assert periods(date(2025, 1, 1), date(2025, 4, 2)) == [
        (date(2025, 1, 1), date(2025, 4, 1), eur("24657.53")),
        (date(2025, 4, 1), date(2025, 4, 2), eur("273.97")),
    ]


def test_fee_periods_over_no_days_are_refused():
    with pytest.raises(ValueError, match="the term must last at least one day"):
        periods(date(2025, 1, 1), date(2025, 1, 1))


def test_fee_periods_ending_before_they_start_are_refused():
    with pytest.raises(ValueError, match="before it starts"):
        periods(date(2025, 1, 2), date(2025, 1, 1))


def test_fee_periods_of_a_rate_of_one_are_refused():
    with pytest.raises(ValueError, match="yearly_rate must be below 1"):
        periods(*YEAR, yearly_rate=Decimal(1))


@pytest.mark.parametrize(("every_months", "error"), [(-1, ValueError), (True, TypeError)])
def test_fee_periods_need_a_positive_whole_number_of_months(every_months, error):
    with pytest.raises(error, match="every_months"):
        periods(*YEAR, every_months=every_months)
