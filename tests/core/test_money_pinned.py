"""Money's rules as small worked examples, one behaviour each, beside the properties.

Each example fixes one comparison, constant, rounding mode or guard of ``apps.core.money``, so
that changing any of them fails a named test here rather than only, by chance, a property.
"""

import operator
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from fractions import Fraction

import pytest

from apps.core.money import (
    COMPUTED_AMOUNT_ROUNDING,
    LARGEST_AMOUNT_MINOR,
    CurrencyMismatch,
    Money,
    allocate,
    round_fraction,
)
from tests.messages import exactly


def eur(amount_minor: int) -> Money:
    return Money(amount_minor, "EUR")


# --- ordering within one currency -------------------------------------------------------------

ORDERINGS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@pytest.mark.parametrize(
    ("left", "symbol", "right", "expected"),
    [
        (eur(1), "<", eur(2), True),
        (eur(2), "<", eur(1), False),
        (eur(2), "<", eur(2), False),
        (eur(1), "<=", eur(2), True),
        (eur(2), "<=", eur(1), False),
        (eur(2), "<=", eur(2), True),
        (eur(2), ">", eur(1), True),
        (eur(1), ">", eur(2), False),
        (eur(2), ">", eur(2), False),
        (eur(2), ">=", eur(1), True),
        (eur(1), ">=", eur(2), False),
        (eur(2), ">=", eur(2), True),
        (eur(-3), "<", eur(-2), True),
        (eur(-2), ">=", eur(-3), True),
    ],
)
def test_amounts_in_one_currency_are_ordered_by_their_minor_units(left, symbol, right, expected):
    assert ORDERINGS[symbol](left, right) is expected


@pytest.mark.parametrize("symbol", list(ORDERINGS))
def test_ordering_amounts_in_different_currencies_is_refused_even_when_equal(symbol):
    with pytest.raises(CurrencyMismatch, match="cannot combine EUR with USD"):
        ORDERINGS[symbol](Money(1, "EUR"), Money(1, "USD"))


def test_a_currency_mismatch_is_a_value_error():
    assert issubclass(CurrencyMismatch, ValueError)


# --- arithmetic -------------------------------------------------------------------------------


def test_adding_two_amounts_adds_their_minor_units():
    assert eur(150) + eur(25) == eur(175)


def test_subtracting_an_amount_subtracts_its_minor_units():
    assert eur(150) - eur(175) == eur(-25)


def test_negation_flips_the_sign_and_keeps_the_currency():
    assert -Money(5, "JPY") == Money(-5, "JPY")
    assert -eur(-5) == eur(5)
    assert -eur(0) == eur(0)


@pytest.mark.parametrize(
    "combine",
    [
        pytest.param(lambda money: money + 1, id="money + 1"),
        pytest.param(lambda money: 1 + money, id="1 + money"),
        pytest.param(lambda money: money - 1, id="money - 1"),
        pytest.param(lambda money: 1 - money, id="1 - money"),
        pytest.param(lambda money: money + Decimal(1), id="money + Decimal"),
        pytest.param(lambda money: money < 1, id="money < 1"),
        pytest.param(lambda money: money <= 1, id="money <= 1"),
        pytest.param(lambda money: money > 1, id="money > 1"),
        pytest.param(lambda money: money >= 1, id="money >= 1"),
        pytest.param(lambda money: operator.lt(1, money), id="1 < money"),
    ],
)
def test_combining_or_ordering_an_amount_with_a_bare_number_raises_type_error(combine):
    with pytest.raises(TypeError):
        combine(eur(1))


def test_an_amount_is_never_equal_to_a_bare_number():
    assert (eur(0) == 0) is False
    assert (eur(100) != 100) is True


@pytest.mark.parametrize(
    ("product", "expected"),
    [
        pytest.param(lambda: eur(150) * 3, eur(450), id="money * 3"),
        pytest.param(lambda: 3 * eur(150), eur(450), id="3 * money"),
        pytest.param(lambda: eur(150) * -2, eur(-300), id="money * -2"),
        pytest.param(lambda: -2 * eur(150), eur(-300), id="-2 * money"),
        pytest.param(lambda: eur(150) * 0, eur(0), id="money * 0"),
        pytest.param(lambda: eur(150) * 1, eur(150), id="money * 1"),
    ],
)
def test_multiplying_by_a_whole_number_works_from_either_side(product, expected):
    assert product() == expected


@pytest.mark.parametrize(
    "product",
    [
        pytest.param(lambda: eur(150) * True, id="money * True"),
        pytest.param(lambda: True * eur(150), id="True * money"),
        pytest.param(lambda: eur(150) * False, id="money * False"),
        pytest.param(lambda: eur(150) * 1.5, id="money * 1.5"),
        pytest.param(lambda: 1.5 * eur(150), id="1.5 * money"),
        pytest.param(lambda: eur(150) * 2.0, id="money * 2.0"),
        pytest.param(lambda: eur(150) * Decimal(2), id="money * Decimal"),
        pytest.param(lambda: eur(150) * Fraction(1, 2), id="money * Fraction"),
        pytest.param(lambda: eur(150) * eur(2), id="money * money"),
    ],
)
def test_multiplying_by_anything_but_a_whole_int_raises_type_error(product):
    with pytest.raises(TypeError):
        product()


def test_times_rounds_half_up_by_default():
    assert COMPUTED_AMOUNT_ROUNDING == ROUND_HALF_UP
    assert eur(25).times(Fraction(1, 10)) == eur(3)
    assert eur(-25).times(Fraction(1, 10)) == eur(-3)
    assert eur(24).times(Fraction(1, 10)) == eur(2)


def test_times_takes_an_int_or_a_decimal_ratio():
    assert eur(150).times(3) == eur(450)
    assert eur(150).times(Decimal("0.1")) == eur(15)


@pytest.mark.parametrize(("ratio", "kind"), [(True, "bool"), (0.5, "float"), ("0.5", "str")])
def test_times_refuses_a_bool_float_or_string_ratio(ratio, kind):
    with pytest.raises(
        TypeError, match=exactly(f"weights must be int, Fraction or Decimal, not {kind}")
    ):
        eur(150).times(ratio)


@pytest.mark.parametrize("ratio", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_times_refuses_a_ratio_that_is_not_a_number(ratio):
    with pytest.raises(ValueError, match="is not a number"):
        eur(150).times(Decimal(ratio))


# --- zero, display ----------------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "written"), [("JPY", "0"), ("EUR", "0.00"), ("BHD", "0.000")])
def test_zero_is_no_minor_units_shown_with_the_currencys_decimals(currency, written):
    zero = Money.zero(currency)

    assert zero == Money(0, currency)
    assert str(zero.to_decimal()) == written


@pytest.mark.parametrize(
    ("amount_minor", "kind"), [(1.0, "float"), (True, "bool"), (Decimal(1), "Decimal")]
)
def test_an_amount_that_is_not_an_int_of_minor_units_is_refused(amount_minor, kind):
    with pytest.raises(TypeError, match=exactly(f"amount_minor must be an int, not {kind}")):
        Money(amount_minor, "EUR")


@pytest.mark.parametrize(("value", "kind"), [(1.5, "float"), ("1.50", "str"), (150, "int")])
def test_from_decimal_refuses_anything_but_a_decimal(value, kind):
    with pytest.raises(TypeError, match=exactly(f"value must be a Decimal, not {kind}")):
        Money.from_decimal(value, "EUR")


def test_zero_refuses_an_unknown_currency():
    with pytest.raises(ValueError, match="not an ISO 4217 currency code"):
        Money.zero("ZZZ")


def test_str_shows_the_amount_in_major_units_then_the_code():
    assert str(eur(-5)) == "-0.05 EUR"
    assert str(Money(1500, "JPY")) == "1500 JPY"


@pytest.mark.parametrize(
    ("money", "locale", "shown"),
    [
        (eur(150), "en", "€1.50"),
        (eur(-5), "de_DE", "-0,05\xa0€"),
        (Money(0, "JPY"), "en", "¥0"),
        (Money(0, "BHD"), "en", "BHD0.000"),
        (Money(1, "BHD"), "en", "BHD0.001"),
    ],
)
def test_format_always_shows_exactly_the_currencys_decimals(money, locale, shown):
    assert money.format(locale) == shown


def test_format_speaks_english_by_default():
    assert eur(123456).format() == "€1,234.56"


# --- from_decimal -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "-NaN", "sNaN"])
def test_from_decimal_refuses_a_value_that_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match=exactly(f"{Decimal(value)} is not an amount")):
        Money.from_decimal(Decimal(value), "EUR")


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_from_decimal_refuses_a_value_that_is_not_a_finite_number_even_with_a_rounding(value):
    with pytest.raises(ValueError, match="is not an amount"):
        Money.from_decimal(Decimal(value), "EUR", rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("value", ["0.005", "-0.005", "0.015", "-0.015", "2.5E-3"])
def test_from_decimal_does_not_round_a_half_way_value_unless_told_how(value):
    message = (
        f"{Decimal(value)} has more decimals than EUR allows (2); pass a rounding mode to round it"
    )
    with pytest.raises(ValueError, match=exactly(message)):
        Money.from_decimal(Decimal(value), "EUR")


@pytest.mark.parametrize("value", ["0.5", "-0.5", "1.5", "-1.5"])
def test_from_decimal_refuses_a_half_yen(value):
    with pytest.raises(ValueError, match="more decimals than JPY allows"):
        Money.from_decimal(Decimal(value), "JPY")


def test_from_decimal_accepts_trailing_zeros_beyond_the_currencys_decimals():
    assert Money.from_decimal(Decimal("1.2300"), "EUR") == eur(123)
    assert Money.from_decimal(Decimal("15.000"), "JPY") == Money(15, "JPY")
    assert Money.from_decimal(Decimal("1E+2"), "EUR") == eur(10000)


# Half-way values, both signs, and values either side of half way, under every decimal mode.
FROM_DECIMAL_ROUNDING = [
    (ROUND_HALF_UP, {"0.125": 13, "-0.125": -13, "0.135": 14, "-0.135": -14}),
    (ROUND_HALF_DOWN, {"0.125": 12, "-0.125": -12, "0.135": 13, "-0.135": -13}),
    (ROUND_HALF_EVEN, {"0.125": 12, "-0.125": -12, "0.135": 14, "-0.135": -14}),
    (ROUND_UP, {"0.121": 13, "-0.121": -13, "0.125": 13, "-0.125": -13}),
    (ROUND_DOWN, {"0.129": 12, "-0.129": -12, "0.125": 12, "-0.125": -12}),
    (ROUND_CEILING, {"0.121": 13, "-0.129": -12, "0.125": 13, "-0.125": -12}),
    (ROUND_FLOOR, {"0.129": 12, "-0.121": -13, "0.125": 12, "-0.125": -13}),
    (ROUND_05UP, {"0.101": 11, "-0.101": -11, "0.121": 12, "-0.151": -16}),
]


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        (mode, value, expected)
        for mode, cases in FROM_DECIMAL_ROUNDING
        for value, expected in cases.items()
    ],
)
def test_from_decimal_rounds_with_the_mode_it_is_given(mode, value, expected):
    assert Money.from_decimal(Decimal(value), "EUR", rounding=mode) == eur(expected)


def test_from_decimal_with_a_rounding_keeps_an_exact_value_exact():
    assert Money.from_decimal(Decimal("0.12"), "EUR", rounding=ROUND_UP) == eur(12)
    assert Money.from_decimal(Decimal("-0.12"), "EUR", rounding=ROUND_FLOOR) == eur(-12)


def test_from_decimal_rounds_to_the_minor_unit_of_a_three_decimal_currency():
    assert Money.from_decimal(Decimal("1.2345"), "BHD", rounding=ROUND_HALF_UP) == Money(
        1235, "BHD"
    )
    assert Money.from_decimal(Decimal("-1.2345"), "BHD", rounding=ROUND_HALF_UP) == Money(
        -1235, "BHD"
    )


def test_from_decimal_rounds_a_yen_amount_to_whole_yen():
    assert Money.from_decimal(Decimal("2.5"), "JPY", rounding=ROUND_HALF_UP) == Money(3, "JPY")
    assert Money.from_decimal(Decimal("-2.5"), "JPY", rounding=ROUND_HALF_UP) == Money(-3, "JPY")


# --- from_input and the range of an amount column ---------------------------------------------

LARGEST_EUR = "92233720368547758.07"


@pytest.mark.parametrize(
    ("value", "amount_minor"),
    [(LARGEST_EUR, LARGEST_AMOUNT_MINOR), (f"-{LARGEST_EUR}", -LARGEST_AMOUNT_MINOR)],
)
def test_from_input_accepts_the_largest_amount_a_column_holds_either_side(value, amount_minor):
    assert Money.from_input(Decimal(value), "EUR") == eur(amount_minor)


def test_from_input_refuses_one_cent_more_than_a_column_holds():
    with pytest.raises(ValueError, match=r"too large: at most 92,233,720,368,547,758\.07 EUR"):
        Money.from_input(Decimal("92233720368547758.08"), "EUR")


def test_from_input_refuses_one_cent_less_than_a_column_holds():
    with pytest.raises(ValueError, match=r"too small: at least -92,233,720,368,547,758\.07 EUR"):
        Money.from_input(Decimal("-92233720368547758.08"), "EUR")


def test_from_input_measures_the_range_in_the_currencys_own_minor_unit():
    assert Money.from_input(Decimal("9223372036854775807"), "JPY").amount_minor == (
        LARGEST_AMOUNT_MINOR
    )
    with pytest.raises(ValueError, match="too large: at most 9,223,372,036,854,775,807 JPY"):
        Money.from_input(Decimal("9223372036854775808"), "JPY")


def test_from_input_refuses_more_decimals_than_the_currency_has():
    with pytest.raises(ValueError, match=r"more decimals than EUR allows \(2\)\.$"):
        Money.from_input(Decimal("1.005"), "EUR")


def test_from_input_refuses_a_value_longer_than_the_decimal_context_would_keep():
    value = Decimal("1.0000000000000000000000000000001")

    with pytest.raises(ValueError, match=r"more decimals than EUR allows \(2\)\.$"):
        Money.from_input(value, "EUR")


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN"])
def test_from_input_refuses_a_value_that_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="is not an amount"):
        Money.from_input(Decimal(value), "EUR")


def test_from_input_refuses_a_float():
    with pytest.raises(TypeError, match=exactly("value must be a Decimal, not float")):
        Money.from_input(1.05, "EUR")  # type: ignore[arg-type]


def test_from_input_converts_an_amount_in_major_units():
    assert Money.from_input(Decimal("-1234.50"), "EUR") == eur(-123450)


@pytest.mark.parametrize("amount_minor", [LARGEST_AMOUNT_MINOR, -LARGEST_AMOUNT_MINOR, 0])
def test_an_amount_within_a_columns_range_fits(amount_minor):
    assert eur(amount_minor).out_of_range() is None


def test_the_largest_amount_is_the_largest_signed_64_bit_integer():
    assert LARGEST_AMOUNT_MINOR == 9_223_372_036_854_775_807


def test_an_amount_one_unit_above_a_columns_range_is_too_large():
    assert eur(LARGEST_AMOUNT_MINOR + 1).out_of_range() == (
        "The amount is too large: at most 92,233,720,368,547,758.07 EUR."
    )


def test_an_amount_one_unit_below_the_opposite_of_the_largest_is_too_small():
    assert eur(-LARGEST_AMOUNT_MINOR - 1).out_of_range() == (
        "The amount is too small: at least -92,233,720,368,547,758.07 EUR."
    )


# --- round_fraction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(5, 2), 3),
        (Fraction(-5, 2), -3),
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(7, 3), 2),
        (Fraction(-7, 3), -2),
        (Fraction(8, 3), 3),
        (Fraction(-8, 3), -3),
        (Fraction(4), 4),
        (Fraction(-4), -4),
        (Fraction(0), 0),
    ],
)
def test_round_fraction_rounds_half_up_by_default(value, expected):
    assert round_fraction(value) == expected


# For each mode: 7/3 (below half), 5/2 (half), 8/3 (above half) and 4 (exact), both signs.
ROUND_FRACTION_MODES = [
    (ROUND_HALF_UP, [2, 3, 3, 4, -2, -3, -3, -4]),
    (ROUND_HALF_DOWN, [2, 2, 3, 4, -2, -2, -3, -4]),
    (ROUND_HALF_EVEN, [2, 2, 3, 4, -2, -2, -3, -4]),
    (ROUND_UP, [3, 3, 3, 4, -3, -3, -3, -4]),
    (ROUND_DOWN, [2, 2, 2, 4, -2, -2, -2, -4]),
    (ROUND_CEILING, [3, 3, 3, 4, -2, -2, -2, -4]),
    (ROUND_FLOOR, [2, 2, 2, 4, -3, -3, -3, -4]),
    (ROUND_05UP, [2, 2, 2, 4, -2, -2, -2, -4]),
]
ROUND_FRACTION_VALUES = [
    Fraction(7, 3),
    Fraction(5, 2),
    Fraction(8, 3),
    Fraction(4),
    Fraction(-7, 3),
    Fraction(-5, 2),
    Fraction(-8, 3),
    Fraction(-4),
]


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        (mode, value, expected)
        for mode, results in ROUND_FRACTION_MODES
        for value, expected in zip(ROUND_FRACTION_VALUES, results, strict=True)
    ],
)
def test_round_fraction_rounds_with_the_mode_it_is_given(mode, value, expected):
    assert round_fraction(value, mode) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(7, 2), 4), (Fraction(-7, 2), -4), (Fraction(9, 2), 4), (Fraction(-9, 2), -4)],
)
def test_round_fraction_half_even_rounds_a_half_to_the_even_neighbour(value, expected):
    assert round_fraction(value, ROUND_HALF_EVEN) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(Fraction(51, 10), 6), (Fraction(-51, 10), -6), (Fraction(61, 10), 6), (Fraction(1, 3), 1)],
)
def test_round_fraction_05up_rounds_away_from_zero_only_after_a_zero_or_a_five(value, expected):
    assert round_fraction(value, ROUND_05UP) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(1, 1000), 1),
        (Fraction(999, 1000), 1),
        (Fraction(-1, 1000), 0),
        (Fraction(-999, 1000), 0),
        (Fraction(10**20 + 1, 10**20), 2),
    ],
)
def test_round_fraction_ceiling_moves_any_positive_excess_up(value, expected):
    assert round_fraction(value, ROUND_CEILING) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(499, 1000), 0),
        (Fraction(501, 1000), 1),
        (Fraction(-499, 1000), 0),
        (Fraction(-501, 1000), -1),
        (Fraction(10**20 - 1, 2 * 10**20), 0),
        (Fraction(10**20 + 1, 2 * 10**20), 1),
    ],
)
def test_round_fraction_half_up_decides_on_the_exact_fraction_near_a_half(value, expected):
    assert round_fraction(value) == expected


def test_round_fraction_returns_an_int():
    assert type(round_fraction(Fraction(7, 3))) is int


# --- allocate: which part gets a leftover unit ------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        # Quotas 1.2 and 0.8.
        (2, [3, 2], [1, 1]),
        # Quotas 4/3 and 2/3: the later remainder is larger by a single third.
        (2, [2, 1], [1, 1]),
        # Quotas 30/7 and 5/7.
        (5, [6, 1], [4, 1]),
    ],
)
def test_allocate_gives_a_leftover_unit_to_a_larger_remainder_over_a_larger_earlier_weight(
    total, weights, parts
):
    assert allocate(total, weights) == parts


def test_allocate_gives_a_leftover_unit_to_a_larger_remainder_over_a_larger_later_weight():
    # Quotas 0.6 and 2.4.
    assert allocate(3, [1, 4]) == [1, 2]


def test_allocate_gives_a_leftover_unit_to_the_larger_weight_when_remainders_tie():
    # Quotas 0.5 and 1.5: remainders tie; the later weight is larger.
    assert allocate(2, [1, 3]) == [0, 2]


def test_allocate_gives_a_leftover_unit_to_the_earlier_position_when_weights_tie():
    assert allocate(1, [1, 1]) == [1, 0]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (1, [1, 2], [0, 1]),
        (2, [1, 2], [1, 1]),
        (1, [2, 1], [1, 0]),
        (2, [2, 1], [1, 1]),
        (1, [1, 1, 2], [0, 0, 1]),
        (3, [1, 1, 2], [1, 1, 1]),
        (1, [2, 1, 1], [1, 0, 0]),
        (3, [2, 1, 1], [1, 1, 1]),
        (5, [3, 4, 5], [1, 2, 2]),
        (7, [3, 4, 5], [2, 2, 3]),
        (1, [4, 1, 1, 4], [1, 0, 0, 0]),
        (3, [4, 1, 1, 4], [1, 1, 0, 1]),
        (6, [4, 1, 1, 4], [2, 1, 1, 2]),
    ],
)
def test_allocate_orders_leftover_units_by_remainder_then_weight_then_position(
    total, weights, parts
):
    assert allocate(total, weights) == parts


def test_allocate_gives_each_part_its_exact_quota_when_it_divides():
    assert allocate(12, [1, 2, 3]) == [2, 4, 6]


def test_allocate_gives_one_weight_the_whole_total():
    assert allocate(7, [5]) == [7]


def test_allocate_gives_nothing_to_a_zero_weight():
    assert allocate(10, [0, 1, 0, 2]) == [0, 3, 0, 7]
    assert allocate(1, [0, 1]) == [0, 1]


def test_allocate_of_a_zero_total_is_all_zeros():
    assert allocate(0, [1, 2, 3]) == [0, 0, 0]


def test_allocate_of_a_negative_total_is_the_negated_split_of_its_opposite():
    assert allocate(-2, [3, 2]) == [-1, -1]
    assert allocate(-2, [1, 3]) == [0, -2]
    assert allocate(-1, [1, 1]) == [-1, 0]
    assert allocate(-7, [3, 4, 5]) == [-2, -2, -3]


def test_money_allocate_of_a_negative_amount_keeps_the_currency():
    assert Money(-5, "JPY").allocate([1, 1]) == [Money(-3, "JPY"), Money(-2, "JPY")]


# --- allocate: kinds of weights ---------------------------------------------------------------


def test_allocate_brings_decimal_weights_over_their_least_common_denominator():
    # 3/10 and 1/4 are 6 and 5 twentieths: quotas 60/11 and 50/11.
    assert allocate(10, [Decimal("0.3"), Decimal("0.25")]) == [5, 5]
    # 1/4, 1/10 and 3/20 are 5, 2 and 3 twentieths: quotas 3.5, 1.4 and 2.1.
    assert allocate(7, [Decimal("0.25"), Decimal("0.1"), Decimal("0.15")]) == [4, 1, 2]


def test_allocate_of_decimal_weights_returns_ints():
    parts = allocate(7, [Decimal("0.25"), Decimal("0.1"), Decimal("0.15")])

    assert [type(part) for part in parts] == [int, int, int]


def test_allocate_reads_decimal_weights_at_their_value_not_their_spelling():
    assert allocate(10, [Decimal("0.50"), Decimal("1.5E0"), Decimal("1E+0")]) == [2, 5, 3]


def test_allocate_brings_fraction_weights_over_their_least_common_denominator():
    # 1/4, 1/6 and 1/3 are 3, 2 and 4 twelfths: quotas 3 * 7 / 9, 2 * 7 / 9, 4 * 7 / 9.
    assert allocate(7, [Fraction(1, 4), Fraction(1, 6), Fraction(1, 3)]) == [2, 2, 3]


def test_allocate_of_fraction_weights_returns_ints():
    parts = allocate(7, [Fraction(1, 4), Fraction(1, 6), Fraction(1, 3)])

    assert [type(part) for part in parts] == [int, int, int]


def test_allocate_mixes_int_fraction_and_decimal_weights_at_their_exact_values():
    assert allocate(11, [1, Fraction(1, 2), Decimal("0.25"), Decimal(0)]) == [6, 3, 2, 0]
    assert allocate(10, [Fraction(3, 2), Decimal("1.5"), 3]) == [3, 2, 5]


def test_allocate_of_mixed_weights_returns_ints():
    parts = allocate(11, [1, Fraction(1, 2), Decimal("0.25")])

    assert [type(part) for part in parts] == [int, int, int]


def test_allocate_ranks_exact_fraction_weights_in_a_tie():
    # Quotas 0.5 and 1.5 (weights 1/3 and 1): remainders tie, the larger weight gets the unit.
    assert allocate(2, [Fraction(1, 3), 1]) == [0, 2]
    assert allocate(2, [Decimal("0.5"), Decimal("1.5")]) == [0, 2]


# --- allocate: refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([Decimal("NaN"), Decimal(1)], id="NaN among decimals"),
        pytest.param([Decimal(1), Decimal("sNaN")], id="sNaN among decimals"),
        pytest.param([Decimal(1), Decimal("Infinity")], id="infinity among decimals"),
        pytest.param([Decimal("-Infinity"), Decimal(1)], id="minus infinity among decimals"),
        pytest.param([1, Decimal("NaN")], id="NaN beside an int"),
        pytest.param([Fraction(1, 2), Decimal("Infinity")], id="infinity beside a fraction"),
    ],
)
def test_allocate_refuses_a_weight_that_is_not_a_number(weights):
    with pytest.raises(ValueError, match="is not a number"):
        allocate(10, weights)


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([1, -1], id="ints summing to zero"),
        pytest.param([2, -1], id="ints"),
        pytest.param([-1, 0, 3], id="first int"),
        pytest.param([Decimal("0.5"), Decimal("-0.25")], id="decimals"),
        pytest.param([Fraction(1, 2), Fraction(-1, 3)], id="fractions"),
        pytest.param([1, Fraction(-1, 3), Decimal(2)], id="mixed"),
    ],
)
def test_allocate_refuses_a_negative_weight(weights):
    with pytest.raises(ValueError, match=exactly("weights cannot be negative")):
        allocate(10, weights)


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([0], id="one int"),
        pytest.param([0, 0], id="ints"),
        pytest.param([Decimal(0), Decimal("0.00")], id="decimals"),
        pytest.param([Fraction(0), Fraction(0, 5)], id="fractions"),
        pytest.param([0, Decimal(0), Fraction(0)], id="mixed"),
    ],
)
def test_allocate_refuses_weights_that_are_all_zero(weights):
    with pytest.raises(ValueError, match=exactly("at least one weight must be positive")):
        allocate(10, weights)


def test_allocate_refuses_weights_that_are_all_zero_even_for_a_zero_total():
    with pytest.raises(ValueError, match=exactly("at least one weight must be positive")):
        allocate(0, [0, 0])


def test_allocate_refuses_no_weights():
    with pytest.raises(ValueError, match=exactly("allocate needs at least one weight")):
        allocate(0, [])


@pytest.mark.parametrize(
    "weights",
    [
        pytest.param([True, 1], id="a bool beside an int"),
        pytest.param([True, False], id="bools"),
        pytest.param([1, 0.5], id="a float"),
        pytest.param([Decimal(1), "1"], id="a string"),
    ],
)
def test_allocate_refuses_a_weight_that_is_not_an_int_fraction_or_decimal(weights):
    with pytest.raises(TypeError, match="weights must be int, Fraction or Decimal"):
        allocate(10, weights)


@pytest.mark.parametrize(
    ("total", "kind"), [(True, "bool"), (10.0, "float"), (Decimal(10), "Decimal")]
)
def test_allocate_refuses_a_total_that_is_not_an_int(total, kind):
    with pytest.raises(TypeError, match=exactly(f"total must be an int, not {kind}")):
        allocate(total, [1, 1])


# --- allocate: the sum ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        (100, [1, 1, 1]),
        (-100, [1, 1, 1]),
        (1, [1, 1, 1, 1, 1, 1, 1]),
        (-1, [1, 1, 1, 1, 1, 1, 1]),
        (10**17 + 3, [Fraction(1, 3), Decimal("0.7"), 5, 0]),
        (-(10**17) - 3, [Decimal("0.1")] * 9),
        (999, [7, 11, 13, 17]),
    ],
)
def test_allocate_parts_add_up_to_the_total(total, weights):
    assert sum(allocate(total, weights)) == total
