"""Conversion of convertible instruments (SAFE, BSA AIR, note) into shares at a priced round.

Every quantity is an exact ``Fraction`` until the very end. An instrument converts its amount
(the principal, plus accrued interest for a note) at the lowest price it is entitled to: the
round price, the round price less its discount, or its valuation cap's price. The holder then
receives the whole number of shares below ``amount / price``; the fraction left over is recorded
in ``ConversionResult.fraction_dropped`` and is never paid out here.

Cap prices:

- a pre-money cap (pre-money SAFE, BSA AIR, note) is divided by the company's fully diluted
  capitalisation before the round and before any conversion;
- a post-money SAFE's cap buys the fraction ``principal / cap`` of the capitalisation that
  includes every converting instrument (but not the round's new money). With several of them
  converting together that capitalisation is a fixed point, solved exactly by
  :func:`_capitalisation_with_post_money_safes`.

Accrued interest on a note is counted ACT/365 and rounded once to the minor unit, half up, as
every amount computed from a rate is. Annual compounding compounds each full 365-day year
exactly and adds simple interest on the compounded balance for the days left over.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Any

from apps.core.money import (
    COMPUTED_AMOUNT_ROUNDING,
    CurrencyMismatch,
    Money,
    minor_unit_digits,
    round_fraction,
)

KINDS = ("safe", "bsa_air", "note")
COMPOUNDING = ("simple", "annual")
DAYS_PER_YEAR = 365  # ACT/365


def _exact_ratio(value: object, name: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise ValueError(f"{name} is an exact ratio (Fraction, Decimal or int)")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} is not a number")
    return Fraction(value)


def _major_units(amount: Money) -> Fraction:
    return Fraction(amount.amount_minor, 10 ** minor_unit_digits(amount.currency))


def _post_money_cap(terms: "ConvertibleTerms") -> Fraction:
    """Return the post-money cap of ``terms``, in major units; refuse terms without one."""
    if terms.post_money_cap is None:
        raise ValueError(f"a {terms.kind} without a post-money cap has none to convert at")
    return _major_units(terms.post_money_cap)


def _fraction_to_json(value: Fraction | None) -> str | None:
    return None if value is None else f"{value.numerator}/{value.denominator}"


def _fraction_from_json(value: object, name: str) -> Fraction | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} is written as an 'n/d' string")
    return Fraction(value)


def _amount_from_json(value: object, name: str) -> Money | None:
    if value is None:
        return None
    try:
        return Money.from_json(value)
    except ValueError as error:
        raise ValueError(f"{name} is not an amount: {error}") from None


@dataclass(frozen=True)
class ConvertibleTerms:
    """The terms of one convertible instrument that matter when it converts.

    ``discount`` is taken off the round price (``Fraction(20, 100)`` for 20 %). ``post_money``
    only concerns a SAFE with a cap: whether the cap is a post-money or a pre-money valuation;
    a BSA AIR and a note always have a pre-money cap. ``interest_rate`` is annual and only for
    notes, accruing from ``issue_date``.
    """

    kind: str
    principal: Money
    valuation_cap: Money | None = None
    discount: Fraction | None = None
    post_money: bool = True
    interest_rate: Fraction | None = None
    compounding: str = "simple"
    issue_date: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}, not {self.kind!r}")
        if not isinstance(self.principal, Money) or self.principal.amount_minor <= 0:
            raise ValueError("the principal is a positive amount")
        if self.valuation_cap is not None:
            if not isinstance(self.valuation_cap, Money) or self.valuation_cap.amount_minor <= 0:
                raise ValueError("the valuation cap is a positive amount")
            if self.valuation_cap.currency != self.principal.currency:
                raise ValueError("the valuation cap is in the currency of the principal")
        if self.discount is not None:
            object.__setattr__(self, "discount", _exact_ratio(self.discount, "discount"))
            if not 0 <= self.discount < 1:
                raise ValueError("the discount is at least 0 and below 1")
        if type(self.post_money) is not bool:
            raise ValueError("post_money is True or False")
        if self.interest_rate is not None:
            if self.kind != "note":
                raise ValueError("only a note accrues interest")
            rate = _exact_ratio(self.interest_rate, "interest_rate")
            object.__setattr__(self, "interest_rate", rate)
            if rate < 0:
                raise ValueError("the interest rate is not negative")
            if rate > 0 and self.issue_date is None:
                raise ValueError("a note accruing interest needs its issue date")
        if self.compounding not in COMPOUNDING:
            raise ValueError(f"compounding is one of {', '.join(COMPOUNDING)}")
        if self.issue_date is not None and not isinstance(self.issue_date, date):
            raise ValueError("the issue date is a date")
        if self.post_money_cap is not None and self.principal >= self.post_money_cap:
            raise ValueError("a post-money SAFE's principal is below its valuation cap")

    @property
    def uses_post_money_cap(self) -> bool:
        """Say whether this is a SAFE whose cap is a post-money valuation."""
        return self.kind == "safe" and self.post_money and self.valuation_cap is not None

    @property
    def post_money_cap(self) -> Money | None:
        """Return the cap if it is a post-money valuation, else ``None``."""
        return self.valuation_cap if self.uses_post_money_cap else None

    @property
    def discount_factor(self) -> Fraction:
        """Return the share of the round price this instrument pays (``1 - discount``)."""
        return 1 - (self.discount or Fraction(0))

    def to_json(self) -> dict[str, Any]:
        """Return these terms as JSON-ready data; :meth:`from_json` reads it back exactly.

        Amounts are written as :meth:`Money.to_json` writes them, an absent cap as ``None``.
        """
        return {
            "kind": self.kind,
            "principal": self.principal.to_json(),
            "valuation_cap": None if self.valuation_cap is None else self.valuation_cap.to_json(),
            "discount": _fraction_to_json(self.discount),
            "post_money": self.post_money,
            "interest_rate": _fraction_to_json(self.interest_rate),
            "compounding": self.compounding,
            "issue_date": None if self.issue_date is None else self.issue_date.isoformat(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ConvertibleTerms":
        """Build terms from the data :meth:`to_json` writes."""
        if not isinstance(data, Mapping) or "kind" not in data or "principal" not in data:
            raise ValueError("convertible terms need at least a kind and a principal")
        issue_date = data.get("issue_date")
        principal = _amount_from_json(data["principal"], "principal")
        if principal is None:
            raise ValueError("the principal is a positive amount")
        try:
            return cls(
                kind=data["kind"],
                principal=principal,
                valuation_cap=_amount_from_json(data.get("valuation_cap"), "valuation_cap"),
                discount=_fraction_from_json(data.get("discount"), "discount"),
                post_money=data.get("post_money", True),
                interest_rate=_fraction_from_json(data.get("interest_rate"), "interest_rate"),
                compounding=data.get("compounding", "simple"),
                issue_date=None if issue_date is None else date.fromisoformat(issue_date),
            )
        except (TypeError, ZeroDivisionError) as error:
            raise ValueError(f"invalid convertible terms: {error}") from None


@dataclass(frozen=True)
class RoundTerms:
    """The priced round the instruments convert at.

    ``price_per_share`` is in major units of ``currency``. ``pre_money_fully_diluted_shares``
    is the company's fully diluted capitalisation before the round and before any conversion:
    the denominator of every cap price.
    """

    price_per_share: Fraction
    pre_money_fully_diluted_shares: Fraction | int
    conversion_date: date
    currency: str

    def __post_init__(self) -> None:
        price = _exact_ratio(self.price_per_share, "price_per_share")
        shares = _exact_ratio(self.pre_money_fully_diluted_shares, "fully diluted shares")
        if price <= 0:
            raise ValueError("the round price is positive")
        if shares <= 0:
            raise ValueError("the fully diluted capitalisation before the round is positive")
        object.__setattr__(self, "price_per_share", price)
        object.__setattr__(self, "pre_money_fully_diluted_shares", shares)
        minor_unit_digits(self.currency)


@dataclass(frozen=True)
class ConversionResult:
    """What one instrument converts into.

    ``shares`` is the whole number of shares issued, ``floor(amount / price)``;
    ``fraction_dropped`` is the part of a share left over, so that
    ``(shares + fraction_dropped) * price == amount`` exactly.
    """

    shares: int
    fraction_dropped: Fraction
    price: Fraction
    amount: Fraction


def conversion_amount(terms: ConvertibleTerms, *, on: date) -> Fraction:
    """Return the amount that converts on ``on``, in major units: principal plus interest."""
    if terms.interest_rate is None or terms.interest_rate == 0:
        return _major_units(terms.principal)
    if terms.issue_date is None:  # the terms refuse this already; here it names the date
        raise ValueError("a note accruing interest needs its issue date")
    days = (on - terms.issue_date).days
    if days < 0:
        raise ValueError("a note cannot convert before it is issued")
    rate = terms.interest_rate
    if terms.compounding == "simple":
        growth = rate * days / DAYS_PER_YEAR
    else:
        years, rest = divmod(days, DAYS_PER_YEAR)
        growth = (1 + rate) ** years * (1 + rate * rest / DAYS_PER_YEAR) - 1
    principal_minor = terms.principal.amount_minor
    interest_minor = round_fraction(principal_minor * growth, COMPUTED_AMOUNT_ROUNDING)
    return _major_units(Money(principal_minor + interest_minor, terms.principal.currency))


def _check_currency(terms: ConvertibleTerms, round: RoundTerms) -> None:
    if terms.principal.currency != round.currency:
        raise CurrencyMismatch(
            f"a {terms.principal.currency} instrument cannot convert in a {round.currency} round"
        )


def _price_without_post_money_cap(terms: ConvertibleTerms, round: RoundTerms) -> Fraction:
    """Return the lowest of the round price, the discounted price and a pre-money cap price."""
    price = round.price_per_share * terms.discount_factor
    if terms.valuation_cap is not None and not terms.uses_post_money_cap:
        cap_price = _major_units(terms.valuation_cap) / round.pre_money_fully_diluted_shares
        price = min(price, cap_price)
    return price


def _capitalisation_with_post_money_safes(
    base: Fraction, safes: Sequence[tuple[Fraction, Fraction]]
) -> Fraction:
    """Solve ``T = base + sum(max(f * T, s))`` exactly for the capitalisation ``T``.

    ``base`` is the fully diluted capitalisation before the round plus the shares of every
    instrument without a post-money cap; each post-money SAFE is ``(f, s)``: the fraction
    ``principal / cap`` its cap buys, and the shares it would get at its best other price.
    A SAFE takes whichever is more, so its cap applies exactly when ``T >= s / f``.

    The right-hand side grows with ``T`` at a slope of at most ``sum(f) < 1``, so the equation
    has exactly one root. Within the range between two consecutive thresholds ``s / f`` it is
    linear, and its root there is in closed form; the root lies in the one range that contains
    it, which is found by trying each in turn.
    """
    if sum(f for f, _ in safes) >= 1:
        raise ValueError("post-money SAFEs cannot together own the whole company")
    by_threshold = sorted(safes, key=lambda safe: safe[1] / safe[0])
    thresholds = [s / f for f, s in by_threshold]
    for capped in range(len(by_threshold) + 1):
        owned = sum(f for f, _ in by_threshold[:capped])
        uncapped = sum(s for _, s in by_threshold[capped:])
        total = (base + uncapped) / (1 - owned)
        below = capped == 0 or thresholds[capped - 1] <= total
        above = capped == len(by_threshold) or total <= thresholds[capped]
        if below and above:
            return total
    raise ArithmeticError("no capitalisation satisfies the post-money SAFEs")  # pragma: no cover


def _result(amount: Fraction, price: Fraction) -> ConversionResult:
    exact = amount / price
    shares = floor(exact)
    return ConversionResult(
        shares=shares, fraction_dropped=exact - shares, price=price, amount=amount
    )


def convert_all(
    instruments: Sequence[ConvertibleTerms], round: RoundTerms
) -> list[ConversionResult]:
    """Convert ``instruments`` together in ``round``; return their results in the same order.

    Instruments without a post-money cap convert at their own price. Post-money SAFEs share one
    capitalisation ``T`` that includes every converting instrument; a SAFE whose cap applies
    converts at ``cap / T`` and so receives ``principal / cap * T`` shares.
    """
    for terms in instruments:
        _check_currency(terms, round)
    amounts = [conversion_amount(terms, on=round.conversion_date) for terms in instruments]
    prices = [_price_without_post_money_cap(terms, round) for terms in instruments]
    post_money = [i for i, terms in enumerate(instruments) if terms.uses_post_money_cap]
    if post_money:
        others = sum(
            (amounts[i] / prices[i] for i in range(len(instruments)) if i not in post_money),
            Fraction(0),
        )
        safes = [
            (
                _major_units(instruments[i].principal) / _post_money_cap(instruments[i]),
                amounts[i] / prices[i],
            )
            for i in post_money
        ]
        total = _capitalisation_with_post_money_safes(
            round.pre_money_fully_diluted_shares + others, safes
        )
        for i in post_money:
            prices[i] = min(prices[i], _post_money_cap(instruments[i]) / total)
    return [_result(amount, price) for amount, price in zip(amounts, prices, strict=True)]


def convert(terms: ConvertibleTerms, round: RoundTerms) -> ConversionResult:
    """Convert one instrument alone in ``round``."""
    return convert_all([terms], round)[0]


def conversion_price(terms: ConvertibleTerms, round: RoundTerms) -> Fraction:
    """Return the price per share at which ``terms`` converts alone in ``round``."""
    return convert(terms, round).price
