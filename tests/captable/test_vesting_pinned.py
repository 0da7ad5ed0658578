"""Vesting pinned on small examples: what each refusal says, and the schedule's edges."""

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from apps.captable.vesting import VestingSchedule, vested_quantity
from tests.messages import exactly

START = date(2024, 1, 31)
MONTHLY = VestingSchedule(cliff_months=0, duration_months=4)


def vested(as_of: date, *, quantity: str = "400", schedule: VestingSchedule = MONTHLY) -> Decimal:
    return vested_quantity(quantity=Decimal(quantity), schedule=schedule, start=START, as_of=as_of)


# What a refusal says.


@pytest.mark.parametrize(
    ("cliff", "duration", "frequency"),
    [(1.0, 12, 1), (0, Decimal(12), 1), (0, 12, True)],
    ids=["float cliff", "decimal duration", "bool frequency"],
)
def test_a_schedule_not_in_whole_months_is_refused(cliff, duration, frequency):
    with pytest.raises(ValueError, match=exactly("a vesting schedule counts whole months")):
        VestingSchedule(cliff_months=cliff, duration_months=duration, frequency_months=frequency)


def test_a_schedule_of_no_months_is_refused():
    with pytest.raises(ValueError, match=exactly("a vesting schedule lasts at least one month")):
        VestingSchedule(cliff_months=0, duration_months=0)


@pytest.mark.parametrize(("cliff", "duration"), [(-1, 12), (13, 12)])
def test_a_cliff_outside_the_schedule_is_refused(cliff, duration):
    message = "the cliff falls between the start and the end of the schedule"
    with pytest.raises(ValueError, match=exactly(message)):
        VestingSchedule(cliff_months=cliff, duration_months=duration)


def test_instalments_less_than_a_month_apart_are_refused():
    with pytest.raises(ValueError, match=exactly("instalments are at least one month apart")):
        VestingSchedule(cliff_months=0, duration_months=12, frequency_months=0)


@pytest.mark.parametrize("quantity", [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), 400, "400"])
def test_a_quantity_that_is_not_a_finite_non_negative_decimal_is_refused(quantity):
    message = "the quantity granted is a finite, non-negative Decimal"
    with pytest.raises(ValueError, match=exactly(message)):
        vested_quantity(quantity=quantity, schedule=MONTHLY, start=START, as_of=START)


# The edges of a schedule.


def test_a_cliff_of_the_whole_duration_vests_everything_at_once():
    schedule = VestingSchedule(cliff_months=4, duration_months=4)

    assert vested(date(2024, 5, 30), schedule=schedule) == 0
    assert vested(date(2024, 5, 31), schedule=schedule) == Decimal(400)


def test_a_one_month_schedule_vests_everything_after_one_month():
    schedule = VestingSchedule(cliff_months=0, duration_months=1)

    assert vested(date(2024, 2, 28), schedule=schedule) == 0
    # 31 January + 1 month is clamped to 29 February 2024.
    assert vested(date(2024, 2, 29), schedule=schedule) == Decimal(400)


def test_month_ends_clamp_from_the_start_not_from_the_last_instalment():
    # From 31 January: 29 February, 31 March, 30 April, each a quarter of 400.
    assert vested(date(2024, 2, 29)) == Decimal(100)
    assert vested(date(2024, 3, 30)) == Decimal(100)
    assert vested(date(2024, 3, 31)) == Decimal(200)
    assert vested(date(2024, 4, 29)) == Decimal(200)
    assert vested(date(2024, 4, 30)) == Decimal(300)


def test_the_start_date_itself_vests_nothing_without_a_cliff():
    assert vested(START) == 0


def test_a_zero_grant_vests_zero_every_day():
    assert vested(date(2024, 3, 31), quantity="0") == 0
    assert vested(date(2030, 1, 1), quantity="0") == 0


def test_the_grant_is_returned_as_given_once_fully_vested():
    # Its exponent is kept: "400.50" stays "400.50", not a rounded or requantised value.
    assert str(vested(date(2024, 5, 31), quantity="400.50")) == "400.50"


def test_instalments_round_down_to_whole_units():
    # 10 units over 4 months: 2.5 -> 2, 5 -> 5, 7.5 -> 7, then the rest at the end.
    instalments = [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]

    assert [vested(day, quantity="10") for day in instalments] == [2, 5, 7]


def test_vesting_before_the_start_is_zero_even_after_a_cliff_of_zero():
    assert vested(date(2023, 12, 31)) == 0


def test_a_schedule_cannot_be_changed_once_made():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MONTHLY.duration_months = 5  # type: ignore[misc]
    assert MONTHLY.duration_months == 4


def test_a_schedule_is_monthly_unless_told_otherwise():
    assert VestingSchedule(cliff_months=0, duration_months=12).frequency_months == 1
