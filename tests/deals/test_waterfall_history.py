"""The waterfall across a fund's life: the catch-up counts every earlier distribution.

Amounts are in cents. A 10 % hurdle on 10,000,000.00 contributed on 2021-01-01 accrues exactly
1,000,000.00 by 2022-01-01 (365 days), so the figures below can be worked by hand.
"""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.money import Money, round_fraction
from apps.deals.interest import DayCount
from apps.deals.waterfall import (
    CATCH_UP,
    PREFERRED_RETURN,
    RETURN_OF_CAPITAL,
    SPLIT,
    Compounding,
    Paid,
    Tier,
    european,
)

Y0, Y1, Y2 = date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)
MILLION = 100_000_000  # 1,000,000.00 in cents
TERMS = {"hurdle": Decimal("0.10"), "carry": Decimal("0.20"), "catch_up": Decimal(1)}
CAPITAL = [(Y0, Money(10 * MILLION, "EUR"))]


def cents(amount: int) -> Money:
    return Money(amount, "EUR")


def table(tiers: list[Tier]) -> list[tuple[int, int]]:
    return [(tier.lp.amount_minor, tier.gp.amount_minor) for tier in tiers]


def distribute(contributions, history: list[Paid], proceeds: int, on: date, **terms) -> list[Tier]:
    """Distribute ``proceeds`` and add the distribution to ``history``, as the records do."""
    tiers = european(contributions, history, cents(proceeds), on, **(TERMS | terms))
    history.append(Paid(on, tiers))
    return tiers


def test_the_catch_up_counts_the_preferred_return_paid_by_an_earlier_distribution():
    # 2022: 11,000,000.00 = 10,000,000.00 of capital and the whole 1,000,000.00 of hurdle.
    # 2023: nothing more accrues (everything owed was paid); the GP catches up on the
    # 1,000,000.00 paid before: 1,000,000.00 x 20 / 80 = 250,000.00. The split of 2,750,000.00
    # brings the GP to 20 % of the 4,000,000.00 of profit: 800,000.00 - 250,000.00 = 550,000.00.
    history: list[Paid] = []
    first = distribute(CAPITAL, history, 11 * MILLION, Y1)
    second = distribute(CAPITAL, history, 3 * MILLION, Y2)

    assert table(first) == [(10 * MILLION, 0), (MILLION, 0), (0, 0), (0, 0)]
    assert table(second) == [(0, 0), (0, 0), (0, 25_000_000), (220_000_000, 55_000_000)]
    gp = sum(tier.gp.amount_minor for paid in history for tier in paid.tiers)
    assert gp == 80_000_000  # 20 % of the 4,000,000.00 of profit


def test_a_second_distribution_on_the_same_day_pays_the_catch_up_one_distribution_would():
    # The first ends exactly at the preferred return; the second, the same day, starts with
    # the catch-up: 250,000.00, then splits 2,750,000.00 as above.
    history: list[Paid] = []
    distribute(CAPITAL, history, 11 * MILLION, Y1)
    second = distribute(CAPITAL, history, 3 * MILLION, Y1)
    at_once = european(CAPITAL, [], cents(14 * MILLION), Y1, **TERMS)

    assert table(second) == [(0, 0), (0, 0), (0, 25_000_000), (220_000_000, 55_000_000)]
    assert table(at_once) == [
        (10 * MILLION, 0),
        (MILLION, 0),
        (0, 25_000_000),
        (220_000_000, 55_000_000),
    ]


def test_a_catch_up_cut_short_continues_in_the_next_distribution():
    # 2022: 11,100,000.00 pays capital, the hurdle, and 100,000.00 of the 250,000.00 catch-up.
    # 2023: the other 150,000.00 of catch-up, then 20 % of the 1,000,000.00 split.
    history: list[Paid] = []
    first = distribute(CAPITAL, history, 1_110_000_000, Y1)
    second = distribute(CAPITAL, history, 115_000_000, Y2)

    assert table(first)[2] == (0, 10_000_000)
    assert table(second) == [(0, 0), (0, 0), (0, 15_000_000), (80_000_000, 20_000_000)]


def test_a_partial_catch_up_counts_what_the_lps_received_in_it_before():
    # Catch-up 50 %: the tier is 1,000,000.00 x 0.2 / (0.5 - 0.2) = 666,666.67, half to the GP.
    # 2022 pays 200,000.00 of it (100,000.00 each). 2023: X = (0.2 x (1,000,000.00 + 100,000.00
    # + 100,000.00) - 100,000.00) / 0.3 = 466,666.666.. -> 466,666.67; GP 233,333.33.
    history: list[Paid] = []
    first = distribute(CAPITAL, history, 1_120_000_000, Y1, catch_up=Decimal("0.5"))
    second = distribute(CAPITAL, history, 46_666_667, Y2, catch_up=Decimal("0.5"))

    assert table(first)[2] == (10_000_000, 10_000_000)
    assert table(second)[2] == (23_333_334, 23_333_333)
    assert table(second)[3] == (0, 0)


def test_new_capital_after_a_split_is_returned_with_its_hurdle_before_more_carry():
    # 2022: everything owed on the first 10,000,000.00 and the whole catch-up and more.
    # 2022-01-01 a further 5,000,000.00 is contributed; 2023: its capital comes back first,
    # then its hurdle (500,000.00), then the GP catches up on that hurdle: 125,000.00.
    contributions = [*CAPITAL, (Y1, cents(5 * MILLION))]
    history: list[Paid] = []
    distribute(CAPITAL, history, 12 * MILLION, Y1)
    later = distribute(contributions, history, 6 * MILLION, Y2)

    assert table(later) == [
        (5 * MILLION, 0),
        (50_000_000, 0),
        (0, 12_500_000),
        (30_000_000, 7_500_000),
    ]


def test_a_simple_hurdle_does_not_compound():
    # Two years at 10 %: simple 2,000,000.00; compounding 2,100,000.00.
    simple = european(CAPITAL, [], cents(15 * MILLION), Y2, **TERMS, compounding=Compounding.SIMPLE)
    compound = european(CAPITAL, [], cents(15 * MILLION), Y2, **TERMS)

    assert table(simple)[1] == (2 * MILLION, 0)
    assert table(compound)[1] == (210_000_000, 0)


def test_a_returned_capital_stops_its_hurdle_from_its_date_simple_or_compounding():
    # 2022 returns 4,000,000.00 of capital. 2023, on 8,000,000.00: the other 6,000,000.00 of
    # capital, then the hurdle. Simple: 10,000,000.00 x 10 % x 2 - 4,000,000.00 x 10 % x 1
    # = 1,600,000.00. Compounding: 10,000,000.00 x 0.21 - 4,000,000.00 x 0.1 = 1,700,000.00.
    for compounding, hurdle in [(Compounding.SIMPLE, 160), (Compounding.COMPOUND, 170)]:
        history: list[Paid] = []
        distribute(CAPITAL, history, 4 * MILLION, Y1, compounding=compounding)
        second = distribute(CAPITAL, history, 8 * MILLION, Y2, compounding=compounding)

        assert table(second)[:2] == [(6 * MILLION, 0), (hurdle * MILLION // 100, 0)]


def test_the_hurdle_counts_days_by_its_own_day_count():
    # 365 days: ACT/360 accrues 10 % x 365/360 simple = 1,013,888.89; 30/360 exactly one year.
    expected = {DayCount.ACT_360: 101_388_889, DayCount.THIRTY_360: MILLION}
    for day_count, hurdle in expected.items():
        tiers = european(
            CAPITAL,
            [],
            cents(12 * MILLION),
            Y1,
            **TERMS,
            compounding=Compounding.SIMPLE,
            hurdle_day_count=day_count,
        )
        assert table(tiers)[1] == (hurdle, 0), day_count


# Properties over any history.

rates = st.fractions(min_value=0, max_value=Fraction(1, 4), max_denominator=1000)
terms_strategy = st.fixed_dictionaries(
    {
        "hurdle": rates,
        "carry": st.fractions(min_value=0, max_value=Fraction(2, 5), max_denominator=100),
        "catch_up": st.sampled_from([Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0)]),
        "compounding": st.sampled_from(list(Compounding)),
        "hurdle_day_count": st.sampled_from(list(DayCount)),
    }
)
flows = st.lists(
    st.tuples(st.integers(min_value=0, max_value=2000), st.integers(min_value=1, max_value=10**10)),
    min_size=1,
    max_size=3,
)
payouts = st.lists(
    st.tuples(st.integers(min_value=0, max_value=400), st.integers(min_value=0, max_value=10**10)),
    min_size=0,
    max_size=5,
)


def _checked(terms: dict) -> dict:
    if terms["catch_up"] and terms["catch_up"] <= terms["carry"]:
        return terms | {"catch_up": Fraction(1)}
    return terms


def _history(contributions, terms, payouts_) -> tuple[list[Paid], date]:
    history: list[Paid] = []
    on = Y0
    for gap, amount in payouts_:
        on += timedelta(days=gap)
        history.append(Paid(on, european(contributions, history, cents(amount), on, **terms)))
    return history, on


@settings(max_examples=300, deadline=None)
@given(
    contributed=flows,
    terms=terms_strategy,
    before=payouts,
    first=st.integers(min_value=0, max_value=10**10),
    second=st.integers(min_value=0, max_value=10**10),
)
def test_distributions_on_the_same_date_split_exactly_as_one_of_their_total(
    contributed, terms, before, first, second
):
    terms = _checked(terms)
    contributions = [(Y0 + timedelta(days=day), cents(amount)) for day, amount in contributed]
    history, on = _history(contributions, terms, before)
    on += timedelta(days=30)

    at_once = european(contributions, history, cents(first + second), on, **terms)
    one = european(contributions, history, cents(first), on, **terms)
    two = european(contributions, [*history, Paid(on, one)], cents(second), on, **terms)

    assert table(at_once) == [
        (a_lp + b_lp, a_gp + b_gp)
        for (a_lp, a_gp), (b_lp, b_gp) in zip(table(one), table(two), strict=True)
    ]


@settings(max_examples=300, deadline=None)
@given(contributed=flows, terms=terms_strategy, payouts_=payouts.filter(bool))
def test_once_caught_up_the_gp_holds_its_carry_of_all_profit_to_the_cent(
    contributed, terms, payouts_
):
    terms = _checked(terms)
    contributions = [(Y0 + timedelta(days=day), cents(amount)) for day, amount in contributed]
    history, _ = _history(contributions, terms, payouts_)

    every = [tier for paid in history for tier in paid.tiers]
    assert sum(paid.total for paid in history) == sum(amount for _, amount in payouts_)
    assert all(tier.lp.amount_minor >= 0 and tier.gp.amount_minor >= 0 for tier in every)
    last_split = history[-1].lp(SPLIT) + history[-1].gp(SPLIT)
    if not last_split:
        return
    gp = sum(tier.gp.amount_minor for tier in every)
    if terms["catch_up"]:
        profit = sum(tier.total.amount_minor for tier in every if tier.name != RETURN_OF_CAPITAL)
    else:
        profit = sum(tier.total.amount_minor for tier in every if tier.name == SPLIT)
    assert gp == round_fraction(terms["carry"] * profit)


def test_the_tiers_are_named_in_order():
    tiers = european(CAPITAL, [], cents(20 * MILLION), Y1, **TERMS)

    assert [tier.name for tier in tiers] == [RETURN_OF_CAPITAL, PREFERRED_RETURN, CATCH_UP, SPLIT]
