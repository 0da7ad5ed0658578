"""Setup and management fees, to the cent, with the figures worked by hand."""

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.core.money import Money
from apps.deals.fees import management_fee, management_fee_periods, setup_fee

BASE_RATE = Decimal("0.02")


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def fee(start: date, end: date, **overrides) -> Money:
    terms = {"base": eur("5000000.00"), "yearly_rate": BASE_RATE} | overrides
    return management_fee(start=start, end=end, **terms)


# Setup fee.


def test_setup_fee_is_the_rate_on_the_amount():
    assert setup_fee(amount=eur("250000.00"), rate=Decimal("0.03")) == eur("7500.00")


def test_setup_fee_rounds_half_a_cent_up():
    # 1,234.50 x 0.01 = 12.345
    assert setup_fee(amount=eur("1234.50"), rate=Decimal("0.01")) == eur("12.35")


def test_setup_fee_rounds_below_half_a_cent_down():
    # 1,234.40 x 0.01 = 12.344
    assert setup_fee(amount=eur("1234.40"), rate=Decimal("0.01")) == eur("12.34")


def test_setup_fee_takes_an_exact_fraction():
    # 100.00 x 1/3 = 33.333...
    assert setup_fee(amount=eur("100.00"), rate=Fraction(1, 3)) == eur("33.33")


def test_setup_fee_at_a_zero_rate_is_nothing():
    assert setup_fee(amount=eur("250000.00"), rate=Decimal(0)) == eur("0.00")


# Management fee.


def test_management_fee_for_a_92_day_quarter():
    # 5,000,000 x 0.02 x 92 / 365 = 25,205.479...
    assert fee(date(2025, 7, 1), date(2025, 10, 1)) == eur("25205.48")


def test_management_fee_for_a_full_year_is_the_rate():
    assert fee(date(2025, 1, 1), date(2026, 1, 1)) == eur("100000.00")


def test_management_fee_counts_the_leap_day_over_365():
    # 5,000,000 x 0.02 x 366 / 365 = 100,273.972...
    assert fee(date(2024, 1, 1), date(2025, 1, 1)) == eur("100273.97")


def test_management_fee_for_no_days_is_nothing():
    assert fee(date(2025, 7, 1), date(2025, 7, 1)) == eur("0.00")


def test_quarterly_management_fees_each_rounded_once():
    # 100,000 x 90, 91, 92 and 92 days / 365.
    periods = management_fee_periods(
        base=eur("5000000.00"),
        yearly_rate=BASE_RATE,
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
    )

    assert periods == [
        (date(2025, 1, 1), date(2025, 4, 1), eur("24657.53")),
        (date(2025, 4, 1), date(2025, 7, 1), eur("24931.51")),
        (date(2025, 7, 1), date(2025, 10, 1), eur("25205.48")),
        (date(2025, 10, 1), date(2026, 1, 1), eur("25205.48")),
    ]
    assert sum((amount for _, _, amount in periods), eur("0")) == eur("100000.00")


def test_management_fees_by_half_years_with_a_short_last_period():
    # 100,000 x 181, 184 and 90 days / 365.
    periods = management_fee_periods(
        base=eur("5000000.00"),
        yearly_rate=BASE_RATE,
        start=date(2025, 1, 1),
        end=date(2026, 4, 1),
        every_months=6,
    )

    assert periods == [
        (date(2025, 1, 1), date(2025, 7, 1), eur("49589.04")),
        (date(2025, 7, 1), date(2026, 1, 1), eur("50410.96")),
        (date(2026, 1, 1), date(2026, 4, 1), eur("24657.53")),
    ]


def test_management_fee_periods_need_a_positive_number_of_months():
    with pytest.raises(ValueError, match="every_months"):
        management_fee_periods(
            base=eur("1000.00"),
            yearly_rate=BASE_RATE,
            start=date(2025, 1, 1),
            end=date(2026, 1, 1),
            every_months=0,
        )


# Rates.


@pytest.mark.parametrize("rate", [Decimal(1), Decimal("1.5"), Decimal("-0.01"), Decimal("NaN")])
def test_a_setup_fee_rate_outside_0_to_1_is_refused(rate):
    with pytest.raises(ValueError, match="rate"):
        setup_fee(amount=eur("1000.00"), rate=rate)


@pytest.mark.parametrize("rate", [Fraction(1), Fraction(-1, 100)])
def test_a_management_fee_rate_outside_0_to_1_is_refused(rate):
    with pytest.raises(ValueError, match="yearly_rate"):
        fee(date(2025, 1, 1), date(2026, 1, 1), yearly_rate=rate)


def test_a_rate_just_below_1_is_accepted():
    rate = Fraction(999, 1000)

    assert setup_fee(amount=eur("1000.00"), rate=rate) == eur("999.00")


# Types and dates.


@pytest.mark.parametrize("rate", [0.02, 2, "0.02", None])
def test_a_rate_that_is_not_a_fraction_or_a_decimal_is_refused(rate):
    with pytest.raises(TypeError, match="rate must be a Fraction or a Decimal"):
        setup_fee(amount=eur("1000.00"), rate=rate)
    with pytest.raises(TypeError, match="yearly_rate must be a Fraction or a Decimal"):
        fee(date(2025, 1, 1), date(2026, 1, 1), yearly_rate=rate)


@pytest.mark.parametrize("amount", [Decimal("1000.00"), 100000, "1000.00"])
def test_an_amount_that_is_not_money_is_refused(amount):
    with pytest.raises(TypeError, match="amount must be Money"):
        setup_fee(amount=amount, rate=BASE_RATE)
    with pytest.raises(TypeError, match="base must be Money"):
        fee(date(2025, 1, 1), date(2026, 1, 1), base=amount)


def test_a_negative_base_is_refused():
    with pytest.raises(ValueError, match="base cannot be negative"):
        fee(date(2025, 1, 1), date(2026, 1, 1), base=eur("-1.00"))


@pytest.mark.parametrize("end", ["2026-01-01", datetime(2026, 1, 1, 0, 0)])
def test_an_end_that_is_not_a_date_is_refused(end):
    with pytest.raises(TypeError, match="end must be a date"):
        fee(date(2025, 1, 1), end)


def test_a_management_fee_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        fee(date(2025, 10, 1), date(2025, 7, 1))
