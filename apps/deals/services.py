"""Writes on deals and subscriptions.

A subscription is checked against the deal (currency, tickets, the deal being open) when it is
made, and against the investor's eligibility (KYC, sanctions, qualification for this ticket)
when it is submitted; a refusal names every reason and writes nothing. Over-subscription is
scaled back with :func:`~apps.core.money.allocate`, priority tier by tier, so the accepted
amounts add up to the hard cap exactly.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django_fsm import can_proceed

from apps.accounts.models import User
from apps.captable.models import Stakeholder
from apps.captable.services import Change, captable_change_record, stakeholders_bulk_create
from apps.compliance.selectors import eligibility
from apps.core.exceptions import DomainError
from apps.core.history import acting, history_stamp_custom_attrs
from apps.core.money import Money, allocate
from apps.deals.fees import setup_fee
from apps.deals.models import (
    LIVE_SUBSCRIPTIONS,
    Deal,
    DealState,
    Subscription,
    SubscriptionState,
)
from apps.investors.models import Investor
from apps.ledger.models import Account, AccountPurpose, Operation, OperationKind
from apps.ledger.services import AccountSpec, Leg, account_bulk_open, account_open


class TransitionRefused(DomainError):
    code = "deal_transition_refused"


class SubscriptionRefused(DomainError):
    code = "subscription_refused"


def _money(amount_minor: int | None, deal: Deal) -> str:
    return "no limit" if amount_minor is None else Money(amount_minor, deal.currency).format()


@transaction.atomic
def deal_create(*, by: User, **fields: Any) -> Deal:
    deal = Deal(created_by=by, **fields)
    Money.zero(deal.currency)  # refuses a code that is not money
    if deal.issuer_id and deal.issuer.currency != deal.currency:
        raise ValidationError(
            {"currency": f"the vehicle keeps its books in {deal.issuer.currency}"}
        )
    deal.full_clean(exclude=["state"])
    with acting(user=by):
        deal.save()
    return deal


def _move(instance, transition_name: str, *, by: User | None, reason: str = "", **fields: Any):
    model = type(instance)
    with acting(user=by):
        locked = model.objects.select_for_update().get(pk=instance.pk)
        bound = getattr(locked, transition_name)
        if not can_proceed(bound):
            raise TransitionRefused(
                f"{locked} is {locked.get_state_display().lower()}: it cannot "
                f"{transition_name.replace('_', ' ')} from there",
                state=locked.state,
            )
        bound()
        for name, value in fields.items():
            setattr(locked, name, value)
        if reason:
            locked._change_reason = reason
        locked.save()
    return locked


@transaction.atomic
def deal_open(*, deal: Deal, by: User) -> Deal:
    return _move(deal, "open", by=by)


@transaction.atomic
def deal_start_closing(*, deal: Deal, by: User) -> Deal:
    return _move(deal, "start_closing", by=by)


@transaction.atomic
def subscription_create(*, deal: Deal, investor: Investor, amount: Money, by: User) -> Subscription:
    """Record an investor's subscription request, checked against the deal's terms."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    problems = []
    if deal.state != DealState.OPEN:
        problems.append(f"the deal is {deal.get_state_display().lower()}, not open")
    if amount.currency != deal.currency:
        problems.append(f"the deal is in {deal.currency}, not {amount.currency}")
    elif amount.amount_minor < deal.min_ticket_minor:
        minimum = _money(deal.min_ticket_minor, deal)
        problems.append(f"{amount.format()} is below the minimum ticket of {minimum}")
    elif deal.max_ticket_minor is not None and amount.amount_minor > deal.max_ticket_minor:
        maximum = _money(deal.max_ticket_minor, deal)
        problems.append(f"{amount.format()} is above the maximum ticket of {maximum}")
    if problems:
        raise SubscriptionRefused("; ".join(problems), reasons=problems)
    subscription = Subscription(
        deal=deal, investor=investor, amount_minor=amount.amount_minor, created_by=by
    )
    subscription.full_clean(exclude=["state"])
    with acting(user=by):
        subscription.save()
    return subscription


@transaction.atomic
def subscription_submit(*, subscription: Subscription, by: User) -> Subscription:
    """Submit, and pass to eligible when the investor may invest this amount in this deal."""
    amount = Money(subscription.amount_minor, subscription.deal.currency)
    verdict = eligibility(subscription.investor, subscription.deal, amount)
    if not verdict.eligible:
        raise SubscriptionRefused(
            f"{subscription.investor} may not subscribe: " + "; ".join(verdict.reasons),
            reasons=verdict.reasons,
        )
    _move(subscription, "submit", by=by)
    return _move(
        subscription,
        "mark_eligible",
        by=by,
        reason="; ".join(verdict.reasons),
        reasons=verdict.reasons,
    )


@transaction.atomic
def subscription_sign(*, subscription: Subscription, by: User) -> Subscription:
    return _move(subscription, "sign", by=by)


@transaction.atomic
def subscription_fund(*, subscription: Subscription, by: User) -> Subscription:
    return _move(subscription, "fund", by=by)


@transaction.atomic
def subscription_withdraw(*, subscription: Subscription, by: User, reason: str) -> Subscription:
    if not reason.strip():
        raise SubscriptionRefused("say why the subscription is withdrawn")
    return _move(subscription, "withdraw", by=by, reason=reason, reasons=[reason])


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


@transaction.atomic
def subscriptions_scale_back(*, deal: Deal, by: User) -> dict[int, int]:
    """Set each live subscription's accepted amount so that they fit under the hard cap
    (:func:`scaled_back`); return the accepted amount of each subscription by id."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    live = list(
        Subscription.objects.select_for_update()
        .filter(deal=deal, state__in=LIVE_SUBSCRIPTIONS)
        .order_by("priority", "pk")
    )
    parts = scaled_back(cap=deal.hard_cap_minor, asked=[(s.priority, s.amount_minor) for s in live])
    for subscription, part in zip(live, parts, strict=True):
        subscription.accepted_minor = part
    with acting(user=by):
        Subscription.objects.bulk_update(live, ["accepted_minor"], batch_size=1000)
        # bulk_update writes no history: record one row per subscription, in one write.
        Subscription.history.bulk_history_create(live, update=True, default_user=by)
    return {subscription.pk: subscription.accepted_minor for subscription in live}


def _accounts_of(owners: Sequence, *, purpose: str, currency: str, by: User, **spec: Any) -> dict:
    """Return each owner's account for ``purpose`` in ``currency``, opening the missing in bulk."""
    if not owners:
        return {}
    owner_type = ContentType.objects.get_for_model(owners[0])
    existing = {
        account.owner_id: account
        for account in Account.objects.filter(
            owner_type=owner_type,
            owner_id__in=[owner.pk for owner in owners],
            purpose=purpose,
            currency=currency,
        )
    }
    missing = [owner for owner in owners if owner.pk not in existing]
    opened = account_bulk_open(
        specs=[AccountSpec(purpose, currency, owner=owner, **spec) for owner in missing], by=by
    )
    existing.update({account.owner_id: account for account in opened})
    return existing


def _platform_account(*, purpose: str, currency: str, name: str, by: User) -> Account:
    account = Account.objects.filter(
        owner_type__isnull=True, purpose=purpose, currency=currency, name=name
    ).first()
    return account or account_open(purpose=purpose, currency=currency, name=name, by=by)


def _stakeholders_of(deal: Deal, investors: list[Investor], *, by: User) -> dict[int, Stakeholder]:
    """Return each investor's stakeholder record on the deal's vehicle, creating the missing."""
    keys = {investor.party_key: investor for investor in investors}
    found = {
        stakeholder.party_key: stakeholder
        for stakeholder in Stakeholder.objects.filter(issuer=deal.issuer, party_key__in=keys)
    }
    created = stakeholders_bulk_create(
        issuer=deal.issuer,
        rows=[
            {
                "name": investor.legal_name,
                "kind": "individual" if investor.kind == "person" else "institution",
                "party_key": key,
            }
            for key, investor in keys.items()
            if key not in found
        ],
        by=by,
    )
    found.update({stakeholder.party_key: stakeholder for stakeholder in created})
    return {keys[key].pk: stakeholder for key, stakeholder in found.items()}


@transaction.atomic
def deal_close(*, deal: Deal, by: User, approved_by: User, effective_date: date) -> Operation:
    """Close a deal in one operation: cash, setup fees and units, for every funded subscription.

    Each investor's cash account pays the accepted amount plus the setup fee (rounded once,
    half up); the vehicle's account receives the amounts, the platform's fee account the fees;
    the vehicle issues units at the deal's unit price (exact to 10 decimals, rounded down). The
    whole closing commits or nothing does: an investor short of cash stops it, named.
    """
    deal = (
        Deal.objects.select_for_update(of=("self",))
        .select_related("issuer", "share_class")
        .get(pk=deal.pk)
    )
    if deal.state != DealState.CLOSING:
        raise TransitionRefused(f"{deal} is {deal.get_state_display().lower()}, not closing")
    if deal.share_class is None:
        raise ValidationError("the deal names no class of units to issue")
    subscriptions = list(
        Subscription.objects.select_for_update(of=("self",))
        .filter(deal=deal, state=SubscriptionState.FUNDED)
        .select_related("investor")
        .order_by("pk")
    )
    if not subscriptions:
        raise SubscriptionRefused(f"{deal} has no funded subscription to close")
    unscaled = [s for s in subscriptions if s.accepted_minor is None]
    if unscaled:
        raise SubscriptionRefused(
            f"{len(unscaled)} funded subscription(s) have no accepted amount: scale back first"
        )
    accepted = [s for s in subscriptions if s.accepted_minor]
    investors = [s.investor for s in accepted]
    currency = deal.currency
    cash = _accounts_of(
        investors, purpose=AccountPurpose.CASH, currency=currency, by=by, allow_negative=False
    )
    vehicle = _accounts_of([deal.issuer], purpose=AccountPurpose.CASH, currency=currency, by=by)[
        deal.issuer.pk
    ]
    fees_account = _platform_account(
        purpose=AccountPurpose.FEE, currency=currency, name=f"Setup fees ({currency})", by=by
    )
    rate = Fraction(deal.setup_fee_rate)
    fees = {s.pk: setup_fee(amount=Money(s.accepted_minor, currency), rate=rate) for s in accepted}
    legs = [
        Leg(cash[s.investor_id].pk, -(Money(s.accepted_minor, currency) + fees[s.pk]))
        for s in accepted
    ]
    legs.append(Leg(vehicle.pk, Money(sum(s.accepted_minor for s in accepted), currency)))
    total_fees = sum((fee for fee in fees.values()), Money.zero(currency))
    if total_fees.amount_minor:
        legs.append(Leg(fees_account.pk, total_fees))
    stakeholders = _stakeholders_of(deal, investors, by=by)

    def issue_units(change: Change) -> Operation:
        for subscription in accepted:
            units = Decimal(subscription.accepted_minor) / Decimal(deal.unit_price_minor)
            change.issue(
                kind="stock",
                stakeholder=stakeholders[subscription.investor_id],
                share_class=deal.share_class,
                quantity=units.quantize(Decimal("1E-10"), rounding="ROUND_DOWN"),
                effective_date=effective_date,
            )
        return change.operation

    operation = captable_change_record(
        issuer=deal.issuer,
        description=f"Closing of {deal}",
        by=by,
        approved_by=approved_by,
        build=issue_units,
        idempotency_key=f"closing-{deal.pk}-{effective_date.isoformat()}",
        kind=OperationKind.CLOSING,
        legs=legs,
    )
    with acting(user=approved_by, operation_id=operation.pk):
        closed = Subscription.objects.filter(pk__in=[s.pk for s in subscriptions])
        closed.update(state=SubscriptionState.ACCEPTED)
        Subscription.history.bulk_history_create(
            list(closed),
            update=True,
            default_user=approved_by,
            custom_historical_attrs=history_stamp_custom_attrs(),
        )
        _move(deal, "close", by=approved_by)
    return operation
