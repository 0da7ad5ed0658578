"""The books' row locks, one helper per locked model, each in one order.

An execution locks its operation, then the operation it reverses, then its accounts in
primary-key order, then the sequence counter; every other use case takes a prefix of that order.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from apps.ledger.models import Account, Operation, SequenceCounter


def operation_lock(pk: int) -> Operation:
    """Lock the operation ``pk`` and return it fresh."""
    operation: Operation = Operation.objects.select_for_update(of=("self",)).get(pk=pk)
    return operation


def accounts_lock(pks: Iterable[int]) -> list[Account]:
    """Lock the accounts ``pks``, in primary-key order."""
    return list(
        Account.objects.select_for_update(of=("self",)).filter(pk__in=set(pks)).order_by("pk")
    )


def counter_lock(name: str) -> SequenceCounter:
    """Lock the sequence counter ``name``, creating it the first time."""
    counter = SequenceCounter.objects.select_for_update().filter(name=name).first()
    if counter is None:
        try:
            with transaction.atomic():
                SequenceCounter.objects.create(name=name)
        except IntegrityError:
            pass  # created meanwhile by a concurrent execution
        counter = SequenceCounter.objects.select_for_update().get(name=name)
    return counter
