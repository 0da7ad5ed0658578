"""Reads of the books: balances now, as of a time, or right after a given operation.

A balance sums one account's entries through the index on (account, effective_at) or
(account, operation_sequence), both carrying the amount, so the database reads only that
account's index range, never the table.
"""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Sum

from apps.core.money import Money
from apps.ledger.models import Account, Entry, Operation


def _entries(
    *, as_of: datetime | None, after_operation: Operation | None
) -> models.QuerySet[Entry]:
    entries = Entry.objects.all()
    if as_of is not None:
        entries = entries.filter(effective_at__lte=as_of)
    if after_operation is not None:
        if after_operation.sequence is None:
            raise ValueError(
                f"operation {after_operation.pk} is {after_operation.state}: only an executed "
                "operation has a place in the books"
            )
        entries = entries.filter(operation_sequence__lte=after_operation.sequence)
    return entries


def balance(
    account: Account,
    *,
    as_of: datetime | None = None,
    after_operation: Operation | None = None,
) -> Money:
    """Return ``account``'s balance: now, at ``as_of`` (effective time), and/or right after
    ``after_operation`` was executed."""
    total = (
        _entries(as_of=as_of, after_operation=after_operation)
        .filter(account=account)
        .aggregate(total=Sum("amount_minor"))["total"]
    )
    return Money(total or 0, account.currency)


def owner_balances(
    owner: models.Model | None,
    *,
    as_of: datetime | None = None,
    after_operation: Operation | None = None,
) -> dict[Account, Money]:
    """Return the balance of every account of ``owner`` (the platform's own for ``None``)."""
    if owner is None:
        accounts = Account.objects.filter(owner_type__isnull=True)
    else:
        accounts = Account.objects.filter(
            owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk
        )
    ordered = list(accounts.order_by("pk"))
    totals = dict(
        _entries(as_of=as_of, after_operation=after_operation)
        .filter(account__in=ordered)
        .values("account_id")
        .annotate(total=Sum("amount_minor"))
        .values_list("account_id", "total")
    )
    return {account: Money(totals.get(account.pk, 0), account.currency) for account in ordered}


def operation_list(*, state: str | None = None) -> models.QuerySet[Operation]:
    """Operations with their makers and checkers joined, newest first."""
    operations: models.QuerySet[Operation] = Operation.objects.select_related(
        "created_by", "approved_by"
    )
    if state is not None:
        operations = operations.filter(state=state)
    return operations
