"""Print the heads of the books' hash chains, for an auditor to keep outside the system."""

import json
from typing import Any

from django.core.management.base import BaseCommand

from apps.ledger.verification import ledger_digest_take


class Command(BaseCommand):
    help = (
        "Print the heads of the books' hash chains as a JSON digest, for an auditor to keep "
        "outside the system; `ledger_verify --digest FILE` later proves the books still hold "
        "them, so that operations or seals cut off at the end are found. Shape: "
        '{"format": "roundtable-ledger-digest/1", "taken_at": TIME, "heads": {'
        '"operations": {"sequence": N, "hash": HEX, "executed_at": TIME} or null, '
        '"movement_seals": {"operation_sequence": N, "issuer": ID, "digest": HEX} or null}}, '
        "where TIME is ISO 8601 in UTC, HEX 64 lowercase hex digits, and null stands for a "
        "chain then empty. operations is the newest executed operation; movement_seals the "
        "newest seal of holding movements. A digest pins whatever the books hold: run "
        "ledger_verify first."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(ledger_digest_take(), indent=2))
