"""The waterfall on small worked examples, each figure computed by hand in the comment beside it.

Amounts are in cents. 2021 and 2022 have 365 days each, so a flow dated on 1 January accrues
exactly one or two whole years of hurdle to the next 1 January: ``(1 + h) ^ 1`` or ``^ 2``,
powers whose result is exact, so each rounding can be aimed at an exact half cent.
"""

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.core.money import Money
from apps.deals.waterfall import DealFlows, Paid, Tier, american, european, totals
from tests.messages import exactly

Y0, Y1, Y2 = date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)
TEN_PERCENT = Decimal("0.10")
FIFTH = Fraction(1, 5)
TIER_NAMES = ["return of capital", "preferred return", "catch-up", "split"]


def cents(amount: int, currency: str = "EUR") -> Money:
    return Money(amount, currency)


def paid(
    day: date,
    capital: int = 0,
    preferred: int = 0,
    catch_up: tuple[int, int] = (0, 0),
    split: tuple[int, int] = (0, 0),
    currency: str = "EUR",
) -> Paid:
    """An earlier distribution with what each tier paid, LP (and GP), in cents."""
    parts = [(capital, 0), (preferred, 0), catch_up, split]
    return Paid(
        day,
        [
            Tier(name, cents(lp, currency), cents(gp, currency))
            for name, (lp, gp) in zip(TIER_NAMES, parts, strict=True)
        ],
    )


def table(tiers: list[Tier]) -> list[tuple[int, int]]:
    """Return (LP, GP) in cents for each tier, in tier order."""
    return [(tier.lp.amount_minor, tier.gp.amount_minor) for tier in tiers]


def one_year(contributed: int, proceeds: int, **terms) -> list[Tier]:
    """Split ``proceeds`` a year after one contribution, at a 10 % hurdle unless overridden."""
    terms = {"hurdle": TEN_PERCENT, "carry": 0, "catch_up": 0} | terms
    return european([(Y0, cents(contributed))], [], cents(proceeds), Y1, **terms)


# The result.


def test_the_tiers_come_in_order_with_their_names():
    tiers = one_year(100, 150)

    assert [tier.name for tier in tiers] == TIER_NAMES


def test_the_tiers_are_in_the_currency_of_the_proceeds():
    tiers = european(
        [(Y0, cents(100, "USD"))],
        [],
        cents(150, "USD"),
        Y1,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert {tier.lp.currency for tier in tiers} == {tier.gp.currency for tier in tiers} == {"USD"}


def test_a_tier_total_adds_the_lp_and_the_gp_parts():
    assert Tier("split", cents(80), cents(20)).total == cents(100)


def test_a_tier_cannot_be_changed_once_made():
    tier = Tier("split", cents(80), cents(20))

    with pytest.raises(dataclasses.FrozenInstanceError):
        tier.gp = cents(0)
    assert tier.gp == cents(20)


def test_deal_flows_cannot_be_changed_once_made():
    flows = DealFlows([(Y0, cents(100))], [], cents(150))

    with pytest.raises(dataclasses.FrozenInstanceError):
        flows.proceeds = cents(0)
    assert flows.proceeds == cents(150)


def test_totals_of_a_single_tier_are_its_own_parts_in_its_currency():
    assert totals([Tier("split", cents(70, "USD"), cents(30, "USD"))]) == (
        cents(70, "USD"),
        cents(30, "USD"),
    )


# Rounding: half up at each of the four places where a rate makes an amount.


def test_a_preferred_return_of_exactly_half_a_cent_rounds_up():
    # 25 x 10 % = 2.5 -> 3; the split takes the rest: 100 - 25 - 3 = 72.
    assert table(one_year(25, 100)) == [(25, 0), (3, 0), (0, 0), (72, 0)]


def test_a_preferred_return_just_below_half_a_cent_rounds_down():
    # 24 x 10 % = 2.4 -> 2; split 100 - 24 - 2 = 74.
    assert table(one_year(24, 100)) == [(24, 0), (2, 0), (0, 0), (74, 0)]


def test_a_catch_up_gp_share_of_exactly_half_a_cent_rounds_up():
    # Preferred 1,000 x 10 % = 100. The tier would be 100 x (1/5) / (1/2 - 1/5) = 66.67, but only
    # 1,105 - 1,000 - 100 = 5 is left: the tier is 5, the GP's half 2.5 -> 3, the LPs' 2.
    tiers = one_year(1000, 1105, carry=FIFTH, catch_up=Fraction(1, 2))

    assert table(tiers) == [(1000, 0), (100, 0), (2, 3), (0, 0)]


def test_a_catch_up_gp_share_below_half_a_cent_rounds_down():
    # Preferred 100; tier 100 x 2/3 = 66.666.. -> 67; GP 66.666.. / 2 = 33.333.. -> 33;
    # LPs 67 - 33 = 34. Split of 2,000 - 1,000 - 100 - 67 = 833: GP 833 / 5 = 166.6 -> 167,
    # LPs 666.
    tiers = one_year(1000, 2000, carry=FIFTH, catch_up=Fraction(1, 2))

    assert table(tiers) == [(1000, 0), (100, 0), (34, 33), (666, 167)]


def test_a_catch_up_tier_of_exactly_half_a_cent_rounds_up():
    # Preferred 50 x 10 % = 5; tier 5 x (1/5) / (3/5 - 1/5) = 2.5 -> 3; GP 2.5 x 3/5 = 1.5 -> 2,
    # LPs 3 - 2 = 1. Split of 100 - 50 - 5 - 3 = 42: GP 8.4 -> 8, LPs 34.
    tiers = one_year(50, 100, carry=FIFTH, catch_up=Fraction(3, 5))

    assert table(tiers) == [(50, 0), (5, 0), (1, 2), (34, 8)]


def test_a_catch_up_tier_below_half_a_cent_rounds_down():
    # Preferred 90 x 10 % = 9; full catch-up tier 9 x (1/5) / (4/5) = 2.25 -> 2, all to the GP.
    # Split of 200 - 90 - 9 - 2 = 99: GP 19.8 -> 20, LPs 79.
    tiers = one_year(90, 200, carry=FIFTH, catch_up=1)

    assert table(tiers) == [(90, 0), (9, 0), (0, 2), (79, 20)]


def test_a_split_gp_share_of_exactly_half_a_cent_rounds_up():
    # No hurdle: 125 - 100 = 25 left for the split; GP 25 x 10 % = 2.5 -> 3, LPs 22.
    tiers = one_year(100, 125, hurdle=0, carry=Decimal("0.1"), catch_up=1)

    assert table(tiers) == [(100, 0), (0, 0), (0, 0), (22, 3)]


def test_a_split_gp_share_below_half_a_cent_rounds_down():
    # 124 - 100 = 24; GP 2.4 -> 2, LPs 22.
    tiers = one_year(100, 124, hurdle=0, carry=Decimal("0.1"), catch_up=1)

    assert table(tiers) == [(100, 0), (0, 0), (0, 0), (22, 2)]


# Accrual.


def test_a_zero_hurdle_pays_no_preferred_return_and_leaves_nothing_to_catch_up():
    # 150 - 100 = 50 split 80/20: GP 10, LPs 40.
    tiers = one_year(100, 150, hurdle=0, carry=FIFTH, catch_up=1)

    assert table(tiers) == [(100, 0), (0, 0), (0, 0), (40, 10)]


def test_one_day_of_hurdle_accrues_one_365th_of_a_year_compounded():
    # 100,000,000 x (1.08 ^ (1/365) - 1): ln 1.08 / 365 = 0.000210852167..., and
    # e^x - 1 = x + x^2/2 + ... = 0.000210874398... -> 21,087.4398 -> 21,087.
    # Catch-up 21,087 / 4 = 5,271.75 -> 5,272 to the GP; split of
    # 30,000 - 21,087 - 5,272 = 3,641: GP 728.2 -> 728, LPs 2,913.
    tiers = european(
        [(Y0, cents(100_000_000))],
        [],
        cents(100_030_000),
        date(2021, 1, 2),
        hurdle=Decimal("0.08"),
        carry=Decimal("0.20"),
        catch_up=Decimal(1),
    )

    assert table(tiers) == [(100_000_000, 0), (21_087, 0), (0, 5_272), (2_913, 728)]


def test_two_years_of_hurdle_compound():
    # 100,000 x (1.1 ^ 2 - 1) = 21,000, not 2 x 10,000.
    tiers = european(
        [(Y0, cents(100_000))], [], cents(200_000), Y2, hurdle=TEN_PERCENT, carry=0, catch_up=0
    )

    assert table(tiers) == [(100_000, 0), (21_000, 0), (0, 0), (79_000, 0)]


def test_a_contribution_dated_on_the_distribution_date_is_capital_without_hurdle():
    # Capital 100,000 + 50,000; hurdle only on the first: 10,000. Split 200,000 - 160,000.
    tiers = european(
        [(Y0, cents(100_000)), (Y1, cents(50_000))],
        [],
        cents(200_000),
        Y1,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(150_000, 0), (10_000, 0), (0, 0), (40_000, 0)]


def test_a_contribution_dated_after_the_distribution_date_is_capital_without_hurdle():
    # As above: a later date earns no negative hurdle (it would take 50,000 x (1/1.1 - 1)
    # = -4,545.45 off the preferred return).
    tiers = european(
        [(Y0, cents(100_000)), (Y2, cents(50_000))],
        [],
        cents(200_000),
        Y1,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(150_000, 0), (10_000, 0), (0, 0), (40_000, 0)]


@pytest.mark.parametrize("dated", [Y1, Y2], ids=["on", "after"])
def test_a_distribution_dated_on_or_after_the_distribution_date_returns_capital_only(dated):
    # Capital due 100,000 - 40,000 = 60,000; the hurdle on the contribution, 10,000, is not
    # reduced (dated after, it would add 40,000 x (1 - 1/1.1) = 3,636.36). On the same date the
    # two are one distribution of 140,000 less the 40,000 of capital already paid: the same.
    tiers = european(
        [(Y0, cents(100_000))],
        [paid(dated, capital=40_000)],
        cents(100_000),
        Y1,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(60_000, 0), (10_000, 0), (0, 0), (30_000, 0)]


# Prior distributions.


def test_a_prior_distribution_returns_capital_and_stops_the_hurdle_on_it_from_its_date():
    # Capital due 100,000 - 40,000 = 60,000. Hurdle 100,000 x (1.1^2 - 1) = 21,000 less
    # 40,000 x 10 % = 4,000: 17,000. Full catch-up 17,000 / 4 = 4,250. Split of
    # 100,000 - 60,000 - 17,000 - 4,250 = 18,750: GP 3,750, LPs 15,000.
    tiers = european(
        [(Y0, cents(100_000))],
        [paid(Y1, capital=40_000)],
        cents(100_000),
        Y2,
        hurdle=TEN_PERCENT,
        carry=FIFTH,
        catch_up=1,
    )

    assert table(tiers) == [(60_000, 0), (17_000, 0), (0, 4_250), (15_000, 3_750)]


def test_prior_distributions_equal_to_the_capital_leave_the_whole_hurdle_due():
    # Capital due 0. Hurdle 21,000 - 100,000 x 10 % = 11,000, none paid yet. Split 9,000.
    tiers = european(
        [(Y0, cents(100_000))],
        [paid(Y1, capital=100_000)],
        cents(20_000),
        Y2,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(0, 0), (11_000, 0), (0, 0), (9_000, 0)]


def test_preferred_return_paid_before_counts_and_stops_compounding_from_its_date():
    # Capital due 0; 5,000 already paid as preferred return. Hurdle 21,000 - 105,000 x 10 %
    # = 10,500; still due 10,500 - 5,000 = 5,500. Split 4,500.
    tiers = european(
        [(Y0, cents(100_000))],
        [paid(Y1, capital=100_000, preferred=5_000)],
        cents(10_000),
        Y2,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(0, 0), (5_500, 0), (0, 0), (4_500, 0)]


def test_a_preferred_return_paid_beyond_the_hurdle_leaves_none_due_and_takes_nothing_back():
    # Hurdle 21,000 - 13,000 = 8,000, already paid 30,000: due max(8,000 - 30,000, 0) = 0.
    tiers = european(
        [(Y0, cents(100_000))],
        [paid(Y1, capital=100_000, preferred=30_000)],
        cents(10_000),
        Y2,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(0, 0), (0, 0), (0, 0), (10_000, 0)]


# Catch-up.


def test_without_a_catch_up_the_gp_takes_its_carry_from_the_split_only():
    # Preferred 10,000; no catch-up tier; split of 40,000: GP 8,000, LPs 32,000.
    tiers = one_year(100_000, 150_000, carry=FIFTH, catch_up=0)

    assert table(tiers) == [(100_000, 0), (10_000, 0), (0, 0), (32_000, 8_000)]


def test_without_carry_or_catch_up_everything_after_the_hurdle_goes_to_the_lps():
    tiers = one_year(100_000, 150_000, carry=0, catch_up=0)

    assert table(tiers) == [(100_000, 0), (10_000, 0), (0, 0), (40_000, 0)]


def test_a_catch_up_just_above_the_carry_is_accepted():
    # Tier 10,000 x (1/5) / (201/1000 - 1/5) = 2,000,000, capped by the 40,000 left;
    # GP 40,000 x 201/1000 = 8,040, LPs 31,960.
    tiers = one_year(100_000, 150_000, carry=FIFTH, catch_up=Fraction(201, 1000))

    assert table(tiers) == [(100_000, 0), (10_000, 0), (31_960, 8_040), (0, 0)]


def test_a_full_catch_up_is_capped_by_what_is_left():
    # Tier 10,000 / 4 = 2,500, but only 111,000 - 110,000 = 1,000 is left: all to the GP.
    tiers = one_year(100_000, 111_000, carry=FIFTH, catch_up=1)

    assert table(tiers) == [(100_000, 0), (10_000, 0), (0, 1_000), (0, 0)]


def test_a_catch_up_below_the_carry_is_refused():
    with pytest.raises(
        ValueError,
        match=exactly("a catch-up must give the GP more than its carry to ever catch up"),
    ):
        one_year(100, 150, carry=FIFTH, catch_up=Fraction(1, 10))


# Rates.


RATE_NAMES = ["hurdle", "carry", "catch_up"]


@pytest.mark.parametrize("name", RATE_NAMES)
@pytest.mark.parametrize(
    "rate", [0.1, "0.1", True, False, None], ids=["float", "str", "True", "False", "None"]
)
def test_a_rate_of_another_type_is_refused(name, rate):
    with pytest.raises(TypeError, match=exactly(f"{name} must be a Decimal or a Fraction")):
        one_year(100, 150, **{name: rate})


@pytest.mark.parametrize("name", RATE_NAMES)
@pytest.mark.parametrize(
    "rate",
    [Fraction(-1, 10**9), Decimal("-0.000000001"), Fraction(1) + Fraction(1, 10**9), Decimal(2)],
    ids=["just below 0", "decimal just below 0", "just above 1", "2"],
)
def test_a_rate_outside_0_to_1_is_refused(name, rate):
    with pytest.raises(ValueError, match=exactly(f"{name} must be between 0 and 1, not {rate}")):
        one_year(100, 150, **{name: rate})


@pytest.mark.parametrize("rate", [0, Fraction(0), Decimal(0)], ids=["int", "Fraction", "Decimal"])
def test_a_hurdle_of_zero_is_accepted(rate):
    assert table(one_year(100, 150, hurdle=rate)) == [(100, 0), (0, 0), (0, 0), (50, 0)]


@pytest.mark.parametrize("rate", [1, Fraction(1), Decimal(1)], ids=["int", "Fraction", "Decimal"])
def test_a_hurdle_of_one_hundred_percent_is_accepted(rate):
    # 100 x 100 % = 100 due, only 50 left after the capital.
    assert table(one_year(100, 150, hurdle=rate)) == [(100, 0), (50, 0), (0, 0), (0, 0)]


def test_a_carry_of_zero_is_accepted():
    assert table(one_year(100, 150, carry=Fraction(0), catch_up=1)) == [
        (100, 0),
        (10, 0),
        (0, 0),
        (40, 0),
    ]


def test_a_carry_of_one_hundred_percent_is_accepted_without_catch_up():
    # The split's 40 all to the GP.
    assert table(one_year(100, 150, carry=Decimal(1), catch_up=0)) == [
        (100, 0),
        (10, 0),
        (0, 0),
        (0, 40),
    ]


def test_a_catch_up_of_zero_is_accepted():
    # No catch-up tier; split of 40: GP 8, LPs 32.
    assert table(one_year(100, 150, carry=FIFTH, catch_up=Decimal(0))) == [
        (100, 0),
        (10, 0),
        (0, 0),
        (32, 8),
    ]


def test_a_catch_up_of_one_hundred_percent_is_accepted():
    # Full catch-up 10 / 4 = 2.5 -> 3; split of 37: GP 7.4 -> 7, LPs 30.
    assert table(one_year(100, 150, carry=FIFTH, catch_up=Decimal(1))) == [
        (100, 0),
        (10, 0),
        (0, 3),
        (30, 7),
    ]


# Amounts.


def test_negative_proceeds_are_refused():
    with pytest.raises(ValueError, match=exactly("proceeds cannot be negative")):
        one_year(100, -1)


def test_zero_proceeds_give_four_empty_tiers():
    assert table(one_year(100, 0, carry=FIFTH, catch_up=1)) == [(0, 0)] * 4


def test_a_negative_contribution_is_refused():
    with pytest.raises(
        ValueError, match=exactly("contributions and distributions are positive amounts")
    ):
        one_year(-1, 150)


def test_a_negative_distribution_is_refused():
    with pytest.raises(
        ValueError, match=exactly("contributions and distributions are positive amounts")
    ):
        european(
            [(Y0, cents(100))],
            [paid(Y0, capital=-1)],
            cents(150),
            Y1,
            hurdle=TEN_PERCENT,
            carry=0,
            catch_up=0,
        )


def test_a_distribution_in_another_currency_is_refused():
    with pytest.raises(ValueError, match=exactly("a flow in USD cannot share a waterfall in EUR")):
        european(
            [(Y0, cents(100))],
            [paid(Y0, capital=1, currency="USD")],
            cents(150),
            Y1,
            hurdle=TEN_PERCENT,
            carry=0,
            catch_up=0,
        )


def test_zero_amount_flows_are_accepted_and_change_nothing():
    # No capital and no hurdle: all 100 is split, GP 20, LPs 80.
    tiers = european(
        [(Y0, cents(0))],
        [paid(Y0)],
        cents(100),
        Y1,
        hurdle=TEN_PERCENT,
        carry=FIFTH,
        catch_up=1,
    )

    assert table(tiers) == [(0, 0), (0, 0), (0, 0), (80, 20)]


# European and American.


def test_american_applies_the_tiers_deal_by_deal_against_each_deals_own_flows():
    # Deal 1: 100,000 in, 50,000 out: all return of capital.
    # Deal 2: 100,000 in, 40,000 returned on the same day: capital due 60,000; hurdle
    # 10,000 - 4,000 = 6,000; catch-up 6,000 / 4 = 1,500; split of 150,000 - 67,500 = 82,500:
    # GP 16,500, LPs 66,000.
    losing = DealFlows([(Y0, cents(100_000))], [], cents(50_000))
    winning = DealFlows([(Y0, cents(100_000))], [paid(Y0, capital=40_000)], cents(150_000))

    deal_by_deal = american(
        [losing, winning], Y1, hurdle=TEN_PERCENT, carry=FIFTH, catch_up=Decimal(1)
    )

    assert [table(tiers) for tiers in deal_by_deal] == [
        [(50_000, 0), (0, 0), (0, 0), (0, 0)],
        [(60_000, 0), (6_000, 0), (0, 1_500), (66_000, 16_500)],
    ]


def test_european_nets_the_deals_into_one_fund():
    # The same flows as one fund: capital due 200,000 - 40,000 = 160,000; hurdle
    # 20,000 - 4,000 = 16,000; catch-up 4,000; split of 20,000: GP 4,000, LPs 16,000. The GP
    # gets 8,000 here against 18,000 deal by deal.
    tiers = european(
        [(Y0, cents(100_000)), (Y0, cents(100_000))],
        [paid(Y0, capital=40_000)],
        cents(200_000),
        Y1,
        hurdle=TEN_PERCENT,
        carry=FIFTH,
        catch_up=Decimal(1),
    )

    assert table(tiers) == [(160_000, 0), (16_000, 0), (0, 4_000), (16_000, 4_000)]


def test_american_without_deals_is_empty():
    assert american([], Y1, hurdle=TEN_PERCENT, carry=FIFTH, catch_up=1) == []


# Across distributions: cases the properties rarely reach.


def test_a_catch_up_of_half_a_cent_is_paid_as_a_whole_cent():
    # Preferred 20 x 10 % = 2; the catch-up tier 2 x (1/5) / (4/5) = 0.5 rounds up to 1 cent,
    # all to the GP. Split of 32 - 20 - 2 - 1 = 9: the GP's due, 20 % of 12 = 2.4 -> 2, less
    # the 1 it took: 1; LPs 8.
    tiers = one_year(20, 32, carry=FIFTH, catch_up=1)

    assert table(tiers) == [(20, 0), (2, 0), (0, 1), (8, 1)]


def test_without_a_catch_up_a_gp_rounded_up_before_is_not_caught_up_again():
    # Carry 1/2, no catch-up, no capital nor hurdle. Before: a split of 3, the GP's 1.5 -> 2.
    # Now 3 more: the GP's due is half of the 6 split, 3, less its 2: 1; LPs 2. No catch-up
    # tier opens to take back the half cent it was rounded up.
    tiers = european(
        [],
        [paid(Y0, split=(1, 2))],
        cents(3),
        Y1,
        hurdle=TEN_PERCENT,
        carry=Fraction(1, 2),
        catch_up=0,
    )

    assert table(tiers) == [(0, 0), (0, 0), (0, 0), (2, 1)]


def test_a_same_day_instalment_recorded_under_other_rules_is_worked_out_after_it():
    # A record of the same day gave the GP 50 where no carry is due: the whole day's split
    # less it would take 50 back from the GP, so this instalment is worked out after the
    # record, as on another day: 100 of capital still due, then 10 of hurdle, 40 split.
    tiers = european(
        [(Y0, cents(100))],
        [paid(Y1, split=(0, 50))],
        cents(150),
        Y1,
        hurdle=TEN_PERCENT,
        carry=0,
        catch_up=0,
    )

    assert table(tiers) == [(100, 0), (10, 0), (0, 0), (40, 0)]


@pytest.mark.parametrize(
    ("terms", "hurdle"),
    [
        ({"compounding": "simple"}, 20_000),  # 100,000 x 10 % x 2
        ({"compounding": "compound"}, 21_000),  # 100,000 x (1.1^2 - 1)
        ({"hurdle_day_count": "act_360"}, 21_321),  # 1.1^(730/360) - 1 = 0.2132077..
    ],
)
def test_american_passes_the_hurdles_terms_to_each_deal(terms, hurdle):
    deal = DealFlows([(Y0, cents(100_000))], [], cents(200_000))

    (tiers,) = american([deal], Y2, hurdle=TEN_PERCENT, carry=0, catch_up=0, **terms)

    assert table(tiers)[1] == (hurdle, 0)
