"""Re-check every invariant of the books over the whole ledger.

Reads only. Each check streams the rows it needs and reports each breach it finds, so that an
auditor sees what is wrong and where, not merely that something is.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from django.db.models import Count, F, Sum

from apps.ledger.models import BOOKED_STATES, Account, Entry, Operation, SequenceCounter
from apps.ledger.services import GENESIS_HASH, OPERATIONS_COUNTER, operation_digest

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


def _hash_chain(check: Check, *, progress: Progress | None) -> None:
    operations = (
        Operation.objects.filter(state__in=BOOKED_STATES)
        .order_by("sequence")
        .values_list("pk", "kind", "sequence", "effective_at", "previous_hash", "hash")
    )
    total = operations.count()
    previous = GENESIS_HASH
    for chunk in _chunks(operations.iterator(chunk_size=CHUNK), CHUNK):
        entries: dict[int, list[tuple[int, str, int]]] = {pk: [] for pk, *_ in chunk}
        rows = Entry.objects.filter(operation_id__in=entries).values_list(
            "operation_id", "account_id", "currency", "amount_minor"
        )
        for operation_id, account_id, currency, amount in rows:
            entries[operation_id].append((account_id, currency, amount))
        for pk, kind, sequence, effective_at, previous_hash, stored in chunk:
            check.checked += 1
            if previous_hash != previous:
                check.breaches.append(f"operation {pk} does not chain to its predecessor")
            expected = operation_digest(
                previous_hash=previous,
                kind=kind,
                sequence=sequence,
                effective_at=effective_at,
                entries=entries[pk],
            )
            if expected != stored:
                check.breaches.append(
                    f"operation {pk} (sequence {sequence}) does not match its hash: "
                    "it or its entries changed after execution"
                )
            previous = stored
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


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Checks of the records higher layers keep with the books (the cap table's movements), by name;
# they register themselves when their app is ready.
_REGISTERED: dict[str, Callable[[Check], None]] = {}


def register_check(name: str, run: Callable[[Check], None]) -> None:
    """Have ``ledger_verify`` also run ``run``, reporting under ``name``."""
    _REGISTERED[name] = run


def ledger_verify_report(*, progress: Progress | None = None) -> Report:
    """Run every check of the books, and those registered, and return what each found."""
    checks: dict[str, Callable[[Check], None]] = {
        "balanced operations": _balanced,
        "gap-free sequence": _sequence,
        "entries only on executed operations": _entries_on_booked_operations,
        "entry currency is the account's": _currencies,
        "hash chain": partial(_hash_chain, progress=progress),
        "history present": _history,
        **_REGISTERED,
    }
    report = Report(checks=[])
    for name, run in checks.items():
        check = Check(name=name)
        run(check)
        report.checks.append(check)
    return report
