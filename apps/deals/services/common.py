"""What the deal services share: refusals, transitions, accounts, stakeholders, recording."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from apps.accounts.models import User
from apps.captable.models import Stakeholder
from apps.captable.services import Change, captable_change_record, stakeholders_bulk_create
from apps.core.exceptions import DomainError
from apps.core.history import acting
from apps.core.money import Money
from apps.core.transitions import fsm_transition
from apps.deals.models import Deal
from apps.investors.models import Investor
from apps.ledger.models import Account, Operation
from apps.ledger.services import AccountSpec, Leg, account_bulk_open, account_open

FSMRecord = TypeVar("FSMRecord", bound=models.Model)


class SubscriptionRefused(DomainError):
    code = "subscription_refused"


class OperationRefused(DomainError):
    """A deal operation (closing, call, payment, distribution, fee, transfer) that cannot be."""

    code = "deal_operation_refused"


def money_text(amount_minor: int | None, currency: str) -> str:
    return "no limit" if amount_minor is None else Money(amount_minor, currency).format()


def check_currency(amount: Money, deal: Deal, what: str) -> None:
    if amount.currency != deal.currency:
        raise OperationRefused(
            f"{deal} is in {deal.currency}: {what} in {amount.currency} is refused",
            currency=amount.currency,
        )


def move(
    instance: FSMRecord, transition_name: str, *, by: User, reason: str = "", **fields: Any
) -> FSMRecord:
    """Apply ``instance``'s transition and ``fields`` through the platform's one helper."""
    return fsm_transition(
        instance=instance, name=transition_name, by=by, reason=reason, fields=fields
    )


def accounts_of(owners: Sequence, *, purpose: str, currency: str, by: User, **spec: Any) -> dict:
    """Return each owner's account for ``purpose`` in ``currency`` by owner id, opening the
    missing ones in bulk."""
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
    missing = {owner.pk: owner for owner in owners if owner.pk not in existing}
    opened = account_bulk_open(
        specs=[AccountSpec(purpose, currency, owner=owner, **spec) for owner in missing.values()],
        by=by,
    )
    existing.update({account.owner_id: account for account in opened})
    return existing


def vehicle_account(deal: Deal, *, purpose: str, by: User, allow_negative: bool) -> Account:
    return accounts_of(
        [deal.issuer],
        purpose=purpose,
        currency=deal.currency,
        by=by,
        allow_negative=allow_negative,
    )[deal.issuer.pk]


def platform_account(*, purpose: str, currency: str, name: str, by: User) -> Account:
    account = Account.objects.filter(
        owner_type__isnull=True, purpose=purpose, currency=currency, name=name
    ).first()
    return account or account_open(purpose=purpose, currency=currency, name=name, by=by)


def stakeholders_of(
    deal: Deal, investors: Sequence[Investor], *, by: User
) -> dict[int, Stakeholder]:
    """Return each investor's stakeholder record on the deal's vehicle by investor id, creating
    the missing ones."""
    keys = {investor.party_key: investor for investor in investors}
    found = {
        stakeholder.party_key: stakeholder
        for stakeholder in Stakeholder.objects.filter(issuer=deal.issuer, party_key__in=keys)
    }
    created = stakeholders_bulk_create.step(
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


def next_number(model: type[models.Model], deal: Deal) -> int:
    """Number the deal's next record of ``model`` (reversed ones keep their number)."""
    return model._default_manager.filter(deal=deal).count() + 1


def start_of(day: date) -> datetime:
    """The moment an operation dated ``day`` takes effect: the start of that day, here."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Plan:
    """One operation of a deal, worked out and checked but not posted: its legs, the holding
    movements ``build`` adds, and ``settle``, which writes the deal's own records once the
    operation has executed and returns the main one."""

    deal: Deal
    kind: str
    legs: list[Leg]
    key: str
    description: str
    on: date
    settle: Callable[[Operation, User], Any]
    build: Callable[[Change], None] | None = None


def carry_out(plan: Plan, *, by: User, approved_by: User, proposed: Operation | None = None) -> Any:
    """Post ``plan`` as one operation of the deal's vehicle, with the vehicle locked, made by
    ``by`` and approved by ``approved_by`` (or approve ``proposed``, the same operation that
    ``by`` proposed), then settle the deal's records; return what ``settle`` returns."""

    def build_and_return(change: Change) -> Operation:
        if plan.build is not None:
            plan.build(change)
        return change.operation

    operation = captable_change_record(
        issuer=plan.deal.issuer,
        description=plan.description,
        by=by,
        approved_by=approved_by,
        build=build_and_return,
        idempotency_key=plan.key,
        kind=plan.kind,
        legs=plan.legs,
        effective_at=start_of(plan.on),
        proposed=proposed,
    )
    with acting(user=approved_by, operation_id=operation.pk):
        return plan.settle(operation, approved_by)
