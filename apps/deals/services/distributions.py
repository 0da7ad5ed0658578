"""Distributions: proceeds through the waterfall to the investors and the carry account.

The deal's waterfall splits the proceeds into tiers, each with its LP and GP part, after every
earlier distribution as recorded (:mod:`apps.deals.waterfall`). European, it runs over the
whole vehicle; American, over the portfolio investment whose proceeds these are, on the
capital contributed to it (and, with loss carryforward, the other investments' losses still to
make good); a deal without a portfolio is its own single investment. The contributions are
what the investors paid in (closings in an SPV, call payments in a fund), and the management
fees they paid when the terms return those first.

The GP's own commitment takes its share of the proceeds whole, outside the tiers: it bears no
carry. Each tier's LP part is shared among the other investors by the units of the deal's class
they hold on the distribution date (in a fund: by the capital each has paid in on its calls, so
an investor in default is paid only on what they paid), with :func:`~apps.core.money.allocate`;
the GP's part goes to the platform's carry account. One operation moves the proceeds out of the
vehicle's cash account, which must hold them.

A clawback returns to the investors, from the carry account, the carry the GP holds above its
carry of the fund's profit, less the share the terms let it keep back for tax.

Interest on debt is distributed the same way, without a waterfall: each investor receives the
interest on their principal (what their units represent, or in a fund what they paid in), for
the period, by the deal's day count.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from apps.accounts.models import User
from apps.core.money import COMPUTED_AMOUNT_ROUNDING, Money, allocate, round_fraction
from apps.core.services import use_case
from apps.deals import waterfall
from apps.deals.interest import DayCount, accrued_interest
from apps.deals.locks import deal_lock
from apps.deals.models import (
    Clawback,
    ClawbackLine,
    Deal,
    DealState,
    Distribution,
    DistributionKind,
    DistributionLine,
    PortfolioInvestment,
    WaterfallType,
)
from apps.deals.selectors import (
    carry_position,
    contributions,
    entitlements,
    fees_paid,
    investment_contributions,
    losses_carried_forward,
    losses_recouped_by,
    paid_in,
    prior_distributions,
)
from apps.deals.services.common import (
    OperationRefused,
    Plan,
    accounts_of,
    carry_out,
    check_currency,
    move,
    next_number,
    platform_account,
    vehicle_account,
)
from apps.investors.models import Investor
from apps.ledger.models import Account, AccountPurpose, Operation, OperationKind
from apps.ledger.services import Leg


def _waterfall(
    deal: Deal, proceeds: Money, on: date, investment: PortfolioInvestment | None
) -> tuple[list[waterfall.Tier], int]:
    """Return the tiers ``proceeds`` to the carried capital distributed ``on`` fall into,
    under the deal's terms, after every earlier distribution (of the whole deal, or deal by
    deal of ``investment``); and what of their return of capital makes good other
    investments' losses, carried forward deal by deal."""
    terms = waterfall.TermsGiven(
        hurdle=deal.hurdle_rate,
        carry=deal.carry_rate,
        catch_up=deal.catch_up_rate,
        compounding=deal.hurdle_compounding,
        hurdle_day_count=deal.hurdle_day_count,
    )
    if investment is not None and investment.deal_id != deal.pk:
        raise OperationRefused(f"{investment} is not an investment of {deal}")
    if deal.waterfall_type != WaterfallType.AMERICAN or not deal.portfolio.exists():
        paid_in = contributions(
            deal, excluding=[deal.gp_investor_id] if deal.gp_investor_id else []
        )
        if deal.return_fees_first:
            paid_in = sorted([*paid_in, *fees_paid(deal)], key=lambda flow: flow[0])
        paid = prior_distributions(deal)
        return waterfall.european(paid_in, paid, proceeds, on, **terms), 0
    if investment is None:
        raise OperationRefused(
            f"{deal} distributes deal by deal: name the portfolio investment whose proceeds "
            "these are"
        )
    own = investment_contributions(investment)
    if deal.return_fees_first and investment.expenses_minor:
        own.append((investment.invested_on, Money(investment.expenses_minor, deal.currency)))
    paid = prior_distributions(deal, investment=investment)
    forward = losses_carried_forward(investment, on=on) if deal.loss_carryforward else []
    flows = sorted([*own, *forward], key=lambda flow: flow[0])
    tiers = waterfall.european(flows, paid, proceeds, on, **terms)
    recouped_before = losses_recouped_by(investment)
    own_returned = sum(paid_out.lp(waterfall.RETURN_OF_CAPITAL) for paid_out in paid)
    own_due = sum(money.amount_minor for _, money in own) - (own_returned - recouped_before)
    recouped = max(tiers[0].lp.amount_minor - max(own_due, 0), 0)
    return tiers, recouped


def _holders(deal: Deal, on: date) -> dict[int, Decimal]:
    """Each investor's share of what the deal distributes, by investor id: the units held on
    ``on``, or in a fund the capital paid in by then (an investor in default on a call is not
    paid on what they did not pay)."""
    if deal.drawn_by_calls:
        capital = paid_in(deal, on=on)
        if not capital:
            raise OperationRefused(f"no capital was paid into {deal} by {on}")
        return {investor: Decimal(amount) for investor, amount in capital.items()}
    units, others = entitlements(deal, on=on)
    if others:
        raise OperationRefused(
            f"{', '.join(others)} hold units of {deal} but are not investors: "
            "a distribution is paid to investors only",
            holders=others,
        )
    if not units:
        raise OperationRefused(f"nobody holds units of {deal} on {on}")
    return units


def _carry_account(currency: str, by: User) -> Account:
    """The platform's account of the carried interest the GP receives, in ``currency``."""
    return platform_account(
        purpose=AccountPurpose.DISTRIBUTION,
        currency=currency,
        name=f"Carried interest ({currency})",
        by=by,
    )


def _plan(
    deal: Deal,
    *,
    kind: str,
    on: date,
    lines: dict[int, int],
    gp_minor: int,
    tiers: list[dict],
    by: User,
    carry_free_minor: int = 0,
    investment: PortfolioInvestment | None = None,
    losses_recouped_minor: int = 0,
    closes_deal: bool = False,
) -> Plan:
    currency = deal.currency
    proceeds = Money(sum(lines.values()) + gp_minor, currency)
    investors = list(Investor.objects.filter(pk__in=lines).order_by("pk"))
    cash = accounts_of(
        investors, purpose=AccountPurpose.CASH, currency=currency, by=by, allow_negative=False
    )
    vehicle = vehicle_account(deal, purpose=AccountPurpose.CASH, by=by, allow_negative=False)
    legs = [Leg(vehicle.pk, -proceeds)]
    legs.extend(
        Leg(cash[investor.pk].pk, Money(lines[investor.pk], currency))
        for investor in investors
        if lines[investor.pk]
    )
    if gp_minor:
        legs.append(Leg(_carry_account(currency, by).pk, Money(gp_minor, currency)))
    number = next_number(Distribution, deal)
    label = DistributionKind(kind).label.lower()

    def settle(operation: Operation, approver: User) -> Distribution:
        distribution = Distribution.objects.create(
            deal=deal,
            number=next_number(Distribution, deal),
            operation=operation,
            kind=kind,
            distributed_on=on,
            proceeds_minor=proceeds.amount_minor,
            lp_minor=proceeds.amount_minor - gp_minor,
            gp_minor=gp_minor,
            tiers=tiers,
            carry_free_minor=carry_free_minor,
            investment=investment,
            losses_recouped_minor=losses_recouped_minor,
            closes_deal=closes_deal,
        )
        DistributionLine.objects.bulk_create(
            [
                DistributionLine(distribution=distribution, investor_id=pk, amount_minor=amount)
                for pk, amount in sorted(lines.items())
            ],
            batch_size=5000,
        )
        if closes_deal:
            move(deal, "exit", by=approver)
        return distribution

    return Plan(
        deal=deal,
        kind=OperationKind.DISTRIBUTION,
        legs=legs,
        key=f"deal-{deal.pk}-distribution-{number}",
        description=f"Distribution {number} of {deal}: {proceeds.format()} of {label}",
        on=on,
        settle=settle,
    )


@use_case(permission="deals.add_distribution")
def distribution_record(
    *,
    deal: Deal,
    proceeds: Money,
    on: date,
    by: User,
    approved_by: User,
    kind: str = DistributionKind.EXIT,
    closes_deal: bool = False,
    investment: PortfolioInvestment | None = None,
) -> Distribution:
    """Distribute ``proceeds`` held by the vehicle through the waterfall, in one operation.

    With ``closes_deal`` the deal is marked exited in the same transaction.
    """
    plan = plan_distribution(
        deal=deal,
        proceeds=proceeds,
        on=on,
        kind=kind,
        closes_deal=closes_deal,
        investment=investment,
        by=by,
    )
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_distribution(
    *,
    deal: Deal,
    proceeds: Money,
    on: date,
    by: User,
    kind: str = DistributionKind.EXIT,
    closes_deal: bool = False,
    investment: PortfolioInvestment | None = None,
) -> Plan:
    """Work out a distribution of ``proceeds`` through the waterfall (of ``investment``, whose
    proceeds they are, deal by deal)."""
    deal = deal_lock(deal)
    check_currency(proceeds, deal, "a distribution")
    if deal.state != DealState.CLOSED:
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: only a closed deal distributes"
        )
    if proceeds.amount_minor <= 0:
        raise OperationRefused("a distribution is of a positive amount")
    units = _holders(deal, on)
    gp_id = deal.gp_investor_id
    gp_share = units.get(gp_id) if gp_id else None
    carried_units = {pk: share for pk, share in units.items() if pk != gp_id}
    carry_free = 0
    if gp_share:
        # The GP's own commitment takes its share of the proceeds whole: its capital follows
        # the investors' tiers, and with no carry on it those tiers give it all of its share.
        shares = [sum(carried_units.values(), Decimal(0)), gp_share]
        carry_free = allocate(proceeds.amount_minor, shares)[1]
    tiers, recouped = _waterfall(deal, proceeds - Money(carry_free, deal.currency), on, investment)
    weights = list(carried_units.values())
    lines: dict[int, int] = defaultdict(int)
    for tier in tiers:
        if tier.lp.amount_minor:
            for investor_id, part in zip(
                carried_units, allocate(tier.lp.amount_minor, weights), strict=True
            ):
                lines[investor_id] += part
    if gp_id is not None and gp_share:
        lines[gp_id] = carry_free
    _, gp = waterfall.totals(tiers)
    return _plan(
        deal,
        kind=kind,
        on=on,
        lines={pk: lines.get(pk, 0) for pk in units},
        gp_minor=gp.amount_minor,
        carry_free_minor=carry_free,
        investment=investment,
        losses_recouped_minor=recouped,
        tiers=[
            {"name": tier.name, "lp_minor": tier.lp.amount_minor, "gp_minor": tier.gp.amount_minor}
            for tier in tiers
        ],
        by=by,
        closes_deal=closes_deal,
    )


@use_case(permission="deals.add_distribution")
def interest_distribute(
    *, deal: Deal, start: date, end: date, by: User, approved_by: User
) -> Distribution:
    """Pay each holder of a debt deal the interest from ``start`` to ``end`` on the principal
    their units represent (units x unit price, rounded once), at the deal's rate and day count."""
    plan = plan_interest(deal=deal, start=start, end=end, by=by)
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_interest(*, deal: Deal, start: date, end: date, by: User) -> Plan:
    """Work out the interest payment of a debt deal for ``start`` to ``end``."""
    deal = deal_lock(deal)
    if deal.interest_rate is None:
        raise OperationRefused(f"{deal} bears no interest")
    if deal.state != DealState.CLOSED:
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: only a closed deal pays interest"
        )
    if end <= start:
        raise OperationRefused(f"an interest period ends after it starts, not on {end}")
    shares = _holders(deal, end)
    lines = {}
    for investor_id, share in shares.items():
        principal = (
            int(share)
            if deal.drawn_by_calls
            else round_fraction(Fraction(share) * deal.unit_price_minor, COMPUTED_AMOUNT_ROUNDING)
        )
        lines[investor_id] = accrued_interest(
            principal=Money(principal, deal.currency),
            rate=deal.interest_rate,
            start=start,
            end=end,
            day_count=DayCount(deal.day_count),
        ).amount_minor
    if not any(lines.values()):
        raise OperationRefused(f"no interest accrues on {deal} from {start} to {end}")
    return _plan(
        deal, kind=DistributionKind.INTEREST, on=end, lines=lines, gp_minor=0, tiers=[], by=by
    )


@use_case(permission="deals.add_clawback")
def clawback_settle(*, deal: Deal, as_of: date, by: User, approved_by: User) -> Clawback:
    """Return to the investors the carry the GP holds above its carry of the fund's profit on
    ``as_of``, less the share the terms let it keep back for tax, in one operation."""
    plan = plan_clawback(deal=deal, as_of=as_of, by=by)
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_clawback(*, deal: Deal, as_of: date, by: User) -> Plan:
    """Work out the clawback on ``as_of``: the GP's excess carry, the tax it keeps back, and
    each investor's part of the rest, by their share of the carried capital."""
    deal = deal_lock(deal)
    if deal.state not in (DealState.CLOSED, DealState.EXITED, DealState.WOUND_UP):
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: only a closed or ended deal "
            "settles a clawback"
        )
    position = carry_position(deal, as_of=as_of)
    excess = position.excess
    if not excess.amount_minor:
        raise OperationRefused(
            f"the GP holds no carry above its due on {as_of}: {position.carried.format()} "
            f"received, {position.settled.format()} settled, {position.due.format()} due"
        )
    tax_kept = round_fraction(
        Fraction(deal.clawback_tax_rate) * excess.amount_minor, COMPUTED_AMOUNT_ROUNDING
    )
    amount = excess.amount_minor - tax_kept
    if amount <= 0:
        raise OperationRefused("the tax kept back leaves nothing to return")
    holders = {
        pk: share for pk, share in _holders(deal, as_of).items() if pk != deal.gp_investor_id
    }
    parts = dict(zip(holders, allocate(amount, list(holders.values())), strict=True))
    lines = {pk: part for pk, part in parts.items() if part}
    currency = deal.currency
    investors = list(Investor.objects.filter(pk__in=lines).order_by("pk"))
    cash = accounts_of(
        investors, purpose=AccountPurpose.CASH, currency=currency, by=by, allow_negative=False
    )
    legs = [Leg(_carry_account(currency, by).pk, Money(-amount, currency))]
    legs.extend(Leg(cash[person.pk].pk, Money(lines[person.pk], currency)) for person in investors)
    number = next_number(Clawback, deal)

    def settle(operation: Operation, approver: User) -> Clawback:
        clawback = Clawback.objects.create(
            deal=deal,
            number=next_number(Clawback, deal),
            operation=operation,
            as_of=as_of,
            excess_minor=excess.amount_minor,
            tax_kept_minor=tax_kept,
            amount_minor=amount,
        )
        ClawbackLine.objects.bulk_create(
            [
                ClawbackLine(clawback=clawback, investor_id=pk, amount_minor=part)
                for pk, part in sorted(lines.items())
            ],
            batch_size=5000,
        )
        return clawback

    return Plan(
        deal=deal,
        kind=OperationKind.DISTRIBUTION,
        legs=legs,
        key=f"deal-{deal.pk}-clawback-{number}",
        description=(
            f"Clawback {number} of {deal} on {as_of}: {Money(amount, currency).format()} of "
            f"excess carry returned to the investors"
        ),
        on=as_of,
        settle=settle,
    )
