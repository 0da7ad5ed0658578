"""The deals' part in the books' events."""

from apps.deals.services.reversals import deal_records_reverse
from apps.ledger.models import Operation
from apps.ledger.signals import reversal_posting


def _reverse_records(sender, *, reversal: Operation, original: Operation, **kwargs) -> None:
    deal_records_reverse(original=original, reversal=reversal)


def connect() -> None:
    reversal_posting.connect(_reverse_records, sender=Operation, dispatch_uid="deals-reverse")
