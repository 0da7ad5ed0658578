"""Distributions: proceeds through the waterfall to the investors and the carry account.

The deal's waterfall (European for the whole vehicle, or American deal by deal: for one deal's
vehicle both read the same flows) splits the proceeds into tiers, each with its LP and GP part.
Each tier's LP part is shared among the investors by the units of the deal's class they hold on
the distribution date (in a fund: by the capital each has paid in on its calls, so an investor
in default is paid only on what they paid), with :func:`~apps.core.money.allocate`; the GP's
part goes to the platform's carry account. The contributions are what the investors paid in
(closings in an SPV, call payments in a fund); earlier distributions count as returned first.
One operation moves the proceeds out of the vehicle's cash account, which must hold them.

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
    Deal,
    DealState,
    Distribution,
    DistributionKind,
    DistributionLine,
    WaterfallType,
)
from apps.deals.selectors import (
    contributions,
    entitlements,
    fees_paid,
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
from apps.ledger.models import AccountPurpose, Operation, OperationKind
from apps.ledger.services import Leg


def waterfall_tiers(deal: Deal, proceeds: Money, on: date) -> list[waterfall.Tier]:
    """Return the tiers ``proceeds`` distributed ``on`` fall into, under the deal's terms,
    after every earlier distribution of the deal."""
    paid_in = contributions(deal)
    if deal.return_fees_first:
        paid_in = sorted([*paid_in, *fees_paid(deal)], key=lambda flow: flow[0])
    flows = waterfall.DealFlows(paid_in, prior_distributions(deal), proceeds)
    terms = waterfall.TermsGiven(
        hurdle=deal.hurdle_rate,
        carry=deal.carry_rate,
        catch_up=deal.catch_up_rate,
        compounding=deal.hurdle_compounding,
        hurdle_day_count=deal.hurdle_day_count,
    )
    if deal.waterfall_type == WaterfallType.AMERICAN:
        return waterfall.american([flows], on, **terms)[0]
    return waterfall.european(flows.contributions, flows.distributions, proceeds, on, **terms)


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


def _plan(
    deal: Deal,
    *,
    kind: str,
    on: date,
    lines: dict[int, int],
    gp_minor: int,
    tiers: list[dict],
    by: User,
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
        carry = platform_account(
            purpose=AccountPurpose.DISTRIBUTION,
            currency=currency,
            name=f"Carried interest ({currency})",
            by=by,
        )
        legs.append(Leg(carry.pk, Money(gp_minor, currency)))
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
) -> Distribution:
    """Distribute ``proceeds`` held by the vehicle through the waterfall, in one operation.

    With ``closes_deal`` the deal is marked exited in the same transaction.
    """
    plan = plan_distribution(
        deal=deal, proceeds=proceeds, on=on, kind=kind, closes_deal=closes_deal, by=by
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
) -> Plan:
    """Work out a distribution of ``proceeds`` through the waterfall."""
    deal = deal_lock(deal)
    check_currency(proceeds, deal, "a distribution")
    if deal.state != DealState.CLOSED:
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: only a closed deal distributes"
        )
    if proceeds.amount_minor <= 0:
        raise OperationRefused("a distribution is of a positive amount")
    units = _holders(deal, on)
    tiers = waterfall_tiers(deal, proceeds, on)
    weights = list(units.values())
    lines: dict[int, int] = defaultdict(int)
    for tier in tiers:
        if tier.lp.amount_minor:
            for investor_id, part in zip(
                units, allocate(tier.lp.amount_minor, weights), strict=True
            ):
                lines[investor_id] += part
    _, gp = waterfall.totals(tiers)
    return _plan(
        deal,
        kind=kind,
        on=on,
        lines={pk: lines.get(pk, 0) for pk in units},
        gp_minor=gp.amount_minor,
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
