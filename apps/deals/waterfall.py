"""Distribution waterfalls: how proceeds split between the investors (LPs) and the manager (GP).

European (whole fund) with catch-up, tiers in order, as the domain primer sets them out:

1. Return of capital: 100 % to LPs until they have received their contributed capital.
2. Preferred return: 100 % to LPs until they have received the hurdle on contributed capital,
   compounding annually: for each contribution ``amount x ((1 + h) ^ (days / 365) - 1)`` from
   its date to the distribution date (ACT/365).
3. Catch-up: ``c`` of each unit to the GP until the GP holds ``carry`` of all profits
   distributed so far (tiers 2 and 3); full catch-up is ``c = 1``.
4. Split: the rest, ``1 - carry`` to LPs and ``carry`` to the GP.

Prior distributions count first as capital returned; beyond the capital, as preferred return
paid. They also stop the hurdle accruing on what they returned, from their date: the hurdle on a
prior distribution is taken off the hurdle on the contributions.

Rounding happens once per tier, to the minor unit, half up, where a rate makes an amount (the
preferred return, the GP's catch-up and split shares); the LP's share of a tier is what remains
of it, so the tiers always add up to the proceeds exactly. Powers with a fractional exponent are
computed in decimal with 60 significant digits before that single rounding.

American (deal by deal) applies the same tiers to each deal's own contributions and proceeds.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from apps.core.money import COMPUTED_AMOUNT_ROUNDING, Money, round_fraction

Rate = Decimal | Fraction
Flow = tuple[date, Money]
PRECISION = 60

RETURN_OF_CAPITAL = "return of capital"
PREFERRED_RETURN = "preferred return"
CATCH_UP = "catch-up"
SPLIT = "split"


@dataclass(frozen=True)
class Tier:
    name: str
    lp: Money
    gp: Money

    @property
    def total(self) -> Money:
        return self.lp + self.gp


@dataclass(frozen=True)
class DealFlows:
    """One deal's contributions, prior distributions and the proceeds now distributed."""

    contributions: Sequence[Flow]
    distributions: Sequence[Flow]
    proceeds: Money


def _fraction(rate: Rate, name: str) -> Fraction:
    if isinstance(rate, bool) or not isinstance(rate, Decimal | Fraction | int):
        raise TypeError(f"{name} must be a Decimal or a Fraction")
    value = Fraction(rate)
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be between 0 and 1, not {rate}")
    return value


def _growth(amount_minor: int, hurdle: Fraction, start: date, end: date) -> Decimal:
    """Return ``amount x ((1 + hurdle) ^ (days / 365) - 1)`` in minor units, unrounded."""
    days = (end - start).days
    if days <= 0 or not amount_minor or not hurdle:
        return Decimal(0)
    with localcontext() as context:
        context.prec = PRECISION
        base = Decimal(hurdle.numerator) / Decimal(hurdle.denominator) + 1
        return Decimal(amount_minor) * (base ** (Decimal(days) / Decimal(365)) - 1)


def _round(value: Decimal) -> int:
    return round_fraction(Fraction(value), COMPUTED_AMOUNT_ROUNDING)


def _currency(proceeds: Money, flows: Sequence[Flow]) -> str:
    for _, money in flows:
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
    distributions: Sequence[Flow],
    proceeds: Money,
    on: date,
    *,
    hurdle: Rate,
    carry: Rate,
    catch_up: Rate,
) -> list[Tier]:
    """Split ``proceeds`` distributed ``on`` into the four tiers, LP and GP, to the minor unit."""
    currency = _currency(proceeds, [*contributions, *distributions])
    hurdle_rate = _fraction(hurdle, "hurdle")
    carry_rate = _fraction(carry, "carry")
    catch_up_rate = _fraction(catch_up, "catch_up")
    if carry_rate and catch_up_rate and catch_up_rate <= carry_rate:
        raise ValueError("a catch-up must give the GP more than its carry to ever catch up")

    contributed = sum(money.amount_minor for _, money in contributions)
    previously = sum(money.amount_minor for _, money in distributions)
    capital_due = max(contributed - previously, 0)
    accrued = sum(
        (_growth(money.amount_minor, hurdle_rate, day, on) for day, money in contributions),
        Decimal(0),
    ) - sum(
        (_growth(money.amount_minor, hurdle_rate, day, on) for day, money in distributions),
        Decimal(0),
    )
    preferred_paid = max(previously - contributed, 0)
    preferred_due = max(_round(accrued) - preferred_paid, 0)

    left = proceeds.amount_minor
    roc = min(left, capital_due)
    left -= roc
    preferred = min(left, preferred_due)
    left -= preferred

    gp_catch_up = 0
    lp_catch_up = 0
    if carry_rate and catch_up_rate and left:
        # The GP catches up to carry x (preferred + catch-up), receiving catch_up of each unit:
        # total tier X with catch_up x X = carry x (preferred + X).
        target = Fraction(preferred) * carry_rate / (catch_up_rate - carry_rate)
        tier = min(Fraction(left), target)
        gp_catch_up = round_fraction(tier * catch_up_rate, COMPUTED_AMOUNT_ROUNDING)
        tier_total = min(left, round_fraction(tier, COMPUTED_AMOUNT_ROUNDING))
        gp_catch_up = min(gp_catch_up, tier_total)
        lp_catch_up = tier_total - gp_catch_up
        left -= tier_total

    gp_split = round_fraction(Fraction(left) * carry_rate, COMPUTED_AMOUNT_ROUNDING)
    lp_split = left - gp_split

    def money(amount: int) -> Money:
        return Money(amount, currency)

    return [
        Tier(RETURN_OF_CAPITAL, money(roc), money(0)),
        Tier(PREFERRED_RETURN, money(preferred), money(0)),
        Tier(CATCH_UP, money(lp_catch_up), money(gp_catch_up)),
        Tier(SPLIT, money(lp_split), money(gp_split)),
    ]


def american(
    deals: Sequence[DealFlows],
    on: date,
    *,
    hurdle: Rate,
    carry: Rate,
    catch_up: Rate,
) -> list[list[Tier]]:
    """Apply the tiers deal by deal: each deal's proceeds against its own contributions."""
    return [
        european(
            deal.contributions,
            deal.distributions,
            deal.proceeds,
            on,
            hurdle=hurdle,
            carry=carry,
            catch_up=catch_up,
        )
        for deal in deals
    ]


def totals(tiers: Sequence[Tier]) -> tuple[Money, Money]:
    """Return what the LPs and the GP receive over all ``tiers``."""
    currency = tiers[0].lp.currency
    lp = sum((tier.lp for tier in tiers), Money(0, currency))
    gp = sum((tier.gp for tier in tiers), Money(0, currency))
    return lp, gp
