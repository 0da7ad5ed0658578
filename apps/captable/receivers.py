"""The cap table's part in verifying the books: its holding movements' seals."""

from apps.captable.verification import movement_seals_check
from apps.ledger.verification import register_check


def connect() -> None:
    register_check("holding movements sealed", movement_seals_check)
