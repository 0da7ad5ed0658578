"""Pro-forma modelling of a priced round: who would hold what afterwards. Nothing is written.

The convention is the usual one in which the pre-money valuation includes the pool top-up and
the converting instruments, so that they dilute the existing holders and not the new money::

    price = pre_money / (fully diluted before + pool top-up + conversion shares)

The pool target is stated one of two ways (``POOL_TARGETS``), as a share ``p`` of the fully
diluted count after the round: ``"top_up"``, the new pool shares alone; ``"available_pool"``,
the pool available for grants after the round, the unallocated pool before it included (no
top-up when that already reaches the target). Since ``price * fully diluted after`` is the
post-money valuation, ``price * top-up`` is ``p * (pre_money + new money)``, less
``price * unallocated pool`` for the second.

Each convertible divides its cap (and a BSA AIR its floor) by the capitalisation its terms
define (:class:`apps.captable.conversion.Capitalisation`): a pre-money SAFE counts the pool
top-up, a post-money SAFE the conversions, a BSA AIR neither. The price is solved on exact,
unrounded share counts (see :func:`_round_price`), and checked against the conversions at that
price. Then every party's shares are rounded down to whole shares: new money
``floor(amount / price)``, convertibles as :mod:`apps.captable.conversion` rounds them, and the
pool top-up to the largest count that keeps the pool within ``p`` of the resulting table.
Where the term sheet states the price rounded to ``price_decimals`` decimals (commonly 4), the
price is solved exactly as above, then stated half up to that many decimals; new money and the
convertibles are counted at the stated price (each convertible's own price stated the same way,
see :meth:`apps.captable.conversion.RoundTerms.stated`), so that the table matches the term
sheet to the share. Displayed percentages are rounded to two decimals by largest remainder, so
they add up to exactly 100.00.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

from apps.captable.conversion import (
    Capitalisation,
    ConvertibleTerms,
    RoundTerms,
    check_ownership,
    conversion_amount,
    convert_all,
)
from apps.core.money import CurrencyMismatch, Money, allocate, minor_unit_digits

POOL_TOP_UP_HOLDER = "Pool: top-up"
# How a round states its pool target, as a share of the post-money fully diluted count:
# "top_up", the new shares alone; "available_pool", the pool available for grants after the
# round, the unallocated pool before it included.
POOL_TARGETS = ("top_up", "available_pool")


@dataclass(frozen=True)
class Holding:
    """A line of the fully diluted table before the round (options and pools included)."""

    holder: str
    share_class: str
    units: Fraction | int
    unallocated_pool: bool = False  # a plan's shares reserved and not yet granted

    def __post_init__(self) -> None:
        if isinstance(self.units, bool) or not isinstance(self.units, int | Fraction):
            raise ValueError("units are an int or a Fraction")
        if self.units < 0:
            raise ValueError("units are not negative")


@dataclass(frozen=True)
class ProFormaRow:
    """A line of the table after the round, with its share of the total in percent."""

    holder: str
    share_class: str
    units: Fraction | int
    percent: Decimal


@dataclass(frozen=True)
class ProForma:
    """The table after the round, the price per share it is priced at and its valuation."""

    price_per_share: Fraction
    rows: list[ProFormaRow]
    post_money: Money
    total_units: int | Fraction


def _major_units(amount: Money) -> Fraction:
    return Fraction(amount.amount_minor, 10 ** minor_unit_digits(amount.currency))


@dataclass(frozen=True)
class _Line:
    """``intercept + slope * price``: an amount that is affine in the round price."""

    intercept: Fraction
    slope: Fraction

    def at(self, price: Fraction) -> Fraction:
        return self.intercept + self.slope * price


@dataclass(frozen=True)
class _Round:
    """What the price is solved from: the holdings, the money and the pool, exactly."""

    fully_diluted: Fraction
    unallocated: Fraction
    pre_money: Fraction
    raised: Fraction
    pool: Fraction
    counts_unallocated: bool

    @property
    def clamp(self) -> Fraction | None:
        """The price from which the unallocated pool alone meets the target, if it can."""
        if self.counts_unallocated and self.unallocated and self.pool:
            return self.pool * (self.pre_money + self.raised) / self.unallocated
        return None

    def pool_line(self, price: Fraction) -> _Line:
        """Return ``price * top-up`` as a line, on the side of the clamp ``price`` lies on:
        the top-up's share of the post-money valuation, less the unallocated pool's where the
        target counts it, and nothing from the clamp on."""
        clamp = self.clamp
        if clamp is not None and price >= clamp:
            return _Line(Fraction(0), Fraction(0))
        value = self.pool * (self.pre_money + self.raised)
        return _Line(value, -self.unallocated if self.counts_unallocated else Fraction(0))

    def pool_top_up(self, price: Fraction) -> Fraction:
        return self.pool_line(price).at(price) / price


def _capitalisation_line(counted: Capitalisation, round: _Round, top_up: _Line) -> _Line:
    """Return ``price * C`` at the solution as a line, for the capitalisation ``C`` that
    ``counted`` defines: the part of the fully diluted count it counts and the pool top-up if
    it counts it; if it counts the conversions, the identity
    ``price * (fully diluted + top-up + conversions) = pre-money`` gives them."""
    left_out = Fraction(0) if counted.unallocated_pool else round.unallocated
    if counted.converting_instruments:
        line = _Line(round.pre_money, -left_out)
        if counted.pool_top_up:
            return line
        return _Line(line.intercept - top_up.intercept, line.slope - top_up.slope)
    line = _Line(Fraction(0), round.fully_diluted - left_out)
    if counted.pool_top_up:
        return _Line(top_up.intercept, line.slope + top_up.slope)
    return line


def _price_times_shares(
    terms: ConvertibleTerms, amount: Fraction, round: _Round, price: Fraction
) -> Fraction:
    """Return ``price * shares`` of one instrument at the round ``price``, at the solution."""
    value = _capitalisation_line(terms.counted, round, round.pool_line(price)).at(price)
    ratio = 1 / terms.discount_factor
    if terms.valuation_cap is not None:
        ratio = max(ratio, value / _major_units(terms.valuation_cap))
    if terms.valuation_floor is not None:
        ratio = min(ratio, value / _major_units(terms.valuation_floor))
    return amount * ratio


def _round_price(
    round: _Round, instruments: Sequence[ConvertibleTerms], conversion_date: date
) -> Fraction:
    """Solve ``price * (fully diluted + pool top-up + conversion shares) = pre-money`` exactly.

    At the solution each instrument's ``price * shares`` is ``amount`` times the larger of
    ``1 / (1 - discount)`` and ``price * C / cap`` (no more than ``price * C / floor``), and
    ``price * C`` is a line in the price on each side of the clamp where the top-up, when the
    target counts the unallocated pool, falls to nothing. So the equation is continuous and
    affine between the prices where a cap or a floor starts to apply, found in closed form, and
    its roots are found exactly range by range. Terms with no root, or more than one, are
    refused.
    """
    amounts = [conversion_amount(terms, on=conversion_date) for terms in instruments]

    def excess(price: Fraction) -> Fraction:
        converted = sum(
            (
                _price_times_shares(terms, amount, round, price)
                for terms, amount in zip(instruments, amounts, strict=True)
            ),
            Fraction(0),
        )
        pool = round.pool_line(price).at(price)
        return price * round.fully_diluted + pool + converted - round.pre_money

    roots: set[Fraction] = set()
    low, at_low = Fraction(0), excess(Fraction(0))
    for high in [*_kinks(round, instruments), None]:
        if high is None:
            high, last = low + 1, True
        else:
            last = False
        at_high = excess(high)
        if at_low == at_high == 0 and not last:
            raise ValueError("the terms of the round admit more than one price")
        if at_low != at_high:
            root = low + at_low * (high - low) / (at_low - at_high)
            if root > low and (last or root <= high):
                roots.add(root)
        low, at_low = high, at_high
    if len(roots) > 1:
        raise ValueError("the terms of the round admit more than one price")
    if not roots:
        raise ValueError(
            "the pre-money valuation, less the pool top-up, does not cover the converting "
            "instruments"
        )
    return roots.pop()


def _kinks(round: _Round, instruments: Sequence[ConvertibleTerms]) -> list[Fraction]:
    """Return the positive prices at which the equation may change slope: the clamp, and where
    ``(1 - discount) * price * C`` reaches a cap or a floor on either side of it."""
    clamp = round.clamp
    points = set() if clamp is None else {clamp}
    sides = [Fraction(0)] if clamp is None else [Fraction(0), clamp]
    for side in sides:
        top_up = round.pool_line(side)
        for terms in instruments:
            line = _capitalisation_line(terms.counted, round, top_up)
            for limit in (terms.valuation_cap, terms.valuation_floor):
                if limit is None or not line.slope:
                    continue
                point = (_major_units(limit) / terms.discount_factor - line.intercept) / line.slope
                if point > 0 and (clamp is None or (point < clamp) == (side < clamp)):
                    points.add(point)
    return sorted(points)


def _check_inputs(
    *,
    holdings: Sequence[Holding],
    pre_money: Money,
    new_money: Sequence[tuple[str, Money]],
    pool_top_up_percent: Fraction,
    convertibles: Sequence[tuple[str, ConvertibleTerms]],
) -> None:
    if not holdings or sum(holding.units for holding in holdings) <= 0:
        raise ValueError("the company has fully diluted units before the round")
    if pre_money.amount_minor <= 0:
        raise ValueError("the pre-money valuation is positive")
    for investor, amount in new_money:
        if amount.currency != pre_money.currency:
            raise CurrencyMismatch(f"{investor} invests in {amount.currency}")
        if amount.amount_minor <= 0:
            raise ValueError(f"{investor} invests a positive amount")
    for holder, terms in convertibles:
        if terms.principal.currency != pre_money.currency:
            raise CurrencyMismatch(f"{holder}'s instrument is in {terms.principal.currency}")
        if terms.nominal_value:
            raise ValueError(
                f"{holder}'s BSA AIR has its holder pay the nominal value, which a pro-forma "
                "round does not model: convert it at a given price instead"
            )
    if not isinstance(pool_top_up_percent, int | Fraction) or isinstance(pool_top_up_percent, bool):
        raise ValueError("the pool top-up percentage is a Fraction")
    if not 0 <= pool_top_up_percent < 1:
        raise ValueError("the pool top-up percentage is at least 0 and below 1")


def pro_forma_round(
    *,
    holdings: Sequence[Holding],
    pre_money: Money,
    new_money: Sequence[tuple[str, Money]],
    pool_top_up_percent: Fraction,
    convertibles: Sequence[tuple[str, ConvertibleTerms]],
    new_class: str = "Series A",
    pool_class: str = "Ordinary",
    conversion_date: date,
    pool_target: str = "top_up",
    price_decimals: int | None = None,
) -> ProForma:
    """Model a priced round on ``holdings`` and return the table it would produce.

    New money and converted instruments are issued in ``new_class``; the pool top-up is a row
    ``"Pool: top-up"`` in ``pool_class``. Rows come in this order: the holdings as given, the
    convertibles, the new money, then the pool top-up if there is one. ``pool_target`` says
    what ``pool_top_up_percent`` is a share of the post-money fully diluted count for (one of
    ``POOL_TARGETS``); ``price_decimals``, when set, the decimals the round states its price to.
    """
    if pool_target not in POOL_TARGETS:
        raise ValueError(f"the pool target is one of {', '.join(POOL_TARGETS)}")
    _check_inputs(
        holdings=holdings,
        pre_money=pre_money,
        new_money=new_money,
        pool_top_up_percent=pool_top_up_percent,
        convertibles=convertibles,
    )
    pool = Fraction(pool_top_up_percent)
    raised = sum((amount for _, amount in new_money), Money.zero(pre_money.currency))
    round = _Round(
        fully_diluted=Fraction(sum(holding.units for holding in holdings)),
        unallocated=Fraction(sum(h.units for h in holdings if h.unallocated_pool)),
        pre_money=_major_units(pre_money),
        raised=_major_units(raised),
        pool=pool,
        counts_unallocated=pool_target == "available_pool",
    )
    instruments = [terms for _, terms in convertibles]
    check_ownership(
        [
            (terms, conversion_amount(terms, on=conversion_date))
            for terms in instruments
            if terms.counts_conversions
        ]
    )
    price = _round_price(round, instruments, conversion_date)
    top_up = round.pool_top_up(price)
    exact = RoundTerms(
        price_per_share=price,
        pre_money_fully_diluted_shares=round.fully_diluted,
        conversion_date=conversion_date,
        currency=pre_money.currency,
        unallocated_pool=round.unallocated,
        pool_top_up=top_up,
    )
    conversions = convert_all(instruments, exact)
    converted = sum(result.shares + result.fraction_dropped for result in conversions)
    if price * (round.fully_diluted + top_up + converted) != round.pre_money:  # pragma: no cover
        raise ArithmeticError("the round price and the conversions disagree")
    if price_decimals is not None:
        stated = replace(exact, price_decimals=price_decimals)
        price = stated.stated(price)
        conversions = convert_all(instruments, replace(stated, price_per_share=price))

    table = [(holding.holder, holding.share_class, holding.units) for holding in holdings]
    table += [
        (holder, new_class, result.shares)
        for (holder, _), result in zip(convertibles, conversions, strict=True)
    ]
    table += [
        (investor, new_class, floor(_major_units(amount) / price)) for investor, amount in new_money
    ]
    if pool:
        # The largest count q with (q + counted) / (others + q) <= pool, where counted is the
        # unallocated pool when the target counts it.
        others = sum(units for _, _, units in table)
        counted = round.unallocated if round.counts_unallocated else 0
        table.append(
            (POOL_TOP_UP_HOLDER, pool_class, max(floor((pool * others - counted) / (1 - pool)), 0))
        )

    total = sum(units for _, _, units in table)
    if isinstance(total, Fraction) and total.denominator == 1:
        total = total.numerator
    hundredths = allocate(10_000, [units for _, _, units in table])
    rows = [
        ProFormaRow(holder, share_class, units, Decimal(part).scaleb(-2))
        for (holder, share_class, units), part in zip(table, hundredths, strict=True)
    ]
    return ProForma(
        price_per_share=price, rows=rows, post_money=pre_money + raised, total_units=total
    )
