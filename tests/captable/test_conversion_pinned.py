"""Conversions pinned on small examples worked by hand: guards, messages, defaults, edges."""

import dataclasses
from dataclasses import astuple
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from apps.captable.conversion import (
    BSA_AIR,
    NOTE,
    POST_MONEY_SAFE,
    PRE_MONEY_SAFE,
    Capitalisation,
    ConversionResult,
    ConvertibleTerms,
    RoundTerms,
    _conversion_shares,
    conversion_amount,
    convert,
    convert_all,
    standard_capitalisation,
)
from apps.core.money import CurrencyMismatch, Money
from tests.messages import exactly

ROUND_DATE = date(2025, 6, 30)
JUST_BELOW_ONE = 1 - Fraction(1, 10**9)
JUST_BELOW_ZERO = Fraction(-1, 10**9)


def eur(major: str) -> Money:
    return Money.from_decimal(Decimal(major), "EUR")


def round_at(price, fully_diluted, *, on: date = ROUND_DATE, **pools) -> RoundTerms:
    return RoundTerms(
        price_per_share=price,
        pre_money_fully_diluted_shares=fully_diluted,
        conversion_date=on,
        currency="EUR",
        **pools,
    )


def note(principal: str = "100000.00", **changes) -> ConvertibleTerms:
    terms = {"kind": "note", "principal": eur(principal), "issue_date": date(2024, 1, 1)}
    return ConvertibleTerms(**(terms | changes))


# --- the kind and the principal ---------------------------------------------------------------


def test_a_kind_other_than_the_three_is_refused_naming_them():
    with pytest.raises(
        ValueError, match=exactly("kind is one of safe, bsa_air, note, not 'warrant'")
    ):
        ConvertibleTerms(kind="warrant", principal=eur("1000.00"))


@pytest.mark.parametrize("principal", [eur("0.00"), Money(-1, "EUR"), Decimal("1000.00")])
def test_a_principal_that_is_not_a_positive_amount_is_refused(principal):
    with pytest.raises(ValueError, match=exactly("the principal is a positive amount")):
        ConvertibleTerms(kind="safe", principal=principal)


def test_a_principal_of_one_cent_converts_into_one_share_at_one_cent():
    safe = ConvertibleTerms(kind="safe", principal=Money(1, "EUR"))

    assert convert(safe, round_at(Fraction(1, 100), 1_000)) == ConversionResult(
        shares=1, fraction_dropped=Fraction(0), price=Fraction(1, 100), amount=Fraction(1, 100)
    )


# --- the valuation cap ------------------------------------------------------------------------


@pytest.mark.parametrize("cap", [eur("0.00"), Money(-1, "EUR"), Decimal("8000000.00")])
def test_a_valuation_cap_that_is_not_a_positive_amount_is_refused(cap):
    with pytest.raises(ValueError, match=exactly("the valuation cap is a positive amount")):
        ConvertibleTerms(kind="bsa_air", principal=eur("1000.00"), valuation_cap=cap)


def test_a_pre_money_cap_of_one_cent_is_accepted():
    # Cap price 0.01 / 1 share = 0.01, below the round price of 1: 1.00 / 0.01 = 100 shares.
    bsa_air = ConvertibleTerms(kind="bsa_air", principal=eur("1.00"), valuation_cap=Money(1, "EUR"))

    result = convert(bsa_air, round_at(Fraction(1), 1))

    assert (result.shares, result.price) == (100, Fraction(1, 100))


def test_a_valuation_cap_in_another_currency_is_refused():
    with pytest.raises(
        ValueError, match=exactly("the valuation cap is in the currency of the principal")
    ):
        ConvertibleTerms(
            kind="bsa_air", principal=eur("1000.00"), valuation_cap=Money(800_000_000, "USD")
        )


def test_a_post_money_cap_equal_to_the_principal_is_refused():
    with pytest.raises(
        ValueError, match=exactly("a post-money SAFE's principal is below its valuation cap")
    ):
        ConvertibleTerms(kind="safe", principal=eur("1000.00"), valuation_cap=eur("1000.00"))


def test_a_post_money_cap_one_cent_above_the_principal_is_accepted():
    safe = ConvertibleTerms(kind="safe", principal=eur("1000.00"), valuation_cap=eur("1000.01"))

    assert safe.post_money_cap == eur("1000.01")


def test_a_pre_money_cap_equal_to_the_principal_is_accepted():
    # Only a post-money cap must exceed the principal. Cap price 1,000 / 1,000 shares = 1.00,
    # below the round price of 2.00: 1,000 / 1.00 = 1,000 shares.
    safe = ConvertibleTerms(
        kind="safe", principal=eur("1000.00"), valuation_cap=eur("1000.00"), post_money=False
    )

    assert convert(safe, round_at(Fraction(2), 1_000)).shares == 1_000


# --- the discount -----------------------------------------------------------------------------


@pytest.mark.parametrize("discount", [Fraction(1), JUST_BELOW_ZERO])
def test_a_discount_outside_zero_to_below_one_is_refused(discount):
    with pytest.raises(ValueError, match=exactly("the discount is at least 0 and below 1")):
        ConvertibleTerms(kind="safe", principal=eur("1000.00"), discount=discount)


def test_a_discount_of_zero_converts_at_the_round_price():
    # 100.00 / 2.00 = 50 shares.
    safe = ConvertibleTerms(kind="safe", principal=eur("100.00"), discount=0)

    assert convert(safe, round_at(Fraction(2), 1_000)).shares == 50
    assert type(safe.discount) is Fraction


def test_a_discount_just_below_one_is_accepted():
    # 2.00 x 10^-9 a share: 1.00 / (2 x 10^-9) = 500,000,000 shares.
    safe = ConvertibleTerms(kind="safe", principal=eur("1.00"), discount=JUST_BELOW_ONE)

    result = convert(safe, round_at(Fraction(2), 1_000))

    assert (result.price, result.shares) == (Fraction(2, 10**9), 500_000_000)


def test_a_discount_given_as_a_decimal_is_kept_as_an_exact_fraction():
    safe = ConvertibleTerms(kind="safe", principal=eur("1000.00"), discount=Decimal("0.2"))

    assert type(safe.discount) is Fraction
    assert safe.to_json()["discount"] == "1/5"


@pytest.mark.parametrize("discount", [0.2, "1/5", False])
def test_a_discount_that_is_not_an_exact_ratio_is_refused(discount):
    with pytest.raises(
        ValueError, match=exactly("discount is an exact ratio (Fraction, Decimal or int)")
    ):
        ConvertibleTerms(kind="safe", principal=eur("1000.00"), discount=discount)


@pytest.mark.parametrize("discount", ["NaN", "Infinity"])
def test_a_discount_that_is_not_finite_is_refused(discount):
    with pytest.raises(ValueError, match=exactly("discount is not a number")):
        ConvertibleTerms(kind="safe", principal=eur("1000.00"), discount=Decimal(discount))


# --- post_money -------------------------------------------------------------------------------


@pytest.mark.parametrize("post_money", [1, "yes", None])
def test_post_money_that_is_not_a_boolean_is_refused(post_money):
    with pytest.raises(ValueError, match=exactly("post_money is True or False")):
        ConvertibleTerms(kind="safe", principal=eur("1000.00"), post_money=post_money)


# --- interest ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["safe", "bsa_air"])
def test_only_a_note_accrues_interest(kind):
    with pytest.raises(ValueError, match=exactly("only a note accrues interest")):
        ConvertibleTerms(
            kind=kind,
            principal=eur("1000.00"),
            interest_rate=Fraction(1, 10),
            issue_date=date(2024, 1, 1),
        )


def test_an_interest_rate_that_is_not_an_exact_ratio_is_refused():
    with pytest.raises(
        ValueError, match=exactly("interest_rate is an exact ratio (Fraction, Decimal or int)")
    ):
        note(interest_rate=0.05)


def test_an_interest_rate_given_as_a_decimal_is_kept_as_an_exact_fraction():
    terms = note(interest_rate=Decimal("0.05"))

    assert type(terms.interest_rate) is Fraction
    assert terms.to_json()["interest_rate"] == "1/20"


def test_an_interest_rate_just_below_zero_is_refused():
    with pytest.raises(ValueError, match=exactly("the interest rate is not negative")):
        note(interest_rate=JUST_BELOW_ZERO)


def test_a_note_at_zero_interest_needs_no_issue_date_and_converts_its_principal():
    terms = note("1000.00", interest_rate=Fraction(0), issue_date=None)

    assert conversion_amount(terms, on=ROUND_DATE) == 1_000


def test_a_note_accruing_interest_without_an_issue_date_is_refused_naming_the_date():
    with pytest.raises(ValueError, match=exactly("a note accruing interest needs its issue date")):
        note(interest_rate=Fraction(1, 10), issue_date=None)


def test_an_issue_date_that_is_not_a_date_is_refused():
    with pytest.raises(ValueError, match=exactly("the issue date is a date")):
        note(interest_rate=Fraction(1, 10), issue_date="2024-01-01")


def test_a_compounding_other_than_simple_or_annual_is_refused_naming_them():
    with pytest.raises(ValueError, match=exactly("compounding is one of simple, annual")):
        note(interest_rate=Fraction(1, 10), compounding="daily")


def test_interest_of_exactly_half_a_cent_rounds_up():
    # 73 days = 1/5 year: 10,025 cents x 10 % / 5 = 200.5 -> 201 cents; 100.25 + 2.01 = 102.26.
    terms = note("100.25", interest_rate=Fraction(1, 10), issue_date=date(2025, 1, 1))

    assert conversion_amount(terms, on=date(2025, 3, 15)) == Fraction(10_226, 100)


def test_interest_just_below_half_a_cent_rounds_down():
    # 10,024 cents x 10 % / 5 = 200.48 -> 200 cents; 100.24 + 2.00 = 102.24.
    terms = note("100.24", interest_rate=Fraction(1, 10), issue_date=date(2025, 1, 1))

    assert conversion_amount(terms, on=date(2025, 3, 15)) == Fraction(10_224, 100)


@pytest.mark.parametrize("compounding", ["simple", "annual"])
def test_a_note_converting_on_its_issue_date_converts_its_principal_alone(compounding):
    terms = note(interest_rate=Fraction(1, 10), compounding=compounding)

    assert conversion_amount(terms, on=date(2024, 1, 1)) == 100_000


@pytest.mark.parametrize("compounding", ["simple", "annual"])
def test_exactly_365_days_accrue_one_year_of_interest(compounding):
    # 2025 is not a leap year: 100,000 x 1.1 = 110,000 either way.
    terms = note(
        interest_rate=Fraction(1, 10), compounding=compounding, issue_date=date(2025, 1, 1)
    )

    assert conversion_amount(terms, on=date(2026, 1, 1)) == 110_000


def test_annual_compounding_adds_a_day_of_simple_interest_on_the_compounded_balance():
    # 366 days: 110,000 + 110,000 x 10 % / 365 = 110,000 + 30.1369... -> 110,030.14
    # (simple interest would be 100,000 x 10 % x 366 / 365 = 10,027.397... -> 110,027.40).
    annual = note(interest_rate=Fraction(1, 10), compounding="annual", issue_date=date(2025, 1, 1))
    simple = note(interest_rate=Fraction(1, 10), issue_date=date(2025, 1, 1))

    assert conversion_amount(annual, on=date(2026, 1, 2)) == Fraction(11_003_014, 100)
    assert conversion_amount(simple, on=date(2026, 1, 2)) == Fraction(11_002_740, 100)


def test_a_note_converting_the_day_before_its_issue_is_refused():
    terms = note(interest_rate=Fraction(1, 10))

    with pytest.raises(ValueError, match=exactly("a note cannot convert before it is issued")):
        conversion_amount(terms, on=date(2023, 12, 31))


# --- defaults, immutability and JSON ----------------------------------------------------------


def test_terms_default_to_a_post_money_cap_and_simple_interest_and_write_every_field():
    safe = ConvertibleTerms(kind="safe", principal=eur("1000.00"))

    assert safe.to_json() == {
        "kind": "safe",
        "principal": {"amount": "1000.00", "currency": "EUR"},
        "valuation_cap": None,
        "discount": None,
        "post_money": True,
        "interest_rate": None,
        "compounding": "simple",
        "issue_date": None,
        "capitalisation": {
            "unallocated_pool": True,
            "pool_top_up": False,
            "converting_instruments": True,
        },
        "valuation_floor": None,
        "nominal_value": None,
    }


def test_terms_and_rounds_are_frozen():
    safe = ConvertibleTerms(kind="safe", principal=eur("1000.00"))
    round_terms = round_at(Fraction(1), 1_000)

    with pytest.raises(dataclasses.FrozenInstanceError):
        safe.discount = Fraction(1, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        round_terms.price_per_share = Fraction(2)


def test_json_without_post_money_or_compounding_reads_the_defaults():
    data = {
        "kind": "safe",
        "principal": {"amount": "1000.00", "currency": "EUR"},
        "valuation_cap": {"amount": "10000.00", "currency": "EUR"},
    }

    terms = ConvertibleTerms.from_json(data)

    assert terms == ConvertibleTerms(
        kind="safe", principal=eur("1000.00"), valuation_cap=eur("10000.00")
    )
    assert terms.post_money_cap == eur("10000.00")


@pytest.mark.parametrize(
    "data",
    [
        {"principal": {"amount": "1.00", "currency": "EUR"}},
        {"kind": "safe"},
        ["kind", "principal"],
    ],
)
def test_json_without_a_kind_or_a_principal_is_refused(data):
    with pytest.raises(
        ValueError, match=exactly("convertible terms need at least a kind and a principal")
    ):
        ConvertibleTerms.from_json(data)


def test_json_with_a_null_principal_is_refused():
    with pytest.raises(ValueError, match=exactly("the principal is a positive amount")):
        ConvertibleTerms.from_json({"kind": "safe", "principal": None})


@pytest.mark.parametrize(("field", "value"), [("discount", 20), ("interest_rate", 0.05)])
def test_a_ratio_in_json_that_is_not_an_n_d_string_is_refused_naming_it(field, value):
    data = {"kind": "note", "principal": {"amount": "1.00", "currency": "EUR"}, field: value}

    with pytest.raises(ValueError, match=exactly(f"{field} is written as an 'n/d' string")):
        ConvertibleTerms.from_json(data)


def test_a_ratio_in_json_over_zero_is_refused_as_invalid_terms():
    data = {"kind": "safe", "principal": {"amount": "1.00", "currency": "EUR"}, "discount": "1/0"}

    with pytest.raises(ValueError, match=exactly("invalid convertible terms: Fraction(1, 0)")):
        ConvertibleTerms.from_json(data)


# --- the round --------------------------------------------------------------------------------


@pytest.mark.parametrize("price", [Fraction(0), Fraction(-1, 100)])
def test_a_round_price_that_is_not_positive_is_refused(price):
    with pytest.raises(ValueError, match=exactly("the round price is positive")):
        round_at(price, 1_000)


def test_a_round_on_no_shares_is_refused():
    with pytest.raises(
        ValueError,
        match=exactly("the fully diluted capitalisation before the round is positive"),
    ):
        round_at(Fraction(1), 0)


def test_a_round_price_that_is_not_an_exact_ratio_is_refused():
    with pytest.raises(
        ValueError, match=exactly("price_per_share is an exact ratio (Fraction, Decimal or int)")
    ):
        round_at(1.5, 1_000)


def test_a_capitalisation_that_is_not_an_exact_ratio_is_refused():
    with pytest.raises(
        ValueError,
        match=exactly("fully diluted shares is an exact ratio (Fraction, Decimal or int)"),
    ):
        round_at(Fraction(1), 1_000.0)


def test_a_round_price_given_as_a_decimal_is_kept_as_an_exact_fraction():
    # 100.00 / 1.25 = 80 shares.
    round_terms = round_at(Decimal("1.25"), 1_000)
    safe = ConvertibleTerms(kind="safe", principal=eur("100.00"))

    assert type(round_terms.price_per_share) is Fraction
    assert convert(safe, round_terms).shares == 80


def test_a_fully_diluted_count_given_as_a_decimal_is_kept_as_an_exact_fraction():
    # Pre-money cap 1,000.00 over 1,000.5 shares: 1,000 / 1,000.5 = 2000/2001 a share, below
    # the round price of 1; 100.00 at 2000/2001 is 100.05 shares, so 100 whole shares.
    round_terms = round_at(Fraction(1), Decimal("1000.5"))
    pre_money = ConvertibleTerms(
        kind="safe", principal=eur("100.00"), valuation_cap=eur("1000.00"), post_money=False
    )
    post_money = ConvertibleTerms(
        kind="safe", principal=eur("100.00"), valuation_cap=eur("1000.00")
    )

    assert round_terms.pre_money_fully_diluted_shares == Fraction(2001, 2)
    assert type(round_terms.pre_money_fully_diluted_shares) is Fraction
    assert convert(pre_money, round_terms).price == Fraction(2000, 2001)
    # A post-money SAFE owns 100 / 1,000 of T = 1,000.5 + its own shares: T = 1,111.666...,
    # its price 1,000 / T = 0.8995..., 111.1666 shares, so 111.
    assert convert(post_money, round_terms).shares == 111


def test_an_instrument_in_another_currency_is_refused_naming_both():
    safe = ConvertibleTerms(kind="safe", principal=Money(100_000, "USD"))

    with pytest.raises(
        CurrencyMismatch, match=exactly("a USD instrument cannot convert in a EUR round")
    ):
        convert(safe, round_at(Fraction(1), 1_000))


# --- post-money SAFEs -------------------------------------------------------------------------


def test_post_money_safes_owning_exactly_the_whole_company_are_refused():
    half = ConvertibleTerms(kind="safe", principal=eur("5000.00"), valuation_cap=eur("10000.00"))

    with pytest.raises(
        ValueError, match=exactly("post-money SAFEs cannot together own the whole company")
    ):
        convert_all([half, half], round_at(Fraction(1), 1_000))


def test_post_money_safes_owning_just_under_the_whole_company_convert():
    # f = 1/2 and 4,999,999 / 10,000,000: together 1 - 10^-7. Both caps apply:
    # T = 1,000,000 / 10^-7 = 10^13; A gets 5 x 10^12 shares, B 4,999,999 x 10^6,
    # both at 10,000,000 / 10^13 = 10^-6 a share.
    a = ConvertibleTerms(kind="safe", principal=eur("5000000.00"), valuation_cap=eur("10000000"))
    b = ConvertibleTerms(kind="safe", principal=eur("4999999.00"), valuation_cap=eur("10000000"))

    result_a, result_b = convert_all([a, b], round_at(Fraction(1), 1_000_000))

    assert (result_a.shares, result_a.price) == (5 * 10**12, Fraction(1, 10**6))
    assert (result_b.shares, result_b.price) == (4_999_999 * 10**6, Fraction(1, 10**6))


def test_the_fixed_point_can_land_exactly_on_a_safes_threshold():
    # Round price 2.00 on 8,500,000 shares. A: 1,000,000 at a 10,000,000 cap (f = 0.1, 500,000
    # shares at the round price, threshold 5,000,000). B: 1,000,000 at a 20,000,000 cap
    # (f = 0.05, 500,000 shares, threshold 10,000,000). With A capped and B not:
    # T = (8,500,000 + 500,000) / 0.9 = 10,000,000, exactly B's threshold, where its cap price
    # 20,000,000 / 10,000,000 = 2.00 equals the round price.
    a = ConvertibleTerms(kind="safe", principal=eur("1000000"), valuation_cap=eur("10000000"))
    b = ConvertibleTerms(kind="safe", principal=eur("1000000"), valuation_cap=eur("20000000"))

    result_a, result_b = convert_all([a, b], round_at(Fraction(2), 8_500_000))

    assert (result_a.shares, result_a.price) == (1_000_000, Fraction(1))
    assert (result_b.shares, result_b.price) == (500_000, Fraction(2))


def test_when_no_cap_applies_the_conversions_are_the_fixed_ones_plus_each_safes_own_shares():
    # At a round price of 1 with 20 % off, 1,600,000 buys 2,000,000 shares; the 10 % cap
    # (16,000,000) applies only once 9,000,000 + S reaches 16,000,000 / 0.80 = 20,000,000, and
    # S = 1,000,000 + 2,000,000 = 3,000,000 keeps the capitalisation at 12,000,000, below it.
    safe = ConvertibleTerms(
        kind="safe",
        principal=eur("1600000"),
        valuation_cap=eur("16000000"),
        discount=Fraction(1, 5),
    )
    counting = [(safe, Fraction(1_600_000), Fraction(9_000_000))]

    assert _conversion_shares(Fraction(1_000_000), counting, round_at(Fraction(1), 9_000_000)) == (
        3_000_000
    )


# --- the capitalisation a cap is divided by ---------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "post_money", "standard"),
    [
        ("safe", False, PRE_MONEY_SAFE),
        ("safe", True, POST_MONEY_SAFE),
        ("bsa_air", True, BSA_AIR),
        ("note", True, NOTE),
    ],
)
def test_each_form_divides_by_its_standard_capitalisation(kind, post_money, standard):
    terms = ConvertibleTerms(kind=kind, principal=eur("100.00"), post_money=post_money)

    assert terms.capitalisation == standard
    assert standard_capitalisation(kind, post_money=post_money) == standard


def test_the_standard_forms_count_what_their_definitions_count():
    assert astuple(PRE_MONEY_SAFE) == (True, True, False)
    assert astuple(POST_MONEY_SAFE) == (True, False, True)
    assert astuple(BSA_AIR) == (True, False, False)
    assert astuple(NOTE) == (True, False, False)


def test_a_pre_money_safe_counts_the_pool_top_up_and_a_bsa_air_does_not():
    # 1,000,000 fully diluted and a 100,000 top-up. The pre-money SAFE's 5,000,000 cap is
    # divided by 1,100,000: 50/11 a share, 100,000 / (50/11) = 22,000 shares. The BSA AIR's by
    # 1,000,000: 5.00 a share, 20,000 shares. The round price of 10.00 is above both.
    round_terms = round_at(Fraction(10), 1_000_000, pool_top_up=100_000)
    pre_money_safe = ConvertibleTerms(
        kind="safe", principal=eur("100000"), valuation_cap=eur("5000000"), post_money=False
    )
    bsa_air = ConvertibleTerms(
        kind="bsa_air", principal=eur("100000"), valuation_cap=eur("5000000")
    )

    safe_result, bsa_result = convert_all([pre_money_safe, bsa_air], round_terms)

    assert (safe_result.price, safe_result.shares) == (Fraction(50, 11), 22_000)
    assert (bsa_result.price, bsa_result.shares) == (Fraction(5), 20_000)


def test_a_capitalisation_without_the_unallocated_pool_leaves_it_out():
    # 1,000,000 fully diluted, 200,000 of it unallocated: a 4,000,000 cap over 800,000 is 5.00
    # a share, so 100,000 buys 20,000 shares; counting the pool it would be 4.00 and 25,000.
    without_pool = Capitalisation(
        unallocated_pool=False, pool_top_up=False, converting_instruments=False
    )
    note = ConvertibleTerms(
        kind="note",
        principal=eur("100000"),
        valuation_cap=eur("4000000"),
        capitalisation=without_pool,
    )
    standard = ConvertibleTerms(kind="note", principal=eur("100000"), valuation_cap=eur("4000000"))
    round_terms = round_at(Fraction(10), 1_000_000, unallocated_pool=200_000)

    assert convert(note, round_terms).shares == 20_000
    assert convert(standard, round_terms).shares == 25_000


def test_a_note_whose_capitalisation_counts_the_conversions_converts_as_a_post_money_safe():
    # 1,000,000 at a 10,000,000 cap owns a tenth of T = 9,000,000 + its own shares: T =
    # 10,000,000, 1,000,000 shares at 1.00, below the round price of 2.00.
    note = ConvertibleTerms(
        kind="note",
        principal=eur("1000000"),
        valuation_cap=eur("10000000"),
        capitalisation=POST_MONEY_SAFE,
    )

    result = convert(note, round_at(Fraction(2), 9_000_000))

    assert (result.shares, result.price) == (1_000_000, Fraction(1))


def test_a_capitalisation_round_trips_through_json():
    terms = ConvertibleTerms(
        kind="note",
        principal=eur("1000.00"),
        capitalisation=Capitalisation(
            unallocated_pool=False, pool_top_up=True, converting_instruments=False
        ),
    )

    assert terms.to_json()["capitalisation"] == {
        "unallocated_pool": False,
        "pool_top_up": True,
        "converting_instruments": False,
    }
    assert ConvertibleTerms.from_json(terms.to_json()) == terms


def test_stored_terms_without_a_capitalisation_read_as_their_standard_form():
    data = ConvertibleTerms(kind="safe", principal=eur("1000.00"), post_money=False).to_json()
    del data["capitalisation"]

    assert ConvertibleTerms.from_json(data).capitalisation == PRE_MONEY_SAFE


NAMES_EACH_PART = (
    "a capitalisation names exactly unallocated_pool, pool_top_up, converting_instruments"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unallocated_pool": True, "pool_top_up": True}, NAMES_EACH_PART),
        (["unallocated_pool", "pool_top_up", "converting_instruments"], NAMES_EACH_PART),
        (
            {"unallocated_pool": True, "pool_top_up": True, "converting_instruments": 1},
            "a capitalisation says True or False for each part it counts",
        ),
    ],
    ids=["a part missing", "not an object", "not a bool"],
)
def test_a_capitalisation_that_does_not_say_each_part_is_refused(data, message):
    with pytest.raises(ValueError, match=exactly(message)):
        Capitalisation.from_json(data)


def test_terms_refuse_a_capitalisation_of_another_type():
    with pytest.raises(ValueError, match=exactly("the capitalisation is a Capitalisation")):
        ConvertibleTerms(kind="note", principal=eur("1.00"), capitalisation=(True, False, False))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"unallocated_pool": 1_000},
            "the unallocated pool is part of the fully diluted capitalisation",
        ),
        (
            {"unallocated_pool": -1},
            "the unallocated pool is part of the fully diluted capitalisation",
        ),
        ({"pool_top_up": -1}, "the pool top-up is not negative"),
        ({"pool_top_up": 0.5}, "pool_top_up is an exact ratio (Fraction, Decimal or int)"),
    ],
)
def test_a_round_with_an_impossible_pool_is_refused(changes, message):
    with pytest.raises(ValueError, match=exactly(message)):
        round_at(Fraction(1), 1_000, **changes)


# --- a BSA AIR's floor and nominal value ------------------------------------------------------


def bsa_air(**changes) -> ConvertibleTerms:
    return ConvertibleTerms(**({"kind": "bsa_air", "principal": eur("100000")} | changes))


def test_a_bsa_air_holder_pays_the_nominal_value_of_each_share():
    # 2.00 less 20 % is 1.60; paying 0.10 of nominal per share, 100,000 buys
    # 100,000 / 1.50 = 66,666 2/3 shares: 66,666, and 2/3 of a share dropped.
    result = convert(
        bsa_air(discount=Fraction(1, 5), nominal_value=Fraction(1, 10)),
        round_at(Fraction(2), 1_000_000),
    )

    assert (result.price, result.nominal_value) == (Fraction(8, 5), Fraction(1, 10))
    assert (result.shares, result.fraction_dropped) == (66_666, Fraction(2, 3))
    assert (result.shares + result.fraction_dropped) * (result.price - result.nominal_value) == (
        result.amount
    )


def test_a_bsa_air_never_converts_below_its_floor():
    # Round price 2.00, less 20 % = 1.60; the floor of 4,000,000 over 1,000,000 shares is 4.00,
    # so the holder converts at 4.00: 25,000 shares. The cap (10.00) does not apply.
    result = convert(
        bsa_air(
            discount=Fraction(1, 5),
            valuation_cap=eur("10000000"),
            valuation_floor=eur("4000000"),
        ),
        round_at(Fraction(2), 1_000_000),
    )

    assert (result.price, result.shares) == (Fraction(4), 25_000)


def test_between_its_floor_and_its_cap_a_bsa_air_converts_at_the_discounted_price():
    result = convert(
        bsa_air(
            discount=Fraction(1, 5),
            valuation_cap=eur("10000000"),
            valuation_floor=eur("1000000"),
        ),
        round_at(Fraction(5), 1_000_000),
    )

    assert (result.price, result.shares) == (Fraction(4), 25_000)


def test_a_floor_equal_to_the_cap_fixes_the_price():
    result = convert(
        bsa_air(valuation_cap=eur("3000000"), valuation_floor=eur("3000000")),
        round_at(Fraction(7), 1_000_000),
    )

    assert result.price == 3


def test_a_conversion_price_at_the_nominal_value_is_refused():
    with pytest.raises(
        ValueError, match=exactly("the conversion price 1/10 does not exceed the nominal value")
    ):
        convert(bsa_air(nominal_value=Fraction(1, 10)), round_at(Fraction(1, 10), 1_000))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "safe"}, "only a BSA AIR carries a valuation floor"),
        ({"valuation_floor": eur("0.00")}, "the valuation floor is a positive amount"),
        (
            {"valuation_floor": Money(100, "USD")},
            "the valuation floor is in the currency of the principal",
        ),
        (
            {"valuation_cap": eur("999999.99")},
            "the valuation floor is not above the valuation cap",
        ),
    ],
)
def test_an_impossible_floor_is_refused(changes, message):
    terms = {"kind": "bsa_air", "principal": eur("100000"), "valuation_floor": eur("1000000")}

    with pytest.raises(ValueError, match=exactly(message)):
        ConvertibleTerms(**(terms | changes))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "note"}, "only a BSA AIR has its holder pay the nominal value"),
        ({"nominal_value": Fraction(-1, 100)}, "the nominal value is not negative"),
        ({"nominal_value": 0.01}, "nominal_value is an exact ratio (Fraction, Decimal or int)"),
        (
            {"capitalisation": POST_MONEY_SAFE},
            "a BSA AIR paying the nominal value converts on a capitalisation that does not "
            "count the converting instruments",
        ),
    ],
)
def test_an_impossible_nominal_value_is_refused(changes, message):
    terms = {"kind": "bsa_air", "principal": eur("100000"), "nominal_value": Fraction(1, 100)}

    with pytest.raises(ValueError, match=exactly(message)):
        ConvertibleTerms(**(terms | changes))


def test_a_floor_and_a_nominal_value_round_trip_through_json():
    terms = bsa_air(
        valuation_cap=eur("3000000"),
        valuation_floor=eur("1000000"),
        nominal_value=Decimal("0.01"),
    )

    data = terms.to_json()

    assert (data["valuation_floor"], data["nominal_value"]) == (
        {"amount": "1000000.00", "currency": "EUR"},
        "1/100",
    )
    assert ConvertibleTerms.from_json(data) == terms


def test_the_standard_capitalisation_of_a_safe_is_the_post_money_forms_unless_told():
    assert standard_capitalisation("safe") == POST_MONEY_SAFE


def test_a_floor_of_one_cent_and_a_nominal_value_of_zero_are_accepted():
    terms = bsa_air(valuation_floor=eur("0.01"), nominal_value=Fraction(0))

    assert (terms.valuation_floor, terms.nominal_value) == (eur("0.01"), 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"valuation_floor": {"amount": "x", "currency": "EUR"}},
            "valuation_floor is not an amount: 'x' is not an amount written as a decimal string",
        ),
        ({"nominal_value": 0.01}, "nominal_value is written as an 'n/d' string"),
    ],
)
def test_a_floor_or_nominal_value_that_cannot_be_read_is_refused_naming_it(changes, message):
    data = bsa_air().to_json() | changes

    with pytest.raises(ValueError, match=exactly(message)):
        ConvertibleTerms.from_json(data)


def test_a_round_reads_its_pools_as_exact_fractions():
    round_terms = round_at(
        Fraction(1), 1_000, unallocated_pool=Decimal("100.5"), pool_top_up=Decimal("20.25")
    )

    assert (round_terms.unallocated_pool, round_terms.pool_top_up) == (
        Fraction(201, 2),
        Fraction(81, 4),
    )
    assert type(round_terms.unallocated_pool) is type(round_terms.pool_top_up) is Fraction


def test_an_unallocated_pool_that_is_not_an_exact_ratio_is_refused_naming_it():
    with pytest.raises(
        ValueError, match=exactly("unallocated_pool is an exact ratio (Fraction, Decimal or int)")
    ):
        round_at(Fraction(1), 1_000, unallocated_pool=0.5)


def test_a_post_money_cap_that_starts_to_apply_between_the_start_and_the_fixed_point():
    # Round price 1.00, 20 % off: 0.80. 1,000,000 at a 10,000,000 cap on 11,500,000 shares:
    # below 12,500,000 (10,000,000 / 0.80) the SAFE converts at 0.80 into 1,250,000 shares,
    # which would take the capitalisation past 12,500,000, so its cap applies:
    # S = 0.1 x (11,500,000 + S), S = 11,500,000 / 9, T = 115,000,000 / 9, and the price
    # 10,000,000 / T = 18/23 (below 0.80); 1,000,000 / (18/23) = 1,277,777 7/9 shares.
    safe = ConvertibleTerms(
        kind="safe",
        principal=eur("1000000"),
        valuation_cap=eur("10000000"),
        discount=Fraction(1, 5),
    )

    result = convert(safe, round_at(Fraction(1), 11_500_000))

    assert (result.price, result.shares, result.fraction_dropped) == (
        Fraction(18, 23),
        1_277_777,
        Fraction(7, 9),
    )


def test_a_fixed_point_just_past_where_a_cap_starts_to_apply_is_found_on_the_capped_line():
    # As above on 11,250,001 shares: the cap applies from S = 1,249,999, where the SAFE alone
    # (uncapped) would take 1,250,000, one share more. Capped: S = 11,250,001 / 9 and the
    # price 10,000,000 / (10 / 9 x 11,250,001) = 9,000,000 / 11,250,001.
    safe = ConvertibleTerms(
        kind="safe",
        principal=eur("1000000"),
        valuation_cap=eur("10000000"),
        discount=Fraction(1, 5),
    )

    result = convert(safe, round_at(Fraction(1), 11_250_001))

    assert result.price == Fraction(9_000_000, 11_250_001)
    assert result.shares == 1_250_000


# --- prices stated to a number of decimals ----------------------------------------------------


@pytest.mark.parametrize("decimals", [True, -1, 13, 2.0, "4"])
def test_a_number_of_decimals_outside_0_to_12_is_refused(decimals):
    with pytest.raises(
        ValueError, match=exactly("a round states its prices to between 0 and 12 decimals")
    ):
        round_at(Fraction(1), 1_000, price_decimals=decimals)


@pytest.mark.parametrize("decimals", [0, 12])
def test_0_and_12_decimals_are_accepted(decimals):
    assert round_at(Fraction(1), 1_000, price_decimals=decimals).price_decimals == decimals


def test_a_discounted_price_on_a_half_is_stated_half_up():
    # 1.9753 less 50 % is 0.98765 exactly: 0.9877 half up (half even and down give 0.9876);
    # 1,000.00 / 0.9877 = 1,012.45 shares: 1,012.
    terms = ConvertibleTerms(kind="safe", principal=eur("1000.00"), discount=Fraction(1, 2))

    result = convert(terms, round_at(Fraction("1.9753"), 1_000, price_decimals=4))

    assert (result.price, result.shares) == (Fraction("0.9877"), 1_012)
    assert (result.shares + result.fraction_dropped) * result.price == 1_000


def test_a_cap_price_is_stated_to_the_round_s_decimals():
    # Cap 5,000,000 over 1,500,000 shares: 3.3333... stated 3.3333. 1,000,000 converts into
    # 1,000,000 / 3.3333 = 300,003.0003: 300,003 shares, where the exact price gives 300,000.
    terms = ConvertibleTerms(
        kind="safe", principal=eur("1000000"), valuation_cap=eur("5000000"), post_money=False
    )

    stated = convert(terms, round_at(Fraction(10), 1_500_000, price_decimals=4))
    exact = convert(terms, round_at(Fraction(10), 1_500_000))

    assert (stated.price, stated.shares) == (Fraction("3.3333"), 300_003)
    assert (exact.price, exact.shares) == (Fraction(10, 3), 300_000)


def test_a_round_without_stated_decimals_keeps_the_exact_price():
    terms = ConvertibleTerms(kind="safe", principal=eur("100.00"), discount=Fraction(1, 3))

    assert convert(terms, round_at(Fraction(1), 1_000)).price == Fraction(2, 3)


def test_a_conversion_price_that_states_as_zero_is_refused():
    # 0.004 a share is 0.00 to two decimals (and 0.005 would be 0.01).
    terms = ConvertibleTerms(kind="safe", principal=eur("100.00"))

    with pytest.raises(ValueError, match=exactly("the price 0.004 states as zero to 2 decimals")):
        convert(terms, round_at(Fraction(4, 1000), 1_000, price_decimals=2))
    assert convert(terms, round_at(Fraction(5, 1000), 1_000, price_decimals=2)).price == Fraction(
        1, 100
    )
