"""Reversing a deal's operations.

Any deal operation is undone by the ledger's reversing operation: opposite entries, and (through
the cap table) opposite holding movements, so the books and the cap table return to exactly what
they were. What the deal recorded follows in the same transaction: a reversed closing puts its
subscriptions back to funded (and a closed deal back to closing), a reversed exit distribution
puts the deal back to closed. Operations that later ones stand on are refused until those are
reversed first: a closing with live calls, distributions, fees or transfers after it, a call
with payments, or a distribution with later distributions (their waterfall counted it) or a
clawback.
"""

from apps.accounts.models import User
from apps.core.history import history_bulk_record
from apps.core.services import use_case
from apps.core.validators import texts_without_control_characters
from apps.deals.locks import subscriptions_lock
from apps.deals.models import (
    CapitalCall,
    CapitalCallPayment,
    Clawback,
    Closing,
    Deal,
    DealState,
    Distribution,
    FeeCharge,
    SecondaryTransfer,
    Subscription,
)
from apps.deals.services.common import OperationRefused, move
from apps.ledger.models import Operation, OperationState
from apps.ledger.services import operation_reverse

EXECUTED = OperationState.EXECUTED
DealRecord = (
    Closing
    | CapitalCall
    | CapitalCallPayment
    | Distribution
    | FeeCharge
    | SecondaryTransfer
    | Clawback
)
RECORDS: tuple[type[DealRecord], ...] = (
    Closing,
    CapitalCall,
    CapitalCallPayment,
    Distribution,
    FeeCharge,
    SecondaryTransfer,
    Clawback,
)


def _record_of(operation: Operation) -> DealRecord | None:
    for model in RECORDS:
        found = model.objects.filter(operation=operation).first()
        if found is not None:
            return found
    return None


def _live(model: type[DealRecord], **lookups) -> list[DealRecord]:
    return list(model.objects.filter(operation__state=EXECUTED, **lookups))


def _refuse_while_later(record: DealRecord) -> None:
    """Refuse to undo ``record`` while live records stand on it."""
    later: list[DealRecord] = []
    if isinstance(record, Closing):
        deal = record.deal
        later = [
            *_live(Closing, deal=deal, number__gt=record.number),
            *_live(CapitalCall, deal=deal),
            *_live(Distribution, deal=deal),
            *_live(FeeCharge, deal=deal),
            *_live(SecondaryTransfer, deal=deal),
        ]
    elif isinstance(record, Distribution):
        # A later distribution's tiers were worked out after this one (the catch-up counts it),
        # and a clawback on the carry it paid.
        later = [
            *_live(Distribution, deal=record.deal, number__gt=record.number),
            *_live(Clawback, deal=record.deal),
        ]
    elif isinstance(record, CapitalCall):
        later = _live(CapitalCallPayment, notice__call=record)
    if later:
        names = ", ".join(str(item) for item in later[:5])
        more = f" and {len(later) - 5} more" if len(later) > 5 else ""
        raise OperationRefused(
            f"{record} cannot be reversed while later operations stand on it: reverse "
            f"{names}{more} first",
            later=[item.operation_id for item in later],
        )


@use_case(permission="ledger.reverse_operation", on="operation")
def deal_operation_reverse(*, operation: Operation, by: User, reason: str) -> Operation:
    """Propose the reversal of a deal's operation (a finance officer approves and executes it)."""
    if not reason.strip():
        raise OperationRefused("say why the operation is reversed")
    texts_without_control_characters(reason=reason, multiline=True)
    record = _record_of(operation)
    if record is not None:
        _refuse_while_later(record)
    return operation_reverse.step(operation=operation, by=by, reason=reason)


def deal_records_reverse(*, original: Operation, reversal: Operation) -> None:
    """Undo what the deal recorded with ``original``, as ``reversal`` executes."""
    record = _record_of(original)
    if record is None:
        return
    _refuse_while_later(record)
    by = reversal.approved_by
    if by is None:
        raise RuntimeError(f"{reversal} executes without an approver")
    if isinstance(record, Closing):
        subscriptions = subscriptions_lock(Subscription.objects.filter(closing=record))
        for subscription in subscriptions:
            subscription.unaccept()
            subscription.closing = None
        Subscription.objects.bulk_update(subscriptions, ["state", "closing"], batch_size=1000)
        history_bulk_record(Subscription, subscriptions, by=by, reason=reversal.description)
        if record.final and Deal.objects.get(pk=record.deal_id).state == DealState.CLOSED:
            move(record.deal, "reopen_closing", by=by, reason=reversal.description)
    elif (
        isinstance(record, Distribution)
        and record.closes_deal
        and Deal.objects.get(pk=record.deal_id).state == DealState.EXITED
    ):
        move(record.deal, "reopen", by=by, reason=reversal.description)
