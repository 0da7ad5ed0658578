"""Units: exact to ten decimals, worked-out units rounded down, written without exponents."""

from decimal import Decimal

import pytest

from apps.captable.quantities import quantity_text, units_rounded


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Decimal("1.00000000009"), Decimal("1.0000000000")),
        (Decimal("2") / Decimal("3"), Decimal("0.6666666666")),
        (Decimal("-2") / Decimal("3"), Decimal("-0.6666666666")),
        (Decimal("5"), Decimal("5.0000000000")),
    ],
)
def test_worked_out_units_are_rounded_down_to_ten_decimals(value, rounded):
    assert units_rounded(value) == rounded
    assert units_rounded(value).as_tuple().exponent == -10


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1E+40"), "1" + "0" * 40),
        (Decimal("1.500"), "1.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("0.0000000001"), "0.0000000001"),
        (Decimal("-3.10"), "-3.1"),
        (7, "7"),
        (Decimal("Infinity"), "Infinity"),
    ],
)
def test_a_quantity_is_written_exactly_without_exponent_or_trailing_zeros(value, text):
    assert quantity_text(value) == text
