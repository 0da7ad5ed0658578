"""Money is exact: integer minor units of ISO 4217 currencies, split without losing a unit."""

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import pytest
from babel.numbers import format_currency, get_currency_precision
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.core.money import (
    CurrencyMismatch,
    Money,
    allocate,
    minor_unit_digits,
    round_fraction,
)

CURRENCIES = ["EUR", "USD", "GBP", "CHF", "JPY", "BHD", "KWD", "CLF"]


@pytest.mark.parametrize(
    ("currency", "digits"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("IQD", 3),
        ("CLF", 4),
    ],
)
def test_minor_units_are_iso_4217s(currency, digits):
    assert minor_unit_digits(currency) == digits


def test_iso_decides_where_babel_disagrees():
    # CLDR, babel's data, gives the Iraqi dinar no decimals; ISO 4217 gives it three.
    assert get_currency_precision("IQD") == 0
    assert Money.from_decimal(Decimal("1.234"), "IQD") == Money(1234, "IQD")


@pytest.mark.parametrize("code", ["EURO", "eur", "ZZZ", "XAU", ""])
def test_an_unknown_or_non_monetary_code_is_refused(code):
    with pytest.raises(ValueError):
        Money(1, code)


@pytest.mark.parametrize("amount", [1.5, Decimal("1"), "100", True, None])
def test_an_amount_that_is_not_an_int_is_refused(amount):
    with pytest.raises(TypeError):
        Money(amount, "EUR")


def test_money_is_immutable_and_hashable():
    price = Money(123456, "EUR")

    with pytest.raises(AttributeError):
        price.amount_minor = 1  # type: ignore[misc]
    assert {price, Money(123456, "EUR")} == {price}


def test_adding_two_currencies_raises():
    with pytest.raises(CurrencyMismatch):
        Money(1, "EUR") + Money(1, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(1, "EUR") - Money(1, "USD")


@pytest.mark.parametrize(
    "compare", [lambda a, b: a < b, lambda a, b: a <= b, lambda a, b: a > b, lambda a, b: a >= b]
)
def test_ordering_two_currencies_raises(compare):
    with pytest.raises(CurrencyMismatch):
        compare(Money(1, "EUR"), Money(2, "USD"))


def test_amounts_in_different_currencies_are_never_equal():
    assert Money(100, "EUR") != Money(100, "USD")


def test_from_decimal_converts_exactly():
    assert Money.from_decimal(Decimal("1234.56"), "EUR") == Money(123456, "EUR")
    assert Money.from_decimal(Decimal("-0.5"), "EUR") == Money(-50, "EUR")
    assert Money.from_decimal(Decimal("1500"), "JPY") == Money(1500, "JPY")
    assert Money.from_decimal(Decimal("1.234"), "BHD") == Money(1234, "BHD")


def test_from_decimal_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(ValueError, match="more decimals than EUR allows"):
        Money.from_decimal(Decimal("1.005"), "EUR")
    with pytest.raises(ValueError, match="JPY"):
        Money.from_decimal(Decimal("10.5"), "JPY")


def test_from_decimal_rounds_only_when_told_how():
    assert Money.from_decimal(Decimal("1.005"), "EUR", rounding="ROUND_HALF_UP") == Money(
        101, "EUR"
    )
    assert Money.from_decimal(Decimal("-1.005"), "EUR", rounding="ROUND_HALF_UP") == Money(
        -101, "EUR"
    )
    assert Money.from_decimal(Decimal("1.005"), "EUR", rounding=ROUND_HALF_EVEN) == Money(
        100, "EUR"
    )


def test_from_decimal_refuses_a_float():
    with pytest.raises(TypeError):
        Money.from_decimal(1.05, "EUR")  # type: ignore[arg-type]


def test_to_decimal_has_the_currency_decimals():
    assert str(Money(5, "EUR").to_decimal()) == "0.05"
    assert str(Money(1234500, "BHD").to_decimal()) == "1234.500"
    assert str(Money(1500, "JPY").to_decimal()) == "1500"


@pytest.mark.parametrize(
    ("money", "locale", "shown"),
    [
        (Money(123456789, "EUR"), "de_DE", "1.234.567,89\xa0€"),
        (Money(123456789, "EUR"), "fr_FR", "1\u202f234\u202f567,89\xa0€"),
        (Money(123456789, "USD"), "en_US", "$1,234,567.89"),
        (Money(150000, "JPY"), "ja_JP", "￥150,000"),
        (Money(1234500, "BHD"), "en", "BHD1,234.500"),
        (Money(-1234, "IQD"), "en", "-IQD1.234"),
    ],
)
def test_format_follows_the_locale_with_iso_decimals(money, locale, shown):
    assert money.format(locale) == shown


@given(
    st.integers(min_value=-(10**14), max_value=10**14),
    st.sampled_from(["EUR", "USD", "GBP", "CHF", "JPY", "BHD", "KWD"]),
    st.sampled_from(["en", "en_GB", "fr_FR", "de_DE", "de_CH", "it_IT", "ja_JP"]),
)
def test_format_matches_babel_where_cldr_and_iso_agree(amount, currency, locale):
    money = Money(amount, currency)

    assert money.format(locale) == format_currency(money.to_decimal(), currency, locale=locale)


def test_times_rounds_once_half_up():
    assert Money(1000, "EUR").times(Fraction(1, 3)) == Money(333, "EUR")
    assert Money(5, "EUR").times(Fraction(1, 2)) == Money(3, "EUR")
    assert Money(-5, "EUR").times(Fraction(1, 2)) == Money(-3, "EUR")
    assert Money(5, "EUR").times(Decimal("0.5"), rounding=ROUND_DOWN) == Money(2, "EUR")


def test_the_worked_catch_up_of_the_domain_primer_rounds_to_the_cent():
    preferred_return = Money(469947829, "EUR")

    assert preferred_return.times(Fraction(20, 80)) == Money(117486957, "EUR")


@given(
    st.fractions(),
    st.sampled_from(
        [
            "ROUND_HALF_UP",
            "ROUND_HALF_EVEN",
            "ROUND_DOWN",
            "ROUND_UP",
            "ROUND_FLOOR",
            "ROUND_CEILING",
        ]
    ),
)
def test_round_fraction_agrees_with_decimal_at_high_precision(value, mode):
    from decimal import localcontext

    with localcontext() as context:
        context.prec = 200
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        assume(exact * value.denominator == value.numerator)  # representable exactly
        assert round_fraction(value, mode) == int(exact.to_integral_value(rounding=mode))


# --- allocate ---------------------------------------------------------------------------------


def test_allocate_gives_the_leftover_units_to_the_largest_remainders():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [Fraction(1, 3), Decimal("0.5"), 2]) == [1, 2, 7]


def test_allocate_breaks_remainder_ties_by_the_larger_weight_then_the_earlier_position():
    # Quotas 2.5, 2.5 (weights 1, 1) and 5 exactly: both remainders tie and so do the weights.
    assert allocate(10, [1, 1, 2]) == [3, 2, 5]
    # Quotas 1.5 and 1.5 tie; the weights 3 and 3 tie; 1 is left over by the zero weight.
    assert allocate(3, [3, 0, 3]) == [2, 0, 1]
    # Remainders tie at one half across different weights: the larger weight wins.
    assert allocate(2, [1, 3]) == [0, 2]
    assert allocate(4, [1, 1, 2, 4]) == [1, 0, 1, 2]


def test_allocate_splits_a_negative_total_as_its_opposite():
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]


def test_allocate_refuses_what_cannot_be_split():
    with pytest.raises(ValueError, match="at least one weight"):
        allocate(10, [])
    with pytest.raises(ValueError, match="positive"):
        allocate(10, [0, 0])
    with pytest.raises(ValueError, match="negative"):
        allocate(10, [1, -1])
    with pytest.raises(TypeError):
        allocate(10, [0.5, 0.5])
    with pytest.raises(TypeError):
        allocate(10.0, [1])  # type: ignore[arg-type]


def test_allocate_handles_100000_weights_with_a_total_of_ten_to_the_17():
    weights = [Fraction(i % 977 + 1, 7) for i in range(100_000)]
    total = 10**17 + 3

    parts = allocate(total, weights)

    assert sum(parts) == total
    whole = sum(weights)
    assert all(
        abs(part - Fraction(total) * w / whole) < 1 for part, w in zip(parts, weights, strict=True)
    )


def test_money_allocate_keeps_the_currency():
    assert Money(100, "EUR").allocate([1, 1, 1]) == [
        Money(34, "EUR"),
        Money(33, "EUR"),
        Money(33, "EUR"),
    ]


weights_strategy = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**12),
        st.fractions(min_value=0, max_value=10**6, max_denominator=10**6),
        st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=60,
).filter(lambda weights: any(weight > 0 for weight in weights))
totals = st.integers(min_value=-(10**18), max_value=10**18)


@given(totals, weights_strategy)
def test_allocate_parts_always_sum_to_the_total(total, weights):
    assert sum(allocate(total, weights)) == total


@given(totals, weights_strategy)
def test_allocate_parts_are_within_one_unit_of_their_exact_quota(total, weights):
    exact = [Fraction(w) for w in weights]
    whole = sum(exact)
    for part, weight in zip(allocate(total, weights), exact, strict=True):
        assert type(part) is int
        assert abs(part - Fraction(total) * weight / whole) < 1


@given(totals, weights_strategy, st.randoms(use_true_random=False))
def test_allocate_gives_the_same_parts_to_the_same_weights_in_any_order(total, weights, random):
    order = list(range(len(weights)))
    random.shuffle(order)
    shuffled = [weights[i] for i in order]

    original = allocate(total, weights)
    permuted = allocate(total, shuffled)

    def parts_by_weight(ws, parts):
        grouped: dict[Fraction, list[int]] = {}
        for weight, part in zip(ws, parts, strict=True):
            grouped.setdefault(Fraction(weight), []).append(part)
        return {weight: sorted(group) for weight, group in grouped.items()}

    assert parts_by_weight(weights, original) == parts_by_weight(shuffled, permuted)


@given(totals, weights_strategy)
def test_allocate_of_the_opposite_total_is_the_opposite(total, weights):
    assert allocate(-total, weights) == [-part for part in allocate(total, weights)]


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(CURRENCIES),
)
def test_money_addition_is_exact_integer_arithmetic(a, b, currency):
    total = Money(a, currency) + Money(b, currency)

    assert total == Money(a + b, currency)
    assert type(total.amount_minor) is int
    assert total - Money(b, currency) == Money(a, currency)


@given(
    st.decimals(
        min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False
    )
)
def test_from_decimal_and_to_decimal_round_trip(value):
    assert Money.from_decimal(value, "EUR").to_decimal() == value
