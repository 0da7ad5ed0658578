"""Capital calls: drawing a fund's commitments, notice by notice, payment by payment.

A call draws an amount from the uncalled commitments, split pro rata to what each investor has
left to draw with :func:`~apps.core.money.allocate`, so no notice ever exceeds an investor's
uncalled commitment and the notices add up to the call exactly. On the books:

- the call moves each investor's part from their ``commitment`` account (uncalled) to their
  ``capital_called`` account (called, unpaid);
- a payment moves cash from the investor to the vehicle and settles that much of the called
  amount against the vehicle's ``commitment`` account.

Neither account may go negative, so the uncalled commitment and what is owed on each notice are
always exact balances. Notices unpaid after their due date are flagged as defaults.
"""

from datetime import date

from django.db.models import Q, Sum
from django.utils import timezone

from apps.accounts.models import User
from apps.core.history import acting, history_bulk_record
from apps.core.money import Money, allocate
from apps.core.services import use_case
from apps.core.validators import texts_without_control_characters
from apps.deals.locks import deal_lock, notice_lock, notices_lock
from apps.deals.models import (
    CapitalCall,
    CapitalCallNotice,
    CapitalCallPayment,
    Deal,
    DealState,
    PortfolioInvestment,
    Subscription,
)
from apps.deals.selectors import notice_outstanding, uncalled_commitments
from apps.deals.services.common import (
    OperationRefused,
    Plan,
    accounts_of,
    carry_out,
    check_currency,
    next_number,
    vehicle_account,
)
from apps.ledger.models import AccountPurpose, Operation, OperationKind, OperationState
from apps.ledger.services import Leg


@use_case(permission="deals.add_capitalcall")
def capital_call_issue(
    *,
    deal: Deal,
    amount: Money,
    call_date: date,
    due_date: date,
    by: User,
    approved_by: User,
    purpose: str = "",
    investment: PortfolioInvestment | None = None,
) -> CapitalCall:
    """Call ``amount`` from the fund's uncalled commitments (:func:`plan_capital_call`)."""
    plan = plan_capital_call(
        deal=deal,
        amount=amount,
        call_date=call_date,
        due_date=due_date,
        purpose=purpose,
        investment=investment,
        by=by,
    )
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_capital_call(
    *,
    deal: Deal,
    amount: Money,
    call_date: date,
    due_date: date,
    by: User,
    purpose: str = "",
    investment: PortfolioInvestment | None = None,
) -> Plan:
    """Work out a call of ``amount`` from the uncalled commitments, one notice per investor;
    for ``investment``, if the capital goes to one of the fund's portfolio investments."""
    texts_without_control_characters(purpose=purpose)
    deal = deal_lock(deal)
    if investment is not None and investment.deal_id != deal.pk:
        raise OperationRefused(f"{investment} is not an investment of {deal}")
    check_currency(amount, deal, "a call")
    if not deal.drawn_by_calls:
        raise OperationRefused(f"{deal} is paid at closing: it draws nothing by capital calls")
    if deal.state not in (DealState.OPEN, DealState.CLOSING, DealState.CLOSED):
        raise OperationRefused(f"{deal} is {deal.get_state_display().lower()}: it calls no capital")
    if amount.amount_minor <= 0:
        raise OperationRefused("a call is for a positive amount")
    if due_date < call_date:
        raise OperationRefused(f"a call made on {call_date} cannot be due before, on {due_date}")
    uncalled = uncalled_commitments(deal)
    left = sum(uncalled.values())
    if amount.amount_minor > left:
        raise OperationRefused(
            f"a call of {amount.format()} is above the uncalled commitment of "
            f"{Money(left, deal.currency).format()}",
            uncalled=left,
        )
    subscriptions = list(
        Subscription.objects.filter(pk__in=uncalled).select_related("investor").order_by("pk")
    )
    parts = allocate(amount.amount_minor, [uncalled[s.pk] for s in subscriptions])
    called = [(s, part) for s, part in zip(subscriptions, parts, strict=True) if part]
    investors = [s.investor for s, _ in called]
    currency = deal.currency
    commitment = accounts_of(investors, purpose=AccountPurpose.COMMITMENT, currency=currency, by=by)
    owed = accounts_of(
        investors,
        purpose=AccountPurpose.CAPITAL_CALLED,
        currency=currency,
        by=by,
        allow_negative=False,
    )
    legs = []
    for subscription, part in called:
        legs.append(Leg(commitment[subscription.investor_id].pk, Money(-part, currency)))
        legs.append(Leg(owed[subscription.investor_id].pk, Money(part, currency)))
    number = next_number(CapitalCall, deal)

    def settle(operation: Operation, approver: User) -> CapitalCall:
        call = CapitalCall.objects.create(
            deal=deal,
            number=next_number(CapitalCall, deal),
            operation=operation,
            amount_minor=amount.amount_minor,
            call_date=call_date,
            due_date=due_date,
            purpose=purpose,
            investment=investment,
        )
        notices = [
            CapitalCallNotice(
                call=call, subscription=s, investor_id=s.investor_id, amount_minor=part
            )
            for s, part in called
        ]
        CapitalCallNotice.objects.bulk_create(notices, batch_size=2000)
        history_bulk_record(CapitalCallNotice, notices, by=approver, update=False)
        return call

    return Plan(
        deal=deal,
        kind=OperationKind.CAPITAL_CALL,
        legs=legs,
        key=f"deal-{deal.pk}-call-{number}",
        description=f"Capital call {number} of {deal}: {amount.format()} due {due_date}",
        on=call_date,
        settle=settle,
    )


@use_case(permission="deals.add_capitalcallpayment")
def capital_call_payment_record(
    *, notice: CapitalCallNotice, amount: Money, paid_on: date, by: User, approved_by: User
) -> CapitalCallPayment:
    """Record a payment (in full or in part) of what an investor owes on a call."""
    plan = plan_call_payment(
        deal=notice.call.deal, notice=notice, amount=amount, paid_on=paid_on, by=by
    )
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_call_payment(
    *, deal: Deal, notice: CapitalCallNotice, amount: Money, paid_on: date, by: User
) -> Plan:
    """Work out a payment on ``notice``: cash to the vehicle, the called amount settled."""
    notice = notice_lock(notice)
    if notice.call.deal_id != deal.pk:
        raise OperationRefused(f"{notice} is not a notice of {deal}")
    deal = deal_lock(deal)
    check_currency(amount, deal, "a payment")
    if notice.call.operation.state != OperationState.EXECUTED:
        raise OperationRefused(f"{notice.call} was reversed: nothing is owed on it")
    if amount.amount_minor <= 0:
        raise OperationRefused("a payment is a positive amount")
    if paid_on < notice.call.call_date:
        raise OperationRefused(
            f"{notice.call} was made on {notice.call.call_date}: it cannot be paid on {paid_on}"
        )
    outstanding = notice_outstanding(notice)
    if amount.amount_minor > outstanding.amount_minor:
        raise OperationRefused(
            f"{notice.investor} owes {outstanding.format()} on {notice.call}: "
            f"a payment of {amount.format()} is more",
            outstanding=outstanding.amount_minor,
        )
    currency = deal.currency
    investor = notice.investor
    cash = accounts_of(
        [investor], purpose=AccountPurpose.CASH, currency=currency, by=by, allow_negative=False
    )[investor.pk]
    owed = accounts_of(
        [investor],
        purpose=AccountPurpose.CAPITAL_CALLED,
        currency=currency,
        by=by,
        allow_negative=False,
    )[investor.pk]
    vehicle_cash = vehicle_account(deal, purpose=AccountPurpose.CASH, by=by, allow_negative=False)
    vehicle_commitments = vehicle_account(
        deal, purpose=AccountPurpose.COMMITMENT, by=by, allow_negative=True
    )
    legs = [
        Leg(cash.pk, -amount),
        Leg(vehicle_cash.pk, amount),
        Leg(owed.pk, -amount),
        Leg(vehicle_commitments.pk, amount),
    ]

    def settle(operation: Operation, approver: User) -> CapitalCallPayment:
        return CapitalCallPayment.objects.create(
            notice=notice, operation=operation, amount_minor=amount.amount_minor, paid_on=paid_on
        )

    number = notice.payments.count() + 1
    return Plan(
        deal=deal,
        kind=OperationKind.CAPITAL_CALL,
        legs=legs,
        key=f"deal-{deal.pk}-notice-{notice.pk}-payment-{number}",
        description=f"Payment by {investor} on {notice.call}",
        on=paid_on,
        settle=settle,
    )


@use_case(permission="deals.change_capitalcallnotice")
def capital_calls_flag_defaults(*, today: date, by: User) -> int:
    """Flag every notice still owing after its due date as a default; return how many."""
    paid = Sum(
        "payments__amount_minor",
        filter=Q(payments__operation__state=OperationState.EXECUTED),
        default=0,
    )
    late = notices_lock(
        CapitalCallNotice.objects.filter(
            call__operation__state=OperationState.EXECUTED,
            call__due_date__lt=today,
            defaulted_at__isnull=True,
        )
    )
    # Aggregation and row locks cannot share one statement on PostgreSQL: lock, then sum.
    late_ids = [notice.pk for notice in late]
    sums = dict(
        CapitalCallNotice.objects.filter(pk__in=late_ids)
        .annotate(paid=paid)
        .values_list("pk", "paid")
    )
    defaulted = [notice for notice in late if sums[notice.pk] < notice.amount_minor]
    now = timezone.now()
    for notice in defaulted:
        notice.defaulted_at = now
    with acting(user=by):
        CapitalCallNotice.objects.bulk_update(defaulted, ["defaulted_at"], batch_size=1000)
        history_bulk_record(CapitalCallNotice, defaulted, by=by, reason="unpaid after due date")
    return len(defaulted)
