"""Conversion of convertible instruments (SAFE, BSA AIR, note) into shares at a priced round.

Every quantity is an exact ``Fraction`` until the very end. An instrument converts its amount
(the principal, plus accrued interest for a note) at the lowest price it is entitled to: the
round price, the round price less its discount, or its valuation cap's price. The holder then
receives the whole number of shares below ``amount / price``; the fraction left over is recorded
in ``ConversionResult.fraction_dropped`` and is never paid out here.

Cap prices. An instrument divides its valuation cap (and a BSA AIR its valuation floor) by a
capitalisation its form defines (:class:`Capitalisation`). It always counts the shares, options
and warrants outstanding before the round; beyond them, each standard form says whether it
counts the plan's unallocated pool, the pool increase made in the round, and the shares the
converting instruments receive (itself included). The defaults, from the standard forms:

======================================  ================  ===========  ======================
form                                    unallocated pool  pool top-up  converting instruments
======================================  ================  ===========  ======================
pre-money SAFE (Y Combinator, original)  yes               yes          no
post-money SAFE (Y Combinator, 2018)    yes               no           yes
BSA AIR (French standard terms)         yes               no           no
note (set on each note)                 yes               no           no
======================================  ================  ===========  ======================

- The pre-money SAFE's "Company Capitalization" counts the shares reserved and available under
  the equity incentive plan and any plan increase made in connection with the equity
  financing, and leaves out SAFEs and notes.
- The post-money SAFE's counts every converting security and the unissued option pool, but not
  the pool increase of the round. With several instruments counting the conversions together
  the capitalisation is a fixed point, solved exactly by :func:`_conversion_shares`.
- The BSA AIR's counts the shares on a fully diluted basis before the round (the pool included)
  and neither the BSA AIR themselves nor the round's pool. A BSA AIR may carry a valuation
  floor below which its price does not fall; on exercise its holder pays the nominal value of
  each share, so it receives ``amount / (price - nominal)`` shares.
- Notes differ from one form to another: their capitalisation is set on each note.

Stated prices. Prices are exact fractions unless the round states its prices rounded to
``price_decimals`` decimals, as term sheets commonly do (4): then the capitalisations and the
conversions counting them are solved exactly, and each instrument's conversion price (the round
price less its discount, or its cap's or floor's price) is rounded half up to that many decimals,
as the documents state it, before its shares are counted, so that they match the term sheet to
the share.

Accrued interest on a note is counted ACT/365 and rounded once to the minor unit, half up, as
every amount computed from a rate is. Annual compounding compounds each full 365-day year
exactly and adds simple interest on the compounded balance for the days left over.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, astuple, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import floor
from typing import Any, cast

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
class Capitalisation:
    """What the capitalisation an instrument divides its cap by counts, beyond the shares,
    options and warrants outstanding before the round.

    ``unallocated_pool``: the plan's shares reserved and not yet granted; ``pool_top_up``: the
    pool increase made in the round; ``converting_instruments``: the shares every converting
    instrument receives, this one included.
    """

    unallocated_pool: bool
    pool_top_up: bool
    converting_instruments: bool

    def __post_init__(self) -> None:
        if not all(type(value) is bool for value in astuple(self)):
            raise ValueError("a capitalisation says True or False for each part it counts")

    def to_json(self) -> dict[str, bool]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> "Capitalisation":
        if not isinstance(data, Mapping) or set(data) != set(CAPITALISATION_PARTS):
            raise ValueError(f"a capitalisation names exactly {', '.join(CAPITALISATION_PARTS)}")
        return cls(**data)


CAPITALISATION_PARTS = ("unallocated_pool", "pool_top_up", "converting_instruments")
PRE_MONEY_SAFE = Capitalisation(
    unallocated_pool=True, pool_top_up=True, converting_instruments=False
)
POST_MONEY_SAFE = Capitalisation(
    unallocated_pool=True, pool_top_up=False, converting_instruments=True
)
BSA_AIR = Capitalisation(unallocated_pool=True, pool_top_up=False, converting_instruments=False)
NOTE = Capitalisation(unallocated_pool=True, pool_top_up=False, converting_instruments=False)


STANDARD_CAPITALISATIONS = {
    ("safe", True): POST_MONEY_SAFE,
    ("safe", False): PRE_MONEY_SAFE,
    ("bsa_air", True): BSA_AIR,
    ("bsa_air", False): BSA_AIR,
    ("note", True): NOTE,
    ("note", False): NOTE,
}


def standard_capitalisation(kind: str, *, post_money: bool = True) -> Capitalisation:
    """Return the capitalisation the standard form of ``kind`` divides its cap by."""
    return STANDARD_CAPITALISATIONS[(kind, post_money)]


@dataclass(frozen=True)
class ConvertibleTerms:
    """The terms of one convertible instrument that matter when it converts.

    ``discount`` is taken off the round price (``Fraction(20, 100)`` for 20 %). ``post_money``
    only concerns a SAFE: whether it is the post-money or the pre-money form, which sets the
    default ``capitalisation`` (see the module's table); any instrument may state its own.
    ``interest_rate`` is annual and only for notes, accruing from ``issue_date``. Only a BSA
    AIR carries a ``valuation_floor`` and a ``nominal_value`` (per share, in major units).
    """

    kind: str
    principal: Money
    valuation_cap: Money | None = None
    discount: Fraction | None = None
    post_money: bool = True
    interest_rate: Fraction | None = None
    compounding: str = "simple"
    issue_date: date | None = None
    capitalisation: Capitalisation | None = None
    valuation_floor: Money | None = None
    nominal_value: Fraction | None = None

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
        if self.capitalisation is None:
            object.__setattr__(
                self,
                "capitalisation",
                standard_capitalisation(self.kind, post_money=self.post_money),
            )
        elif not isinstance(self.capitalisation, Capitalisation):
            raise ValueError("the capitalisation is a Capitalisation")
        self._check_bsa_air_terms()
        if self.post_money_cap is not None and self.principal >= self.post_money_cap:
            raise ValueError("a post-money SAFE's principal is below its valuation cap")

    def _check_bsa_air_terms(self) -> None:
        floor = self.valuation_floor
        if floor is not None:
            if self.kind != "bsa_air":
                raise ValueError("only a BSA AIR carries a valuation floor")
            if not isinstance(floor, Money) or floor.amount_minor <= 0:
                raise ValueError("the valuation floor is a positive amount")
            if floor.currency != self.principal.currency:
                raise ValueError("the valuation floor is in the currency of the principal")
            if self.valuation_cap is not None and floor > self.valuation_cap:
                raise ValueError("the valuation floor is not above the valuation cap")
        if self.nominal_value is not None:
            if self.kind != "bsa_air":
                raise ValueError("only a BSA AIR has its holder pay the nominal value")
            nominal = _exact_ratio(self.nominal_value, "nominal_value")
            object.__setattr__(self, "nominal_value", nominal)
            if nominal < 0:
                raise ValueError("the nominal value is not negative")
            if nominal and self.counts_conversions:
                raise ValueError(
                    "a BSA AIR paying the nominal value converts on a capitalisation "
                    "that does not count the converting instruments"
                )

    @property
    def counted(self) -> Capitalisation:
        """Return the capitalisation this instrument divides its cap by (set on creation)."""
        return cast(Capitalisation, self.capitalisation)

    @property
    def counts_conversions(self) -> bool:
        """Say whether the capitalisation this instrument divides by counts the conversions."""
        return self.counted.converting_instruments

    @property
    def uses_post_money_cap(self) -> bool:
        """Say whether the cap is a post-money valuation: divided by a capitalisation that
        counts the converting instruments, as the post-money SAFE's is."""
        return self.counts_conversions and self.valuation_cap is not None

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
            "capitalisation": self.counted.to_json(),
            "valuation_floor": (
                None if self.valuation_floor is None else self.valuation_floor.to_json()
            ),
            "nominal_value": _fraction_to_json(self.nominal_value),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ConvertibleTerms":
        """Build terms from the data :meth:`to_json` writes."""
        if not isinstance(data, Mapping) or "kind" not in data or "principal" not in data:
            raise ValueError("convertible terms need at least a kind and a principal")
        issue_date = data.get("issue_date")
        capitalisation = data.get("capitalisation")
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
                capitalisation=(
                    None if capitalisation is None else Capitalisation.from_json(capitalisation)
                ),
                valuation_floor=_amount_from_json(data.get("valuation_floor"), "valuation_floor"),
                nominal_value=_fraction_from_json(data.get("nominal_value"), "nominal_value"),
            )
        except (TypeError, ZeroDivisionError) as error:
            raise ValueError(f"invalid convertible terms: {error}") from None


@dataclass(frozen=True)
class RoundTerms:
    """The priced round the instruments convert at.

    ``price_per_share`` is in major units of ``currency``. ``pre_money_fully_diluted_shares``
    is the company's fully diluted capitalisation before the round and before any conversion,
    ``unallocated_pool`` the part of it reserved under a plan and not yet granted, and
    ``pool_top_up`` the pool increase the round makes: from these each instrument's
    :class:`Capitalisation` makes the denominator of its cap price. ``price_decimals``, when
    set, is the number of decimals the round states its prices to (see the module's "Stated
    prices").
    """

    price_per_share: Fraction
    pre_money_fully_diluted_shares: Fraction | int
    conversion_date: date
    currency: str
    unallocated_pool: Fraction | int = 0
    pool_top_up: Fraction | int = 0
    price_decimals: int | None = None

    def __post_init__(self) -> None:
        price = _exact_ratio(self.price_per_share, "price_per_share")
        shares = _exact_ratio(self.pre_money_fully_diluted_shares, "fully diluted shares")
        unallocated = _exact_ratio(self.unallocated_pool, "unallocated_pool")
        top_up = _exact_ratio(self.pool_top_up, "pool_top_up")
        if price <= 0:
            raise ValueError("the round price is positive")
        if shares <= 0:
            raise ValueError("the fully diluted capitalisation before the round is positive")
        if not 0 <= unallocated < shares:
            raise ValueError("the unallocated pool is part of the fully diluted capitalisation")
        if top_up < 0:
            raise ValueError("the pool top-up is not negative")
        decimals = self.price_decimals
        if decimals is not None and (
            isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 12
        ):
            raise ValueError("a round states its prices to between 0 and 12 decimals")
        object.__setattr__(self, "price_per_share", price)
        object.__setattr__(self, "pre_money_fully_diluted_shares", shares)
        object.__setattr__(self, "unallocated_pool", unallocated)
        object.__setattr__(self, "pool_top_up", top_up)
        minor_unit_digits(self.currency)

    def stated(self, price: Fraction) -> Fraction:
        """Return ``price`` as the round states it: rounded half up to ``price_decimals``
        decimals when the round sets them, else exactly. A price that would state as zero is
        refused."""
        if self.price_decimals is None:
            return price
        scale = 10**self.price_decimals
        stated = Fraction(round_fraction(price * scale, ROUND_HALF_UP), scale)
        if stated <= 0:
            raise ValueError(
                f"the price {Decimal(price.numerator) / price.denominator:.3g} states as zero "
                f"to {self.price_decimals} decimals"
            )
        return stated

    def capitalisation(self, definition: Capitalisation) -> Fraction:
        """Return the capitalisation ``definition`` counts, before any conversion."""
        total = Fraction(self.pre_money_fully_diluted_shares)
        if not definition.unallocated_pool:
            total -= self.unallocated_pool
        if definition.pool_top_up:
            total += self.pool_top_up
        return total


@dataclass(frozen=True)
class ConversionResult:
    """What one instrument converts into.

    ``shares`` is the whole number of shares issued, ``floor(amount / (price - nominal))``
    where a BSA AIR's holder pays the ``nominal_value`` of each share on exercise (nothing
    otherwise); ``fraction_dropped`` is the part of a share left over, so that
    ``(shares + fraction_dropped) * (price - nominal_value) == amount`` exactly.
    """

    shares: int
    fraction_dropped: Fraction
    price: Fraction
    amount: Fraction
    nominal_value: Fraction = Fraction(0)


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


def _price(terms: ConvertibleTerms, round: RoundTerms, capitalisation: Fraction) -> Fraction:
    """Return the price ``terms`` converts at on ``capitalisation``: the discounted round
    price, no higher than its cap's price and no lower than its floor's."""
    price = round.price_per_share * terms.discount_factor
    if terms.valuation_cap is not None:
        price = min(price, _major_units(terms.valuation_cap) / capitalisation)
    if terms.valuation_floor is not None:
        price = max(price, _major_units(terms.valuation_floor) / capitalisation)
    return price


def _exact_shares(amount: Fraction, price: Fraction, nominal: Fraction) -> Fraction:
    if price <= nominal:
        raise ValueError(f"the conversion price {price} does not exceed the nominal value")
    return amount / (price - nominal)


def check_ownership(counting: Sequence[tuple[ConvertibleTerms, Fraction]]) -> None:
    """Refuse instruments counting the conversions whose caps (or floors) would together own
    the whole company: ``sum(amount / (floor or cap)) >= 1``, given each with its amount."""
    owned = Fraction(0)
    for terms, amount in counting:
        steepest = terms.valuation_floor or terms.valuation_cap
        if steepest is not None:
            owned += amount / _major_units(steepest)
    if owned >= 1:
        raise ValueError("post-money SAFEs cannot together own the whole company")


def _conversion_shares(
    fixed: Fraction,
    counting: Sequence[tuple[ConvertibleTerms, Fraction, Fraction]],
    round: RoundTerms,
) -> Fraction:
    """Solve ``S = fixed + sum(amount / price(base + S))`` exactly for the conversion shares.

    ``fixed`` is what the instruments whose capitalisation does not count the conversions
    receive; each of the others is ``(terms, amount, base)`` and divides its cap and floor by
    ``base + S``. Each receives ``amount / price``, which is linear in ``S`` between the points
    where its cap or its floor starts to apply, with a slope of ``amount / cap`` (or
    ``amount / floor``) at most. Those slopes add up to less than 1, so ``S`` minus the right
    side strictly grows and has exactly one root: between two consecutive points everything is
    linear, and the root is found in closed form in the one range where the sign changes.
    """
    check_ownership([(terms, amount) for terms, amount, _ in counting])

    def excess(total: Fraction) -> Fraction:
        received = sum(
            amount / _price(terms, round, base + total) for terms, amount, base in counting
        )
        return fixed + received - total

    discounted = {terms: round.price_per_share * terms.discount_factor for terms, _, _ in counting}
    points = sorted(
        {
            _major_units(limit) / discounted[terms] - base
            for terms, _, base in counting
            for limit in (terms.valuation_cap, terms.valuation_floor)
            if limit is not None
        }
        | {fixed}
    )
    start = points.index(fixed)
    low, above = fixed, excess(fixed)
    for point in points[start + 1 :]:
        below = excess(point)
        if below <= 0:
            return low + above * (point - low) / (above - below)
        low, above = point, below
    return low + above / (above - excess(low + 1))


def _result(amount: Fraction, price: Fraction, nominal: Fraction) -> ConversionResult:
    exact = _exact_shares(amount, price, nominal)
    shares = floor(exact)
    return ConversionResult(
        shares=shares,
        fraction_dropped=exact - shares,
        price=price,
        amount=amount,
        nominal_value=nominal,
    )


def convert_all(
    instruments: Sequence[ConvertibleTerms], round: RoundTerms
) -> list[ConversionResult]:
    """Convert ``instruments`` together in ``round``; return their results in the same order.

    Each divides its cap (and floor) by the capitalisation its terms define. Where that counts
    the conversions, every such instrument shares one capitalisation fixed point (a post-money
    SAFE whose cap applies receives ``principal / cap`` of it). Each price is then stated as
    the round states its prices (:meth:`RoundTerms.stated`).
    """
    for terms in instruments:
        _check_currency(terms, round)
    amounts = [conversion_amount(terms, on=round.conversion_date) for terms in instruments]
    bases = [round.capitalisation(terms.counted) for terms in instruments]
    counting = [i for i, terms in enumerate(instruments) if terms.counts_conversions]
    capitalisations = list(bases)
    if counting:
        fixed = sum(
            (
                _exact_shares(amounts[i], _price(terms, round, bases[i]), _nominal(terms))
                for i, terms in enumerate(instruments)
                if i not in counting
            ),
            Fraction(0),
        )
        total = _conversion_shares(
            fixed, [(instruments[i], amounts[i], bases[i]) for i in counting], round
        )
        for i in counting:
            capitalisations[i] = bases[i] + total
    return [
        _result(amount, round.stated(_price(terms, round, capitalisation)), _nominal(terms))
        for terms, amount, capitalisation in zip(instruments, amounts, capitalisations, strict=True)
    ]


def _nominal(terms: ConvertibleTerms) -> Fraction:
    return terms.nominal_value or Fraction(0)


def convert(terms: ConvertibleTerms, round: RoundTerms) -> ConversionResult:
    """Convert one instrument alone in ``round``."""
    return convert_all([terms], round)[0]


def conversion_price(terms: ConvertibleTerms, round: RoundTerms) -> Fraction:
    """Return the price per share at which ``terms`` converts alone in ``round``."""
    return convert(terms, round).price
