"""Exact money: integer amounts in a currency's ISO 4217 minor unit, and exact splitting.

An amount is never a float. ``Money(amount_minor=123456, currency="EUR")`` is EUR 1,234.56. The
number of minor-unit digits of each currency is ISO 4217's own (the ``iso4217`` package carries
the standard's data); CLDR, which babel uses for display, disagrees for a few currencies (it
gives the Iraqi dinar 0 digits where ISO gives 3), so ISO decides and babel only formats.

Splitting an amount among parties uses :func:`allocate`: the largest-remainder method, whose
parts always add up to the whole.

Stored as JSON, an amount has one shape, :meth:`Money.to_json`'s:
``{"amount": "1234.56", "currency": "EUR"}``, the amount a decimal string in major units with
exactly the currency's number of decimals. :meth:`Money.from_json` reads that shape and nothing
else, so that every stored amount reads back exactly and has one spelling.
"""

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cache
from math import lcm
from typing import TypeGuard

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from iso4217 import Currency

# The rounding of amounts computed from a rate (fees, preferred return, interest): half up,
# once, when the amount is computed.
COMPUTED_AMOUNT_ROUNDING = ROUND_HALF_UP

Weight = int | Fraction | Decimal

# Amounts are stored in BIGINT columns: a signed 64-bit count of the minor unit.
LARGEST_AMOUNT_MINOR = 2**63 - 1

# An amount on the wire: optional minus, whole units without leading zeros, then the decimals.
# ASCII digits only (``\d`` would take other scripts' digits, which ``int`` reads).
_JSON_AMOUNT = re.compile(r"(?P<sign>-?)(?P<units>0|[1-9][0-9]*)(?:\.(?P<decimals>[0-9]+))?")
_JSON_CURRENCY = re.compile(r"[A-Z]{3}")
# The keys of an amount in JSON, and only they: a stored object with exactly these is an amount.
MONEY_JSON_KEYS = frozenset({"amount", "currency"})


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined or ordered."""


@cache
def minor_unit_digits(currency: str) -> int:
    """Return how many decimal digits the minor unit of ``currency`` has (ISO 4217)."""
    try:
        exponent = Currency(currency).exponent
    except ValueError:
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code") from None
    if exponent is None:
        raise ValueError(f"{currency!r} has no minor unit (a fund or metal code, not money)")
    return exponent


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount: an integer count of ``currency``'s minor unit."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount_minor) is not int:
            raise TypeError(f"amount_minor must be an int, not {type(self.amount_minor).__name__}")
        minor_unit_digits(self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal, currency: str, *, rounding: str | None = None) -> "Money":
        """Convert ``value`` (in major units) exactly.

        A value with more decimals than the currency has is refused, unless ``rounding`` (a
        ``decimal`` rounding mode, ``COMPUTED_AMOUNT_ROUNDING`` for computed amounts) says how
        to round it.
        """
        if not isinstance(value, Decimal):
            raise TypeError(f"value must be a Decimal, not {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"{value} is not an amount")
        digits = minor_unit_digits(currency)
        scaled = value.scaleb(digits)
        integral = scaled.to_integral_value(rounding=rounding or ROUND_HALF_UP)
        if rounding is None and integral != scaled:
            raise ValueError(
                f"{value} has more decimals than {currency} allows ({digits}); "
                "pass a rounding mode to round it"
            )
        return cls(int(integral), currency)

    @classmethod
    def from_input(cls, value: Decimal, currency: str) -> "Money":
        """Convert an amount a person typed, in major units, to one that can be stored.

        Refused with a ``ValueError`` saying why: a value that is not a finite number, one with
        more decimals than the currency has, one beyond what an amount column holds
        (:meth:`out_of_range`). The size is checked first, on the decimal itself, so that
        neither a huge value nor a long one is ever converted.
        """
        if not isinstance(value, Decimal):
            raise TypeError(f"value must be a Decimal, not {type(value).__name__}")
        if value.is_finite():
            digits = minor_unit_digits(currency)
            if value.copy_abs() > Decimal(LARGEST_AMOUNT_MINOR).scaleb(-digits):
                raise ValueError(_out_of_range(value, currency))
            # Exact, whatever the number of digits typed (``from_decimal`` works in the default
            # context's 28 digits, which would round a longer value before checking it).
            if value != value.quantize(Decimal(1).scaleb(-digits)):
                raise ValueError(f"{value} has more decimals than {currency} allows ({digits}).")
        return cls.from_decimal(value, currency)

    def out_of_range(self) -> str | None:
        """Say why this amount does not fit an amount column, or ``None`` when it does."""
        if abs(self.amount_minor) <= LARGEST_AMOUNT_MINOR:
            return None
        return _out_of_range(self.amount_minor, self.currency)

    def to_decimal(self) -> Decimal:
        """Return the amount in major units, with exactly the currency's decimals."""
        return Decimal(self.amount_minor).scaleb(-minor_unit_digits(self.currency))

    def to_json(self) -> dict[str, str]:
        """Return the amount as JSON data: ``{"amount": "-0.05", "currency": "EUR"}``.

        The amount is in major units with exactly the currency's decimals (none for JPY).
        """
        digits = minor_unit_digits(self.currency)
        sign = "-" if self.amount_minor < 0 else ""
        units, decimals = divmod(abs(self.amount_minor), 10**digits)
        amount = f"{sign}{units}.{decimals:0{digits}d}" if digits else f"{sign}{units}"
        return {"amount": amount, "currency": self.currency}

    @classmethod
    def from_json(cls, data: object) -> "Money":
        """Read an amount written by :meth:`to_json`; refuse anything else with a ``ValueError``.

        Refused: a value that is not an object with exactly the keys ``amount`` and ``currency``;
        a currency that is not the ISO 4217 code of money; an amount that is not a string, or
        not spelled as :meth:`to_json` spells it (a JSON number, exponent notation, NaN or
        Infinity, a plus sign, spaces, leading zeros, minus zero, more or fewer decimals than
        the currency has).
        """
        if not isinstance(data, dict) or set(data) != MONEY_JSON_KEYS:
            raise ValueError(f"an amount is {{'amount': str, 'currency': str}}, not {data!r}")
        amount, currency = data["amount"], data["currency"]
        if not isinstance(currency, str) or not _JSON_CURRENCY.fullmatch(currency):
            raise ValueError(f"{currency!r} is not an ISO 4217 currency code")
        digits = minor_unit_digits(currency)
        if not isinstance(amount, str):
            raise ValueError(f"an amount is written as a decimal string, not {amount!r}")
        parts = _JSON_AMOUNT.fullmatch(amount)
        if parts is None:
            raise ValueError(f"{amount!r} is not an amount written as a decimal string")
        decimals = parts["decimals"] or ""
        if len(decimals) != digits:
            raise ValueError(
                f"{amount!r} does not have exactly the {digits} decimals of {currency}"
            )
        amount_minor = int(parts["units"] + decimals)
        if parts["sign"]:
            if amount_minor == 0:
                raise ValueError(f"{amount!r}: zero is written without a minus sign")
            amount_minor = -amount_minor
        return cls(amount_minor, currency)

    def format(self, locale: str = "en") -> str:
        """Render for display in ``locale``, with the currency's ISO number of decimals."""
        return _format(self.to_decimal(), self.currency, locale)

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"

    def _same_currency(self, other: object) -> "Money | None":
        """Return ``other`` if it is an amount in this currency, None if it is no amount."""
        if not isinstance(other, Money):
            return None
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: "Money") -> "Money":
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return Money(self.amount_minor + same.amount_minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return Money(self.amount_minor - same.amount_minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount_minor, self.currency)

    def __mul__(self, factor: int) -> "Money":
        # Only whole factors are exact; a rate goes through ``times`` with its rounding named.
        if type(factor) is not int:
            return NotImplemented
        return Money(self.amount_minor * factor, self.currency)

    __rmul__ = __mul__

    def times(self, ratio: Weight, *, rounding: str = COMPUTED_AMOUNT_ROUNDING) -> "Money":
        """Return this amount times ``ratio``, rounded once to the minor unit."""
        return Money(
            round_fraction(self.amount_minor * _as_fraction(ratio), rounding), self.currency
        )

    def allocate(self, weights: Sequence[Weight]) -> list["Money"]:
        """Split this amount in proportion to ``weights``; the parts add up to it exactly."""
        return [Money(part, self.currency) for part in allocate(self.amount_minor, weights)]

    def __lt__(self, other: "Money") -> bool:
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return self.amount_minor < same.amount_minor

    def __le__(self, other: "Money") -> bool:
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return self.amount_minor <= same.amount_minor

    def __gt__(self, other: "Money") -> bool:
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return self.amount_minor > same.amount_minor

    def __ge__(self, other: "Money") -> bool:
        same = self._same_currency(other)
        if same is None:
            return NotImplemented
        return self.amount_minor >= same.amount_minor


def _out_of_range(sign: int | Decimal, currency: str) -> str:
    """Refuse an amount beyond the largest an amount column holds, on the side of ``sign``."""
    largest = Decimal(LARGEST_AMOUNT_MINOR).scaleb(-minor_unit_digits(currency))
    if sign < 0:
        return f"The amount is too small: at least {-largest:,} {currency}."
    return f"The amount is too large: at most {largest:,} {currency}."


def round_fraction(value: Fraction, rounding: str = COMPUTED_AMOUNT_ROUNDING) -> int:
    """Round an exact fraction to an integer with a ``decimal`` rounding mode."""
    floor, remainder = divmod(value.numerator, value.denominator)
    # A stand-in with a short exact decimal expansion that lies on the same side of every
    # rounding boundary as the fraction itself: the integer, a quarter, a half or three quarters.
    twice = 2 * remainder
    if remainder == 0:
        stand_in = Decimal(floor)
    elif twice < value.denominator:
        stand_in = Decimal(floor) + Decimal("0.25")
    elif twice == value.denominator:
        stand_in = Decimal(floor) + Decimal("0.5")
    else:
        stand_in = Decimal(floor) + Decimal("0.75")
    return int(stand_in.to_integral_value(rounding=rounding))


def _as_fraction(weight: Weight) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, int | Fraction | Decimal):
        raise TypeError(f"weights must be int, Fraction or Decimal, not {type(weight).__name__}")
    if isinstance(weight, Fraction):
        return weight
    if isinstance(weight, Decimal) and not weight.is_finite():
        raise ValueError(f"weight {weight} is not a number")
    return Fraction(weight)


def _all_integers(weights: Sequence[Weight]) -> TypeGuard[Sequence[int]]:
    return all(type(weight) is int for weight in weights)


def _all_finite_decimals(weights: Sequence[Weight]) -> TypeGuard[Sequence[Decimal]]:
    return all(type(weight) is Decimal and weight.is_finite() for weight in weights)


def _decimals_as_integers(weights: Sequence[Decimal]) -> list[int]:
    """Bring decimals over one common denominator as exact integers."""
    ratios = [weight.as_integer_ratio() for weight in weights]
    common = lcm(*(denominator for _, denominator in ratios))
    return [numerator * (common // denominator) for numerator, denominator in ratios]


def allocate(total: int, weights: Sequence[Weight]) -> list[int]:
    """Split the integer ``total`` in proportion to ``weights`` by the largest-remainder method.

    Each part is its exact quota rounded down, and the units still missing go one each to the
    parts with the largest remainders; ties go to the larger weight, then the earlier position.
    The parts always add up to ``total``. A negative total is split as its opposite, negated,
    so that reversing an allocation reverses every part.
    """
    if type(total) is not int:
        raise TypeError(f"total must be an int, not {type(total).__name__}")
    if not weights:
        raise ValueError("allocate needs at least one weight")
    scaled: list[int]
    if _all_integers(weights):
        scaled = list(weights)  # already over a common denominator: the fast, common case
    elif _all_finite_decimals(weights):
        scaled = _decimals_as_integers(weights)
    else:
        fractions = [_as_fraction(weight) for weight in weights]
        # Over a common denominator every quota is an integer ratio with one divisor.
        denominator = lcm(*(weight.denominator for weight in fractions))
        scaled = [weight.numerator * (denominator // weight.denominator) for weight in fractions]
    if min(scaled) < 0:
        raise ValueError("weights cannot be negative")
    whole = sum(scaled)
    if whole == 0:
        raise ValueError("at least one weight must be positive")
    magnitude = abs(total)
    quotas = [divmod(magnitude * weight, whole) for weight in scaled]
    parts = [part for part, _ in quotas]
    missing = magnitude - sum(parts)
    if missing:
        # One sort key orders by remainder, then weight; the sort's stability keeps the earlier
        # position first among equals, reverse=True included.
        weight_span = max(scaled) + 1
        rank = [
            remainder * weight_span + weight
            for (_, remainder), weight in zip(quotas, scaled, strict=True)
        ]
        for i in sorted(range(len(parts)), key=rank.__getitem__, reverse=True)[:missing]:
            parts[i] += 1
    if total < 0:
        return [-part for part in parts]
    return parts


@cache
def _currency_pattern(locale: str, digits: int) -> NumberPattern:
    pattern = copy.copy(parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern))
    pattern.frac_prec = (digits, digits)
    return pattern


def _format(amount: Decimal, currency: str, locale: str) -> str:
    pattern = _currency_pattern(locale, minor_unit_digits(currency))
    # babel leaves ``apply`` unannotated; it returns the formatted text.
    formatted: str = pattern.apply(amount, locale, currency=currency, currency_digits=False)
    return formatted
