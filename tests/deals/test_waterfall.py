"""The distribution waterfall, European and American, to the cent."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import Money
from apps.deals.waterfall import (
    RETURN_OF_CAPITAL,
    DealFlows,
    Paid,
    Tier,
    american,
    european,
    totals,
)

TERMS = {"hurdle": Decimal("0.08"), "carry": Decimal("0.20"), "catch_up": Decimal(1)}
START, EXIT = date(2020, 1, 1), date(2025, 1, 1)


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def returned(on: date, capital: Money) -> Paid:
    """An earlier distribution that returned ``capital`` and nothing else."""
    return Paid(on, [Tier(RETURN_OF_CAPITAL, capital, eur("0"))])


def by_tier(tiers) -> dict[str, tuple[Money, Money]]:
    return {tier.name: (tier.lp, tier.gp) for tier in tiers}


def test_the_worked_example_of_the_domain_primer_comes_out_to_the_cent():
    tiers = european([(START, eur("10000000"))], [], eur("25000000"), EXIT, **TERMS)

    assert by_tier(tiers) == {
        "return of capital": (eur("10000000.00"), eur("0")),
        "preferred return": (eur("4699478.29"), eur("0")),
        "catch-up": (eur("0"), eur("1174869.57")),
        "split": (eur("7300521.71"), eur("1825130.43")),
    }
    assert totals(tiers) == (eur("22000000.00"), eur("3000000.00"))


def test_proceeds_below_the_capital_all_return_capital():
    tiers = european([(START, eur("10000000"))], [], eur("6000000"), EXIT, **TERMS)

    assert totals(tiers) == (eur("6000000"), eur("0"))
    assert by_tier(tiers)["return of capital"] == (eur("6000000"), eur("0"))


def test_proceeds_exactly_at_the_hurdle_leave_nothing_for_the_gp():
    tiers = european([(START, eur("10000000"))], [], eur("14699478.29"), EXIT, **TERMS)

    assert totals(tiers) == (eur("14699478.29"), eur("0"))


def test_a_partial_catch_up_shares_the_tier_until_the_gp_holds_its_carry():
    tiers = european(
        [(START, eur("10000000"))],
        [],
        eur("25000000"),
        EXIT,
        hurdle=Decimal("0.08"),
        carry=Decimal("0.20"),
        catch_up=Decimal("0.50"),
    )

    lp, gp = by_tier(tiers)["catch-up"]
    preferred = by_tier(tiers)["preferred return"][0]
    # The GP's half of the tier equals 20 % of (preferred return + the whole tier).
    assert (
        abs(gp.amount_minor * 5 - (preferred.amount_minor + lp.amount_minor + gp.amount_minor)) <= 5
    )
    assert lp.amount_minor == gp.amount_minor or abs(lp.amount_minor - gp.amount_minor) == 1
    assert sum(t.total.amount_minor for t in tiers) == eur("25000000").amount_minor


def test_prior_distributions_return_capital_first_and_stop_the_hurdle_on_it():
    mid = date(2022, 1, 1)
    with_prior = european(
        [(START, eur("10000000"))], [returned(mid, eur("4000000"))], eur("10000000"), EXIT, **TERMS
    )
    without = european([(START, eur("10000000"))], [], eur("10000000"), EXIT, **TERMS)

    assert by_tier(with_prior)["return of capital"][0] == eur("6000000")
    assert by_tier(without)["return of capital"][0] == eur("10000000")
    # The hurdle stops accruing on the 4,000,000 returned in 2022.
    full = european([(START, eur("10000000"))], [], eur("30000000"), EXIT, **TERMS)
    reduced = european(
        [(START, eur("10000000"))], [returned(mid, eur("4000000"))], eur("30000000"), EXIT, **TERMS
    )
    assert by_tier(reduced)["preferred return"][0] < by_tier(full)["preferred return"][0]


def test_american_and_european_differ_when_one_deal_loses_and_another_wins():
    loser = DealFlows([(START, eur("5000000"))], [], eur("1000000"))
    winner = DealFlows([(START, eur("5000000"))], [], eur("15000000"))

    deal_by_deal = american([loser, winner], EXIT, **TERMS)
    whole_fund = european([(START, eur("10000000"))], [], eur("16000000"), EXIT, **TERMS)

    gp_american = sum((totals(tiers)[1] for tiers in deal_by_deal), eur("0"))
    gp_european = totals(whole_fund)[1]
    assert gp_american > gp_european  # carry on the winner is not offset by the loser
    assert totals(deal_by_deal[0]) == (eur("1000000"), eur("0"))


def test_a_flow_in_another_currency_is_refused():
    with pytest.raises(ValueError, match="USD"):
        european([(START, Money(100, "USD"))], [], eur("1"), EXIT, **TERMS)


def test_a_catch_up_that_can_never_catch_up_is_refused():
    with pytest.raises(ValueError, match="catch-up"):
        european(
            [(START, eur("1"))],
            [],
            eur("2"),
            EXIT,
            hurdle=Decimal("0.08"),
            carry=Fraction(1, 5),
            catch_up=Fraction(1, 5),
        )


@given(
    contributed=st.integers(min_value=1, max_value=10**12),
    proceeds=st.integers(min_value=0, max_value=10**13),
    days=st.integers(min_value=0, max_value=4000),
    hurdle=st.fractions(min_value=0, max_value=Fraction(1, 4), max_denominator=1000),
    carry=st.fractions(min_value=0, max_value=Fraction(2, 5), max_denominator=100),
    catch_up=st.sampled_from([Fraction(1), Fraction(4, 5), Fraction(1, 2), Fraction(0)]),
)
def test_every_distribution_sums_exactly_to_the_proceeds_and_nobody_gets_less_than_nothing(
    contributed, proceeds, days, hurdle, carry, catch_up
):
    if catch_up and catch_up <= carry:
        catch_up = Fraction(1)
    tiers = european(
        [(START, Money(contributed, "EUR"))],
        [],
        Money(proceeds, "EUR"),
        START + timedelta(days=days),
        hurdle=hurdle,
        carry=carry,
        catch_up=catch_up,
    )

    assert sum(tier.total.amount_minor for tier in tiers) == proceeds
    assert all(tier.lp.amount_minor >= 0 and tier.gp.amount_minor >= 0 for tier in tiers)
