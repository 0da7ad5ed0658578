"""The position engine of cap tables: one change of holdings, checked as it is built, then written.

Every change of holdings is one ledger operation (made by one person, approved and executed by
another) and the movements it records, in one transaction with the issuer locked. A security is
issued once and consumed once: a transfer, cancellation, repurchase, exercise or conversion of
part of it consumes all of it and opens a *balance* security for what remains, as Open Cap
Format does, so that a consumed security can never be consumed again.

Every movement is checked as it is added against the positions so far (held units, a class's
authorised units, a plan's pool), kept by security id; a refused change raises a
:class:`~apps.core.exceptions.DomainError` naming the object and writes nothing. A change is
written in bulk once built (on PostgreSQL through ``COPY``, an import holding hundreds of
thousands of movements), the database's own checks and triggers applying to every row. The
movements of each change are sealed one change at a time, in the order of the operations; a
reversal records the opposite of an operation's movements under the same checks.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.captable.conversion import ConvertibleTerms
from apps.captable.exceptions import (
    AuthorisedExceeded,
    InsufficientUnits,
    InvalidMovement,
    PoolExhausted,
    SecurityClosed,
)
from apps.captable.locks import issuer_lock
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    MovementKind,
    MovementSeal,
    Security,
    SecurityKind,
    ShareClass,
    Stakeholder,
)
from apps.captable.quantities import QUANTITY_INTEGER_DIGITS, UNIT_SCALE, exact_sum, quantity_text
from apps.captable.seals import GENESIS, SEALED_FIELDS, seal_digest
from apps.core.history import acting
from apps.ledger.exceptions import IdempotencyConflict, ProposalOutdated
from apps.ledger.locks import operation_lock
from apps.ledger.models import Operation, OperationKind, OperationState
from apps.ledger.services import (
    Leg,
    operation_approve,
    operation_create,
    operation_execute,
    operation_submit,
)

ResultT = TypeVar("ResultT")
ModelT = TypeVar("ModelT", bound=models.Model)


def _exact(quantity: Decimal | int, *, what: str) -> Decimal:
    """Return ``quantity`` as a Decimal, refusing what the books cannot hold exactly."""
    if isinstance(quantity, bool) or not isinstance(quantity, Decimal | int):
        raise InvalidMovement(f"{what}: a quantity is a Decimal or an int", quantity=str(quantity))
    value = Decimal(quantity)
    if not value.is_finite() or (value and value.adjusted() >= QUANTITY_INTEGER_DIGITS):
        raise InvalidMovement(
            f"{what}: {value} is too large: a quantity has at most {QUANTITY_INTEGER_DIGITS} "
            "digits before the point",
            quantity=str(value),
        )
    if value.quantize(UNIT_SCALE) != value:
        raise InvalidMovement(f"{what}: {value} has more than 10 decimals", quantity=str(value))
    return value


# What a security carries whoever holds it: its transferee's security and the balance left after
# part of it is taken keep every one.
CARRIED_TERMS = (
    "share_class",
    "plan",
    "exercise_price_minor",
    "expiration_date",
    "vesting_terms",
    "vesting_start_date",
    "convertible_type",
    "terms",
)


def _class_of(security: Security) -> ShareClass:
    """Return the class of a share security (the database gives every share one)."""
    if security.share_class is None:
        raise RuntimeError(f"security {security.security_id} is in no class")
    return security.share_class


class Change:
    """The securities and movements of one cap table change, checked as they are added."""

    def __init__(self, issuer: Issuer, operation: Operation) -> None:
        self.issuer = issuer
        self.operation = operation
        self.securities: list[Security] = []
        self.movements: list[Movement] = []
        # Positions by security id (unique within the issuer), never by Python object: two
        # objects loaded for one security share one position.
        self._units: dict[str, Decimal] = {}
        self._moved: set[str] = set()
        self._class_outstanding: dict[int, Decimal] = {}
        self._pool_available: dict[int, Decimal] = {}
        self._balances: defaultdict[str, int] = defaultdict(int)

    @property
    def _sequence(self) -> int:
        """Return the operation's place in the ledger, given as it executes."""
        if self.operation.sequence is None:
            raise RuntimeError(f"{self.operation} is not executed: it moves no units yet")
        return self.operation.sequence

    # --- positions, loaded once per security and kept up to date in memory --------------------

    def units(self, security: Security) -> Decimal:
        """Return what ``security`` holds now, with this change's movements so far."""
        key = security.security_id
        if key not in self._units:
            if security.pk is None:
                self._units[key] = Decimal(0)
            else:
                movements = Movement.objects.filter(security=security)
                self._units[key] = exact_sum(movements)
                if movements.exists():
                    self._moved.add(key)
        return self._units[key]

    def _outstanding_in_class(self, share_class: ShareClass) -> Decimal:
        if share_class.pk not in self._class_outstanding:
            self._class_outstanding[share_class.pk] = exact_sum(
                Movement.objects.filter(share_class=share_class, security_kind=SecurityKind.STOCK)
            )
        return self._class_outstanding[share_class.pk]

    def pool_available(self, plan: EquityPlan) -> Decimal:
        if plan.pk not in self._pool_available:
            reserved = exact_sum(Movement.objects.filter(plan=plan))
            granted = Movement.objects.filter(security__plan=plan)
            used = exact_sum(granted) - exact_sum(granted.filter(kind=MovementKind.EXERCISE))
            self._pool_available[plan.pk] = reserved - used
        return self._pool_available[plan.pk]

    # --- building -----------------------------------------------------------------------------

    def open_security(
        self,
        *,
        kind: str,
        stakeholder: Stakeholder,
        issue_date: date,
        share_class: ShareClass | None = None,
        security_id: str | None = None,
        **terms: Any,
    ) -> Security:
        """Open a security with no units yet; a movement gives it its quantity."""
        if stakeholder.issuer_id != self.issuer.pk:
            raise InvalidMovement(
                f"stakeholder {stakeholder} is not a stakeholder of {self.issuer}",
                stakeholder=stakeholder.pk,
            )
        if share_class is not None and share_class.issuer_id != self.issuer.pk:
            raise InvalidMovement(f"class {share_class} is not a class of {self.issuer}")
        security = Security(
            issuer=self.issuer,
            security_id=security_id or f"{kind[:2].upper()}-{uuid.uuid4().hex[:12]}",
            kind=kind,
            stakeholder=stakeholder,
            share_class=share_class,
            issue_date=issue_date,
            **terms,
        )
        self.securities.append(security)
        return security

    def open_security_like(
        self,
        source: Security,
        *,
        stakeholder: Stakeholder,
        issue_date: date,
        security_id: str | None = None,
        **changed: Any,
    ) -> Security:
        """Open a security carrying every term of ``source`` (but those ``changed``), for a
        transferee or for the balance left after part of ``source`` is taken."""
        terms = {name: getattr(source, name) for name in CARRIED_TERMS}
        return self.open_security(
            kind=source.kind,
            stakeholder=stakeholder,
            issue_date=issue_date,
            security_id=security_id,
            **{**terms, **changed},
        )

    def move(
        self,
        *,
        security: Security,
        kind: str,
        quantity: Decimal | int,
        effective_date: date,
        amount_minor: int | None = None,
        external_id: str = "",
    ) -> None:
        """Add ``quantity`` (signed) to ``security``, refusing what the positions forbid."""
        quantity = _exact(quantity, what=f"security {security.security_id}")
        if quantity == 0:
            raise InvalidMovement(f"security {security.security_id}: a movement of nothing")
        held = self.units(security)
        if quantity < 0 and -quantity > held:
            if held == 0 and (security.security_id in self._moved or security.pk is not None):
                raise SecurityClosed(
                    f"security {security.security_id} has nothing outstanding: it was already "
                    "cancelled, transferred, exercised or converted",
                    security=security.security_id,
                )
            raise InsufficientUnits(
                f"security {security.security_id} holds {quantity_text(held)} units; "
                f"{quantity_text(-quantity)} cannot be taken from it",
                security=security.security_id,
                held=quantity_text(held),
                requested=quantity_text(-quantity),
            )
        if security.kind == SecurityKind.STOCK and quantity > 0:
            self._check_authorised(_class_of(security), quantity)
        if (
            security.kind == SecurityKind.OPTION
            and security.plan is not None
            and kind == MovementKind.ISSUANCE
        ):
            available = self.pool_available(security.plan)
            if quantity > available:
                raise PoolExhausted(
                    f"plan {security.plan} has {quantity_text(available)} units left in its pool; "
                    f"{quantity_text(quantity)} cannot be granted",
                    plan=security.plan.name,
                    available=quantity_text(available),
                )
            self._pool_available[security.plan.pk] = available - quantity
        if security.kind == SecurityKind.STOCK:
            share_class = _class_of(security)
            self._class_outstanding[share_class.pk] = (
                self._outstanding_in_class(share_class) + quantity
            )
        self._units[security.security_id] = held + quantity
        self._moved.add(security.security_id)
        self.movements.append(
            Movement(
                operation=self.operation,
                issuer=self.issuer,
                security=security,
                kind=kind,
                quantity=quantity,
                amount_minor=amount_minor,
                effective_date=effective_date,
                security_kind=security.kind,
                stakeholder=security.stakeholder,
                share_class=security.share_class,
                operation_sequence=self._sequence,
                external_id=external_id,
            )
        )

    def _check_authorised(self, share_class: ShareClass, quantity: Decimal) -> None:
        if share_class.authorised_units is None:
            return
        after = self._outstanding_in_class(share_class) + quantity
        if after > share_class.authorised_units:
            raise AuthorisedExceeded(
                f"class {share_class.name} authorises "
                f"{quantity_text(share_class.authorised_units)} units; "
                f"{quantity_text(after)} would be outstanding",
                share_class=share_class.name,
                authorised=quantity_text(share_class.authorised_units),
                outstanding_after=quantity_text(after),
            )

    def issue(
        self,
        *,
        kind: str,
        stakeholder: Stakeholder,
        quantity: Decimal | int,
        effective_date: date,
        share_class: ShareClass | None = None,
        security_id: str | None = None,
        amount_minor: int | None = None,
        external_id: str = "",
        **terms: Any,
    ) -> Security:
        """Open a security and issue ``quantity`` into it."""
        security = self.open_security(
            kind=kind,
            stakeholder=stakeholder,
            issue_date=effective_date,
            share_class=share_class,
            security_id=security_id,
            **terms,
        )
        self.move(
            security=security,
            kind=MovementKind.ISSUANCE,
            quantity=quantity,
            effective_date=effective_date,
            amount_minor=amount_minor,
            external_id=external_id,
        )
        return security

    def consume(
        self,
        *,
        security: Security,
        kind: str,
        quantity: Decimal | int | None,
        effective_date: date,
        balance_security_id: str | None = None,
        external_id: str = "",
    ) -> Security | None:
        """Take all of ``security``; reopen what exceeds ``quantity`` as a balance security."""
        held = self.units(security)
        taken = held if quantity is None else _exact(quantity, what=security.security_id)
        if quantity is not None and taken <= 0:
            raise InvalidMovement(f"security {security.security_id}: take a positive quantity")
        # Taking more than is held (or anything from a consumed security) is refused here.
        self.move(
            security=security,
            kind=kind,
            quantity=-max(taken, held) if held else -(taken or 1),
            effective_date=effective_date,
            amount_minor=-security_amount(security) if security.kind == "convertible" else None,
            external_id=external_id,
        )
        if taken == held:
            return None
        self._balances[security.security_id] += 1
        balance = self.open_security_like(
            security,
            stakeholder=security.stakeholder,
            issue_date=effective_date,
            security_id=balance_security_id
            or f"{security.security_id}-B{self._balances[security.security_id]}",
        )
        self.move(
            security=balance,
            kind=kind,
            quantity=held - taken,
            effective_date=effective_date,
            external_id=external_id,
        )
        return balance

    def reserve_pool(
        self,
        *,
        plan: EquityPlan,
        quantity: Decimal | int,
        effective_date: date,
        external_id: str = "",
    ) -> None:
        """Add ``quantity`` (signed) to ``plan``'s pool."""
        quantity = _exact(quantity, what=f"plan {plan.name}")
        available = self.pool_available(plan)
        if available + quantity < 0:
            raise PoolExhausted(
                f"plan {plan.name} has {quantity_text(available)} units left in its pool; "
                f"it cannot shrink by {quantity_text(-quantity)}",
                plan=plan.name,
                available=quantity_text(available),
            )
        self._pool_available[plan.pk] = available + quantity
        self.movements.append(
            Movement(
                operation=self.operation,
                issuer=self.issuer,
                plan=plan,
                kind=MovementKind.POOL,
                quantity=quantity,
                effective_date=effective_date,
                share_class=plan.share_class,
                operation_sequence=self._sequence,
                external_id=external_id,
            )
        )

    def write(self) -> None:
        """Save the securities, then the movements, in bulk, and seal the movements."""
        _insert(Security, self.securities, batch_size=2000)
        for movement in self.movements:
            if movement.security is not None:
                movement.security_id = movement.security.pk
        _insert(Movement, self.movements, batch_size=5000)
        if self.movements:
            # Executing the operation locked the ledger's counter until commit: seals are
            # written one change at a time, in the order of the operations.
            previous = (
                MovementSeal.objects.order_by("-operation_sequence", "-issuer_id")
                .values_list("digest", flat=True)
                .first()
            ) or GENESIS
            sealed = attrgetter(*SEALED_FIELDS)
            rows = [sealed(movement) for movement in self.movements]
            MovementSeal.objects.create(
                operation=self.operation,
                issuer=self.issuer,
                operation_sequence=self._sequence,
                count=len(rows),
                previous_digest=previous,
                digest=seal_digest(previous, rows),
            )


# The values the ORM sends to PostgreSQL exactly as the model holds them, by kind of field: ids
# and integers as ``int``, dates as ``date`` (a ``datetime`` is not one), decimals as ``Decimal``,
# text as any ``str``. Any other value, and any field of another kind (``terms``: JSON), is
# prepared by its field, as ``bulk_create`` prepares every one.
SENT_AS_HELD: dict[str, type] = {
    "AutoField": int,
    "BigAutoField": int,
    "BigIntegerField": int,
    "ForeignKey": int,
    "IntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveIntegerField": int,
    "DateField": date,
    "DecimalField": Decimal,
    "CharField": str,
}


def _insert(model: type[ModelT], objects: list[ModelT], *, batch_size: int) -> None:
    """Insert ``objects``, none saved yet, as ``bulk_create`` does: each gets its primary key
    and counts as saved, and one holding an unsaved related object is refused.

    On PostgreSQL the rows go in through ``COPY``, their keys drawn from the table's sequence
    first: one change can hold hundreds of thousands of rows, and ``COPY`` takes the values as
    held where ``bulk_create`` prepares each value of each row through its field. The values are
    those ``bulk_create`` would send; the database checks them and runs its triggers alike.
    """
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=batch_size)
        return
    meta = model._meta
    relations = [field for field in meta.concrete_fields if isinstance(field, models.ForeignKey)]
    for instance in objects:
        for relation in relations:
            # A related object assigned once saved left its key; one without may be unsaved.
            if getattr(instance, relation.attname) is not None or not relation.is_cached(instance):
                continue
            related = relation.get_cached_value(instance)
            if related is None:
                continue
            key = getattr(related, relation.target_field.attname)
            if key is None:
                raise ValueError(
                    "bulk_create() prohibited to prevent data loss due to unsaved related object "
                    f"'{relation.name}'."
                )
            setattr(instance, relation.attname, key)
    columns = [(field, field.column) for field in meta.concrete_fields if field.column]
    held = attrgetter(*(field.attname for field, _ in columns))
    kinds = [
        None
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else SENT_AS_HELD.get(field.get_internal_type())
        for field, _ in columns
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for instance, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            instance.pk = pk
        names = ", ".join(quote(column) for _, column in columns)
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({names}) FROM STDIN") as copy:
            for instance in objects:
                row = list(held(instance))
                for index, kind in enumerate(kinds):
                    value = row[index]
                    if kind is not None and (
                        value is None
                        or type(value) is kind
                        or (kind is str and isinstance(value, str))
                    ):
                        continue
                    field = columns[index][0]
                    row[index] = field.get_db_prep_save(field.pre_save(instance, True), connection)
                copy.write_row(row)
    for instance in objects:
        instance._state.adding = False
        instance._state.db = connection.alias


def security_amount(security: Security) -> int:
    """Return a convertible's principal, in minor units."""
    return ConvertibleTerms.from_json(security.terms).principal.amount_minor


@transaction.atomic
def captable_change_record(
    *,
    issuer: Issuer,
    description: str,
    by: User,
    approved_by: User,
    build: Callable[[Change], ResultT],
    idempotency_key: str | None = None,
    kind: str = OperationKind.HOLDING_CHANGE,
    legs: Sequence[Leg] = (),
    effective_at: datetime | None = None,
    proposed: Operation | None = None,
) -> ResultT:
    """Record one change of ``issuer``'s holdings, made by ``by`` and approved by ``approved_by``.

    ``build`` adds the change's securities and movements to the :class:`Change` it is given;
    whatever it returns is returned. The operation is executed before the movements are written,
    in the same transaction, so they carry its sequence number; ``legs`` are the money it moves
    with them (a closing's cash and fees), posted by the same operation, effective at
    ``effective_at`` (by default when it executes).

    With ``proposed``, an operation ``by`` submitted earlier with these very legs is approved
    and executed instead of a new one; if the legs worked out now differ from the proposed ones
    (the books moved on since), nothing is written and :class:`ProposalOutdated` says so.
    """
    locked = issuer_lock(issuer.pk)
    if proposed is not None:
        operation = _proposed_operation(proposed, kind=kind, legs=legs, by=by)
    else:
        operation = operation_create(
            kind=kind,
            legs=list(legs),
            idempotency_key=idempotency_key or f"captable-{uuid.uuid4()}",
            description=description,
            effective_at=effective_at,
            by=by,
        )
        if operation.state != OperationState.DRAFT:
            raise IdempotencyConflict(
                f"this change was already recorded as operation {operation.pk}",
                operation=operation.pk,
            )
        operation_submit.step(operation=operation, by=by)
    operation_approve.step(operation=operation, by=approved_by)
    operation = operation_execute.step(operation=operation, by=approved_by)
    change = Change(locked, operation)
    result = build(change)
    with acting(user=approved_by, operation_id=operation.pk):
        change.write()
    return result


def _proposed_operation(
    proposed: Operation, *, kind: str, legs: Sequence[Leg], by: User
) -> Operation:
    operation = operation_lock(proposed.pk)
    if operation.state != OperationState.SUBMITTED or operation.created_by_id != by.pk:
        raise ProposalOutdated(
            f"operation {operation.pk} is {operation.state}: it is no longer a proposal",
            operation=operation.pk,
        )
    if operation.kind != kind or operation.legs != [leg.as_json() for leg in legs]:
        raise ProposalOutdated(
            f"operation {operation.pk} would now move other amounts than were proposed: "
            "cancel it and propose again",
            operation=operation.pk,
        )
    return operation


def movements_reverse(*, original: Operation, reversal: Operation) -> list[Movement]:
    """Record in ``reversal`` the opposite of every movement of ``original``, latest first.

    The holdings return to exactly what they were before ``original``; the opposite movements
    are dated the later of the original's date and the reversal's. A holding that later
    operations have since moved on cannot be given back: the reversal is refused, naming it,
    until those operations are reversed first.
    """
    movements = list(
        Movement.objects.filter(operation=original)
        .select_related("security__share_class", "security__plan", "security__stakeholder", "plan")
        .order_by("-pk")
    )
    reversed_on = timezone.localdate(reversal.effective_at)
    written: list[Movement] = []
    for issuer_id in sorted({movement.issuer_id for movement in movements}):
        change = Change(issuer_lock(issuer_id), reversal)
        for movement in (m for m in movements if m.issuer_id == issuer_id):
            on = max(movement.effective_date, reversed_on)
            if movement.plan is not None:
                change.reserve_pool(
                    plan=movement.plan, quantity=-movement.quantity, effective_date=on
                )
                continue
            if movement.security is None:
                raise RuntimeError(f"movement {movement.pk} moves neither a pool nor a security")
            change.move(
                security=movement.security,
                kind=movement.kind,
                quantity=-movement.quantity,
                effective_date=on,
                amount_minor=None if movement.amount_minor is None else -movement.amount_minor,
                external_id=movement.external_id,
            )
        change.write()
        written.extend(change.movements)
    return written
