"""Money has one JSON shape: a decimal string with exactly the currency's decimals, and its code.

Whatever ``Money.to_json`` writes reads back exactly; ``Money.from_json`` refuses anything it
would not have written.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from apps.core.money import LARGEST_AMOUNT_MINOR, Money

# Every ISO 4217 code of money (a fund or metal code has no minor unit).
MONEY_CURRENCIES = sorted(code.value for code in Currency if code.exponent is not None)


@pytest.mark.parametrize(
    ("money", "written"),
    [
        (Money(123456, "EUR"), {"amount": "1234.56", "currency": "EUR"}),
        (Money(1234, "JPY"), {"amount": "1234", "currency": "JPY"}),
        (Money(-5, "EUR"), {"amount": "-0.05", "currency": "EUR"}),
        (Money(-1234, "JPY"), {"amount": "-1234", "currency": "JPY"}),
        (Money(0, "EUR"), {"amount": "0.00", "currency": "EUR"}),
        (Money(0, "JPY"), {"amount": "0", "currency": "JPY"}),
        (Money(1, "BHD"), {"amount": "0.001", "currency": "BHD"}),
        (Money(-10_000, "CLF"), {"amount": "-1.0000", "currency": "CLF"}),
        (Money(1234, "IQD"), {"amount": "1.234", "currency": "IQD"}),
        (Money(LARGEST_AMOUNT_MINOR, "EUR"), {"amount": "92233720368547758.07", "currency": "EUR"}),
    ],
)
def test_an_amount_is_written_in_major_units_with_exactly_the_currencys_decimals(money, written):
    assert money.to_json() == written
    assert Money.from_json(written) == money


def test_the_written_amount_survives_a_trip_through_json_text():
    money = Money(-123456789, "EUR")

    assert Money.from_json(json.loads(json.dumps(money.to_json()))) == money


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "1.00"},
        {"currency": "EUR"},
        {},
        {"amount": "1.00", "currency": "EUR", "rate": "2"},
        {"amount_minor": 100, "currency": "EUR"},
        {"money": [100, "EUR"]},
    ],
)
def test_an_object_without_exactly_the_two_keys_is_refused(data):
    with pytest.raises(ValueError, match="an amount is"):
        Money.from_json(data)


@pytest.mark.parametrize("data", [None, "1.00 EUR", ["1.00", "EUR"], ("1.00", "EUR"), 100])
def test_a_value_that_is_not_an_object_is_refused(data):
    with pytest.raises(ValueError, match="an amount is"):
        Money.from_json(data)


@pytest.mark.parametrize("amount", [100, 1.0, 1.5, True, None, ["1.00"]])
def test_an_amount_that_is_not_a_string_is_refused(amount):
    with pytest.raises(ValueError, match="decimal string"):
        Money.from_json({"amount": amount, "currency": "EUR"})


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1.5", "EUR"),
        ("1.500", "EUR"),
        ("1", "EUR"),
        ("1.0", "JPY"),
        ("1.00", "JPY"),
        ("1.23", "BHD"),
        ("1.000", "CLF"),
    ],
)
def test_an_amount_with_other_decimals_than_the_currencys_is_refused(amount, currency):
    with pytest.raises(ValueError, match=f"exactly the .* decimals of {currency}"):
        Money.from_json({"amount": amount, "currency": currency})


@pytest.mark.parametrize(
    "amount",
    [
        "1e2",
        "1E2",
        "1.00e0",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "",
        "-",
        ".50",
        "1.",
        "1,00",
        "1_000.00",
        "+1.00",
        "01.00",
        "00.00",
        "--1.00",
        "0x10",
        "\u0661.\u0660\u0660",  # 1.00 in Arabic-Indic digits, which int() reads
        "\uff11.\uff10\uff10",  # 1.00 in fullwidth digits, which int() reads too
    ],
)
def test_an_amount_not_spelled_as_a_plain_decimal_is_refused(amount):
    with pytest.raises(ValueError, match="decimal string"):
        Money.from_json({"amount": amount, "currency": "EUR"})


@pytest.mark.parametrize(
    "amount", [" 1.00", "1.00 ", "\t1.00", "1.00\n", "\n1.00", "1 000.00", "- 1.00", "1.0 0"]
)
def test_an_amount_with_whitespace_is_refused(amount):
    with pytest.raises(ValueError, match="decimal string"):
        Money.from_json({"amount": amount, "currency": "EUR"})


@pytest.mark.parametrize(("amount", "currency"), [("-0.00", "EUR"), ("-0", "JPY")])
def test_minus_zero_is_refused(amount, currency):
    with pytest.raises(ValueError, match="zero is written without a minus sign"):
        Money.from_json({"amount": amount, "currency": currency})


@pytest.mark.parametrize(
    "currency", ["ZZZ", "eur", "Eur", "EURO", "EU", "", " EUR", "EUR ", "EUR\n", "978"]
)
def test_an_unknown_currency_is_refused(currency):
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.from_json({"amount": "1.00", "currency": currency})


@pytest.mark.parametrize("currency", ["XAU", "XXX", "XDR"])
def test_a_metal_or_fund_code_is_refused(currency):
    with pytest.raises(ValueError, match="no minor unit"):
        Money.from_json({"amount": "1", "currency": currency})


@pytest.mark.parametrize("currency", [978, None, ["EUR"], b"EUR"])
def test_a_currency_that_is_not_a_string_is_refused(currency):
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.from_json({"amount": "1.00", "currency": currency})


def test_an_amount_with_more_digits_than_python_reads_is_refused():
    with pytest.raises(ValueError):
        Money.from_json({"amount": "9" * 10_000 + ".00", "currency": "EUR"})


@given(
    amount_minor=st.integers(min_value=-(2**70), max_value=2**70),
    currency=st.sampled_from(MONEY_CURRENCIES),
)
def test_every_amount_reads_back_exactly_in_its_one_spelling(amount_minor, currency):
    money = Money(amount_minor, currency)

    written = json.loads(json.dumps(money.to_json()))

    assert Money.from_json(written) == money
    assert Money.from_json(written).to_json() == written
    assert written["amount"] == f"{money.to_decimal():f}"
