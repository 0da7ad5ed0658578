"""Conversion of SAFEs, BSA AIR and notes at a priced round, checked against hand calculations."""

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.captable.conversion import (
    ConversionResult,
    ConvertibleTerms,
    RoundTerms,
    conversion_amount,
    conversion_price,
    convert,
    convert_all,
)
from apps.core.money import CurrencyMismatch, Money

ROUND_DATE = date(2025, 6, 30)


def eur(major: int) -> Money:
    return Money(major * 100, "EUR")


def round_at(price: Fraction, fully_diluted: int, *, on: date = ROUND_DATE) -> RoundTerms:
    return RoundTerms(
        price_per_share=price,
        pre_money_fully_diluted_shares=fully_diluted,
        conversion_date=on,
        currency="EUR",
    )


def test_a_post_money_safe_owns_its_share_of_the_capitalisation_including_itself():
    # 1,000,000 at a 10,000,000 post-money cap buys 10 % of the capitalisation including the
    # SAFE: T = 9,000,000 / (1 - 0.1) = 10,000,000; shares = 0.1 * T = 1,000,000.
    # Cap price = 10,000,000 / 10,000,000 = 1.00, below the round price of 2.00.
    safe = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(10_000_000))

    result = convert(safe, round_at(Fraction(2), 9_000_000))

    assert result == ConversionResult(
        shares=1_000_000, fraction_dropped=Fraction(0), price=Fraction(1), amount=Fraction(10**6)
    )


def test_a_discount_without_a_cap_converts_at_the_discounted_price_and_drops_the_fraction():
    # 1.50 * (1 - 0.20) = 1.20; 250,000 / 1.20 = 208,333 1/3 -> 208,333 shares, 1/3 dropped.
    safe = ConvertibleTerms(
        kind="safe", principal=eur(250_000), discount=Fraction(20, 100), post_money=False
    )

    result = convert(safe, round_at(Fraction(3, 2), 5_000_000))

    assert result.price == Fraction(6, 5)
    assert result.shares == 208_333
    assert result.fraction_dropped == Fraction(1, 3)
    assert result.amount == 250_000


def test_a_bsa_air_takes_the_better_of_its_pre_money_cap_and_its_discount():
    # Cap price: 8,000,000 / 4,000,000 = 2.00. Discounted price: 3.00 * 0.85 = 2.55.
    # The cap wins: 400,000 / 2.00 = 200,000 shares.
    bsa_air = ConvertibleTerms(
        kind="bsa_air",
        principal=eur(400_000),
        valuation_cap=eur(8_000_000),
        discount=Fraction(15, 100),
    )
    round_terms = round_at(Fraction(3), 4_000_000)

    assert conversion_price(bsa_air, round_terms) == 2
    assert convert(bsa_air, round_terms).shares == 200_000


def test_a_note_converts_its_principal_and_simple_interest_at_the_discounted_price():
    # Interest: 500,000 * 8 % * 365 / 365 = 40,000; amount 540,000.
    # Price: 2.50 * 0.80 = 2.00; 540,000 / 2.00 = 270,000 shares.
    note = ConvertibleTerms(
        kind="note",
        principal=eur(500_000),
        discount=Fraction(20, 100),
        interest_rate=Fraction(8, 100),
        issue_date=date(2023, 1, 1),
    )

    result = convert(note, round_at(Fraction(5, 2), 4_000_000, on=date(2024, 1, 1)))

    assert result == ConversionResult(
        shares=270_000, fraction_dropped=Fraction(0), price=Fraction(2), amount=Fraction(540_000)
    )


def test_interest_over_a_leap_year_counts_366_days_over_365_and_is_rounded_to_the_cent():
    # 500,000 * 8 % * 366 / 365 = 40,109.589… -> 40,109.59.
    note = ConvertibleTerms(
        kind="note",
        principal=eur(500_000),
        interest_rate=Fraction(8, 100),
        issue_date=date(2024, 1, 1),
    )

    assert conversion_amount(note, on=date(2025, 1, 1)) == Fraction(54_010_959, 100)


def test_annual_compounding_compounds_full_years_and_adds_simple_interest_for_the_rest():
    # Two full 365-day years then 73 days: 100,000 * 1.1^2 = 121,000;
    # 121,000 * 10 % * 73 / 365 = 2,420; amount 123,420.
    note = ConvertibleTerms(
        kind="note",
        principal=eur(100_000),
        interest_rate=Fraction(1, 10),
        compounding="annual",
        issue_date=date(2020, 1, 1),
    )

    assert conversion_amount(note, on=date(2020, 1, 1)) == 100_000
    assert conversion_amount(note, on=date(2021, 12, 31)) == 121_000  # 730 days
    assert conversion_amount(note, on=date(2022, 3, 14)) == 123_420  # 803 days


def test_a_post_money_safe_and_a_note_convert_together():
    # Note: 500,000 + 8 % over 365 days = 540,000 at 2.00 * 0.80 = 1.60 -> 337,500 shares.
    # SAFE (10 % at the cap): T = (9,000,000 + 337,500) / 0.9 = 10,375,000;
    # shares = 1,037,500; price = 10,000,000 / 10,375,000 = 80/83 (below 2.00).
    # Converted in all: 1,375,000; the SAFE holds 1,037,500 / 10,375,000 = exactly 10 %.
    safe = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(10_000_000))
    note = ConvertibleTerms(
        kind="note",
        principal=eur(500_000),
        discount=Fraction(1, 5),
        interest_rate=Fraction(8, 100),
        issue_date=date(2024, 6, 30),
    )

    safe_result, note_result = convert_all([safe, note], round_at(Fraction(2), 9_000_000))

    assert note_result == ConversionResult(
        shares=337_500, fraction_dropped=Fraction(0), price=Fraction(8, 5), amount=Fraction(540_000)
    )
    assert safe_result == ConversionResult(
        shares=1_037_500,
        fraction_dropped=Fraction(0),
        price=Fraction(80, 83),
        amount=Fraction(1_000_000),
    )
    assert Fraction(safe_result.shares, 9_000_000 + 1_375_000) == Fraction(1, 10)


def test_two_post_money_safes_share_one_capitalisation():
    # f = 0.1 and 0.05: T = 8,500,000 / (1 - 0.15) = 10,000,000 -> 1,000,000 and 500,000.
    first = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(10_000_000))
    second = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(20_000_000))

    results = convert_all([first, second], round_at(Fraction(3), 8_500_000))

    assert [result.shares for result in results] == [1_000_000, 500_000]
    assert [result.price for result in results] == [1, 2]


def test_a_post_money_safe_whose_cap_does_not_apply_still_counts_for_the_others():
    # Round price 0.25 on 12,000,000 shares. SAFE A (1,000,000 at a 40,000,000 cap) converts at
    # 0.25 into 4,000,000 shares. SAFE B (1,000,000 at a 4,000,000 cap) owns 25 % of
    # T = (12,000,000 + 4,000,000) / 0.75 = 21,333,333 1/3: 5,333,333 1/3 shares at
    # 4,000,000 / T = 0.1875. A's cap would give it 2.5 % of T = 533,333 1/3: worse than 0.25.
    a = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(40_000_000))
    b = ConvertibleTerms(kind="safe", principal=eur(1_000_000), valuation_cap=eur(4_000_000))

    result_a, result_b = convert_all([a, b], round_at(Fraction(1, 4), 12_000_000))

    assert (result_a.shares, result_a.price) == (4_000_000, Fraction(1, 4))
    assert (result_b.shares, result_b.price) == (5_333_333, Fraction(3, 16))
    assert result_b.fraction_dropped == Fraction(1, 3)


def test_a_cap_does_not_apply_when_the_round_price_is_lower():
    # Pre-money cap price 8,000,000 / 4,000,000 = 2.00, above the round price of 1.50.
    pre_money_safe = ConvertibleTerms(
        kind="safe", principal=eur(300_000), valuation_cap=eur(8_000_000), post_money=False
    )
    # Post-money cap price 1.00 (as in the first case), above the round price of 0.50.
    post_money_safe = ConvertibleTerms(
        kind="safe", principal=eur(1_000_000), valuation_cap=eur(10_000_000)
    )

    assert convert(pre_money_safe, round_at(Fraction(3, 2), 4_000_000)).shares == 200_000
    result = convert(post_money_safe, round_at(Fraction(1, 2), 9_000_000))
    assert (result.price, result.shares) == (Fraction(1, 2), 2_000_000)


def test_a_note_cap_is_a_pre_money_cap_on_principal_and_interest():
    # Cap price 5,000,000 / 5,000,000 = 1.00; 100,000 + 5 % simple over 365 days = 105,000.
    note = ConvertibleTerms(
        kind="note",
        principal=eur(100_000),
        valuation_cap=eur(5_000_000),
        interest_rate=Fraction(5, 100),
        issue_date=date(2024, 6, 30),
    )

    assert convert(note, round_at(Fraction(2), 5_000_000)).shares == 105_000


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "warrant"},
        {"principal": eur(0)},
        {"principal": Money(-100, "EUR")},
        {"valuation_cap": Money(1_000_000_00, "USD")},
        {"valuation_cap": eur(0)},
        {"discount": Fraction(1)},
        {"discount": Fraction(-1, 10)},
        {"interest_rate": Fraction(5, 100), "issue_date": date(2024, 1, 1)},
        {"compounding": "daily"},
        {"valuation_cap": eur(100_000)},  # a post-money SAFE would own all of the company
    ],
)
def test_invalid_safe_terms_are_refused(changes):
    terms = {"kind": "safe", "principal": eur(100_000)} | changes

    with pytest.raises(ValueError):
        ConvertibleTerms(**terms)


def test_a_note_accruing_interest_without_an_issue_date_is_refused():
    with pytest.raises(ValueError):
        ConvertibleTerms(kind="note", principal=eur(100_000), interest_rate=Fraction(1, 10))


def test_a_note_cannot_convert_before_it_is_issued():
    note = ConvertibleTerms(
        kind="note",
        principal=eur(100_000),
        interest_rate=Fraction(1, 10),
        issue_date=date(2026, 1, 1),
    )

    with pytest.raises(ValueError):
        convert(note, round_at(Fraction(1), 1_000_000))


def test_an_instrument_in_another_currency_cannot_convert():
    safe = ConvertibleTerms(kind="safe", principal=Money(100_000_00, "USD"))

    with pytest.raises(CurrencyMismatch):
        convert(safe, round_at(Fraction(1), 1_000_000))


@pytest.mark.parametrize(("price", "fully_diluted"), [(Fraction(0), 100), (Fraction(1), 0)])
def test_an_impossible_round_is_refused(price, fully_diluted):
    with pytest.raises(ValueError):
        round_at(price, fully_diluted)


def test_post_money_safes_owning_the_whole_company_are_refused():
    halves = [
        ConvertibleTerms(kind="safe", principal=eur(5_000_000), valuation_cap=eur(10_000_000))
    ] * 2

    with pytest.raises(ValueError):
        convert_all(halves, round_at(Fraction(1), 1_000_000))


def test_terms_round_trip_through_json_exactly():
    note = ConvertibleTerms(
        kind="note",
        principal=eur(500_000),
        valuation_cap=eur(8_000_000),
        discount=Fraction(1, 3),
        post_money=False,
        interest_rate=Fraction(8, 100),
        compounding="annual",
        issue_date=date(2024, 2, 29),
    )

    data = note.to_json()

    assert data == {
        "kind": "note",
        "principal": {"amount": "500000.00", "currency": "EUR"},
        "valuation_cap": {"amount": "8000000.00", "currency": "EUR"},
        "discount": "1/3",
        "post_money": False,
        "interest_rate": "2/25",
        "compounding": "annual",
        "issue_date": "2024-02-29",
        "capitalisation": {
            "unallocated_pool": True,
            "pool_top_up": False,
            "converting_instruments": False,
        },
        "valuation_floor": None,
        "nominal_value": None,
    }
    assert ConvertibleTerms.from_json(data) == note


def test_terms_without_options_round_trip_through_json():
    safe = ConvertibleTerms(kind="safe", principal=Money(12_345, "JPY"), discount=Fraction(0))

    data = safe.to_json()

    assert data["principal"] == {"amount": "12345", "currency": "JPY"}
    assert data["valuation_cap"] is None
    assert ConvertibleTerms.from_json(data) == safe


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "safe"},
        {"kind": "safe", "principal": {"amount": 100, "currency": "EUR"}},
        {"kind": "safe", "principal": {"amount": "1.00"}},
        {"kind": "safe", "principal": {"amount": "1.00", "currency": "EUR"}, "discount": 20},
        {"kind": "safe", "principal": {"amount": "1.00", "currency": "EUR"}, "discount": "1/0"},
    ],
)
def test_malformed_json_terms_are_refused(data):
    with pytest.raises(ValueError):
        ConvertibleTerms.from_json(data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        # The shape amounts were stored in before: read only through the migration that
        # rewrote them.
        ({"kind": "safe", "principal": {"amount_minor": 100, "currency": "EUR"}}, "principal"),
        ({"kind": "safe", "principal": {"amount": "1.5", "currency": "EUR"}}, "principal"),
        ({"kind": "safe", "principal": {"amount": "1.00", "currency": "ZZZ"}}, "principal"),
        ({"kind": "safe", "principal": "1.00 EUR"}, "principal"),
        (
            {
                "kind": "safe",
                "principal": {"amount": "1.00", "currency": "EUR"},
                "valuation_cap": {"amount": "1e6", "currency": "EUR"},
            },
            "valuation_cap",
        ),
    ],
)
def test_an_amount_that_cannot_be_read_is_refused_naming_its_term(data, field):
    with pytest.raises(ValueError, match=f"^{field} is not an amount: "):
        ConvertibleTerms.from_json(data)


money = st.integers(1, 10**11)
ratios = st.fractions(min_value=0, max_value=Fraction(99, 100), max_denominator=100)


@st.composite
def instruments(draw):
    kind = draw(st.sampled_from(["safe", "bsa_air", "note"]))
    principal = draw(money)
    cap = draw(st.none() | st.integers(principal + 1, 10**13))
    is_note = kind == "note"
    return ConvertibleTerms(
        kind=kind,
        principal=Money(principal, "EUR"),
        valuation_cap=None if cap is None else Money(cap, "EUR"),
        discount=draw(st.none() | ratios),
        post_money=draw(st.booleans()),
        interest_rate=draw(st.fractions(0, Fraction(1, 5), max_denominator=1000))
        if is_note
        else None,
        compounding=draw(st.sampled_from(["simple", "annual"])),
        issue_date=draw(st.dates(date(2015, 1, 1), ROUND_DATE)) if is_note else None,
    )


prices = st.fractions(min_value=Fraction(1, 10**4), max_value=10**4, max_denominator=10**4)
fully_diluted = st.integers(1, 10**9)


@given(terms=instruments(), price=prices, shares_before=fully_diluted)
def test_a_conversion_accounts_for_its_whole_amount(terms, price, shares_before):
    result = convert(terms, round_at(price, shares_before))

    assert result.shares >= 0
    assert 0 <= result.fraction_dropped < 1
    assert result.shares * result.price + result.fraction_dropped * result.price == result.amount


@given(terms=instruments(), prices=st.lists(prices, min_size=2, max_size=2), shares=fully_diluted)
def test_a_lower_round_price_never_gives_fewer_shares(terms, prices, shares):
    lower, higher = sorted(prices)

    at_lower = convert(terms, round_at(lower, shares))
    at_higher = convert(terms, round_at(higher, shares))

    assert at_lower.shares >= at_higher.shares


@given(
    terms=st.lists(instruments(), min_size=1, max_size=4),
    price=prices,
    shares_before=fully_diluted,
)
def test_a_post_money_safe_gets_the_more_of_its_cap_share_and_its_discounted_shares(
    terms, price, shares_before
):
    post_money = [t for t in terms if t.uses_post_money_cap]
    owned_together = sum(
        Fraction(t.principal.amount_minor, t.valuation_cap.amount_minor) for t in post_money
    )
    assume(owned_together < 1)

    results = convert_all(terms, round_at(price, shares_before))

    # The capitalisation the caps refer to is the one the conversions actually produce.
    total = shares_before + sum(r.shares + r.fraction_dropped for r in results)
    for t, result in zip(terms, results, strict=True):
        if t.uses_post_money_cap:
            owned = Fraction(t.principal.amount_minor, t.valuation_cap.amount_minor)
            discounted = result.amount / (price * t.discount_factor)
            assert result.shares + result.fraction_dropped == max(owned * total, discounted)
