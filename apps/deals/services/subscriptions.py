"""Writes on deals and subscriptions.

A subscription is checked against the deal (currency, tickets, the deal being open) when it is
made, and against the investor's eligibility (KYC, sanctions, qualification for this ticket)
when it is submitted; a refusal names every reason and writes nothing. Over-subscription is
scaled back with :func:`~apps.core.money.allocate`, priority tier by tier, so the accepted
amounts add up to the hard cap exactly.
"""

from collections import defaultdict
from collections.abc import Sequence
from copy import copy
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Sum

from apps.accounts.models import User
from apps.compliance.selectors import eligibility
from apps.core.exceptions import TransitionRefused
from apps.core.history import acting, history_bulk_record
from apps.core.money import Money, allocate
from apps.core.services import model_update, use_case
from apps.core.validators import texts_without_control_characters
from apps.deals.locks import deal_lock, subscriptions_lock
from apps.deals.models import (
    LIVE_SUBSCRIPTIONS,
    Closing,
    Deal,
    DealState,
    Subscription,
    SubscriptionState,
)
from apps.deals.services.common import (
    SubscriptionRefused,
    money_text,
    move,
)
from apps.investors.models import Investor
from apps.ledger.models import AccountPurpose, OperationState
from apps.ledger.selectors import owner_balances


@use_case(permission="deals.add_deal")
def deal_create(*, by: User, **fields: Any) -> Deal:
    deal = Deal(created_by=by, **fields)
    Money.zero(deal.currency)  # refuses a code that is not money
    _check_terms(deal)
    deal.full_clean(exclude=["state"])
    with acting(user=by):
        deal.save()
    return deal


@use_case(permission="deals.change_deal")
def deal_update(*, deal: Deal, data: dict[str, Any], by: User) -> bool:
    """Change a draft deal's terms (the fields in ``data``) with history; say whether any
    changed. A deal no longer draft keeps its terms."""
    locked = deal_lock(deal)
    if locked.state != DealState.DRAFT:
        raise ValidationError(
            f"{locked} is {locked.get_state_display().lower()}: only a draft's terms change."
        )
    refused = {
        name: f"{DEAL_FIXED_FIELDS[name]} of a deal is fixed when it is created"
        if name in DEAL_FIXED_FIELDS
        else "not a term of a deal that can be changed"
        for name, value in data.items()
        if name not in DEAL_UPDATABLE_FIELDS
        and not (name in DEAL_FIXED_FIELDS and value == getattr(locked, name))
    }
    if refused:
        raise ValidationError(refused)
    data = {name: value for name, value in data.items() if name in DEAL_UPDATABLE_FIELDS}
    candidate = copy(locked)
    for name, value in data.items():
        setattr(candidate, name, value)
    _check_terms(candidate)
    _, changed = model_update(instance=locked, fields=DEAL_UPDATABLE_FIELDS, data=data, by=by)
    return changed


# What a draft deal's terms may change; the vehicle, its class of units and the currency are
# fixed when the deal is created (the books and the cap table are kept in them).
DEAL_FIXED_FIELDS = {
    "issuer": "the vehicle",
    "share_class": "the class of units",
    "currency": "the currency",
}
DEAL_UPDATABLE_FIELDS = [
    "name",
    "asset_class",
    "unit_price_minor",
    "target_minor",
    "hard_cap_minor",
    "min_ticket_minor",
    "max_ticket_minor",
    "eligible_regimes",
    "setup_fee_rate",
    "management_fee_rate",
    "management_fee_basis",
    "carry_rate",
    "hurdle_rate",
    "catch_up_rate",
    "hurdle_compounding",
    "hurdle_day_count",
    "return_fees_first",
    "gp_investor",
    "loss_carryforward",
    "fee_offset_rate",
    "clawback_tax_rate",
    "waterfall_type",
    "interest_rate",
    "day_count",
    "drawn_by_calls",
    "equalisation_rate",
    "opens_on",
    "closes_on",
]


AMOUNTS = (
    "unit_price_minor",
    "target_minor",
    "hard_cap_minor",
    "min_ticket_minor",
    "max_ticket_minor",
)
RATES = (
    "setup_fee_rate",
    "management_fee_rate",
    "carry_rate",
    "hurdle_rate",
    "catch_up_rate",
    "equalisation_rate",
    "fee_offset_rate",
    "clawback_tax_rate",
)


def _check_terms(deal: Deal) -> None:
    """Refuse terms that cannot work, each named on its field: a currency other than the
    vehicle's, a class of another vehicle, rates outside 0 to 1 (1 only for a full catch-up),
    an amount no amount column holds, a unit price or target of nothing, a hard cap below the
    target, a negative minimum ticket or one above the hard cap, tickets out of order, a
    closing date before the opening date."""
    problems: dict[str, str] = {}
    if deal.issuer_id and deal.issuer.currency != deal.currency:
        problems["currency"] = f"the vehicle keeps its books in {deal.issuer.currency}"
    if deal.share_class is not None and deal.share_class.issuer_id != deal.issuer_id:
        problems["share_class"] = f"“{deal.share_class}” is not a class of {deal.issuer}."
    for name in RATES:
        rate = getattr(deal, name)
        if rate is None:
            continue
        if name == "catch_up_rate" and not 0 <= rate <= 1:
            problems[name] = "A catch-up rate is from 0 to 1 (a full catch-up)."
        elif name == "fee_offset_rate" and not 0 <= rate <= 1:
            problems[name] = "A fee offset is from 0 to 1 (all fee income offset)."
        elif name not in ("catch_up_rate", "fee_offset_rate") and not 0 <= rate < 1:
            problems[name] = "A rate is from 0 up to 1, 1 excluded (0.02 is 2 %)."
    # Amounts beyond the columns are refused first: nothing else is compared with them.
    amounts = {name: getattr(deal, name) for name in AMOUNTS}
    for name, amount in amounts.items():
        refusal = amount is not None and Money(amount, deal.currency).out_of_range()
        if refusal:
            problems[name] = refusal
            amounts[name] = None
    price, target = amounts["unit_price_minor"], amounts["target_minor"]
    cap, low, high = (
        amounts[name] for name in ("hard_cap_minor", "min_ticket_minor", "max_ticket_minor")
    )
    if price is not None and price <= 0:
        problems["unit_price_minor"] = "A unit must cost more than nothing."
    if target is not None and target <= 0:
        problems["target_minor"] = "The target must be more than nothing."
    elif None not in (target, cap) and cap < target:
        shown = money_text(target, deal.currency)
        problems["hard_cap_minor"] = f"The hard cap cannot be below the target ({shown})."
    if low is not None and low < 0:
        problems["min_ticket_minor"] = "A minimum ticket cannot be negative."
    elif None not in (low, cap) and low > cap:
        shown = money_text(cap, deal.currency)
        problems["min_ticket_minor"] = f"The minimum ticket cannot be above the hard cap ({shown})."
    if None not in (low, high) and high < low:
        shown = money_text(low, deal.currency)
        problems["max_ticket_minor"] = (
            f"The maximum ticket cannot be below the minimum ticket ({shown})."
        )
    opens_on, closes_on = deal.opens_on, deal.closes_on
    if opens_on is not None and closes_on is not None and closes_on < opens_on:
        problems["closes_on"] = f"The deal cannot close before it opens ({deal.opens_on})."
    if problems:
        raise ValidationError(problems)


@use_case(permission="deals.change_deal")
def deal_open(*, deal: Deal, by: User) -> Deal:
    return move(deal, "open", by=by)


@use_case(permission="deals.change_deal")
def deal_start_closing(*, deal: Deal, by: User) -> Deal:
    return move(deal, "start_closing", by=by)


@use_case(permission="deals.change_deal")
def deal_cancel(*, deal: Deal, by: User, reason: str) -> Deal:
    """Abandon an open or closing deal before anything closed; its live subscriptions are
    rejected with ``reason``. A deal with a closing must have it reversed first."""
    if not reason.strip():
        raise TransitionRefused("say why the deal is cancelled")
    texts_without_control_characters(reason=reason, multiline=True)
    deal = deal_lock(deal)
    closed = Closing.objects.filter(deal=deal, operation__state=OperationState.EXECUTED)
    if closed.exists():
        raise TransitionRefused(
            f"{deal} has {closed.count()} closing(s): reverse them before cancelling it"
        )
    cancelled = move(deal, "cancel", by=by, reason=reason)
    live = subscriptions_lock(
        Subscription.objects.filter(
            deal=deal, state__in=[SubscriptionState.SUBMITTED, *LIVE_SUBSCRIPTIONS]
        )
    )
    for subscription in live:
        subscription.reject()
        subscription.reasons = [f"the deal was cancelled: {reason}"]
    with acting(user=by):
        Subscription.objects.filter(pk__in=[s.pk for s in live]).update(
            state=SubscriptionState.REJECTED, reasons=[f"the deal was cancelled: {reason}"]
        )
        Subscription.history.bulk_history_create(
            live, update=True, default_user=by, default_change_reason=reason
        )
    return cancelled


@use_case(permission="deals.change_deal")
def deal_wind_up(*, deal: Deal, by: User, reason: str) -> Deal:
    """Record the end of a closed deal's vehicle, once it holds no cash any more."""
    if not reason.strip():
        raise TransitionRefused("say why the deal is wound up")
    texts_without_control_characters(reason=reason, multiline=True)
    deal = deal_lock(deal)
    left = [
        money
        for account, money in owner_balances(deal.issuer).items()
        if account.purpose == AccountPurpose.CASH and money.amount_minor
    ]
    if left:
        raise TransitionRefused(
            f"{deal.issuer} still holds {', '.join(m.format() for m in left)}: "
            "distribute or return it before winding the vehicle up"
        )
    return move(deal, "wind_up", by=by, reason=reason)


@use_case(permission="deals.add_subscription", on="investor")
def subscription_create(
    *, deal: Deal, investor: Investor, amount: Money, by: User, priority: int = 1
) -> Subscription:
    """Record an investor's subscription request, checked against the deal's terms; a lower
    ``priority`` is served first when the deal is over-subscribed."""
    deal = deal_lock(deal)
    problems = []
    if deal.state != DealState.OPEN:
        problems.append(f"the deal is {deal.get_state_display().lower()}, not open")
    if amount.currency != deal.currency:
        problems.append(f"the deal is in {deal.currency}, not {amount.currency}")
    elif amount.amount_minor <= 0:
        problems.append("a subscription is for a positive amount")
    elif amount.amount_minor < deal.min_ticket_minor:
        minimum = money_text(deal.min_ticket_minor, deal.currency)
        problems.append(f"{amount.format()} is below the minimum ticket of {minimum}")
    elif deal.max_ticket_minor is not None and amount.amount_minor > deal.max_ticket_minor:
        maximum = money_text(deal.max_ticket_minor, deal.currency)
        problems.append(f"{amount.format()} is above the maximum ticket of {maximum}")
    if problems:
        raise SubscriptionRefused("; ".join(problems), reasons=problems)
    subscription = Subscription(
        deal=deal,
        investor=investor,
        amount_minor=amount.amount_minor,
        priority=priority,
        created_by=by,
    )
    subscription.full_clean(exclude=["state"])
    with acting(user=by):
        subscription.save()
    return subscription


@use_case(permission="deals.submit_subscription", on="subscription")
def subscription_submit(*, subscription: Subscription, by: User) -> Subscription:
    """Submit, and pass to eligible when the investor may invest this amount in this deal."""
    amount = Money(subscription.amount_minor, subscription.deal.currency)
    verdict = eligibility(subscription.investor, subscription.deal, amount)
    if not verdict.eligible:
        raise SubscriptionRefused(
            f"{subscription.investor} may not subscribe: " + "; ".join(verdict.reasons),
            reasons=verdict.reasons,
        )
    move(subscription, "submit", by=by)
    return move(
        subscription,
        "mark_eligible",
        by=by,
        reason="; ".join(verdict.reasons),
        reasons=verdict.reasons,
    )


@use_case(permission="deals.change_subscription", on="subscription")
def subscription_sign(*, subscription: Subscription, by: User) -> Subscription:
    return move(subscription, "sign", by=by)


@use_case(permission="deals.change_subscription", on="subscription")
def subscription_fund(*, subscription: Subscription, by: User) -> Subscription:
    return move(subscription, "fund", by=by)


@use_case(permission="deals.withdraw_subscription", on="subscription")
def subscription_withdraw(*, subscription: Subscription, by: User, reason: str) -> Subscription:
    if not reason.strip():
        raise SubscriptionRefused("say why the subscription is withdrawn")
    texts_without_control_characters(reason=reason, multiline=True)
    return move(subscription, "withdraw", by=by, reason=reason, reasons=[reason])


def scaled_back(*, cap: int, asked: Sequence[tuple[int, int]]) -> list[int]:
    """Fit ``(priority, amount)`` requests under ``cap``; return what each gets, in order.

    Tiers are filled in priority order (lower first); the first tier that does not fit whole
    shares what is left pro rata to the amounts asked, by largest remainder, and later tiers
    get nothing. The parts add up to ``min(cap, total asked)`` exactly.
    """
    tiers: dict[int, list[int]] = defaultdict(list)
    for position, (priority, _) in enumerate(asked):
        tiers[priority].append(position)
    parts = [0] * len(asked)
    room = cap
    for priority in sorted(tiers):
        members = tiers[priority]
        amounts = [asked[position][1] for position in members]
        if sum(amounts) <= room:
            shares = amounts
        elif room:
            shares = allocate(room, amounts)
        else:
            break
        room -= sum(shares)
        for position, share in zip(members, shares, strict=True):
            parts[position] = share
    return parts


@use_case(permission="deals.change_subscription")
def subscriptions_scale_back(*, deal: Deal, by: User) -> dict[int, int]:
    """Set each live subscription's accepted amount so that they fit under what the hard cap
    leaves after earlier closings (:func:`scaled_back`); return the accepted amount of each
    subscription by id."""
    deal = deal_lock(deal)
    live = sorted(
        subscriptions_lock(Subscription.objects.filter(deal=deal, state__in=LIVE_SUBSCRIPTIONS)),
        key=lambda subscription: (subscription.priority, subscription.pk),
    )
    taken = Subscription.objects.filter(deal=deal, state=SubscriptionState.ACCEPTED).aggregate(
        total=Sum("accepted_minor")
    )["total"]
    room = deal.hard_cap_minor - (taken or 0)
    parts = scaled_back(cap=room, asked=[(s.priority, s.amount_minor) for s in live])
    accepted: dict[int, int] = {}
    for subscription, part in zip(live, parts, strict=True):
        subscription.accepted_minor = part
        accepted[subscription.pk] = part
    with acting(user=by):
        Subscription.objects.bulk_update(live, ["accepted_minor"], batch_size=1000)
        history_bulk_record(Subscription, live, by=by)
    return accepted
