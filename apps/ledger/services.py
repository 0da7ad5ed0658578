"""Writes on the books.

Every change of an operation's state goes through a service here: it locks the rows it depends
on (the operation, then any operation it reverses, then the accounts by id, then the sequence
counter: always in that order), re-checks the state under the lock, changes it, and stamps the
history rows with the acting user and the operation. A refused request raises a
:class:`~apps.core.exceptions.DomainError` naming the problem and leaves the database as it was.

These services are building blocks: a deal's closing creates and executes its operation inside
its own transaction, so they open plain (not durable) atomic blocks.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from apps.accounts.models import User
from apps.core.history import acting, history_stamp_custom_attrs
from apps.core.money import Money
from apps.core.services import use_case
from apps.core.transitions import fsm_transition, fsm_transition_refuse_unless_allowed
from apps.core.validators import texts_without_control_characters
from apps.ledger.exceptions import (
    CurrencyMismatchError,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidLeg,
    MakerCheckerViolation,
    TransitionRefused,
    UnbalancedOperation,
)
from apps.ledger.locks import accounts_lock, counter_lock, operation_lock
from apps.ledger.models import (
    Account,
    Entry,
    Operation,
    OperationKind,
    OperationState,
)
from apps.ledger.reversals import reversal_steps_run
from apps.ledger.signals import operation_executed

OPERATIONS_COUNTER = "operations"
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Leg:
    """A planned posting: ``amount`` (signed) on the account ``account_id``."""

    account_id: int
    amount: Money

    def as_json(self) -> dict[str, Any]:
        return {
            "account": self.account_id,
            "amount_minor": self.amount.amount_minor,
            "currency": self.amount.currency,
        }


@dataclass(frozen=True)
class AccountSpec:
    purpose: str
    currency: str
    owner: models.Model | None = None
    name: str = ""
    allow_negative: bool = True


def _account_from_spec(spec: AccountSpec) -> Account:
    account = Account(
        purpose=spec.purpose,
        currency=spec.currency,
        name=spec.name,
        allow_negative=spec.allow_negative,
    )
    if spec.owner is not None:
        account.owner_type = ContentType.objects.get_for_model(spec.owner)
        account.owner_id = spec.owner.pk
    Money.zero(spec.currency)  # refuses a code that is not an ISO 4217 currency
    account.full_clean()
    return account


@transaction.atomic
def account_open(
    *,
    purpose: str,
    currency: str,
    by: User,
    owner: models.Model | None = None,
    name: str = "",
    allow_negative: bool = True,
) -> Account:
    """Open an account in ``currency`` for ``owner`` (the platform's own without one)."""
    account = _account_from_spec(
        AccountSpec(purpose, currency, owner=owner, name=name, allow_negative=allow_negative)
    )
    with acting(user=by):
        account.save()
    return account


@transaction.atomic
def account_bulk_open(*, specs: Sequence[AccountSpec], by: User) -> list[Account]:
    """Open many accounts in one write, with their history rows."""
    accounts = [_account_from_spec(spec) for spec in specs]
    created: list[Account] = bulk_create_with_history(
        accounts,
        Account,
        batch_size=1000,
        default_user=by,
        custom_historical_attrs=history_stamp_custom_attrs(),
    )
    return created


def _validated_legs(legs: Sequence[Leg], *, lock: bool = False) -> dict[int, Account]:
    """Check the legs against their accounts and each other; return the accounts by id.

    No legs at all is an event that moves no money (a share transfer, an option grant); one
    leg alone can never balance.
    """
    if len(legs) == 1:
        raise InvalidLeg("an operation that moves money needs at least two legs", legs=1)
    for leg in legs:
        if not isinstance(leg.amount, Money) or leg.amount.amount_minor == 0:
            raise InvalidLeg(
                f"each leg needs a non-zero amount (account #{leg.account_id})",
                account=leg.account_id,
            )
    ids = sorted({leg.account_id for leg in legs})
    found = accounts_lock(ids) if lock else Account.objects.filter(pk__in=ids).order_by("pk")
    accounts = {account.pk: account for account in found}
    for leg in legs:
        account = accounts.get(leg.account_id)
        if account is None:
            raise InvalidLeg(f"account #{leg.account_id} does not exist", account=leg.account_id)
        if not account.is_active:
            raise InvalidLeg(f"account #{account.pk} is closed", account=account.pk)
        if leg.amount.currency != account.currency:
            raise CurrencyMismatchError(
                f"a {leg.amount.currency} leg cannot post to account #{account.pk}, "
                f"which is kept in {account.currency}",
                account=account.pk,
                leg_currency=leg.amount.currency,
                account_currency=account.currency,
            )
    totals: dict[str, int] = defaultdict(int)
    for leg in legs:
        totals[leg.amount.currency] += leg.amount.amount_minor
    unbalanced = {currency: total for currency, total in totals.items() if total}
    if unbalanced:
        described = ", ".join(str(Money(total, currency)) for currency, total in unbalanced.items())
        raise UnbalancedOperation(
            f"the legs do not sum to zero: {described} left over",
            imbalance={currency: total for currency, total in unbalanced.items()},
        )
    return accounts


def _legs_of(operation: Operation) -> list[Leg]:
    return [
        Leg(leg["account"], Money(leg["amount_minor"], leg["currency"])) for leg in operation.legs
    ]


@transaction.atomic
def operation_create(
    *,
    kind: str,
    legs: Sequence[Leg],
    idempotency_key: str,
    by: User,
    description: str = "",
    effective_at: datetime | None = None,
    reverses: Operation | None = None,
) -> Operation:
    """Record a business event as a draft operation with its planned, balanced legs.

    The same ``idempotency_key`` twice returns the first operation; with different content it is
    refused, as the key then names two different requests.
    """
    _validated_legs(legs)
    planned = [leg.as_json() for leg in legs]
    existing = Operation.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_request_or_refuse(existing, kind=kind, legs=planned)
    operation: Operation = Operation(
        kind=kind,
        legs=planned,
        idempotency_key=idempotency_key,
        description=description,
        effective_at=effective_at,
        reverses=reverses,
        created_by=by,
    )
    operation.full_clean(exclude=["state"])
    try:
        with transaction.atomic(), acting(user=by):
            operation.save()
    except IntegrityError:
        # The same request, made concurrently, won the race for the key.
        winner: Operation = Operation.objects.get(idempotency_key=idempotency_key)
        return _same_request_or_refuse(winner, kind=kind, legs=planned)
    return operation


def _same_request_or_refuse(
    existing: Operation, *, kind: str, legs: list[dict[str, Any]]
) -> Operation:
    if existing.kind != kind or existing.legs != legs:
        raise IdempotencyConflict(
            f"idempotency key {existing.idempotency_key!r} already names operation "
            f"{existing.pk}, with other content",
            operation=existing.pk,
        )
    return existing


def _transition(operation: Operation, transition_name: str, by: User, **fields: Any) -> Operation:
    return fsm_transition(
        instance=operation,
        name=transition_name,
        by=by,
        fields=fields,
        operation_id=operation.pk,
    )


@use_case(permission="ledger.submit_operation", on="operation")
def operation_submit(*, operation: Operation, by: User) -> Operation:
    """Hand a draft to a checker."""
    return _transition(operation, "submit", by)


@use_case(permission="ledger.approve_operation", on="operation")
def operation_approve(*, operation: Operation, by: User) -> Operation:
    """Approve a submitted operation; its maker never may (maker-checker)."""
    if operation.created_by_id == by.pk:
        raise MakerCheckerViolation(
            f"{by} made operation {operation.pk} and so cannot approve it: "
            "another person must check it",
            operation=operation.pk,
        )
    return _transition(operation, "approve", by, approved_by=by, approved_at=timezone.now())


@use_case(permission="ledger.cancel_operation", on="operation")
def operation_cancel(*, operation: Operation, by: User, reason: str) -> Operation:
    """Abandon a draft or submitted operation, saying why."""
    if not reason.strip():
        raise TransitionRefused("say why the operation is cancelled", operation=operation.pk)
    texts_without_control_characters(reason=reason, multiline=True)
    return _transition(operation, "cancel", by, reason=reason)


# The columns of an executed operation its hash covers: all of them but three. ``state`` moves on
# once, from executed to reversed, when a reversal executes (whose own hash covers ``reverses``);
# ``hash`` is the result; ``previous_hash`` is the chain, hashed as the prefix. The operation's
# entries are covered too. PostgreSQL freezes the same columns once the operation is executed
# (migration 0007), and a test fails when Operation gains a column not named here or above.
HASHED_FIELDS = (
    "id",
    "kind",
    "sequence",
    "effective_at",
    "executed_at",
    "description",
    "idempotency_key",
    "legs",
    "reverses_id",
    "created_by_id",
    "created_at",
    "approved_by_id",
    "approved_at",
    "reason",
)


def operation_digest(
    *,
    previous_hash: str,
    fields: Mapping[str, Any],
    entries: Iterable[tuple[int, str, int]],
) -> str:
    """Hash an executed operation's canonical content, chained to the previous one's hash.

    ``fields`` holds the operation's values of :data:`HASHED_FIELDS`, by name (as
    ``QuerySet.values()`` returns them); ``entries`` its (account, currency, amount) rows.
    """
    content: dict[str, Any] = {name: _canonical(fields[name]) for name in HASHED_FIELDS}
    content["entries"] = sorted(
        [account, currency, amount] for account, currency, amount in entries
    )
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous_hash + canonical).encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _refuse_negative_balances(accounts: dict[int, Account], legs: Sequence[Leg]) -> None:
    guarded = {pk for pk, account in accounts.items() if not account.allow_negative}
    if not guarded:
        return
    delta: dict[int, int] = defaultdict(int)
    for leg in legs:
        if leg.account_id in guarded:
            delta[leg.account_id] += leg.amount.amount_minor
    current = dict(
        Entry.objects.filter(account_id__in=delta)
        .values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    for pk in sorted(delta):
        after = current.get(pk, 0) + delta[pk]
        if after < 0:
            shortfall = Money(-after, accounts[pk].currency)
            raise InsufficientBalance(
                f"account #{pk} cannot go below zero: it is short of {shortfall}",
                account=pk,
                shortfall_minor=shortfall.amount_minor,
                currency=shortfall.currency,
            )


@use_case(permission="ledger.execute_operation", on="operation")
def operation_execute(*, operation: Operation, by: User) -> Operation:
    """Post an approved operation: its entries, number, hash and new state, in one commit."""
    with acting(user=by, operation_id=operation.pk):
        locked = operation_lock(operation.pk)
        fsm_transition_refuse_unless_allowed(instance=locked, name="execute", by=by)
        original = operation_lock(locked.reverses_id) if locked.reverses_id else None
        if original is not None:
            fsm_transition_refuse_unless_allowed(instance=original, name="mark_reversed", by=by)
        legs = _legs_of(locked)
        accounts = _validated_legs(legs, lock=True)
        _refuse_negative_balances(accounts, legs)

        counter = counter_lock(OPERATIONS_COUNTER)
        now = timezone.now()
        sequence = counter.value + 1
        effective_at = locked.effective_at or now
        Entry.objects.bulk_create(
            Entry(
                operation=locked,
                account_id=leg.account_id,
                amount_minor=leg.amount.amount_minor,
                currency=leg.amount.currency,
                operation_sequence=sequence,
                effective_at=effective_at,
            )
            for leg in legs
        )
        locked.execute()
        locked.sequence = sequence
        locked.executed_at = now
        locked.effective_at = effective_at
        locked.previous_hash = counter.last_hash
        # Hashed once every column it covers holds its final value.
        digest = operation_digest(
            previous_hash=counter.last_hash,
            fields={name: getattr(locked, name) for name in HASHED_FIELDS},
            entries=(
                (leg.account_id, leg.amount.currency, leg.amount.amount_minor) for leg in legs
            ),
        )
        locked.hash = digest
        locked.save()
        counter.value = sequence
        counter.last_hash = digest
        counter.save(update_fields=["value", "last_hash"])
        if original is not None:
            original.mark_reversed()
            original.save()
            reversal_steps_run(original=original, reversal=locked)

    executed_id = locked.pk
    transaction.on_commit(
        lambda: operation_executed.send(sender=Operation, operation_id=executed_id)
    )
    return locked


@use_case(permission="ledger.reverse_operation", on="operation")
def operation_reverse(
    *, operation: Operation, by: User, reason: str, idempotency_key: str | None = None
) -> Operation:
    """Prepare the reversal of an executed operation: opposite entries, submitted for approval.

    The original becomes ``reversed`` when its reversal is executed, in the same commit.
    """
    texts_without_control_characters(reason=reason, multiline=True)
    original = operation_lock(operation.pk)
    if original.state != OperationState.EXECUTED:
        raise TransitionRefused(
            f"operation {original.pk} is {original.state}: only an executed operation "
            "can be reversed",
            operation=original.pk,
            state=original.state,
            transition="reverse",
        )
    legs = [
        Leg(entry.account_id, -entry.money)
        for entry in original.entries.order_by("pk").only("account_id", "amount_minor", "currency")
    ]
    reversal = operation_create(
        kind=OperationKind.REVERSAL,
        legs=legs,
        idempotency_key=idempotency_key or f"reversal-of-{original.pk}",
        by=by,
        description=reason,
        reverses=original,
    )
    if reversal.state == OperationState.DRAFT:
        reversal = operation_submit.step(operation=reversal, by=by)
    return reversal
