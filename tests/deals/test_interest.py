"""Accrued interest on debt and notes, to the cent, with the figures worked by hand."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.core.money import Money
from apps.deals.interest import (
    DayCount,
    Period,
    accrued_as_of,
    accrued_interest,
    interest_schedule,
    year_fraction,
)

ACT, THIRTY = DayCount.ACT_365, DayCount.THIRTY_360
RATE = Decimal("0.08")


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def interest(start: date, end: date, day_count: DayCount = ACT, **overrides) -> Money:
    terms = {"principal": eur("1000000.00"), "rate": RATE} | overrides
    return accrued_interest(start=start, end=end, day_count=day_count, **terms)


# Day counts.


def test_act_365_counts_actual_days_over_365():
    assert year_fraction(date(2025, 1, 1), date(2025, 7, 1), ACT) == Fraction(181, 365)


def test_act_365_counts_the_leap_day_and_still_divides_by_365():
    assert year_fraction(date(2024, 1, 1), date(2025, 1, 1), ACT) == Fraction(366, 365)
    assert year_fraction(date(2024, 2, 28), date(2024, 3, 1), ACT) == Fraction(2, 365)


def test_30_360_turns_both_31sts_into_30ths():
    # D1 31 -> 30, so D2 31 -> 30: 30 x 2 + (30 - 30) = 60 days.
    assert year_fraction(date(2025, 1, 31), date(2025, 3, 31), THIRTY) == Fraction(60, 360)


def test_30_360_keeps_an_end_31st_when_the_start_day_is_before_30():
    # 30 x 2 + (31 - 15) = 76 days.
    assert year_fraction(date(2025, 1, 15), date(2025, 3, 31), THIRTY) == Fraction(76, 360)


def test_30_360_adjusts_the_end_31st_after_a_start_on_the_30th():
    assert year_fraction(date(2025, 4, 30), date(2025, 5, 31), THIRTY) == Fraction(30, 360)


def test_30_360_leaves_the_end_of_february_as_it_is():
    # 30 x 1 + (31 - 28) = 33 days: February's last day is not moved to the 30th.
    assert year_fraction(date(2025, 2, 28), date(2025, 3, 31), THIRTY) == Fraction(33, 360)


def test_30_360_counts_a_leap_year_as_360_days():
    assert year_fraction(date(2024, 1, 1), date(2025, 1, 1), THIRTY) == 1


def test_a_day_count_is_accepted_by_its_value():
    assert year_fraction(date(2025, 1, 1), date(2025, 1, 31), "30_360") == Fraction(30, 360)


# Accrued interest.


def test_a_full_year_at_8_percent_act_365():
    assert interest(date(2025, 1, 1), date(2026, 1, 1)) == eur("80000.00")


def test_181_days_act_365_is_rounded_once_to_the_cent():
    # 1,000,000 x 0.08 x 181 / 365 = 39,671.2328...
    assert interest(date(2025, 1, 1), date(2025, 7, 1)) == eur("39671.23")


def test_30_360_from_the_31st_of_january_to_the_31st_of_march():
    # 1,000,000 x 0.08 x 60 / 360 = 13,333.333...
    assert interest(date(2025, 1, 31), date(2025, 3, 31), THIRTY) == eur("13333.33")


def test_a_leap_year_earns_366_days_under_act_365():
    # 1,000,000 x 0.08 x 366 / 365 = 80,219.178...
    assert interest(date(2024, 1, 1), date(2025, 1, 1)) == eur("80219.18")


def test_a_leap_year_earns_exactly_the_rate_under_30_360():
    assert interest(date(2024, 1, 1), date(2025, 1, 1), THIRTY) == eur("80000.00")


def test_exactly_half_a_cent_rounds_up():
    # 1,000.05 x 0.10 x 1 = 100.005
    year = (date(2025, 1, 1), date(2026, 1, 1))
    amount = interest(*year, principal=eur("1000.05"), rate=Decimal("0.10"))

    assert amount == eur("100.01")


def test_just_below_half_a_cent_rounds_down():
    year = (date(2025, 1, 1), date(2026, 1, 1))
    rate = Fraction(1, 10) - Fraction(1, 10**9)

    assert interest(*year, principal=eur("1000.05"), rate=rate) == eur("100.00")


def test_a_currency_without_decimals_rounds_to_the_unit():
    # 1,000,000 JPY x 0.08 x 181 / 365 = 39,671.23... -> 39,671
    principal = Money(1_000_000, "JPY")

    assert interest(date(2025, 1, 1), date(2025, 7, 1), principal=principal) == principal.times(
        Fraction(39671, 1_000_000)
    )


def test_a_zero_length_period_earns_nothing():
    assert interest(date(2025, 3, 1), date(2025, 3, 1)) == eur("0.00")


def test_a_zero_rate_earns_nothing():
    assert interest(date(2025, 1, 1), date(2026, 1, 1), rate=Fraction(0)) == eur("0.00")


def test_a_fraction_rate_gives_the_same_amount_as_the_decimal():
    period = (date(2025, 1, 1), date(2025, 7, 1))

    assert interest(*period, rate=Fraction(8, 100)) == interest(*period, rate=Decimal("0.08"))


def test_accrued_as_of_is_the_interest_from_start_to_that_day():
    accrued = accrued_as_of(
        principal=eur("1000000.00"),
        rate=RATE,
        start=date(2025, 1, 1),
        as_of=date(2025, 7, 1),
        day_count=ACT,
    )

    assert accrued == eur("39671.23")


def test_accrued_as_of_runs_past_maturity_by_the_same_formula():
    accrued = accrued_as_of(
        principal=eur("1000000.00"),
        rate=RATE,
        start=date(2025, 1, 1),
        as_of=date(2027, 1, 1),
        day_count=ACT,
    )

    assert accrued == eur("160000.00")


# Bad input.


def test_an_end_before_the_start_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        interest(date(2025, 7, 1), date(2025, 1, 1))


def test_accrued_as_of_before_the_start_is_refused():
    with pytest.raises(ValueError, match="before it starts"):
        accrued_as_of(
            principal=eur("1000.00"),
            rate=RATE,
            start=date(2025, 7, 1),
            as_of=date(2025, 6, 30),
            day_count=ACT,
        )


def test_a_negative_rate_is_refused():
    with pytest.raises(ValueError, match="negative"):
        interest(date(2025, 1, 1), date(2026, 1, 1), rate=Decimal("-0.01"))


def test_a_rate_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="not a number"):
        interest(date(2025, 1, 1), date(2026, 1, 1), rate=Decimal("NaN"))


@pytest.mark.parametrize("rate", [0.08, 8, "0.08", True])
def test_a_rate_that_is_not_a_fraction_or_a_decimal_is_refused(rate):
    with pytest.raises(TypeError, match="rate must be a Fraction or a Decimal"):
        interest(date(2025, 1, 1), date(2026, 1, 1), rate=rate)


def test_a_principal_that_is_not_money_is_refused():
    with pytest.raises(TypeError, match="principal must be Money"):
        interest(date(2025, 1, 1), date(2026, 1, 1), principal=Decimal("1000"))


def test_a_negative_principal_is_refused():
    with pytest.raises(ValueError, match="principal cannot be negative"):
        interest(date(2025, 1, 1), date(2026, 1, 1), principal=eur("-1.00"))


@pytest.mark.parametrize("start", ["2025-01-01", datetime(2025, 1, 1, 12, 0)])
def test_a_start_that_is_not_a_date_is_refused(start):
    with pytest.raises(TypeError, match="start must be a date"):
        interest(start, date(2026, 1, 1))


def test_an_unknown_day_count_is_refused():
    with pytest.raises(ValueError, match="act_act"):
        interest(date(2025, 1, 1), date(2026, 1, 1), day_count="act_act")


def test_act_360_counts_actual_days_over_a_360_day_year():
    # 365 days / 360: the year fraction is 73/72, more than a whole year.
    assert year_fraction(date(2025, 1, 1), date(2026, 1, 1), DayCount.ACT_360) == Fraction(73, 72)
    # 1,000,000.00 x 5 % x 365 / 360 = 50,694.444.. -> 50,694.44.
    accrued = accrued_interest(
        principal=eur("1000000.00"),
        rate=Decimal("0.05"),
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        day_count=DayCount.ACT_360,
    )
    assert accrued == eur("50694.44")


# Schedules.


def schedule(start: date, maturity: date, every_months: int = 3, day_count=ACT, **overrides):
    terms = {"principal": eur("1000000.00"), "rate": RATE} | overrides
    return interest_schedule(
        start=start, maturity=maturity, every_months=every_months, day_count=day_count, **terms
    )


def test_a_quarterly_schedule_from_a_month_end_keeps_to_month_ends():
    # Days 89, 92, 92, 61; 80,000 x days / 365 each, rounded once per period.
    periods = schedule(date(2025, 1, 31), date(2025, 12, 31))

    assert periods == [
        Period(date(2025, 1, 31), date(2025, 4, 30), eur("19506.85")),
        Period(date(2025, 4, 30), date(2025, 7, 31), eur("20164.38")),
        Period(date(2025, 7, 31), date(2025, 10, 31), eur("20164.38")),
        Period(date(2025, 10, 31), date(2025, 12, 31), eur("13369.86")),
    ]


def test_the_periods_may_differ_from_one_accrual_by_their_rounding():
    periods = schedule(date(2025, 1, 31), date(2025, 12, 31))
    whole = interest(date(2025, 1, 31), date(2025, 12, 31))

    # 73,205.47 by periods against 73,205.479... -> 73,205.48 over the whole term.
    assert sum((period.interest for period in periods), eur("0")) == eur("73205.47")
    assert whole == eur("73205.48")


def test_a_semi_annual_30_360_schedule_pays_half_the_rate_each_period():
    periods = schedule(date(2025, 1, 15), date(2027, 1, 15), every_months=6, day_count=THIRTY)

    assert [period.interest for period in periods] == [eur("40000.00")] * 4


def test_a_maturity_inside_the_first_period_gives_one_short_period():
    periods = schedule(date(2025, 1, 1), date(2025, 2, 1))

    assert periods == [Period(date(2025, 1, 1), date(2025, 2, 1), eur("6794.52"))]


def test_a_schedule_needs_a_maturity_after_its_start():
    with pytest.raises(ValueError, match="at least one day"):
        schedule(date(2025, 1, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="before it starts"):
        schedule(date(2025, 1, 1), date(2024, 1, 1))


@pytest.mark.parametrize(("every_months", "error"), [(0, ValueError), (-3, ValueError)])
def test_a_schedule_needs_a_positive_number_of_months(every_months, error):
    with pytest.raises(error, match="every_months"):
        schedule(date(2025, 1, 1), date(2026, 1, 1), every_months=every_months)


@pytest.mark.parametrize("every_months", [Decimal(3), True, "3"])
def test_a_schedule_needs_a_whole_number_of_months(every_months):
    with pytest.raises(TypeError, match="every_months"):
        schedule(date(2025, 1, 1), date(2026, 1, 1), every_months=every_months)


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    days=st.integers(min_value=1, max_value=3000),
    every_months=st.integers(min_value=1, max_value=12),
    day_count=st.sampled_from(DayCount),
    principal_minor=st.integers(min_value=0, max_value=10**12),
)
def test_schedule_periods_cover_the_term_within_a_cent_each(
    start, days, every_months, day_count, principal_minor
):
    # 30/360 periods add up to the whole term only from a day before the 30th (see below).
    assume(day_count == ACT or start.day < 30)
    maturity = start + timedelta(days=days)
    principal = Money(principal_minor, "EUR")
    periods = schedule(start, maturity, every_months, day_count, principal=principal)
    whole = interest(start, maturity, day_count, principal=principal)

    assert periods[0].start == start
    assert periods[-1].end == maturity
    assert all(a.end == b.start for a, b in pairwise(periods))
    assert all(period.start < period.end for period in periods)
    total = sum(period.interest.amount_minor for period in periods)
    assert abs(total - whole.amount_minor) <= len(periods)


def test_30_360_periods_from_a_31st_across_february_count_one_day_more_than_the_term():
    # 31 Jan -> 28 Feb: 30 - 2 = 28 days; 28 Feb -> 31 Mar: 30 + 3 = 33 days; the whole term: 60.
    periods = schedule(date(2025, 1, 31), date(2025, 3, 31), every_months=1, day_count=THIRTY)

    assert [period.interest for period in periods] == [eur("6222.22"), eur("7333.33")]
    assert interest(date(2025, 1, 31), date(2025, 3, 31), THIRTY) == eur("13333.33")
