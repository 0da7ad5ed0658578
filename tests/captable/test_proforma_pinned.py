"""Pro-forma rounds pinned on small examples worked by hand: guards, price, caps, pool, percents."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.captable.conversion import ConvertibleTerms
from apps.captable.proforma import Holding, ProFormaRow, pro_forma_round
from apps.core.money import CurrencyMismatch, Money
from tests.messages import exactly

CLOSING = date(2025, 6, 30)
FOUNDERS = Holding("Founders", "Ordinary", 1_000)
JUST_BELOW_ONE = 1 - Fraction(1, 10**9)
DOES_NOT_COVER = (
    "the pre-money valuation, less the pool top-up, does not cover the converting instruments"
)
OWN_THE_WHOLE = "post-money SAFEs cannot together own the whole company"
POOL_RANGE = "the pool top-up percentage is at least 0 and below 1"


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def model(
    *, holdings=(FOUNDERS,), pre_money, new_money=(), pool=Fraction(0), convertibles=(), **classes
):
    return pro_forma_round(
        holdings=list(holdings),
        pre_money=pre_money,
        new_money=list(new_money),
        pool_top_up_percent=pool,
        convertibles=list(convertibles),
        conversion_date=CLOSING,
        **classes,
    )


def safe(principal: str, *, cap: str | None = None, discount=None, post_money=True):
    return ConvertibleTerms(
        kind="safe",
        principal=eur(principal),
        valuation_cap=None if cap is None else eur(cap),
        discount=discount,
        post_money=post_money,
    )


# --- holdings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("units", ["10", 1.5, True, False, Decimal("10")])
def test_a_holding_counts_its_units_as_an_int_or_a_fraction_only(units):
    with pytest.raises(ValueError, match=exactly("units are an int or a Fraction")):
        Holding("Founders", "Ordinary", units)


@pytest.mark.parametrize("units", [-1, Fraction(-1, 2)])
def test_a_holding_of_negative_units_is_refused(units):
    with pytest.raises(ValueError, match=exactly("units are not negative")):
        Holding("Founders", "Ordinary", units)


def test_a_holding_of_zero_units_is_accepted():
    assert Holding("Founders", "Ordinary", 0).units == 0


# --- inputs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("holdings", [[], [Holding("Founders", "Ordinary", 0)]])
def test_a_company_without_units_before_the_round_is_refused(holdings):
    with pytest.raises(
        ValueError, match=exactly("the company has fully diluted units before the round")
    ):
        model(holdings=holdings, pre_money=eur("1000.00"), new_money=[("Fund I", eur("10.00"))])


def test_a_company_of_one_unit_valued_at_one_cent_takes_one_cent_of_new_money():
    # Price 0.01 / 1 = 0.01; the new cent buys 0.01 / 0.01 = 1 share: 1 + 1 = 2, half each.
    result = model(
        holdings=[Holding("Founder", "Ordinary", 1)],
        pre_money=eur("0.01"),
        new_money=[("Fund I", eur("0.01"))],
    )

    assert result.price_per_share == Fraction(1, 100)
    assert result.rows == [
        ProFormaRow("Founder", "Ordinary", 1, Decimal("50.00")),
        ProFormaRow("Fund I", "Series A", 1, Decimal("50.00")),
    ]
    assert result.post_money == eur("0.02")


@pytest.mark.parametrize("pre_money", ["0.00", "-0.01"])
def test_a_pre_money_valuation_of_zero_or_less_is_refused(pre_money):
    with pytest.raises(ValueError, match=exactly("the pre-money valuation is positive")):
        model(pre_money=eur(pre_money), new_money=[("Fund I", eur("10.00"))])


def test_new_money_in_another_currency_names_the_investor_and_the_currency():
    with pytest.raises(CurrencyMismatch, match=exactly("Fund I invests in USD")):
        model(
            pre_money=eur("1000.00"),
            new_money=[("Fund I", Money.from_decimal(Decimal("10.00"), "USD"))],
        )


@pytest.mark.parametrize("amount", ["0.00", "-0.01"])
def test_new_money_of_zero_or_less_is_refused_naming_the_investor(amount):
    with pytest.raises(ValueError, match=exactly("Fund II invests a positive amount")):
        model(
            pre_money=eur("1000.00"),
            new_money=[("Fund I", eur("10.00")), ("Fund II", eur(amount))],
        )


def test_a_convertible_in_another_currency_names_the_holder_and_the_currency():
    terms = ConvertibleTerms(kind="safe", principal=Money.from_decimal(Decimal("10.00"), "USD"))

    with pytest.raises(CurrencyMismatch, match=exactly("Angel's instrument is in USD")):
        model(pre_money=eur("1000.00"), convertibles=[("Angel", terms)])


@pytest.mark.parametrize(
    "changes",
    [{"valuation_floor": eur("100.00")}, {"nominal_value": Fraction(1, 100)}],
    ids=["floor", "nominal value"],
)
def test_a_bsa_air_with_a_floor_or_a_nominal_value_is_refused_naming_the_holder(changes):
    terms = ConvertibleTerms(kind="bsa_air", principal=eur("10.00"), **changes)
    message = (
        "Angel's BSA AIR carries a floor or a nominal value, which a pro-forma round does not "
        "model: convert it at a given price instead"
    )

    with pytest.raises(ValueError, match=exactly(message)):
        model(pre_money=eur("1000.00"), convertibles=[("Angel", terms)])


@pytest.mark.parametrize("pool", [Decimal("0.1"), 0.1, True, False])
def test_a_pool_percentage_that_is_not_an_int_or_a_fraction_is_refused(pool):
    with pytest.raises(ValueError, match=exactly("the pool top-up percentage is a Fraction")):
        model(pre_money=eur("1000.00"), new_money=[("Fund I", eur("10.00"))], pool=pool)


@pytest.mark.parametrize("pool", [Fraction(1), 1, Fraction(-1, 10**9), Fraction(3, 2)])
def test_a_pool_percentage_below_0_or_from_1_is_refused(pool):
    with pytest.raises(ValueError, match=exactly(POOL_RANGE)):
        model(pre_money=eur("1000.00"), new_money=[("Fund I", eur("10.00"))], pool=pool)


# --- price and new money ----------------------------------------------------------------------


def test_new_money_is_issued_in_series_a_and_the_pool_top_up_in_ordinary_shares_by_default():
    # V = 1,000 * 4/5 - 1/5 * 250 = 750; price 750 / 1,000 = 0.75; new 250 / 0.75 = 333 1/3
    # -> 333. Pool: floor(1/5 * 1,333 / (4/5)) = floor(1,333 / 4) = 333 (333 / 1,666 <= 20 %
    # < 334 / 1,667). Hundredths of 1,000 / 1,666, 333 / 1,666 twice: 6,002.40, 1,998.80,
    # 1,998.80 -> 6,002 + 1,998 + 1,998 = 9,998, the two .80 remainders get the 2 missing.
    result = model(
        pre_money=eur("1000.00"), new_money=[("Fund I", eur("250.00"))], pool=Fraction(1, 5)
    )

    assert result.price_per_share == Fraction(3, 4)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("60.02")),
        ProFormaRow("Fund I", "Series A", 333, Decimal("19.99")),
        ProFormaRow("Pool: top-up", "Ordinary", 333, Decimal("19.99")),
    ]
    assert result.total_units == 1_666
    assert result.post_money == eur("1250.00")


def test_new_money_and_the_pool_top_up_go_in_the_classes_asked_for():
    # The same round as above.
    result = model(
        pre_money=eur("1000.00"),
        new_money=[("Fund I", eur("250.00"))],
        pool=Fraction(1, 5),
        new_class="Seed",
        pool_class="Ordinary B",
    )

    assert [(row.holder, row.share_class) for row in result.rows] == [
        ("Founders", "Ordinary"),
        ("Fund I", "Seed"),
        ("Pool: top-up", "Ordinary B"),
    ]


@pytest.mark.parametrize("pool", [0, Fraction(0)])
def test_a_pool_of_zero_adds_no_top_up_row(pool):
    # Price 1,000 / 1,000 = 1; 250 new shares of 1,250: 80 % and 20 %.
    result = model(pre_money=eur("1000.00"), new_money=[("Fund I", eur("250.00"))], pool=pool)

    assert result.price_per_share == 1
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("80.00")),
        ProFormaRow("Fund I", "Series A", 250, Decimal("20.00")),
    ]
    assert result.total_units == 1_250
    assert result.post_money == eur("1250.00")


def test_a_pool_just_below_one_is_accepted_and_takes_almost_everything():
    # p = 1 - 10^-9: V = 1,000,000,000 * 10^-9 = 1, so the price is 1 / 1 = 1. Pool:
    # floor(p * 1 / 10^-9) = 10^9 - 1. Hundredths: 10,000 / 10^9 -> 0 for the founder,
    # 9,999.99999 -> 9,999 for the pool, which has the larger remainder and gets the missing one.
    result = model(
        holdings=[Holding("Founder", "Ordinary", 1)],
        pre_money=eur("1000000000.00"),
        pool=JUST_BELOW_ONE,
    )

    assert result.price_per_share == 1
    assert result.rows == [
        ProFormaRow("Founder", "Ordinary", 1, Decimal("0.00")),
        ProFormaRow("Pool: top-up", "Ordinary", 999_999_999, Decimal("100.00")),
    ]
    assert result.total_units == 1_000_000_000
    assert result.post_money == eur("1000000000.00")


def test_equal_remainders_give_the_missing_hundredth_to_the_earliest_row():
    # Price 2 / 2 = 1, one new share: three rows of 1 / 3 = 3,333 1/3 hundredths each; the one
    # missing hundredth goes to the first.
    result = model(
        holdings=[Holding("Alice", "Ordinary", 1), Holding("Bob", "Ordinary", 1)],
        pre_money=eur("2.00"),
        new_money=[("Fund I", eur("1.00"))],
    )

    assert [row.percent for row in result.rows] == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


# --- total units ------------------------------------------------------------------------------


def test_total_units_are_an_int_when_fractional_holdings_add_up_to_whole_units():
    # 999 1/2 + 1/2 = 1,000 units; price 2,000 / 1,000 = 2; 500 new shares: 1,500 units.
    result = model(
        holdings=[
            Holding("Founders", "Ordinary", Fraction(1999, 2)),
            Holding("Advisor", "Ordinary", Fraction(1, 2)),
        ],
        pre_money=eur("2000.00"),
        new_money=[("Fund I", eur("1000.00"))],
    )

    assert result.total_units == 1_500
    assert type(result.total_units) is int


def test_total_units_stay_a_fraction_when_holdings_leave_half_a_unit():
    # 1,000 + 1/2 = 1,000.5 units; price 2,001 / 1,000.5 = 2; 1,000 / 2 = 500 new shares:
    # 1,500.5 units. Hundredths: 10^7 / 1,500.5 = 6,664.445, 5,000 / 1,500.5 = 3.332,
    # 5 * 10^6 / 1,500.5 = 3,332.222 -> 6,664 + 3 + 3,332 = 9,999; the largest remainder (.445)
    # takes the missing one.
    result = model(
        holdings=[FOUNDERS, Holding("Advisor", "Ordinary", Fraction(1, 2))],
        pre_money=eur("2001.00"),
        new_money=[("Fund I", eur("1000.00"))],
    )

    assert result.price_per_share == 2
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("66.65")),
        ProFormaRow("Advisor", "Ordinary", Fraction(1, 2), Decimal("0.03")),
        ProFormaRow("Fund I", "Series A", 500, Decimal("33.32")),
    ]
    assert result.total_units == Fraction(3001, 2)


# --- converting instruments -------------------------------------------------------------------


def test_a_discount_lower_than_a_post_money_cap_is_what_the_safe_converts_at():
    # 100 at a 1,000 post-money cap and 50 % off: the cap only applies once V reaches
    # 1,000 / (1 - 1/2) = 2,000, above V = 1,000. So price * 1,000 = 1,000 - 100 / (1/2), price
    # 0.80; the SAFE converts at 0.40 into 250 shares, the new money 200 / 0.80 into 250.
    # Hundredths of 1,000 / 1,500 and 250 / 1,500 twice: 6,666 2/3, 1,666 2/3, 1,666 2/3; equal
    # remainders: the larger row first, then the earlier of the two equal rows.
    result = model(
        pre_money=eur("1000.00"),
        new_money=[("Fund I", eur("200.00"))],
        convertibles=[("Angel", safe("100.00", cap="1000.00", discount=Fraction(1, 2)))],
    )

    assert result.price_per_share == Fraction(4, 5)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("66.67")),
        ProFormaRow("Angel", "Series A", 250, Decimal("16.67")),
        ProFormaRow("Fund I", "Series A", 250, Decimal("16.66")),
    ]
    assert result.total_units == 1_500
    assert result.post_money == eur("1200.00")


def test_a_post_money_cap_applies_from_exactly_cap_over_one_less_the_discount():
    # 800 / (1 - 1/5) = 1,000 = V: the SAFE owns 100 / 800 = 1/8 of T, so
    # price = 1,000 * 7/8 / 1,000 = 7/8. There the cap price 800 / (1,000 / (7/8)) = 0.70 and
    # the discounted price 7/8 * 4/5 = 0.70 agree: 100 / 0.70 = 142 6/7 -> 142 shares.
    # New money 175 / (7/8) = 200. Hundredths of 1,000, 142, 200 over 1,342: 7,451.56,
    # 1,058.12, 1,490.31 -> 9,999, the .56 remainder takes the missing one.
    result = model(
        pre_money=eur("1000.00"),
        new_money=[("Fund I", eur("175.00"))],
        convertibles=[("Angel", safe("100.00", cap="800.00", discount=Fraction(1, 5)))],
    )

    assert result.price_per_share == Fraction(7, 8)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("74.52")),
        ProFormaRow("Angel", "Series A", 142, Decimal("10.58")),
        ProFormaRow("Fund I", "Series A", 200, Decimal("14.90")),
    ]


@pytest.mark.parametrize(
    ("post_money", "price", "shares"),
    [
        # Post-money cap reached (1,000 <= 2,000): the SAFE owns 1/8 of T, price
        # 2,000 * 7/8 / 1,000 = 7/4, T = 1,000 / (7/8) = 1,142 6/7, 1/8 of it 142 6/7 -> 142.
        (True, Fraction(7, 4), 142),
        # Pre-money cap price 800 / 1,000 = 0.80 is below 7/4 * 4/5: price * (1,000 + 125) =
        # 2,000, price 16/9 (above the threshold 800 / (1,000 * 4/5) = 1); 100 / 0.80 = 125.
        (False, Fraction(16, 9), 125),
    ],
)
def test_a_post_money_cap_counts_the_conversions_and_a_pre_money_cap_does_not(
    post_money, price, shares
):
    terms = safe("100.00", cap="800.00", discount=Fraction(1, 5), post_money=post_money)

    result = model(pre_money=eur("2000.00"), convertibles=[("Angel", terms)])

    assert result.price_per_share == price
    assert [row.units for row in result.rows] == [1_000, shares]


def test_a_pre_money_cap_whose_price_is_exactly_the_round_price():
    # Cap price 1,000 / 1,000 = 1; price * (1,000 + 100 / 1) = 1,100 gives 1: either way 100.
    terms = ConvertibleTerms(kind="bsa_air", principal=eur("100.00"), valuation_cap=eur("1000.00"))

    result = model(pre_money=eur("1100.00"), convertibles=[("Angels", terms)])

    assert result.price_per_share == 1
    assert [row.units for row in result.rows] == [1_000, 100]


def test_a_discount_beats_a_pre_money_cap_until_the_price_reaches_cap_over_one_less_discount():
    # Cap price 1,000 / 1,000 = 1.00, threshold 1 / (1 - 1/2) = 2. Below it the BSA AIR pays
    # half the round price: price * 1,000 + 100 / (1/2) = 1,200, price 1 (at the cap price, but
    # the discounted 0.50 is lower): 100 / 0.50 = 200 shares.
    terms = ConvertibleTerms(
        kind="bsa_air",
        principal=eur("100.00"),
        valuation_cap=eur("1000.00"),
        discount=Fraction(1, 2),
    )

    result = model(pre_money=eur("1200.00"), convertibles=[("Angels", terms)])

    assert result.price_per_share == 1
    assert [row.units for row in result.rows] == [1_000, 200]


def test_two_post_money_safes_whose_caps_apply_own_their_shares_together():
    # 100 / 1,000 + 200 / 1,000 = 3/10 of T: price = 2,000 * 7/10 / 1,400 = 1,
    # T = 1,400 / (7/10) = 2,000, so 200 and 400 shares; new money 400 / 1 = 400. Hundredths over
    # 2,400: 5,833 1/3, 833 1/3, 1,666 2/3, 1,666 2/3 -> 9,998; the two 2/3 remainders get one.
    result = model(
        holdings=[Holding("Founders", "Ordinary", 1_400)],
        pre_money=eur("2000.00"),
        new_money=[("Fund I", eur("400.00"))],
        convertibles=[
            ("Angel", safe("100.00", cap="1000.00")),
            ("Accelerator", safe("200.00", cap="1000.00")),
        ],
    )

    assert result.price_per_share == 1
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_400, Decimal("58.33")),
        ProFormaRow("Angel", "Series A", 200, Decimal("8.33")),
        ProFormaRow("Accelerator", "Series A", 400, Decimal("16.67")),
        ProFormaRow("Fund I", "Series A", 400, Decimal("16.67")),
    ]
    assert result.total_units == 2_400
    assert result.post_money == eur("2400.00")


def test_a_post_money_safe_below_its_cap_adds_its_discounted_amount_to_the_others():
    # The cap 4,000 / (1 - 1/5) = 5,000 is above V = 1,225: 100 + 100 / (4/5) = 225 convert off
    # the round price, price * 1,000 = 1,225 - 225, price 1. Shares 100 / 1 = 100,
    # 100 / 0.80 = 125, new money 775 / 1 = 775: of 2,000, 50 %, 5 %, 6.25 %, 38.75 %.
    result = model(
        pre_money=eur("1225.00"),
        new_money=[("Fund I", eur("775.00"))],
        convertibles=[
            ("Angel", safe("100.00")),
            ("Accelerator", safe("100.00", cap="4000.00", discount=Fraction(1, 5))),
        ],
    )

    assert result.price_per_share == 1
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("50.00")),
        ProFormaRow("Angel", "Series A", 100, Decimal("5.00")),
        ProFormaRow("Accelerator", "Series A", 125, Decimal("6.25")),
        ProFormaRow("Fund I", "Series A", 775, Decimal("38.75")),
    ]
    assert result.total_units == 2_000
    assert result.post_money == eur("2000.00")


@pytest.mark.parametrize(
    ("principal", "pre_money"),
    [
        # 500 / 1,000 twice: exactly the whole company, with the caps reached exactly.
        ("500.00", "1000.00"),
        # 600 / 1,000 twice: 6/5 of it.
        ("600.00", "2000.00"),
    ],
)
def test_post_money_safes_owning_the_whole_company_at_their_caps_are_refused(principal, pre_money):
    convertibles = [
        ("Angel", safe(principal, cap="1000.00")),
        ("VC", safe(principal, cap="1000.00")),
    ]

    with pytest.raises(ValueError, match=exactly(OWN_THE_WHOLE)):
        model(pre_money=eur(pre_money), convertibles=convertibles)


@pytest.mark.parametrize(
    ("changes"),
    [
        # The SAFE is worth all of the 1,000 pre-money: price * 1,000 = 1,000 - 1,000 = 0.
        {"pre_money": eur("1000.00"), "convertibles": [("Angel", safe("1000.00"))]},
        # V = 2,000 * 1/2 = 1,000, all of it the SAFE's.
        {
            "pre_money": eur("2000.00"),
            "pool": Fraction(1, 2),
            "convertibles": [("Angel", safe("1000.00"))],
        },
        # V = 1,000 * 4/5 - 1/5 * 4,000 = 0: the pool top-up takes all of the pre-money.
        {
            "pre_money": eur("1000.00"),
            "pool": Fraction(1, 5),
            "new_money": [("Fund I", eur("4000.00"))],
        },
        # The SAFE alone is worth 1,000 / (1 - 1/2) = 2,000 of the 1,500 pre-money.
        {
            "pre_money": eur("1500.00"),
            "convertibles": [("Angel", safe("1000.00", discount=Fraction(1, 2)))],
        },
    ],
)
def test_a_price_of_zero_or_less_is_refused(changes):
    with pytest.raises(ValueError, match=exactly(DOES_NOT_COVER)):
        model(**changes)


def test_a_pre_money_one_cent_above_the_safe_prices_the_round_at_a_thousandth_of_a_cent():
    # price * 1,000 = 1,000.01 - 1,000, price 1/100,000; the SAFE: 1,000 * 100,000 = 10^8
    # shares. Hundredths: 10^7 / 100,001,000 = 0.09999 -> 0, 10^12 / 100,001,000 = 9,999.9 ->
    # 9,999 and the missing one.
    result = model(pre_money=eur("1000.01"), convertibles=[("Angel", safe("1000.00"))])

    assert result.price_per_share == Fraction(1, 100_000)
    assert result.rows == [
        ProFormaRow("Founders", "Ordinary", 1_000, Decimal("0.00")),
        ProFormaRow("Angel", "Series A", 100_000_000, Decimal("100.00")),
    ]
    assert result.post_money == eur("1000.01")
