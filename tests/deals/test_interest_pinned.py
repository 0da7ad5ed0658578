"""Interest day counts, rates, guards and periods on small examples worked by hand."""

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.core.money import Money
from apps.deals.interest import (
    DayCount,
    Period,
    accrued_interest,
    exact_rate,
    period_bounds,
    year_fraction,
)
from tests.messages import exactly

ACT, THIRTY = DayCount.ACT_365, DayCount.THIRTY_360
YEAR = (date(2025, 1, 1), date(2026, 1, 1))
ONE_DAY = (date(2025, 1, 1), date(2025, 1, 2))


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def interest(period, day_count=ACT, *, principal="1000.00", rate=Decimal("0.08")) -> Money:
    start, end = period
    if isinstance(principal, str):
        principal = eur(principal)
    return accrued_interest(
        principal=principal, rate=rate, start=start, end=end, day_count=day_count
    )


# Day counts.


def test_the_day_counts_are_stored_by_these_values():
    assert [day_count.value for day_count in DayCount] == ["act_365", "act_360", "30_360"]


def test_the_day_counts_are_shown_by_their_market_names():
    assert [day_count.label for day_count in DayCount] == ["ACT/365", "ACT/360", "30/360"]


def test_act_365_counts_one_day_as_one_365th():
    assert year_fraction(*ONE_DAY, ACT) == Fraction(1, 365)


def test_30_360_counts_one_day_as_one_360th():
    assert year_fraction(*ONE_DAY, THIRTY) == Fraction(1, 360)


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        # 30 x 2 + (15 - 30) = 45: the start's 30th is kept, the end's 15th untouched.
        (date(2025, 4, 30), date(2025, 6, 15), 45),
        # 30 x 2 + (31 - 29) = 62: a start on the 29th leaves an end 31st as it is.
        (date(2025, 1, 29), date(2025, 3, 31), 62),
        # 30 x 1 + (28 - 30) = 28: the start's 31st becomes 30.
        (date(2025, 1, 31), date(2025, 2, 28), 28),
        # 30 x 3 + (30 - 30) = 90.
        (date(2025, 1, 31), date(2025, 4, 30), 90),
        # 30 x 2 + (1 - 30) = 31.
        (date(2025, 1, 31), date(2025, 3, 1), 31),
        # 360 x 1 + 30 x (2 - 11) + 0 = 90 across a year end.
        (date(2024, 11, 15), date(2025, 2, 15), 90),
        # 360 x 1 + 0 + (30 - 30) = 360: both 31sts become 30ths.
        (date(2024, 12, 31), date(2025, 12, 31), 360),
    ],
)
def test_30_360_counts_days_by_the_bond_basis(start, end, days):
    assert year_fraction(start, end, THIRTY) == Fraction(days, 360)


def test_a_day_count_is_accepted_by_its_act_365_value():
    assert year_fraction(*ONE_DAY, "act_365") == Fraction(1, 365)


# Rounding: once, half up.


def test_30_360_interest_of_exactly_half_a_cent_rounds_up():
    # 10,000 cents x 9 % x 1 / 360 = 2.5 -> 3.
    assert interest(ONE_DAY, THIRTY, principal="100.00", rate=Fraction(9, 100)) == eur("0.03")


def test_30_360_interest_just_below_half_a_cent_rounds_down():
    rate = Fraction(9, 100) - Fraction(1, 10**9)

    assert interest(ONE_DAY, THIRTY, principal="100.00", rate=rate) == eur("0.02")


def test_act_365_interest_of_exactly_half_a_cent_rounds_up():
    # 10,000 cents x 9.125 % x 1 / 365 = 912.5 / 365 = 2.5 -> 3.
    assert interest(ONE_DAY, principal="100.00", rate=Decimal("0.09125")) == eur("0.03")


# Rates.


def test_a_rate_is_read_as_an_exact_fraction():
    assert exact_rate(Decimal("0.08")) == Fraction(2, 25)


@pytest.mark.parametrize("rate", [Decimal(0), Fraction(0)], ids=["Decimal", "Fraction"])
def test_a_zero_rate_is_accepted(rate):
    assert exact_rate(rate) == 0


def test_a_rate_just_below_zero_is_refused():
    with pytest.raises(ValueError, match=r"^rate cannot be negative"):
        exact_rate(Fraction(-1, 10**9))


def test_a_rate_above_one_hundred_percent_is_accepted():
    # 1,000.00 x 150 % x 1 year.
    assert interest(YEAR, rate=Decimal("1.5")) == eur("1500.00")


@pytest.mark.parametrize("rate", ["Infinity", "-Infinity", "sNaN"])
def test_a_decimal_rate_that_is_not_finite_is_refused(rate):
    with pytest.raises(ValueError, match="is not a number"):
        exact_rate(Decimal(rate))


@pytest.mark.parametrize("rate", [0, 1], ids=["0", "1"])
def test_an_int_rate_is_refused(rate):
    with pytest.raises(TypeError, match="rate must be a Fraction or a Decimal, not int"):
        exact_rate(rate)


def test_a_refused_rate_is_named_as_the_caller_names_it():
    with pytest.raises(ValueError, match="hurdle cannot be negative"):
        exact_rate(Decimal("-1"), name="hurdle")
    with pytest.raises(TypeError, match="hurdle must be a Fraction or a Decimal, not float"):
        exact_rate(0.1, name="hurdle")


# Principal and dates.


def test_a_zero_principal_earns_nothing():
    assert interest(YEAR, principal=eur("0.00")) == eur("0.00")


@pytest.mark.parametrize(("principal", "kind"), [(100_000, "int"), (Decimal("1000.00"), "Decimal")])
def test_a_principal_that_is_not_money_is_refused(principal, kind):
    with pytest.raises(TypeError, match=exactly(f"principal must be Money, not {kind}")):
        interest(YEAR, principal=principal)


def test_a_principal_of_minus_one_cent_is_refused():
    with pytest.raises(ValueError, match="principal cannot be negative"):
        interest(YEAR, principal=Money(-1, "EUR"))


@pytest.mark.parametrize(
    ("end", "kind"),
    [("2026-01-01", "str"), (datetime(2026, 1, 1), "datetime")],
    ids=["str", "datetime"],
)
def test_an_end_that_is_not_a_date_is_refused(end, kind):
    with pytest.raises(TypeError, match=exactly(f"end must be a date, not {kind}")):
        interest((date(2025, 1, 1), end))


def test_an_end_one_day_before_the_start_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        year_fraction(date(2025, 1, 2), date(2025, 1, 1), ACT)


# Periods.


def test_monthly_periods_from_a_31st_count_each_end_from_the_start():
    # Each end is start + n months, clamped: 28 Feb, then back to 31 March, 30 April, 31 May.
    assert period_bounds(date(2025, 1, 31), date(2025, 5, 31), 1) == [
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2025, 2, 28), date(2025, 3, 31)),
        (date(2025, 3, 31), date(2025, 4, 30)),
        (date(2025, 4, 30), date(2025, 5, 31)),
    ]


def test_a_term_ending_on_a_boundary_has_no_empty_last_period():
    assert period_bounds(date(2025, 1, 1), date(2025, 7, 1), 3) == [
        (date(2025, 1, 1), date(2025, 4, 1)),
        (date(2025, 4, 1), date(2025, 7, 1)),
    ]


def test_a_term_ending_one_day_after_a_boundary_has_a_one_day_last_period():
    assert period_bounds(date(2025, 1, 1), date(2025, 7, 2), 3) == [
        (date(2025, 1, 1), date(2025, 4, 1)),
        (date(2025, 4, 1), date(2025, 7, 1)),
        (date(2025, 7, 1), date(2025, 7, 2)),
    ]


def test_a_term_ending_one_day_before_a_boundary_shortens_the_last_period():
    assert period_bounds(date(2025, 1, 1), date(2025, 6, 30), 3) == [
        (date(2025, 1, 1), date(2025, 4, 1)),
        (date(2025, 4, 1), date(2025, 6, 30)),
    ]


def test_a_term_of_one_day_is_one_period():
    assert period_bounds(*ONE_DAY, 12) == [ONE_DAY]


def test_periods_run_across_a_year_end():
    assert period_bounds(date(2024, 11, 30), date(2025, 3, 1), 1) == [
        (date(2024, 11, 30), date(2024, 12, 30)),
        (date(2024, 12, 30), date(2025, 1, 30)),
        (date(2025, 1, 30), date(2025, 2, 28)),
        (date(2025, 2, 28), date(2025, 3, 1)),
    ]


def test_a_term_of_no_days_is_refused():
    with pytest.raises(ValueError, match=exactly("the term must last at least one day")):
        period_bounds(date(2025, 1, 1), date(2025, 1, 1), 3)


def test_minus_one_month_is_refused():
    with pytest.raises(ValueError, match="every_months must be positive, not -1"):
        period_bounds(*YEAR, -1)


@pytest.mark.parametrize("every_months", [False, 1.0], ids=["bool", "float"])
def test_a_number_of_months_that_is_not_an_int_is_refused(every_months):
    kind = type(every_months).__name__
    with pytest.raises(TypeError, match=exactly(f"every_months must be an int, not {kind}")):
        period_bounds(*YEAR, every_months)


def test_periods_starting_at_a_datetime_are_refused():
    with pytest.raises(TypeError, match="start must be a date"):
        period_bounds(datetime(2025, 1, 1), date(2026, 1, 1), 3)


def test_a_period_cannot_be_changed_once_made():
    period = Period(date(2025, 1, 1), date(2025, 4, 1), eur("1.00"))

    with pytest.raises(dataclasses.FrozenInstanceError):
        period.interest = eur("2.00")
    assert period.interest == eur("1.00")
