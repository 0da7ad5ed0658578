"""Pro-forma modelling of a priced round: who would hold what afterwards. Nothing is written.

The convention is the usual one in which the pre-money valuation includes the pool top-up and
the converting instruments, so that they dilute the existing holders and not the new money::

    price = pre_money / (fully diluted before + pool top-up + conversion shares)
    pool top-up = pool_top_up_percent * fully diluted after the round

With ``M`` the new money, ``p`` the pool percentage and ``V = pre_money * (1 - p) - p * M``,
these two lines become ``price * (fully diluted before + conversion shares) = V``. The price is
solved on exact, unrounded share counts (see :func:`_round_price`); caps refer to the fully
diluted count before the round, so the pool top-up is not part of the capitalisation a
post-money SAFE's cap buys into. Then every party's shares are rounded down to whole shares:
new money ``floor(amount / price)``, convertibles as :mod:`apps.captable.conversion` rounds
them, and the pool top-up to the largest count whose share of the resulting table does not
exceed ``p``. Displayed percentages are rounded to two decimals
by largest remainder, so they add up to exactly 100.00.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from math import floor

from apps.captable.conversion import ConvertibleTerms, RoundTerms, conversion_amount, convert_all
from apps.core.money import CurrencyMismatch, Money, allocate, minor_unit_digits

POOL_TOP_UP_HOLDER = "Pool: top-up"


@dataclass(frozen=True)
class Holding:
    """A line of the fully diluted table before the round (options and pools included)."""

    holder: str
    share_class: str
    units: Fraction | int

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


def _round_price(
    *,
    fully_diluted: Fraction,
    value: Fraction,
    instruments: Sequence[ConvertibleTerms],
    conversion_date: date,
) -> Fraction:
    """Solve ``price * (fully_diluted + conversion shares at price) = value`` exactly.

    Call ``T`` the capitalisation including the conversion shares. Each instrument contributes
    ``price * its shares``, which is:

    - ``amount / (1 - discount)`` while it converts at a price tied to the round price;
    - ``amount * price * fully_diluted / cap`` once its pre-money cap applies, which happens
      when ``price`` exceeds ``cap / (fully_diluted * (1 - discount))``;
    - ``principal / cap * price * T`` for a post-money SAFE whose cap applies, which happens
      when ``price * T``, that is ``value``, reaches ``cap / (1 - discount)``; so at the
      solution the set of such SAFEs is known in advance.

    ``price * T`` is continuous and strictly increasing in the price, hence one root at most,
    and linear between consecutive pre-money cap thresholds. Solving the linear equation of
    each range in turn and keeping the root that lies in its own range finds it exactly; if no
    range holds a root, ``value`` does not cover the converting instruments.
    """
    owned = Fraction(0)  # what post-money SAFEs whose cap applies own of T
    fixed = Fraction(0)  # price * shares of the instruments converting off the round price
    capped: list[tuple[Fraction, Fraction, Fraction]] = []  # threshold, slope, fixed part
    for terms in instruments:
        amount = conversion_amount(terms, on=conversion_date)
        factor = terms.discount_factor
        if terms.post_money_cap is not None:
            cap = _major_units(terms.post_money_cap)
            if cap / factor <= value:
                owned += _major_units(terms.principal) / cap
            else:
                fixed += amount / factor
        elif terms.valuation_cap is not None:
            cap = _major_units(terms.valuation_cap)
            threshold = cap / (fully_diluted * factor)
            capped.append((threshold, amount * fully_diluted / cap, amount / factor))
        else:
            fixed += amount / factor
    if owned >= 1:
        raise ValueError("post-money SAFEs cannot together own the whole company")
    capped.sort()
    for applied in range(len(capped) + 1):
        slope = fully_diluted + sum(s for _, s, _ in capped[:applied])
        intercept = fixed + sum(f for _, _, f in capped[applied:])
        price = (value * (1 - owned) - intercept) / slope
        below = applied == 0 or capped[applied - 1][0] <= price
        above = applied == len(capped) or price <= capped[applied][0]
        if price > 0 and below and above:
            return price
    raise ValueError(
        "the pre-money valuation, less the pool top-up, does not cover the converting instruments"
    )


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
        if terms.valuation_floor is not None or terms.nominal_value:
            raise ValueError(
                f"{holder}'s BSA AIR carries a floor or a nominal value, which a pro-forma "
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
) -> ProForma:
    """Model a priced round on ``holdings`` and return the table it would produce.

    New money and converted instruments are issued in ``new_class``; the pool top-up is a row
    ``"Pool: top-up"`` in ``pool_class``. Rows come in this order: the holdings as given, the
    convertibles, the new money, then the pool top-up if there is one.
    """
    _check_inputs(
        holdings=holdings,
        pre_money=pre_money,
        new_money=new_money,
        pool_top_up_percent=pool_top_up_percent,
        convertibles=convertibles,
    )
    pool = Fraction(pool_top_up_percent)
    fully_diluted = Fraction(sum(holding.units for holding in holdings))
    raised = sum((amount for _, amount in new_money), Money.zero(pre_money.currency))
    value = _major_units(pre_money) * (1 - pool) - pool * _major_units(raised)
    instruments = [terms for _, terms in convertibles]
    price = _round_price(
        fully_diluted=fully_diluted,
        value=value,
        instruments=instruments,
        conversion_date=conversion_date,
    )
    conversions = convert_all(
        instruments,
        RoundTerms(
            price_per_share=price,
            pre_money_fully_diluted_shares=fully_diluted,
            conversion_date=conversion_date,
            currency=pre_money.currency,
        ),
    )
    converted = sum(result.shares + result.fraction_dropped for result in conversions)
    if price * (fully_diluted + converted) != value:  # pragma: no cover
        raise ArithmeticError("the round price and the conversions disagree")

    table = [(holding.holder, holding.share_class, holding.units) for holding in holdings]
    table += [
        (holder, new_class, result.shares)
        for (holder, _), result in zip(convertibles, conversions, strict=True)
    ]
    table += [
        (investor, new_class, floor(_major_units(amount) / price)) for investor, amount in new_money
    ]
    if pool:
        # The largest count q with q / (others + q) <= pool.
        others = sum(units for _, _, units in table)
        table.append((POOL_TOP_UP_HOLDER, pool_class, floor(pool * others / (1 - pool))))

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
