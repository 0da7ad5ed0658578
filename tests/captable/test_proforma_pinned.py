"""Pro-forma rounds pinned on small examples worked by hand: guards, price, caps, pool, percents."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.captable.conversion import Capitalisation, ConvertibleTerms
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


def test_a_bsa_air_paying_the_nominal_value_is_refused_naming_the_holder():
    terms = ConvertibleTerms(kind="bsa_air", principal=eur("10.00"), nominal_value=Fraction(1, 100))
    message = (
        "Angel's BSA AIR has its holder pay the nominal value, which a pro-forma round does not "
        "model: convert it at a given price instead"
    )

    with pytest.raises(ValueError, match=exactly(message)):
        model(pre_money=eur("1000.00"), convertibles=[("Angel", terms)])


def test_a_pool_target_other_than_the_two_is_refused():
    with pytest.raises(
        ValueError, match=exactly("the pool target is one of top_up, available_pool")
    ):
        model(pre_money=eur("1000.00"), pool=Fraction(1, 10), pool_target="post_money")


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


# --- capitalisations, pool targets and floors -------------------------------------------------


def test_pre_and_post_money_safes_and_a_pool_top_up_in_one_round():
    # Founders 1,000,000; pre-money 10,000,000, new money 2,000,000, a 10 % top-up:
    # price x top-up = 10 % x 12,000,000 = 1,200,000.
    # The pre-money SAFE (500,000, cap 5,000,000) counts the top-up: price x C =
    # 1,000,000 x price + 1,200,000, capped from price 3.8; price x its shares
    # = 500,000 x that / 5,000,000 = 100,000 x price + 120,000.
    # The post-money SAFE (1,000,000, cap 10,000,000) counts the conversions but not the
    # top-up: price x C = 10,000,000 - 1,200,000 = 8,800,000, below its cap: 1,000,000.
    # 1,000,000 p + 1,200,000 + 100,000 p + 120,000 + 1,000,000 = 10,000,000: p = 384/55.
    # Pre-money SAFE: C = 1,000,000 + 1,200,000 x 55/384 = 1,171,875, price 5,000,000 / C =
    # 64/15, 117,187.5 shares. Post-money SAFE: 1,000,000 x 55/384 = 143,229 1/6. New money:
    # 2,000,000 x 55/384 = 286,458 1/3. Top-up: floor(1,546,874 / 9) = 171,874.
    pre_money_safe = ConvertibleTerms(
        kind="safe", principal=eur("500000"), valuation_cap=eur("5000000"), post_money=False
    )
    post_money_safe = ConvertibleTerms(
        kind="safe", principal=eur("1000000"), valuation_cap=eur("10000000")
    )

    result = model(
        holdings=[Holding("Founders", "Ordinary", 1_000_000)],
        pre_money=eur("10000000"),
        new_money=[("Fund I", eur("2000000"))],
        pool=Fraction(1, 10),
        convertibles=[("Angel", pre_money_safe), ("Seed Fund", post_money_safe)],
    )

    assert result.price_per_share == Fraction(384, 55)
    assert [(row.holder, row.units) for row in result.rows] == [
        ("Founders", 1_000_000),
        ("Angel", 117_187),
        ("Seed Fund", 143_229),
        ("Fund I", 286_458),
        ("Pool: top-up", 171_874),
    ]
    assert result.total_units == 1_718_748


def test_a_pool_target_counting_the_unallocated_pool_tops_it_up_to_the_target():
    # Founders 900,000 and 100,000 unallocated; pre-money 10,000,000, new money 2,500,000, and
    # the pool available after the round is 20 % of it: price x top-up =
    # 20 % x 12,500,000 - 100,000 x price, so 1,000,000 p + 2,500,000 - 100,000 p = 10,000,000
    # and p = 25/3. New money 2,500,000 / (25/3) = 300,000; top-up 200,000: 100,000 + 200,000
    # is 20 % of 1,500,000.
    holdings = [
        Holding("Founders", "Ordinary", 900_000),
        Holding("Pool: ESOP", "Ordinary", 100_000, unallocated_pool=True),
    ]

    result = model(
        holdings=holdings,
        pre_money=eur("10000000"),
        new_money=[("Fund I", eur("2500000"))],
        pool=Fraction(1, 5),
        pool_target="available_pool",
    )

    assert result.price_per_share == Fraction(25, 3)
    assert [(row.holder, row.units) for row in result.rows] == [
        ("Founders", 900_000),
        ("Pool: ESOP", 100_000),
        ("Fund I", 300_000),
        ("Pool: top-up", 200_000),
    ]


def test_a_pool_target_of_new_shares_ignores_the_unallocated_pool():
    # The same round with the target on the top-up alone: 1,000,000 p + 2,500,000 = 10,000,000,
    # p = 7.5; new money 333,333 1/3; top-up floor(0.2 x 1,333,333 / 0.8) = 333,333.
    holdings = [
        Holding("Founders", "Ordinary", 900_000),
        Holding("Pool: ESOP", "Ordinary", 100_000, unallocated_pool=True),
    ]

    result = model(
        holdings=holdings,
        pre_money=eur("10000000"),
        new_money=[("Fund I", eur("2500000"))],
        pool=Fraction(1, 5),
    )

    assert result.price_per_share == Fraction(15, 2)
    assert [row.units for row in result.rows] == [900_000, 100_000, 333_333, 333_333]


def test_an_unallocated_pool_above_the_target_needs_no_top_up():
    # 5 % of 1,000,000 is 50,000, below the 100,000 unallocated: no top-up, price 10.
    holdings = [
        Holding("Founders", "Ordinary", 900_000),
        Holding("Pool: ESOP", "Ordinary", 100_000, unallocated_pool=True),
    ]

    result = model(
        holdings=holdings,
        pre_money=eur("10000000"),
        pool=Fraction(1, 20),
        pool_target="available_pool",
    )

    assert result.price_per_share == 10
    assert result.rows[-1] == ProFormaRow("Pool: top-up", "Ordinary", 0, Decimal("0.00"))


def test_terms_that_any_price_would_satisfy_are_refused():
    # Only an unallocated pool of 1,000, a target of half the pool after a round of 1,000.00
    # new money on 1,000.00 pre-money: below a price of 1.00 the top-up makes up whatever the
    # price leaves, so every price up to 1.00 solves the round.
    with pytest.raises(
        ValueError, match=exactly("the terms of the round admit more than one price")
    ):
        model(
            holdings=[Holding("Pool: ESOP", "Ordinary", 1_000, unallocated_pool=True)],
            pre_money=eur("1000.00"),
            new_money=[("Fund I", eur("1000.00"))],
            pool=Fraction(1, 2),
            pool_target="available_pool",
        )


def test_a_note_leaving_the_unallocated_pool_out_of_its_capitalisation():
    # Founders 800,000 and 200,000 unallocated, pre-money 10,000,000; a note of 100,000 capped
    # at 4,000,000. Leaving the pool out, its cap price is 4,000,000 / 800,000 = 5.00: 20,000
    # shares, and 1,000,000 p + 20,000 p = 10,000,000, p = 500/51. Counting it (the standard
    # note), 4.00: 25,000 shares, and p = 10,000,000 / 1,025,000 = 400/41.
    holdings = [
        Holding("Founders", "Ordinary", 800_000),
        Holding("Pool: ESOP", "Ordinary", 200_000, unallocated_pool=True),
    ]
    without_pool = ConvertibleTerms(
        kind="note",
        principal=eur("100000"),
        valuation_cap=eur("4000000"),
        capitalisation=Capitalisation(
            unallocated_pool=False, pool_top_up=False, converting_instruments=False
        ),
    )
    standard = ConvertibleTerms(kind="note", principal=eur("100000"), valuation_cap=eur("4000000"))

    left_out = model(
        holdings=holdings, pre_money=eur("10000000"), convertibles=[("N", without_pool)]
    )
    counted = model(holdings=holdings, pre_money=eur("10000000"), convertibles=[("N", standard)])

    assert (left_out.price_per_share, left_out.rows[-1].units) == (Fraction(500, 51), 20_000)
    assert (counted.price_per_share, counted.rows[-1].units) == (Fraction(400, 41), 25_000)


@pytest.mark.parametrize(
    ("pool_top_up", "price", "shares"),
    [(True, Fraction(31, 4), 161_290), (False, Fraction(63, 8), 142_857)],
)
def test_a_note_counting_the_conversions_and_maybe_the_top_up(pool_top_up, price, shares):
    # Founders 1,000,000, pre-money 10,000,000, a 10 % top-up: price x top-up = 1,000,000.
    # A note of 1,000,000 capped at 8,000,000 on a capitalisation counting the conversions:
    # with the top-up, price x C is the whole pre-money, 10,000,000, so price x its shares =
    # 1,250,000 and p = 7,750,000 / 1,000,000 = 31/4; its price 8,000,000 / (10,000,000 / p)
    # = 6.20, 161,290 10/31 shares. Without, price x C = 9,000,000, price x its shares =
    # 1,125,000 and p = 63/8; its price 8,000,000 / (9,000,000 / p) = 7.00, 142,857 1/7 shares.
    note = ConvertibleTerms(
        kind="note",
        principal=eur("1000000"),
        valuation_cap=eur("8000000"),
        capitalisation=Capitalisation(
            unallocated_pool=True, pool_top_up=pool_top_up, converting_instruments=True
        ),
    )

    result = model(
        holdings=[Holding("Founders", "Ordinary", 1_000_000)],
        pre_money=eur("10000000"),
        pool=Fraction(1, 10),
        convertibles=[("N", note)],
    )

    assert result.price_per_share == price
    assert result.rows[1].units == shares


@pytest.mark.parametrize(
    ("floor", "price", "shares"),
    [("9000000", Fraction(900, 91), 11_111), ("5000000", Fraction(79, 8), 12_658)],
    ids=["at its floor", "above its floor"],
)
def test_a_bsa_air_with_a_floor_in_a_round(floor, price, shares):
    # Founders 1,000,000, pre-money 10,000,000; a BSA AIR of 100,000 at 20 % off.
    # A 9,000,000 floor (9.00 a share) applies below 0.8 p = 9, p = 11.25:
    # 1,000,000 p + 100,000 x p / 9 = 10,000,000, p = 900/91 (about 9.89, discounted 7.91),
    # 100,000 / 9 = 11,111 1/9 shares.
    # A 5,000,000 floor (5.00) applies below p = 6.25, and the round prices higher:
    # 1,000,000 p + 100,000 / 0.8 = 10,000,000, p = 79/8, at 0.8 x 79/8 = 7.90: 12,658 shares.
    bsa_air = ConvertibleTerms(
        kind="bsa_air",
        principal=eur("100000"),
        discount=Fraction(1, 5),
        valuation_floor=eur(floor),
    )

    result = model(
        holdings=[Holding("Founders", "Ordinary", 1_000_000)],
        pre_money=eur("10000000"),
        convertibles=[("Angel", bsa_air)],
    )

    assert result.price_per_share == price
    assert [row.units for row in result.rows] == [1_000_000, shares]


def test_a_post_money_safe_with_a_pool_target_counting_the_unallocated_pool():
    # Founders 900,000 and 100,000 unallocated; pre-money 10,000,000, new money 2,500,000, 20 %
    # available after the round: price x top-up = 2,500,000 - 100,000 p. The post-money SAFE
    # (1,000,000 at 8,000,000) counts the conversions, not the top-up: price x C = 10,000,000 -
    # that = 7,500,000 + 100,000 p, capped from p = 5: price x its shares = 937,500 + 12,500 p.
    # 1,000,000 p + 2,500,000 - 100,000 p + 937,500 + 12,500 p = 10,000,000: p = 525/73. Its
    # C = 7,500,000 x 73/525 + 100,000 = 8,000,000 / 7, price 7.00: 142,857 shares. New money
    # 2,500,000 x 73/525 = 347,619; top-up floor((20 % x 1,490,476 - 100,000) / 80 %).
    holdings = [
        Holding("Founders", "Ordinary", 900_000),
        Holding("Pool: ESOP", "Ordinary", 100_000, unallocated_pool=True),
    ]
    safe = ConvertibleTerms(kind="safe", principal=eur("1000000"), valuation_cap=eur("8000000"))

    result = model(
        holdings=holdings,
        pre_money=eur("10000000"),
        new_money=[("Fund I", eur("2500000"))],
        pool=Fraction(1, 5),
        pool_target="available_pool",
        convertibles=[("Seed Fund", safe)],
    )

    assert result.price_per_share == Fraction(525, 73)
    assert [row.units for row in result.rows] == [900_000, 100_000, 142_857, 347_619, 247_619]


def test_a_capitalisation_counting_the_conversions_but_not_the_unallocated_pool():
    # Founders 800,000 and 200,000 unallocated, pre-money 10,000,000. A note of 1,000,000 capped
    # at 8,000,000 whose capitalisation counts the conversions, not the pool: price x C =
    # 10,000,000 - 200,000 p, capped up to p = 10: price x its shares = 1,250,000 - 25,000 p.
    # 1,000,000 p + 1,250,000 - 25,000 p = 10,000,000: p = 350/39. Its C = 10,000,000 x 39/350
    # - 200,000, price 8.75: 114,285 shares.
    holdings = [
        Holding("Founders", "Ordinary", 800_000),
        Holding("Pool: ESOP", "Ordinary", 200_000, unallocated_pool=True),
    ]
    note = ConvertibleTerms(
        kind="note",
        principal=eur("1000000"),
        valuation_cap=eur("8000000"),
        capitalisation=Capitalisation(
            unallocated_pool=False, pool_top_up=False, converting_instruments=True
        ),
    )

    result = model(holdings=holdings, pre_money=eur("10000000"), convertibles=[("N", note)])

    assert result.price_per_share == Fraction(350, 39)
    assert result.rows[-1].units == 114_285


# --- a price stated to a number of decimals ---------------------------------------------------


def test_a_price_stated_to_four_decimals_counts_every_party_at_the_stated_prices():
    # The round of test_pre_and_post_money_safes_and_a_pool_top_up_in_one_round, its price
    # 384/55 = 6.98181... stated half up as 6.9818. The pre-money SAFE's capitalisation is the
    # same 1,171,875 (the top-up solved exactly), its price 64/15 = 4.26666... stated 4.2667:
    # floor(500,000 / 4.2667) = floor(117,186.58) = 117,186 (117,187 at the exact price). The
    # post-money SAFE stays below its cap at the stated price: floor(1,000,000 / 6.9818) =
    # floor(143,229.54) = 143,229. New money: floor(2,000,000 / 6.9818) = floor(286,459.08) =
    # 286,459 (286,458 at the exact price). Top-up: floor(1,546,874 / 9) = 171,874.
    pre_money_safe = ConvertibleTerms(
        kind="safe", principal=eur("500000"), valuation_cap=eur("5000000"), post_money=False
    )
    post_money_safe = ConvertibleTerms(
        kind="safe", principal=eur("1000000"), valuation_cap=eur("10000000")
    )

    result = pro_forma_round(
        holdings=[Holding("Founders", "Ordinary", 1_000_000)],
        pre_money=eur("10000000"),
        new_money=[("Fund I", eur("2000000"))],
        pool_top_up_percent=Fraction(1, 10),
        convertibles=[("Angel", pre_money_safe), ("Seed Fund", post_money_safe)],
        conversion_date=CLOSING,
        price_decimals=4,
    )

    assert result.price_per_share == Fraction("6.9818")
    assert [(row.holder, row.units) for row in result.rows] == [
        ("Founders", 1_000_000),
        ("Angel", 117_186),
        ("Seed Fund", 143_229),
        ("Fund I", 286_459),
        ("Pool: top-up", 171_874),
    ]
    assert result.total_units == 1_718_748


def test_a_price_stated_to_no_decimals_rounds_half_up():
    # 1,000 founders' units, pre-money 2,500: the price is exactly 2.5, stated 3 with no
    # decimals; 1,000 of new money buys floor(1,000 / 3) = 333 shares.
    result = model(
        pre_money=eur("2500.00"), new_money=[("Fund I", eur("1000.00"))], price_decimals=0
    )

    assert result.price_per_share == 3
    assert [(row.holder, row.units) for row in result.rows] == [
        ("Founders", 1_000),
        ("Fund I", 333),
    ]


def test_a_price_that_states_as_zero_is_refused():
    # 1,000 units valued at 1.00: a price of 0.001, which is 0.00 to two decimals.
    with pytest.raises(ValueError, match=exactly("the price 0.001 states as zero to 2 decimals")):
        model(pre_money=eur("1.00"), new_money=[("Fund I", eur("1.00"))], price_decimals=2)


def test_a_discount_is_taken_off_the_stated_round_price_and_stated_in_its_turn():
    # 8,000,000 shares, pre-money 10,000,000, a pre-money SAFE of 1,000,000 at a 20 % discount:
    # the price solves p x (8,000,000 + 1,000,000 / 0.8p) = 10,000,000, p = 1.09375, stated
    # 1.09 to two decimals. The SAFE converts at 0.8 x 1.09 = 0.872, stated 0.87 (0.88 off the
    # unstated price): floor(1,000,000 / 0.87) = 1,149,425.
    result = model(
        holdings=[Holding("Founders", "Ordinary", 8_000_000)],
        pre_money=eur("10000000"),
        convertibles=[
            (
                "Angel",
                ConvertibleTerms(
                    kind="safe",
                    principal=eur("1000000"),
                    discount=Fraction(1, 5),
                    post_money=False,
                ),
            )
        ],
        price_decimals=2,
    )

    assert result.price_per_share == Fraction("1.09")
    assert [(row.holder, row.units) for row in result.rows] == [
        ("Founders", 8_000_000),
        ("Angel", 1_149_425),
    ]
