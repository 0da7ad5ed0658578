"""Management fees: accrued per period (ACT/365) and charged to the investors by operation.

The base is each investor's commitment or the capital they have paid in, as the deal's terms
say (the GP's own commitment pays none); each investor's fee is rounded once. The deal's offset
rate of the fee income its portfolio companies paid the manager comes off the fee, shared by
what each investor owes, until it is used up. A period overlapping one already charged (and not
reversed) is refused, so no day is charged twice.
"""

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

from django.db.models import Q, Sum

from apps.accounts.models import User
from apps.core.money import Money
from apps.core.services import use_case
from apps.deals.fees import management_fee
from apps.deals.locks import deal_lock
from apps.deals.models import (
    CapitalCallPayment,
    Deal,
    DealState,
    FeeBasis,
    FeeCharge,
    Subscription,
    SubscriptionState,
)
from apps.deals.selectors import fee_offset_available
from apps.deals.services.common import (
    OperationRefused,
    Plan,
    accounts_of,
    carry_out,
    next_number,
    platform_account,
)
from apps.investors.models import Investor
from apps.ledger.models import AccountPurpose, Operation, OperationKind, OperationState
from apps.ledger.services import Leg


def fee_bases(deal: Deal) -> dict[int, int]:
    """Return each investor's management fee base, by investor id: the commitment, or the
    capital paid in (the accepted amount in an SPV, call payments in a fund). The GP's
    commitment pays no fee."""
    accepted = Subscription.objects.filter(
        deal=deal, state=SubscriptionState.ACCEPTED, accepted_minor__gt=0
    )
    rows: Iterable[tuple[int, int | None]]
    if deal.management_fee_basis == FeeBasis.INVESTED and deal.drawn_by_calls:
        rows = (
            CapitalCallPayment.objects.filter(
                notice__call__deal=deal,
                notice__call__operation__state=OperationState.EXECUTED,
                operation__state=OperationState.EXECUTED,
            )
            .values("notice__investor")
            .annotate(total=Sum("amount_minor"))
            .values_list("notice__investor", "total")
        )
    else:
        rows = accepted.values_list("investor", "accepted_minor")
    return {
        investor: amount
        for investor, amount in sorted(rows)
        if amount and investor != deal.gp_investor_id
    }


@use_case(permission="deals.add_feecharge")
def management_fee_charge(
    *, deal: Deal, period_start: date, period_end: date, by: User, approved_by: User
) -> FeeCharge:
    """Charge the management fee for ``period_start`` to ``period_end`` in one operation."""
    plan = plan_management_fee(deal=deal, period_start=period_start, period_end=period_end, by=by)
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_management_fee(*, deal: Deal, period_start: date, period_end: date, by: User) -> Plan:
    """Work out each investor's management fee for the period."""
    deal = deal_lock(deal)
    if period_end <= period_start:
        raise OperationRefused(f"a fee period ends after it starts, not on {period_end}")
    if deal.state not in (DealState.CLOSED, DealState.CLOSING, DealState.OPEN):
        raise OperationRefused(f"{deal} is {deal.get_state_display().lower()}: it charges no fee")
    if not deal.management_fee_rate:
        raise OperationRefused(f"{deal} charges no management fee")
    overlap = FeeCharge.objects.filter(
        Q(period_start__lt=period_end) & Q(period_end__gt=period_start),
        deal=deal,
        operation__state=OperationState.EXECUTED,
    ).first()
    if overlap is not None:
        raise OperationRefused(
            f"{overlap} already charged {overlap.period_start} to {overlap.period_end}",
            charge=overlap.pk,
        )
    currency = deal.currency
    rate = Fraction(deal.management_fee_rate)
    fees = {
        investor_id: management_fee(
            base=Money(base, currency), yearly_rate=rate, start=period_start, end=period_end
        )
        for investor_id, base in fee_bases(deal).items()
    }
    fees = {pk: fee for pk, fee in fees.items() if fee.amount_minor}
    if not fees:
        raise OperationRefused(f"no management fee accrues on {deal} for that period")
    # Fee income from portfolio companies offsets the fee, shared by what each investor owes.
    accrued = sum(fees.values(), Money.zero(currency))
    offset = min(fee_offset_available(deal, on=period_end), accrued)
    if offset.amount_minor:
        reductions = offset.allocate([fee.amount_minor for fee in fees.values()])
        fees = {pk: fee - cut for (pk, fee), cut in zip(fees.items(), reductions, strict=True)}
        fees = {pk: fee for pk, fee in fees.items() if fee.amount_minor}
    if not fees:
        raise OperationRefused(
            f"fee income offsets the whole management fee of {deal} for that period"
        )
    investors = list(Investor.objects.filter(pk__in=fees).order_by("pk"))
    cash = accounts_of(
        investors, purpose=AccountPurpose.CASH, currency=currency, by=by, allow_negative=False
    )
    total = sum(fees.values(), Money.zero(currency))
    income = platform_account(
        purpose=AccountPurpose.FEE, currency=currency, name=f"Management fees ({currency})", by=by
    )
    legs = [Leg(cash[investor.pk].pk, -fees[investor.pk]) for investor in investors]
    legs.append(Leg(income.pk, total))
    number = next_number(FeeCharge, deal)

    def settle(operation: Operation, approver: User) -> FeeCharge:
        return FeeCharge.objects.create(
            deal=deal,
            number=next_number(FeeCharge, deal),
            operation=operation,
            period_start=period_start,
            period_end=period_end,
            amount_minor=total.amount_minor,
            offset_minor=offset.amount_minor,
        )

    return Plan(
        deal=deal,
        kind=OperationKind.FEE,
        legs=legs,
        key=f"deal-{deal.pk}-management-fee-{number}",
        description=f"Management fee of {deal}, {period_start} to {period_end}",
        on=period_end,
        settle=settle,
    )
