"""The cap table's check in ``ledger_verify``: every movement sealed, every seal matching."""

from collections import defaultdict

from django.db.models import Count

from apps.captable.models import Movement, MovementSeal
from apps.captable.seals import GENESIS, SEALED_FIELDS, seal_digest
from apps.ledger.verification import Check

CHUNK = 500


def movement_seals_check(check: Check) -> None:
    """Recompute each seal from its movements and the chain from the first seal."""
    previous = GENESIS
    seals = MovementSeal.objects.order_by("operation_sequence", "issuer_id").values_list(
        "operation_id", "issuer_id", "count", "previous_digest", "digest"
    )
    sealed: set[tuple[int, int]] = set()
    batch: list[tuple] = []

    def verify(batch: list[tuple]) -> None:
        nonlocal previous
        rows: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        movements = (
            Movement.objects.filter(operation_id__in={seal[0] for seal in batch})
            .order_by("pk")
            .values_list("operation_id", "issuer_id", *SEALED_FIELDS)
        )
        for operation_id, issuer_id, *values in movements:
            rows[(operation_id, issuer_id)].append(tuple(values))
        for operation_id, issuer_id, count, previous_digest, digest in batch:
            check.checked += 1
            key = (operation_id, issuer_id)
            sealed.add(key)
            where = f"the movements of operation {operation_id} on issuer {issuer_id}"
            if previous_digest != previous:
                check.breaches.append(f"{where}: their seal does not chain to the one before")
            if len(rows[key]) != count or seal_digest(previous_digest, rows[key]) != digest:
                check.breaches.append(f"{where} changed after they were recorded")
            previous = digest

    for seal in seals.iterator(chunk_size=CHUNK):
        batch.append(seal)
        if len(batch) == CHUNK:
            verify(batch)
            batch = []
    if batch:
        verify(batch)
    unsealed = (
        Movement.objects.values("operation_id", "issuer_id")
        .annotate(n=Count("pk"))
        .order_by("operation_id", "issuer_id")
        .values_list("operation_id", "issuer_id")
    )
    for operation_id, issuer_id in unsealed:
        if (operation_id, issuer_id) not in sealed:
            check.breaches.append(
                f"the movements of operation {operation_id} on issuer {issuer_id} have no seal"
            )
