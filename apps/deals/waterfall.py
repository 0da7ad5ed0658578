"""Distribution waterfalls: how proceeds split between the investors (LPs) and the manager (GP).

European (whole fund) with catch-up, tiers in order, as the domain primer sets them out:

1. Return of capital: 100 % to LPs until they have received their contributed capital.
2. Preferred return: 100 % to LPs until they have received the hurdle on contributed capital.
   Compounding (the default), for each contribution ``amount x ((1 + h) ^ t - 1)``; simple,
   ``amount x h x t``; ``t`` is the year fraction from its date to the distribution date under
   the hurdle's own day count (ACT/365 by default). Earlier distributions stop the hurdle
   accruing on what they paid from their date: the capital they returned and, compounding, the
   preferred return they paid.
3. Catch-up: ``c`` of each unit to the GP until the GP has received ``carry`` of every profit
   distributed so far, this distribution and every earlier one (tiers 2, 3 and 4, LP and GP).
   With ``P`` the preferred return paid to LPs so far (earlier ones and this one's tier 2),
   ``L0`` what LPs received in tiers 3 and 4 before and ``G0`` what the GP received before, the
   tier is ``X = (carry x (P + L0 + G0) - G0) / (c - carry)``, floored at zero and capped by what
   is left; the GP's part is ``c x X`` rounded once, half up; the LPs' part is the rest of the
   tier. Full catch-up is ``c = 1``.
4. Split: the rest, ``1 - carry`` to LPs and ``carry`` to the GP. The GP's part is what brings
   its cumulative receipts to ``carry`` of its cumulative entitlement, rounded once: ``carry``
   of every profit once a catch-up has caught up, ``carry`` of every split without a catch-up.
   Earlier roundings are absorbed here rather than piling up over the fund's life.

Earlier distributions are given with their tiers (:class:`Paid`), as their records hold them.
Distributions made on the same date are one distribution paid in instalments: each instalment
is what the whole day's total gives less what the earlier instalments of that day received, so
they add up exactly to one distribution of their total.

Rounding happens once per tier, to the minor unit, half up, where a rate makes an amount (the
preferred return, the GP's catch-up and split shares); the LP's share of a tier is what remains
of it, so the tiers always add up to the proceeds exactly. Powers with a fractional exponent are
computed in decimal with 60 significant digits before that single rounding.

American (deal by deal) applies the same tiers to each investment's own contributions and
proceeds.
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import TypedDict

from apps.core.money import COMPUTED_AMOUNT_ROUNDING, Money, round_fraction
from apps.deals.interest import DayCount, year_fraction

Rate = Decimal | Fraction
Flow = tuple[date, Money]
PRECISION = 60

RETURN_OF_CAPITAL = "return of capital"
PREFERRED_RETURN = "preferred return"
CATCH_UP = "catch-up"
SPLIT = "split"
TIER_NAMES = (RETURN_OF_CAPITAL, PREFERRED_RETURN, CATCH_UP, SPLIT)


class Compounding(enum.StrEnum):
    COMPOUND = "compound"
    SIMPLE = "simple"


@dataclass(frozen=True)
class Tier:
    name: str
    lp: Money
    gp: Money

    @property
    def total(self) -> Money:
        return self.lp + self.gp


@dataclass(frozen=True)
class Paid:
    """An earlier distribution: its date and what each tier paid the LPs and the GP."""

    on: date
    tiers: Sequence[Tier]

    def lp(self, name: str) -> int:
        return sum(tier.lp.amount_minor for tier in self.tiers if tier.name == name)

    def gp(self, name: str) -> int:
        return sum(tier.gp.amount_minor for tier in self.tiers if tier.name == name)

    @property
    def total(self) -> int:
        return sum(tier.total.amount_minor for tier in self.tiers)


@dataclass(frozen=True)
class DealFlows:
    """One investment's contributions, earlier distributions and the proceeds now distributed."""

    contributions: Sequence[Flow]
    distributions: Sequence[Paid]
    proceeds: Money


class TermsGiven(TypedDict):
    """The terms :func:`european` and :func:`american` take, as keyword arguments."""

    hurdle: Rate
    carry: Rate
    catch_up: Rate
    compounding: str
    hurdle_day_count: str


@dataclass(frozen=True)
class Terms:
    """The waterfall's terms, checked: rates as exact fractions."""

    hurdle: Fraction
    carry: Fraction
    catch_up: Fraction
    compounding: Compounding = Compounding.COMPOUND
    day_count: DayCount = DayCount.ACT_365

    @classmethod
    def of(
        cls,
        *,
        hurdle: Rate,
        carry: Rate,
        catch_up: Rate,
        compounding: str = Compounding.COMPOUND,
        hurdle_day_count: str = DayCount.ACT_365,
    ) -> "Terms":
        terms = cls(
            _fraction(hurdle, "hurdle"),
            _fraction(carry, "carry"),
            _fraction(catch_up, "catch_up"),
            Compounding(compounding),
            DayCount(hurdle_day_count),
        )
        if terms.carry and terms.catch_up and terms.catch_up <= terms.carry:
            raise ValueError("a catch-up must give the GP more than its carry to ever catch up")
        return terms


def _fraction(rate: Rate, name: str) -> Fraction:
    if isinstance(rate, bool) or not isinstance(rate, Decimal | Fraction | int):
        raise TypeError(f"{name} must be a Decimal or a Fraction")
    value = Fraction(rate)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, not {rate}")
    return value


def _growth(amount_minor: int, terms: Terms, start: date, end: date) -> Fraction:
    """Return the hurdle on ``amount`` from ``start`` to ``end``, in minor units, unrounded."""
    if end <= start or not amount_minor or not terms.hurdle:
        return Fraction(0)
    years = year_fraction(start, end, terms.day_count)
    if terms.compounding == Compounding.SIMPLE:
        return amount_minor * terms.hurdle * years
    with localcontext() as context:
        context.prec = PRECISION
        base = Decimal(terms.hurdle.numerator) / Decimal(terms.hurdle.denominator) + 1
        exponent = Decimal(years.numerator) / Decimal(years.denominator)
        return Fraction(Decimal(amount_minor) * (base**exponent - 1))


def _round(value: Fraction) -> int:
    return round_fraction(value, COMPUTED_AMOUNT_ROUNDING)


def _check(proceeds: Money, flows: Sequence[Flow], paid: Sequence[Paid]) -> str:
    amounts = [money for _, money in flows]
    amounts += [money for earlier in paid for tier in earlier.tiers for money in (tier.lp, tier.gp)]
    for money in amounts:
        if money.currency != proceeds.currency:
            raise ValueError(
                f"a flow in {money.currency} cannot share a waterfall in {proceeds.currency}"
            )
        if money.amount_minor < 0:
            raise ValueError("contributions and distributions are positive amounts")
    if proceeds.amount_minor < 0:
        raise ValueError("proceeds cannot be negative")
    return proceeds.currency


def european(
    contributions: Sequence[Flow],
    distributions: Sequence[Paid],
    proceeds: Money,
    on: date,
    *,
    hurdle: Rate,
    carry: Rate,
    catch_up: Rate,
    compounding: str = Compounding.COMPOUND,
    hurdle_day_count: str = DayCount.ACT_365,
) -> list[Tier]:
    """Split ``proceeds`` distributed ``on`` into the four tiers, LP and GP, to the minor unit,
    after the earlier ``distributions``."""
    currency = _check(proceeds, contributions, distributions)
    terms = Terms.of(
        hurdle=hurdle,
        carry=carry,
        catch_up=catch_up,
        compounding=compounding,
        hurdle_day_count=hurdle_day_count,
    )
    same_day = [paid for paid in distributions if paid.on == on]
    if same_day:
        earlier = [paid for paid in distributions if paid.on != on]
        day_total = proceeds.amount_minor + sum(paid.total for paid in same_day)
        whole_day = _split(contributions, earlier, day_total, on, terms)
        instalment = [
            (
                lp - sum(paid.lp(name) for paid in same_day),
                gp - sum(paid.gp(name) for paid in same_day),
            )
            for name, (lp, gp) in zip(TIER_NAMES, whole_day, strict=True)
        ]
        # Instalments recorded under other rules may not fit the whole day's split; then this
        # one is worked out after them, as a distribution of another day would be.
        if all(lp >= 0 and gp >= 0 for lp, gp in instalment):
            return _tiers(instalment, currency)
    return _tiers(_split(contributions, distributions, proceeds.amount_minor, on, terms), currency)


def _tiers(parts: Iterable[tuple[int, int]], currency: str) -> list[Tier]:
    return [
        Tier(name, Money(lp, currency), Money(gp, currency))
        for name, (lp, gp) in zip(TIER_NAMES, parts, strict=True)
    ]


def _split(
    contributions: Sequence[Flow],
    distributions: Sequence[Paid],
    proceeds: int,
    on: date,
    terms: Terms,
) -> list[tuple[int, int]]:
    """Return (LP, GP) in minor units for each tier, in order."""
    contributed = sum(money.amount_minor for _, money in contributions)
    returned = sum(paid.lp(RETURN_OF_CAPITAL) for paid in distributions)
    preferred_paid = sum(paid.lp(PREFERRED_RETURN) for paid in distributions)
    lp_profit = sum(paid.lp(CATCH_UP) + paid.lp(SPLIT) for paid in distributions)
    gp_received = sum(paid.gp(CATCH_UP) + paid.gp(SPLIT) for paid in distributions)
    split_before = sum(paid.lp(SPLIT) + paid.gp(SPLIT) for paid in distributions)

    # What stopped accruing: the capital returned and, compounding, the preferred return paid.
    def stopped(paid: Paid) -> int:
        amount = paid.lp(RETURN_OF_CAPITAL)
        if terms.compounding == Compounding.COMPOUND:
            amount += paid.lp(PREFERRED_RETURN)
        return amount

    accrued = sum(
        (_growth(money.amount_minor, terms, day, on) for day, money in contributions), Fraction(0)
    ) - sum((_growth(stopped(paid), terms, paid.on, on) for paid in distributions), Fraction(0))

    left = proceeds
    capital = min(left, max(contributed - returned, 0))
    left -= capital
    preferred = min(left, max(_round(accrued) - preferred_paid, 0))
    left -= preferred

    carry, catch_up = terms.carry, terms.catch_up
    gp_catch_up = catch_up_tier = 0
    if carry and catch_up and left:
        profit_before = preferred_paid + preferred + lp_profit + gp_received
        size = (carry * profit_before - gp_received) / (catch_up - carry)
        if size > 0:
            tier = min(Fraction(left), size)
            catch_up_tier = min(left, _round(tier))
            gp_catch_up = min(_round(tier * catch_up), catch_up_tier)
            left -= catch_up_tier

    gp_split = 0
    if carry and left:
        if catch_up:
            # Caught up: the GP's due is carry of every profit distributed, this one included.
            profit = preferred_paid + preferred + lp_profit + gp_received + catch_up_tier + left
            due = carry * profit
        else:
            due = carry * (split_before + left)
        owed = _round(due) - gp_received - gp_catch_up
        gp_split = min(max(owed, 0), left)

    return [
        (capital, 0),
        (preferred, 0),
        (catch_up_tier - gp_catch_up, gp_catch_up),
        (left - gp_split, gp_split),
    ]


def american(
    deals: Sequence[DealFlows],
    on: date,
    *,
    hurdle: Rate,
    carry: Rate,
    catch_up: Rate,
    compounding: str = Compounding.COMPOUND,
    hurdle_day_count: str = DayCount.ACT_365,
) -> list[list[Tier]]:
    """Apply the tiers deal by deal: each investment's proceeds against its own flows."""
    return [
        european(
            deal.contributions,
            deal.distributions,
            deal.proceeds,
            on,
            hurdle=hurdle,
            carry=carry,
            catch_up=catch_up,
            compounding=compounding,
            hurdle_day_count=hurdle_day_count,
        )
        for deal in deals
    ]


def totals(tiers: Sequence[Tier]) -> tuple[Money, Money]:
    """Return what the LPs and the GP receive over all ``tiers``."""
    currency = tiers[0].lp.currency
    lp = sum((tier.lp for tier in tiers), Money(0, currency))
    gp = sum((tier.gp for tier in tiers), Money(0, currency))
    return lp, gp
