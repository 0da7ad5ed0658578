"""Re-check every invariant of the books over the whole ledger, and prove a digest's heads.

Reads only. Each check streams the rows it needs and reports each breach it finds, so that an
auditor sees what is wrong and where, not merely that something is.

A hash chain proves that no link was changed, but not that none was cut off: deleting the newest
operations (and rewinding the counter) leaves a shorter chain that verifies. So the heads of the
chains (the operations', and those of the registered :class:`Chain` checks, such as the cap
table's movement seals) can be written as a digest, kept by an auditor outside the system, and
proved later: the books must still hold each head exactly, and the chain checks then prove that
everything after it extends it.
"""

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Sum
from django.utils import timezone

from apps.ledger.models import BOOKED_STATES, Account, Entry, Operation, SequenceCounter
from apps.ledger.services import (
    GENESIS_HASH,
    HASHED_FIELDS,
    OPERATIONS_COUNTER,
    operation_digest,
)

T = TypeVar("T")

CHUNK = 2000


@dataclass
class Check:
    name: str
    breaches: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def passed(self) -> bool:
        return not self.breaches


@dataclass
class Report:
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


Progress = Callable[[str, int, int], None]


def _balanced(check: Check) -> None:
    unbalanced = (
        Entry.objects.values("operation_id", "currency")
        .annotate(total=Sum("amount_minor"))
        .exclude(total=0)
        .order_by("operation_id")
    )
    for row in unbalanced:
        check.breaches.append(
            f"operation {row['operation_id']}: its {row['currency']} entries sum to "
            f"{row['total']} minor units"
        )
    check.checked = Operation.objects.filter(state__in=BOOKED_STATES).count()


def _sequence(check: Check) -> None:
    sequences = Operation.objects.filter(state__in=BOOKED_STATES).order_by("sequence")
    expected = 1
    for sequence in sequences.values_list("sequence", flat=True).iterator(chunk_size=CHUNK):
        check.checked += 1
        if sequence is None:
            check.breaches.append("an executed operation has no sequence number")
            continue
        if sequence != expected:
            check.breaches.append(f"sequence jumps from {expected - 1} to {sequence}")
        expected = sequence + 1
    unbooked = Operation.objects.exclude(state__in=BOOKED_STATES).filter(sequence__isnull=False)
    for pk, state in unbooked.values_list("pk", "state"):
        check.breaches.append(f"operation {pk} is {state} but has a sequence number")
    counter = SequenceCounter.objects.filter(name=OPERATIONS_COUNTER).first()
    if counter is not None and counter.value != expected - 1:
        check.breaches.append(f"the counter says {counter.value}, the books {expected - 1}")


def _entries_on_booked_operations(check: Check) -> None:
    stray = (
        Entry.objects.exclude(operation__state__in=BOOKED_STATES)
        .values("operation_id", "operation__state")
        .annotate(entries=Count("pk"))
    )
    for row in stray:
        check.breaches.append(
            f"operation {row['operation_id']} is {row['operation__state']} "
            f"but has {row['entries']} entries"
        )
    mismatched = Entry.objects.exclude(operation_sequence=F("operation__sequence")).values_list(
        "pk", "operation_id"
    )
    for pk, operation_id in mismatched:
        check.breaches.append(f"entry {pk} does not carry operation {operation_id}'s sequence")
    check.checked = Entry.objects.count()


def _currencies(check: Check) -> None:
    mismatched = Entry.objects.exclude(currency=F("account__currency")).values_list(
        "pk", "currency", "account_id", "account__currency"
    )
    for pk, currency, account, account_currency in mismatched:
        check.breaches.append(
            f"entry {pk} is in {currency} on account #{account}, kept in {account_currency}"
        )
    check.checked = Entry.objects.count()


def _hash_chain(check: Check, *, progress: Progress | None = None) -> None:
    operations = (
        Operation.objects.filter(state__in=BOOKED_STATES)
        .order_by("sequence")
        .values(*HASHED_FIELDS, "previous_hash", "hash")
    )
    total = operations.count()
    previous = GENESIS_HASH
    for chunk in _chunks(operations.iterator(chunk_size=CHUNK), CHUNK):
        entries: dict[int, list[tuple[int, str, int]]] = {row["id"]: [] for row in chunk}
        rows = Entry.objects.filter(operation_id__in=entries).values_list(
            "operation_id", "account_id", "currency", "amount_minor"
        )
        for operation_id, account_id, currency, amount in rows:
            entries[operation_id].append((account_id, currency, amount))
        for row in chunk:
            check.checked += 1
            pk = row["id"]
            if row["previous_hash"] != previous:
                check.breaches.append(f"operation {pk} does not chain to its predecessor")
            expected = operation_digest(previous_hash=previous, fields=row, entries=entries[pk])
            if expected != row["hash"]:
                check.breaches.append(
                    f"operation {pk} (sequence {row['sequence']}) does not match its hash: "
                    "it or its entries changed after execution"
                )
            previous = row["hash"]
        if progress is not None:
            progress("hash chain", check.checked, total)


def _history(check: Check) -> None:
    for model in (Account, Operation):
        history = model.history.model
        missing = model.objects.exclude(pk__in=history.objects.values("id")).values_list(
            "pk", flat=True
        )
        for pk in missing:
            check.breaches.append(f"{model._meta.verbose_name} {pk} has no history")
        check.checked += model.objects.count()
    executions = Operation.history.model.objects.filter(state__in=BOOKED_STATES).values("id")
    unrecorded = Operation.objects.filter(state__in=BOOKED_STATES).exclude(pk__in=executions)
    for pk in unrecorded.values_list("pk", flat=True):
        check.breaches.append(f"operation {pk}'s execution left no history row")


def _chunks(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class Chain:
    """A check of a hash chain, whose newest link (its head) a digest can pin.

    Registered like any check, it runs ``verify``. ``ledger_digest`` also writes its ``head``
    (a JSON object, ``None`` while the chain is empty) under ``key``, and ``ledger_verify
    --digest`` has ``contains`` report a breach unless a head taken earlier is still in the chain,
    exactly. ``fields`` names the members of a head and their kinds: ``"number"`` (a positive
    integer), ``"hash"`` (64 lowercase hex digits) or ``"time"`` (ISO 8601 with an offset, read
    as a datetime before ``contains`` sees it).
    """

    key: str
    fields: Mapping[str, str]
    verify: Callable[[Check], None]
    head: Callable[[], dict[str, Any] | None]
    contains: Callable[[Check, dict[str, Any]], None]

    def __call__(self, check: Check) -> None:
        self.verify(check)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _operations_head() -> dict[str, Any] | None:
    newest = (
        Operation.objects.filter(state__in=BOOKED_STATES)
        .order_by("-sequence")
        .values("sequence", "hash", "executed_at")
        .first()
    )
    if newest is None:
        return None
    return {**newest, "executed_at": _iso(newest["executed_at"])}


def _operations_contain(check: Check, head: dict[str, Any]) -> None:
    check.checked = 1
    sequence = head["sequence"]
    booked = Operation.objects.filter(state__in=BOOKED_STATES)
    found = booked.filter(sequence=sequence).values("hash", "executed_at").first()
    if found is None:
        last = booked.aggregate(last=Max("sequence"))["last"] or 0
        check.breaches.append(
            f"the digest's head, operation sequence {sequence}, is missing: "
            f"the books end at sequence {last}"
        )
        return
    if found["hash"] != head["hash"]:
        check.breaches.append(
            f"operation sequence {sequence} has hash {found['hash']}, not the digest's "
            f"{head['hash']}: the chain was rewritten from there"
        )
    if found["executed_at"] != head["executed_at"]:
        check.breaches.append(
            f"operation sequence {sequence} was executed at {_iso(found['executed_at'])}, "
            f"not at the digest's {_iso(head['executed_at'])}"
        )


OPERATIONS = Chain(
    key="operations",
    fields={"sequence": "number", "hash": "hash", "executed_at": "time"},
    verify=_hash_chain,
    head=_operations_head,
    contains=_operations_contain,
)

# Checks of the records higher layers keep with the books (the cap table's movements), by name;
# they register themselves when their app is ready.
_REGISTERED: dict[str, Callable[[Check], None]] = {}


def register_check(name: str, run: Callable[[Check], None]) -> None:
    """Have ``ledger_verify`` also run ``run``, reporting under ``name``.

    A :class:`Chain` also has its head written in digests and proved against them.
    """
    _REGISTERED[name] = run


def _chains() -> dict[str, Chain]:
    registered = [run for run in _REGISTERED.values() if isinstance(run, Chain)]
    return {chain.key: chain for chain in [OPERATIONS, *registered]}


# The digest document: what ``ledger_digest`` prints and ``ledger_verify --digest`` reads.
DIGEST_FORMAT = "roundtable-ledger-digest/1"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Digest:
    """The heads of the chains at one moment: by chain key, ``None`` for a chain then empty."""

    taken_at: datetime
    heads: dict[str, dict[str, Any] | None]


def ledger_digest_take() -> dict[str, Any]:
    """Return the head of every chain now, as the JSON document an auditor keeps."""
    return {
        "format": DIGEST_FORMAT,
        "taken_at": _iso(timezone.now()),
        "heads": {key: chain.head() for key, chain in _chains().items()},
    }


def ledger_digest_read(text: str) -> Digest:
    """Read a digest document; raise ``ValidationError`` saying what is wrong with it."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ValidationError(f"it is not JSON ({error})") from error
    if not isinstance(document, dict) or document.get("format") != DIGEST_FORMAT:
        raise ValidationError(f'it is not a JSON object with "format": "{DIGEST_FORMAT}"')
    taken_at = _read_member(document, "taken_at", "time", where="the digest")
    heads = document.get("heads")
    if not isinstance(heads, dict):
        raise ValidationError('it has no "heads" object')
    chains = _chains()
    unknown = sorted(set(heads) - set(chains))
    if unknown:
        raise ValidationError(f"it pins chains these books do not keep: {', '.join(unknown)}")
    read: dict[str, dict[str, Any] | None] = {}
    for key, chain in chains.items():
        if key not in heads:
            raise ValidationError(f'it has no head for "{key}" (null if that chain was empty)')
        head = heads[key]
        if head is None:
            read[key] = None
            continue
        if not isinstance(head, dict):
            raise ValidationError(f'the head of "{key}" is neither an object nor null')
        read[key] = {
            name: _read_member(head, name, kind, where=f'the head of "{key}"')
            for name, kind in chain.fields.items()
        }
    return Digest(taken_at=taken_at, heads=read)


def _read_member(container: dict[str, Any], name: str, kind: str, *, where: str) -> Any:
    value = container.get(name)
    if kind == "number":
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        raise ValidationError(f'{where} needs "{name}", a positive integer; it has {value!r}')
    if kind == "hash":
        if isinstance(value, str) and _HASH.fullmatch(value):
            return value
        raise ValidationError(f'{where} needs "{name}", 64 lowercase hex digits; it has {value!r}')
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError(
            f'{where} needs "{name}", an ISO 8601 time with an offset; it has {value!r}'
        )
    return moment


def _prove_head(check: Check, *, chain: Chain, head: dict[str, Any] | None) -> None:
    # A digest taken while the chain was empty pins nothing: any chain extends it.
    if head is not None:
        chain.contains(check, head)


def ledger_verify_report(
    *, progress: Progress | None = None, digest: Digest | None = None
) -> Report:
    """Run every check of the books, and those registered, and return what each found.

    With a ``digest``, also check that the books still hold each of its heads exactly.
    """
    checks: dict[str, Callable[[Check], None]] = {
        "balanced operations": _balanced,
        "gap-free sequence": _sequence,
        "entries only on executed operations": _entries_on_booked_operations,
        "entry currency is the account's": _currencies,
        "hash chain": partial(_hash_chain, progress=progress),
        "history present": _history,
        **_REGISTERED,
    }
    if digest is not None:
        for key, chain in _chains().items():
            checks[f"digest head of {key}"] = partial(
                _prove_head, chain=chain, head=digest.heads[key]
            )
    report = Report(checks=[])
    for name, run in checks.items():
        check = Check(name=name)
        run(check)
        report.checks.append(check)
    return report
