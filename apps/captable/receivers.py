"""The cap table's part in the books' events."""

from apps.captable.services import movements_reverse
from apps.captable.verification import movement_seals_check
from apps.ledger.models import Operation
from apps.ledger.signals import reversal_posting
from apps.ledger.verification import register_check


def _reverse_movements(sender, *, reversal: Operation, original: Operation, **kwargs) -> None:
    movements_reverse(original=original, reversal=reversal)


def connect() -> None:
    reversal_posting.connect(_reverse_movements, sender=Operation, dispatch_uid="captable-reverse")
    register_check("holding movements sealed", movement_seals_check)
