"""Pro-forma rounds: price, new shares, pool top-up, conversions and displayed percentages."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.captable.conversion import ConvertibleTerms, RoundTerms, convert_all
from apps.captable.proforma import Holding, ProFormaRow, pro_forma_round
from apps.core.money import CurrencyMismatch, Money

CLOSING = date(2025, 6, 30)
FOUNDERS = Holding(holder="Founders", share_class="Ordinary", units=10_000_000)


def eur(major: int) -> Money:
    return Money(major * 100, "EUR")


def model(*, holdings=(FOUNDERS,), pre_money, new_money, pool=Fraction(0), convertibles=()):
    return pro_forma_round(
        holdings=list(holdings),
        pre_money=pre_money,
        new_money=list(new_money),
        pool_top_up_percent=pool,
        convertibles=list(convertibles),
        conversion_date=CLOSING,
    )


def test_new_money_buys_its_share_of_the_post_money_valuation():
    # Price 8,000,000 / 10,000,000 = 0.80; 2,000,000 / 0.80 = 2,500,000 new shares;
    # 2,500,000 / 12,500,000 = 20 %.
    result = model(pre_money=eur(8_000_000), new_money=[("Fund I", eur(2_000_000))])

    assert result.price_per_share == Fraction(4, 5)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 10_000_000, Decimal("80.00")),
        ProFormaRow("Fund I", "Series A", 2_500_000, Decimal("20.00")),
    ]
    assert result.total_units == 12_500_000
    assert result.post_money == eur(10_000_000)


def test_the_pool_top_up_is_carved_out_of_the_pre_money_valuation():
    # V = 8,000,000 * 0.9 - 0.1 * 2,000,000 = 7,000,000; price = 7,000,000 / 10,000,000 = 0.70
    # (check: 0.70 * (10,000,000 + 1,428,571 3/7 pool) = 8,000,000 pre-money).
    # New shares 2,000,000 / 0.70 = 2,857,142 6/7 -> 2,857,142. Pool: the largest q with
    # q / (12,857,142 + q) <= 10 %, q = floor(12,857,142 / 9) = 1,428,571.
    result = model(
        pre_money=eur(8_000_000), new_money=[("Fund I", eur(2_000_000))], pool=Fraction(1, 10)
    )

    assert result.price_per_share == Fraction(7, 10)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 10_000_000, Decimal("70.00")),
        ProFormaRow("Fund I", "Series A", 2_857_142, Decimal("20.00")),
        ProFormaRow("Pool: top-up", "Ordinary", 1_428_571, Decimal("10.00")),
    ]
    assert result.total_units == 14_285_713
    assert Fraction(1_428_571, 14_285_713) <= Fraction(1, 10) < Fraction(1_428_572, 14_285_714)


def test_pre_and_post_money_safes_convert_inside_the_pre_money_valuation():
    # Post-money SAFE: 1,000,000 at a 10,000,000 cap, 10 %; its cap applies since 10,000,000 is
    # below the 20,000,000 pre-money. Pre-money SAFE: 2,400,000 at 20 % off, no cap.
    # price * T = 20,000,000 with T = (10,000,000 + 2,400,000 / (0.8 price)) / 0.9, so
    # 10,000,000 price + 3,000,000 = 18,000,000 and the price is 1.50.
    # Pre-money SAFE: 2,400,000 / 1.20 = 2,000,000. T = 12,000,000 / 0.9 = 13,333,333 1/3;
    # post-money SAFE: 10 % of T = 1,333,333 1/3 -> 1,333,333. New money 6,000,000 / 1.50.
    result = model(
        pre_money=eur(20_000_000),
        new_money=[("Fund I", eur(6_000_000))],
        convertibles=[
            (
                "Angel",
                ConvertibleTerms(
                    kind="safe",
                    principal=eur(2_400_000),
                    discount=Fraction(1, 5),
                    post_money=False,
                ),
            ),
            (
                "Accelerator",
                ConvertibleTerms(
                    kind="safe", principal=eur(1_000_000), valuation_cap=eur(10_000_000)
                ),
            ),
        ],
    )

    assert result.price_per_share == Fraction(3, 2)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 10_000_000, Decimal("57.69")),
        ProFormaRow("Angel", "Series A", 2_000_000, Decimal("11.54")),
        ProFormaRow("Accelerator", "Series A", 1_333_333, Decimal("7.69")),
        ProFormaRow("Fund I", "Series A", 4_000_000, Decimal("23.08")),
    ]
    assert result.total_units == 17_333_333
    assert result.post_money == eur(26_000_000)


def test_a_pre_money_cap_below_the_round_price_converts_at_the_cap():
    # Cap price 10,000,000 / 10,000,000 = 1.00, so 1,000,000 shares and
    # price = 20,000,000 / 11,000,000 = 20/11, above 1.00. New: 5,000,000 * 11/20 = 2,750,000.
    result = model(
        pre_money=eur(20_000_000),
        new_money=[("Fund I", eur(5_000_000))],
        convertibles=[
            (
                "Business angels",
                ConvertibleTerms(
                    kind="bsa_air", principal=eur(1_000_000), valuation_cap=eur(10_000_000)
                ),
            )
        ],
    )

    assert result.price_per_share == Fraction(20, 11)
    assert [row.units for row in result.rows] == [10_000_000, 1_000_000, 2_750_000]
    assert [row.percent for row in result.rows] == [
        Decimal("72.73"),
        Decimal("7.27"),
        Decimal("20.00"),
    ]


@pytest.mark.parametrize("post_money", [True, False])
def test_a_cap_the_round_price_does_not_reach_is_ignored(post_money):
    # With the cap the price would be 5,000,000 / 11,000,000 (below the 1.00 pre-money cap
    # price, or a 10,000,000 post-money cap above the 5,000,000 pre-money): the SAFE converts
    # at the round price, (5,000,000 - 1,000,000) / 10,000,000 = 0.40, into 2,500,000 shares.
    safe = ConvertibleTerms(
        kind="safe",
        principal=eur(1_000_000),
        valuation_cap=eur(10_000_000),
        post_money=post_money,
    )

    result = model(
        pre_money=eur(5_000_000), new_money=[("Fund I", eur(1_000_000))], convertibles=[("A", safe)]
    )

    assert result.price_per_share == Fraction(2, 5)
    assert [row.units for row in result.rows] == [10_000_000, 2_500_000, 2_500_000]


def test_nothing_passed_in_is_changed():
    holdings = [FOUNDERS, Holding("Pool: ESOP", "Ordinary", 1_000_000)]
    new_money = [("Fund I", eur(2_000_000))]
    convertibles = [("Angel", ConvertibleTerms(kind="safe", principal=eur(100_000)))]
    before = (list(holdings), list(new_money), list(convertibles))

    pro_forma_round(
        holdings=holdings,
        pre_money=eur(8_000_000),
        new_money=new_money,
        pool_top_up_percent=Fraction(1, 10),
        convertibles=convertibles,
        conversion_date=CLOSING,
    )

    assert (holdings, new_money, convertibles) == before


def test_a_pre_money_that_does_not_cover_the_convertibles_is_refused():
    # The SAFE alone is worth 1,000,000 / 0.5 = 2,000,000 of the 1,500,000 pre-money.
    safe = ConvertibleTerms(kind="safe", principal=eur(1_000_000), discount=Fraction(1, 2))

    with pytest.raises(ValueError):
        model(pre_money=eur(1_500_000), new_money=[], convertibles=[("A", safe)])


@pytest.mark.parametrize(
    "changes",
    [
        {"pre_money": eur(0)},
        {"new_money": [("Fund I", Money(100, "USD"))]},
        {"new_money": [("Fund I", eur(0))]},
        {"pool": Fraction(1)},
        {"pool": Fraction(-1, 10)},
        {"holdings": []},
        {"convertibles": [("A", ConvertibleTerms(kind="safe", principal=Money(1, "USD")))]},
    ],
)
def test_inconsistent_inputs_are_refused(changes):
    arguments = {"pre_money": eur(8_000_000), "new_money": [("Fund I", eur(1_000_000))]}

    with pytest.raises((ValueError, CurrencyMismatch)):
        model(**(arguments | changes))


@st.composite
def convertibles(draw):
    kind = draw(st.sampled_from(["safe", "bsa_air", "note"]))
    principal = draw(st.integers(1, 10**9))
    cap = draw(st.none() | st.integers(principal + 1, 10**12))
    is_note = kind == "note"
    return ConvertibleTerms(
        kind=kind,
        principal=Money(principal, "EUR"),
        valuation_cap=None if cap is None else Money(cap, "EUR"),
        discount=draw(st.none() | st.fractions(0, Fraction(1, 2), max_denominator=100)),
        post_money=draw(st.booleans()),
        interest_rate=draw(st.fractions(0, Fraction(1, 5), max_denominator=100))
        if is_note
        else None,
        issue_date=date(2023, 1, 1) if is_note else None,
    )


@given(
    units=st.lists(st.integers(0, 10**8), min_size=1, max_size=5),
    pre_money=st.integers(1, 10**12),
    new_money=st.lists(st.integers(1, 10**11), max_size=3),
    pool=st.fractions(0, Fraction(1, 4), max_denominator=100),
    instruments=st.lists(convertibles(), max_size=4),
)
def test_the_price_satisfies_the_pre_money_convention_and_percentages_add_up(
    units, pre_money, new_money, pool, instruments
):
    assume(sum(units) > 0)
    holdings = [Holding(f"H{i}", "Ordinary", n) for i, n in enumerate(units)]
    try:
        result = pro_forma_round(
            holdings=holdings,
            pre_money=Money(pre_money, "EUR"),
            new_money=[(f"N{i}", Money(n, "EUR")) for i, n in enumerate(new_money)],
            pool_top_up_percent=pool,
            convertibles=[(f"C{i}", terms) for i, terms in enumerate(instruments)],
            conversion_date=CLOSING,
        )
    except ValueError:
        assume(False)

    assert sum(row.percent for row in result.rows) == Decimal("100.00")
    assert all(row.units >= 0 for row in result.rows)
    # price * (shares before + pool top-up + exact conversion shares) = pre-money, where the
    # top-up is p of the post-money count: price * top-up = p * (pre-money + new money).
    price = result.price_per_share
    top_up = pool * Fraction(pre_money + sum(new_money), 100) / price
    conversions = convert_all(
        instruments, RoundTerms(price, sum(units), CLOSING, "EUR", pool_top_up=top_up)
    )
    converted = sum(c.shares + c.fraction_dropped for c in conversions)
    assert price * (sum(units) + top_up + converted) == Fraction(pre_money, 100)
    if pool:
        top_up = result.rows[-1].units
        assert Fraction(top_up, result.total_units) <= pool
        assert Fraction(top_up + 1, result.total_units + 1) > pool
