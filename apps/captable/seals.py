"""Seals: the holding movements of each change, hashed and chained like the ledger's operations.

Each change of an issuer's holdings (one operation, one issuer) gets a seal: the SHA-256 of its
movements' canonical content, chained to the seal before it (in the order of the operations'
sequence numbers, then of issuers). A movement edited or deleted behind the application's back,
or inserted without a seal, no longer matches, and ``ledger_verify`` says which change.
"""

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from apps.captable.quantities import UNIT_SCALE

GENESIS = "0" * 64

# The movement columns a seal covers, in the order of its canonical rows.
SEALED_FIELDS = (
    "security_id",
    "plan_id",
    "kind",
    "quantity",
    "amount_minor",
    "effective_date",
    "stakeholder_id",
    "share_class_id",
    "security_kind",
)


def seal_digest(previous: str, rows: Iterable[tuple]) -> str:
    """Hash movement rows (values of :data:`SEALED_FIELDS`, in the order written), chained to
    ``previous``."""
    canonical = [
        [
            format(value.quantize(UNIT_SCALE), "f")
            if isinstance(value, Decimal)
            else value.isoformat()
            if isinstance(value, date)
            else value
            for value in row
        ]
        for row in rows
    ]
    content = json.dumps(canonical, separators=(",", ":"))
    return hashlib.sha256((previous + content).encode()).hexdigest()
