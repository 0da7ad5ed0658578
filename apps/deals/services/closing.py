"""Closings: the accepted subscriptions' cash, fees and units, in one operation.

A deal may close in several closings at the same unit price; the last one is *final* and closes
the deal. A later closing's investors may owe the earlier ones an equalisation interest on what
they commit, from the first closing to theirs (``Deal.equalisation_rate``, ACT/365, rounded once
per investor), shared among the earlier investors by their accepted amounts with
:func:`~apps.core.money.allocate`.

In an SPV the accepted amount is paid at closing. In a fund (``Deal.drawn_by_calls``) it is a
commitment: the closing records it on the investor's commitment account (drawn later by capital
calls) and only the setup fee and any equalisation are paid in cash.
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

from apps.accounts.models import User
from apps.captable.quantities import units_rounded
from apps.captable.services import Change
from apps.core.exceptions import TransitionRefused
from apps.core.history import history_bulk_record
from apps.core.money import Money, allocate
from apps.core.services import use_case
from apps.deals.fees import setup_fee
from apps.deals.interest import DayCount, accrued_interest
from apps.deals.locks import deal_lock, subscriptions_lock
from apps.deals.models import Closing, Deal, DealState, Subscription, SubscriptionState
from apps.deals.services.common import (
    OperationRefused,
    Plan,
    SubscriptionRefused,
    accounts_of,
    carry_out,
    move,
    next_number,
    platform_account,
    stakeholders_of,
    vehicle_account,
)
from apps.investors.models import Investor
from apps.ledger.models import AccountPurpose, Operation, OperationKind, OperationState
from apps.ledger.services import Leg

EXECUTED = OperationState.EXECUTED
SCALED_TO_NOTHING = "scaled back to nothing: the deal was over-subscribed"


def units_for(amount_minor: int, unit_price_minor: int) -> Decimal:
    """The units ``amount_minor`` buys at ``unit_price_minor``: exact to 10 decimals, rounded
    down."""
    return units_rounded(Decimal(amount_minor) / Decimal(unit_price_minor))


def _accepted_minor(subscription: Subscription) -> int:
    """Return the accepted amount of a subscription the scale-back has already settled."""
    if subscription.accepted_minor is None:
        raise RuntimeError(f"{subscription} has no accepted amount: closings take scaled-back ones")
    return subscription.accepted_minor


def _equalisation(
    deal: Deal, accepted: list[Subscription], effective_date: date
) -> tuple[dict[int, Money], dict[int, Money]]:
    """Return what each new subscription pays and each earlier one receives, by investor id."""
    currency = deal.currency
    first = Closing.objects.filter(deal=deal, operation__state=EXECUTED).order_by("number").first()
    if first is None or not deal.equalisation_rate:
        return {}, {}
    paid = {
        s.investor_id: accrued_interest(
            principal=Money(_accepted_minor(s), currency),
            rate=deal.equalisation_rate,
            start=first.effective_date,
            end=effective_date,
            day_count=DayCount.ACT_365,
        )
        for s in accepted
    }
    total = sum(money.amount_minor for money in paid.values())
    earlier = list(
        Subscription.objects.filter(
            deal=deal, state=SubscriptionState.ACCEPTED, accepted_minor__gt=0
        )
        .order_by("pk")
        .only("investor_id", "accepted_minor")
    )
    parts = allocate(total, [_accepted_minor(s) for s in earlier]) if total else []
    received = {
        s.investor_id: Money(part, currency) for s, part in zip(earlier, parts, strict=True) if part
    }
    return {pk: money for pk, money in paid.items() if money.amount_minor}, received


@use_case(permission="deals.add_closing")
def deal_close(
    *,
    deal: Deal,
    by: User,
    approved_by: User,
    effective_date: date,
    final: bool = True,
) -> Closing:
    """Close the deal's funded subscriptions in one operation (:func:`plan_closing`)."""
    plan = plan_closing(deal=deal, by=by, effective_date=effective_date, final=final)
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_closing(*, deal: Deal, by: User, effective_date: date, final: bool = True) -> Plan:
    """Work out a closing of the deal's funded subscriptions: cash, fees and units.

    Each investor pays the accepted amount (or, in a fund, commits it) plus the setup fee
    (rounded once, half up) and any equalisation; the vehicle receives the amounts, the
    platform's fee account the fees; the vehicle issues units at the unit price (exact to 10
    decimals, rounded down). A subscription scaled back to nothing is rejected. Everything
    commits or nothing does: an investor short of cash stops the closing, named.
    """
    deal = deal_lock(deal)
    allowed = [DealState.CLOSING] if final else [DealState.OPEN, DealState.CLOSING]
    if deal.state not in allowed:
        what = "a final closing" if final else "a closing"
        raise TransitionRefused(
            f"{deal} is {deal.get_state_display().lower()}: {what} is not possible",
            state=deal.state,
        )
    if deal.share_class is None:
        raise OperationRefused(f"{deal} names no class of units to issue")
    last = Closing.objects.filter(deal=deal, operation__state=EXECUTED).order_by("number").last()
    if last is not None and effective_date < last.effective_date:
        raise OperationRefused(
            f"{last} took effect on {last.effective_date}: a later closing cannot be dated "
            f"{effective_date}"
        )
    subscriptions = subscriptions_lock(
        Subscription.objects.filter(
            deal=deal, state=SubscriptionState.FUNDED, closing__isnull=True
        ).select_related("investor")
    )
    if not subscriptions:
        raise SubscriptionRefused(f"{deal} has no funded subscription to close")
    unscaled = [s for s in subscriptions if s.accepted_minor is None]
    if unscaled:
        raise SubscriptionRefused(
            f"{len(unscaled)} funded subscription(s) have no accepted amount: scale back first"
        )
    accepted = [s for s in subscriptions if s.accepted_minor]
    if not accepted:
        raise SubscriptionRefused(f"every funded subscription to {deal} was scaled back to nothing")
    currency = deal.currency
    investors = [s.investor for s in accepted]
    rate = Fraction(deal.setup_fee_rate)
    fees = {
        s.pk: setup_fee(amount=Money(_accepted_minor(s), currency), rate=rate) for s in accepted
    }
    equalisation_paid, equalisation_received = _equalisation(deal, accepted, effective_date)
    total = Money(sum(_accepted_minor(s) for s in accepted), currency)

    earlier = Investor.objects.filter(pk__in=equalisation_received).exclude(
        pk__in=[investor.pk for investor in investors]
    )
    cash = accounts_of(
        [*investors, *earlier],
        purpose=AccountPurpose.CASH,
        currency=currency,
        by=by,
        allow_negative=False,
    )
    legs: list[Leg] = []
    for s in accepted:
        paid_now = fees[s.pk] + equalisation_paid.get(s.investor_id, Money.zero(currency))
        if not deal.drawn_by_calls:
            paid_now += Money(_accepted_minor(s), currency)
        if paid_now.amount_minor:
            legs.append(Leg(cash[s.investor_id].pk, -paid_now))
    for investor_id, money in equalisation_received.items():
        legs.append(Leg(cash[investor_id].pk, money))
    if deal.drawn_by_calls:
        commitments = accounts_of(
            investors,
            purpose=AccountPurpose.COMMITMENT,
            currency=currency,
            by=by,
            allow_negative=False,
        )
        legs.extend(
            Leg(commitments[s.investor_id].pk, Money(_accepted_minor(s), currency))
            for s in accepted
        )
        vehicle = vehicle_account(
            deal, purpose=AccountPurpose.COMMITMENT, by=by, allow_negative=True
        )
        legs.append(Leg(vehicle.pk, -total))
    else:
        vehicle = vehicle_account(deal, purpose=AccountPurpose.CASH, by=by, allow_negative=False)
        legs.append(Leg(vehicle.pk, total))
    total_fees = sum(fees.values(), Money.zero(currency))
    if total_fees.amount_minor:
        fees_account = platform_account(
            purpose=AccountPurpose.FEE, currency=currency, name=f"Setup fees ({currency})", by=by
        )
        legs.append(Leg(fees_account.pk, total_fees))
    stakeholders = stakeholders_of(deal, investors, by=by)

    def issue_units(change: Change) -> None:
        for subscription in accepted:
            change.issue(
                kind="stock",
                stakeholder=stakeholders[subscription.investor_id],
                share_class=deal.share_class,
                quantity=units_for(_accepted_minor(subscription), deal.unit_price_minor),
                effective_date=effective_date,
            )

    number = next_number(Closing, deal)

    def settle(operation: Operation, approver: User) -> Closing:
        closing = Closing.objects.create(
            deal=deal,
            number=next_number(Closing, deal),
            operation=operation,
            effective_date=effective_date,
            final=final,
            amount_minor=total.amount_minor,
            equalisation_minor=sum(m.amount_minor for m in equalisation_paid.values()),
        )
        _settle(subscriptions, closing=closing, by=approver)
        if final:
            move(deal, "close", by=approver)
        return closing

    return Plan(
        deal=deal,
        kind=OperationKind.CLOSING,
        legs=legs,
        key=f"deal-{deal.pk}-closing-{number}",
        description=f"Closing {number} of {deal}" + (" (final)" if final else ""),
        on=effective_date,
        settle=settle,
        build=issue_units,
    )


def _settle(subscriptions: list[Subscription], *, closing: Closing, by: User) -> None:
    """Accept what the closing took, reject what was scaled back to nothing; with history."""
    accepted, rejected = [], []
    for subscription in subscriptions:
        if subscription.accepted_minor:
            subscription.accept()
            subscription.closing = closing
            accepted.append(subscription.pk)
        else:
            subscription.reject()
            subscription.reasons = [SCALED_TO_NOTHING]
            rejected.append(subscription.pk)
    # Two statements whatever the number of subscriptions; the transitions above were checked.
    Subscription.objects.filter(pk__in=accepted).update(
        state=SubscriptionState.ACCEPTED, closing=closing
    )
    Subscription.objects.filter(pk__in=rejected).update(
        state=SubscriptionState.REJECTED, reasons=[SCALED_TO_NOTHING]
    )
    history_bulk_record(Subscription, subscriptions, by=by)
