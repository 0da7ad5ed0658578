"""The cap table's check in ``ledger_verify``: every movement sealed, every seal matching.

It is a :class:`~apps.ledger.verification.Chain`: ``ledger_digest`` also writes the newest seal
(the head of the chain), and ``ledger_verify --digest`` proves the seals still hold that head,
so that seals cut off at the end, with their movements, are found too.
"""

from collections import defaultdict
from typing import Any

from django.db.models import Count

from apps.captable.models import Movement, MovementSeal
from apps.captable.seals import GENESIS, SEALED_FIELDS, seal_digest
from apps.ledger.verification import Chain, Check

CHUNK = 500


def _movement_seals_verify(check: Check) -> None:
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


def _movement_seals_head() -> dict[str, Any] | None:
    head = (
        MovementSeal.objects.order_by("-operation_sequence", "-issuer_id")
        .values("operation_sequence", "issuer", "digest")
        .first()
    )
    return None if head is None else dict(head)


def _movement_seals_contain(check: Check, head: dict[str, Any]) -> None:
    check.checked = 1
    where = (
        f"the seal of operation sequence {head['operation_sequence']} on issuer {head['issuer']}"
    )
    found = (
        MovementSeal.objects.filter(
            operation_sequence=head["operation_sequence"], issuer_id=head["issuer"]
        )
        .values_list("digest", flat=True)
        .first()
    )
    if found is None:
        newest = _movement_seals_head()
        end = (
            f"the seals end at operation sequence {newest['operation_sequence']}"
            if newest
            else "no seal is left"
        )
        check.breaches.append(f"the digest's head, {where}, is missing: {end}")
    elif found != head["digest"]:
        check.breaches.append(
            f"{where} has digest {found}, not the digest's {head['digest']}: "
            "the seals were rewritten from there"
        )


movement_seals_check = Chain(
    key="movement_seals",
    fields={"operation_sequence": "number", "issuer": "number", "digest": "hash"},
    verify=_movement_seals_verify,
    head=_movement_seals_head,
    contains=_movement_seals_contain,
)
