"""Vesting: cliff, instalments, the last date and calendar months."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.captable.vesting import VestingSchedule, vested_quantity

FOUR_YEARS_ONE_YEAR_CLIFF = VestingSchedule(cliff_months=12, duration_months=48)
START = date(2024, 1, 15)


def vested(as_of: date, *, quantity="48000", schedule=FOUR_YEARS_ONE_YEAR_CLIFF, start=START):
    return vested_quantity(quantity=Decimal(quantity), schedule=schedule, start=start, as_of=as_of)


def test_nothing_vests_the_day_before_the_cliff():
    assert vested(date(2025, 1, 14)) == 0


def test_the_cliff_vests_the_instalments_accrued_so_far():
    assert vested(date(2025, 1, 15)) == Decimal(12_000)


def test_one_instalment_vests_each_month_after_the_cliff():
    assert vested(date(2025, 2, 14)) == Decimal(12_000)
    assert vested(date(2025, 2, 15)) == Decimal(13_000)


def test_everything_has_vested_at_the_end_and_after():
    assert vested(date(2028, 1, 14)) == Decimal(47_000)
    assert vested(date(2028, 1, 15)) == Decimal(48_000)
    assert vested(date(2031, 6, 1)) == Decimal(48_000)


def test_nothing_vests_before_the_start():
    assert vested(date(2020, 1, 1)) == 0


def test_quarterly_instalments_vest_every_three_months():
    quarterly = VestingSchedule(cliff_months=12, duration_months=48, frequency_months=3)

    assert vested(date(2025, 1, 15), schedule=quarterly) == Decimal(12_000)
    assert vested(date(2025, 4, 14), schedule=quarterly) == Decimal(12_000)
    assert vested(date(2025, 4, 15), schedule=quarterly) == Decimal(15_000)


def test_a_cliff_between_instalments_vests_the_whole_instalments_accrued():
    # A quarterly schedule with a 4-month cliff: at the cliff, one quarter (3 of 48 months).
    schedule = VestingSchedule(cliff_months=4, duration_months=48, frequency_months=3)

    assert vested(date(2024, 5, 14), schedule=schedule) == 0
    assert vested(date(2024, 5, 15), schedule=schedule) == Decimal(3_000)
    assert vested(date(2024, 7, 15), schedule=schedule) == Decimal(6_000)


def test_without_a_cliff_the_first_instalment_vests_after_one_period():
    no_cliff = VestingSchedule(cliff_months=0, duration_months=24)

    assert vested(START, schedule=no_cliff, quantity="2400") == 0
    assert vested(date(2024, 2, 15), schedule=no_cliff, quantity="2400") == Decimal(100)


def test_a_start_on_the_31st_vests_on_the_last_day_of_shorter_months():
    monthly = VestingSchedule(cliff_months=0, duration_months=12)
    start = date(2024, 1, 31)

    assert vested(date(2024, 2, 28), schedule=monthly, start=start, quantity="1200") == 0
    assert vested(date(2024, 2, 29), schedule=monthly, start=start, quantity="1200") == 100
    assert vested(date(2024, 4, 30), schedule=monthly, start=start, quantity="1200") == 300


def test_instalments_are_rounded_down_and_the_last_date_vests_the_rest():
    # 1,000 over three months: 333.33… then 666.66… round down; month three vests all 1,000.
    three_months = VestingSchedule(cliff_months=0, duration_months=3)
    start = date(2024, 1, 1)

    assert vested(date(2024, 2, 1), schedule=three_months, start=start, quantity="1000") == 333
    assert vested(date(2024, 3, 1), schedule=three_months, start=start, quantity="1000") == 666
    assert vested(date(2024, 4, 1), schedule=three_months, start=start, quantity="1000") == 1000


def test_a_fractional_grant_vests_whole_units_until_the_end():
    schedule = VestingSchedule(cliff_months=0, duration_months=2)
    start = date(2024, 1, 1)

    assert vested(date(2024, 2, 1), schedule=schedule, start=start, quantity="10.5") == 5
    assert vested(date(2024, 3, 1), schedule=schedule, start=start, quantity="10.5") == Decimal(
        "10.5"
    )


@pytest.mark.parametrize(
    ("cliff", "duration", "frequency"),
    [(13, 12, 1), (-1, 12, 1), (0, 0, 1), (0, 12, 0), (0, 12, -3), (True, 12, 1)],
)
def test_an_impossible_schedule_is_refused(cliff, duration, frequency):
    with pytest.raises(ValueError):
        VestingSchedule(cliff_months=cliff, duration_months=duration, frequency_months=frequency)


@pytest.mark.parametrize("quantity", [Decimal(-1), Decimal("NaN"), 100])
def test_a_quantity_that_is_not_a_non_negative_decimal_is_refused(quantity):
    with pytest.raises(ValueError):
        vested_quantity(
            quantity=quantity, schedule=FOUR_YEARS_ONE_YEAR_CLIFF, start=START, as_of=START
        )


schedules = st.integers(1, 72).flatmap(
    lambda duration: st.builds(
        VestingSchedule,
        cliff_months=st.integers(0, duration),
        duration_months=st.just(duration),
        frequency_months=st.integers(1, 12),
    )
)


@given(
    quantity=st.decimals(min_value=0, max_value=10**9, places=2),
    schedule=schedules,
    start=st.dates(date(2000, 1, 1), date(2040, 12, 31)),
    days=st.lists(st.integers(-40, 7_000), min_size=2, max_size=2),
)
def test_vesting_never_decreases_and_stays_within_the_grant(quantity, schedule, start, days):
    earlier, later = (start + timedelta(days=n) for n in sorted(days))

    first = vested_quantity(quantity=quantity, schedule=schedule, start=start, as_of=earlier)
    second = vested_quantity(quantity=quantity, schedule=schedule, start=start, as_of=later)

    assert 0 <= first <= second <= quantity
