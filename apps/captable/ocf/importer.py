"""Import of an Open Cap Format package as a new issuer: its classes, stakeholders, plans, vesting
terms, and every transaction as movements of one executed operation; and its dry run.

Nothing is written until the whole package has passed its checks: its version and upgrade to
OCF 1.2 (:mod:`.compat`), the schemas (every file and every item, :mod:`.package`), then the
references and the transaction types (:mod:`.content`), each reporting every problem with its
file and item id. Then one durable database transaction creates the issuer and its reference
data through the cap table's services and records all the transactions, in the order
:mod:`.content` documents, through one
:func:`~apps.captable.services.captable_change_record` of kind ``import``; each movement carries
its OCF transaction id as ``external_id`` and every lookup is an in-memory dictionary, so the
number of queries does not grow with the transactions. Any refusal while recording (units that
are not there, an exhausted pool, an inexact split, a number too large to compute exactly) names
the transaction and rolls everything back; a value the database still refuses rolls it back too,
refused as a whole.

Errors come before warnings: a package is recorded in full before its warnings are looked at,
so that an error found only while recording is the one reported. Then, when it has warnings,
:func:`ocf_import` refuses it with :class:`~apps.captable.ocf.OcfWarningsNotAccepted` (the
transaction rolled back) unless they are accepted; accepted, every one of them is written, in
full, as the change reason of the import operation's history row (its execution; the issuer's
creation row when the package has no transaction to record), where an auditor reading that
history finds them. Nothing is skipped silently.

:func:`ocf_dry_run` reads, upgrades, checks and records the package exactly as the import
would, inside a savepoint it rolls back once it has read the cap table on the package's date,
and returns an :class:`~apps.captable.ocf.report.OcfReport`: every refusal, a package too large
included, is in the report rather than raised. Its rehearsal needs a checker besides the maker,
as every recorded change does: the system user stands in, inside the savepoint only, so the
real import still needs a second person and the maker-checker rule is not relaxed anywhere. (A
dry run made by the system user itself is reported as refused for that reason.)

OCF semantics kept: a transfer, cancellation, repurchase, exercise or conversion consumes the
whole source security; ``balance_security_id`` receives what remains and
``resulting_security_ids`` are the new securities. OCF creates those by issuance transactions of
their own, recorded with the transaction that creates them: their movements carry its kind and
id (new shares from an exercise or a conversion are issuances, as when recorded here), and one
of the same kind as its source keeps the source's vesting start. A balance named without an
issuance copies the source's terms. When a partial transaction names no balance (OCF exercises
have no such field), the remainder is opened as ``<security id>-B<n>`` and later transactions
naming the source's id act on it.

Limits: a split multiplies the class's shares outstanding and its authorised units (options and
warrants on the class are not adjusted; OCF records their adjustment separately), and refuses a
holding it would leave with more than 10 decimals. Shares issued under a plan are shares: the
pool counts options only, and a cancelled option returns to it. The prices of share issuances
are not kept (a class keeps its ``price_per_share``). :mod:`.mapping` says how each object's
fields are mapped.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, models, transaction

from apps.accounts.models import User
from apps.accounts.services import system_user
from apps.captable.conversion import ConvertibleTerms
from apps.captable.exceptions import InsufficientUnits, InvalidMovement
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    MovementKind,
    Security,
    SecurityKind,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.ocf import OcfImportError, OcfWarningsNotAccepted
from apps.captable.ocf.content import OTHERS, Consumption, Draft, Plan, Step, package_plan
from apps.captable.ocf.mapping import fraction_to_decimal
from apps.captable.ocf.package import OcfFindings, OcfItem, Progress, package_read
from apps.captable.ocf.report import OcfReport
from apps.captable.selectors import CapTableRow, cap_table
from apps.captable.services import (
    Change,
    captable_change_record,
    issuer_create,
    plan_create,
    share_class_create,
    stakeholders_bulk_create,
    vesting_terms_create,
)
from apps.core.exceptions import DomainError
from apps.core.services import model_update, use_case
from apps.ledger.models import Operation, OperationKind

REFUSED_WHILE_RECORDING = "the OCF package could not be recorded; nothing was imported"
ACCEPTED_HEADING = "OCF import with accepted warnings:"


def _exact(value: Fraction, *, what: str) -> Decimal:
    """Return ``value`` as a Decimal of at most 10 decimals, refusing one that is longer."""
    decimal = fraction_to_decimal(value)
    if Fraction(decimal) != value:
        raise InvalidMovement(f"{what}: {value} is not exact to 10 decimals")
    return decimal


class _Writer:
    """Records the ordered steps through one :class:`Change`, with every lookup in memory."""

    def __init__(
        self,
        plan: Plan,
        change: Change,
        *,
        classes: dict[str, ShareClass],
        stakeholders: dict[str, Stakeholder],
        plans: dict[str, EquityPlan],
        vesting: dict[str, VestingTerms],
        approved_by: User,
    ) -> None:
        self.plan = plan
        self.change = change
        self.classes = classes
        self.stakeholders = stakeholders
        self.plans = plans
        self.vesting = vesting
        self.approved_by = approved_by
        self.live: dict[str, Security] = {}
        self.used_ids = set(plan.drafts)
        self.stock_of_class: dict[int, list[Security]] = defaultdict(list)

    def run(self, progress: Progress | None) -> None:
        steps = self.plan.steps
        index = 0
        while index < len(steps):
            end = index
            key = (steps[index].on, steps[index].phase)
            while end < len(steps) and (steps[end].on, steps[end].phase) == key:
                end += 1
            group = steps[index:end]
            if key[1] == OTHERS:
                self._run_waiting(group)
            else:
                for step in group:
                    self._step(step)
            if progress is not None and index // 10_000 != end // 10_000:
                progress("transactions recorded", end, len(steps))
            index = end

    def _run_waiting(self, group: list[Step]) -> None:
        """Run a date's steps in order, each after any step of the date creating its security."""
        pending = group
        while pending:
            created_later = {name for step in pending for name in step.creates}
            waiting = []
            for step in pending:
                if step.needs and step.needs not in self.live and step.needs in created_later:
                    waiting.append(step)
                    continue
                self._step(step)
            if len(waiting) == len(pending):
                self._step(waiting.pop(0))  # nothing creates its security first: refused
            pending = waiting

    def _step(self, step: Step) -> None:
        try:
            getattr(self, f"_{step.action}")(step)
        except (DomainError, ValueError, ValidationError, InvalidOperation) as error:
            raise OcfImportError(
                REFUSED_WHILE_RECORDING, [f"{step.where()} (on {step.on}): {_reason(error)}"]
            ) from error

    # --- securities -------------------------------------------------------------------------

    def _open(self, draft: Draft, *, source: Security | None = None) -> Security:
        """Open the security ``draft`` issues; one resulting from ``source``, of the same kind,
        keeps its vesting start unless the package gives it its own."""
        on = date.fromisoformat(draft.item.data["date"])
        fields: dict[str, Any]
        if draft.kind == SecurityKind.CONVERTIBLE:
            fields = {
                "convertible_type": draft.convertible_type,
                "terms": draft.convertible_terms.to_json(),
            }
        else:
            fields = {
                "plan": self.plans[draft.plan] if draft.plan else None,
                "exercise_price_minor": draft.exercise_price_minor,
                "expiration_date": draft.expiration_date,
            }
            start = self.plan.vesting_starts.get(draft.security_id)
            if start is None and source is not None and source.kind == draft.kind:
                start = source.vesting_start_date
            if draft.vesting_terms:
                fields["vesting_terms"] = self.vesting[draft.vesting_terms]
            if start or draft.vesting_terms or draft.kind == SecurityKind.OPTION:
                fields["vesting_start_date"] = start or on
        security = self.change.open_security(
            kind=draft.kind,
            stakeholder=self.stakeholders[draft.stakeholder],
            issue_date=on,
            share_class=self.classes[draft.share_class] if draft.share_class else None,
            security_id=draft.security_id,
            **fields,
        )
        return self._track(security)

    def _copy(self, source: Security, on: date, security_id: str, terms: dict) -> Security:
        security = self.change.open_security_like(
            source,
            stakeholder=source.stakeholder,
            issue_date=on,
            security_id=security_id,
            terms=terms,
        )
        return self._track(security)

    def _track(self, security: Security) -> Security:
        self.live[security.security_id] = security
        if security.kind == SecurityKind.STOCK and security.share_class is not None:
            self.stock_of_class[security.share_class.pk].append(security)
        return security

    def _balance_id(self, source_id: str) -> str:
        number = 1
        while f"{source_id}-B{number}" in self.used_ids:
            number += 1
        self.used_ids.add(f"{source_id}-B{number}")
        return f"{source_id}-B{number}"

    def _move_in(self, security: Security, draft_quantity: Decimal, kind: str, step: Step) -> None:
        amount = None
        if security.kind == SecurityKind.CONVERTIBLE:
            amount = ConvertibleTerms.from_json(security.terms).principal.amount_minor
        self.change.move(
            security=security,
            kind=kind,
            quantity=draft_quantity,
            effective_date=step.on,
            amount_minor=amount,
            external_id=step.item.id,
        )

    # --- the steps --------------------------------------------------------------------------

    def _issue(self, step: Step) -> None:
        draft = self.plan.drafts[step.creates[0]]
        security = self._open(draft)
        self._move_in(security, draft.quantity, MovementKind.ISSUANCE, step)

    def _consume(self, step: Step) -> None:
        rule: Consumption = step.data["rule"]
        taken = step.data["taken"]
        balance: str | None = step.data["balance"]
        needs = step.needs
        source = self.live.get(needs) if needs is not None else None
        if needs is None or source is None:
            raise InvalidMovement(f"security {needs!r} is not issued yet")
        held = self.change.units(source)
        if rule.security_kind == SecurityKind.CONVERTIBLE:
            principal = ConvertibleTerms.from_json(source.terms).principal
            rest_principal = principal - (taken if taken is not None else principal)
            if rest_principal.amount_minor < 0:
                raise InsufficientUnits(
                    f"security {source.security_id} is of {principal}; {taken} cannot be taken"
                )
            rest = Decimal(1) if rest_principal.amount_minor else Decimal(0)
        else:
            rest_principal = None
            if taken is not None and held and taken > held:
                raise InsufficientUnits(
                    f"security {source.security_id} holds {held} units; {taken} cannot be taken"
                )
            rest = held - taken if taken is not None else Decimal(0)
        self.change.consume(
            security=source,
            kind=rule.kind,
            quantity=None,
            effective_date=step.on,
            external_id=step.item.id,
        )
        drafts = self.plan.drafts
        if balance in drafts:
            draft = drafts[balance]
            if taken is not None:
                expected = (
                    draft.convertible_terms.principal == rest_principal
                    if rest_principal is not None
                    else draft.quantity == rest
                )
                if not expected:
                    remains = rest_principal if rest_principal is not None else rest
                    raise InvalidMovement(
                        f"balance security {balance!r} is issued for "
                        f"{draft.terms.principal if draft.terms else draft.quantity}, "
                        f"but {remains} remain"
                    )
            self._move_in(self._open(draft, source=source), draft.quantity, rule.kind, step)
        elif rest:
            terms = source.terms
            if rest_principal is not None:
                terms = replace(ConvertibleTerms.from_json(terms), principal=rest_principal)
                terms = terms.to_json()
            copy = self._copy(source, step.on, balance or self._balance_id(needs), terms)
            self._move_in(copy, rest, rule.kind, step)
            if not balance:
                self.live[needs] = copy  # the source's OCF id now names what remains
        new_shares = rule.kind in {MovementKind.CONVERSION, MovementKind.EXERCISE}
        for name in step.data["results"]:
            draft = drafts[name]
            issued = new_shares and draft.kind == SecurityKind.STOCK
            kind = MovementKind.ISSUANCE if issued else rule.kind
            self._move_in(self._open(draft, source=source), draft.quantity, kind, step)

    def _split(self, step: Step) -> None:
        share_class = self.classes[step.data["share_class"]]
        ratio: Fraction = step.data["ratio"]
        if share_class.authorised_units is not None:
            scaled = fraction_to_decimal(Fraction(share_class.authorised_units) * ratio)
            model_update(
                instance=share_class,
                fields=["authorised_units"],
                data={"authorised_units": scaled},
                by=self.approved_by,
            )
        for security in self.stock_of_class[share_class.pk]:
            held = self.change.units(security)
            if held:
                delta = _exact(Fraction(held) * (ratio - 1), what=security.security_id)
                if delta:
                    self.change.move(
                        security=security,
                        kind=MovementKind.SPLIT,
                        quantity=delta,
                        effective_date=step.on,
                        external_id=step.item.id,
                    )

    def _pool(self, step: Step) -> None:
        if step.data["quantity"]:
            self.change.reserve_pool(
                plan=self.plans[step.data["plan"]],
                quantity=step.data["quantity"],
                effective_date=step.on,
                external_id=step.item.id,
            )


def _reason(error: Exception) -> str:
    """Say why recording was refused, in words (decimal's errors have none of their own)."""
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    if isinstance(error, InvalidOperation):  # a result needing more digits than decimal keeps
        return "its numbers are too large for the books to compute exactly"
    return str(error)


def _created(item: OcfItem, create: Callable[[], Any]) -> Any:
    try:
        return create()
    except (ValidationError, DomainError, ValueError, InvalidOperation) as error:
        raise OcfImportError(
            REFUSED_WHILE_RECORDING, [f"{item.where()}: {_reason(error)}"]
        ) from error


def _write(
    plan: Plan, *, by: User, approved_by: User, progress: Progress | None, accepted: list[str]
) -> Issuer:
    issuer = issuer_create.step(**plan.issuer, by=by)
    classes = {
        data["ocf_id"]: _created(
            item, partial(share_class_create.step, issuer=issuer, by=by, **data)
        )
        for item, data in plan.classes
    }
    try:
        created = stakeholders_bulk_create.step(
            issuer=issuer, rows=[data for _, data in plan.stakeholders], by=by
        )
    except ValidationError as error:
        raise OcfImportError(
            REFUSED_WHILE_RECORDING, [f"Stakeholders: {'; '.join(error.messages)}"]
        ) from error
    stakeholders = {stakeholder.ocf_id: stakeholder for stakeholder in created}
    plans = {
        data["ocf_id"]: _created(
            item,
            partial(
                plan_create.step,
                issuer=issuer,
                name=data["name"],
                share_class=classes[data["share_class"]],
                ocf_id=data["ocf_id"],
                by=by,
            ),
        )
        for item, data in plan.plans
    }
    vesting = {
        data["ocf_id"]: _created(
            item, partial(vesting_terms_create.step, issuer=issuer, by=by, **data)
        )
        for item, data in plan.vesting
    }
    if progress is not None:
        written = len(classes) + len(stakeholders) + len(plans) + len(vesting)
        progress("reference objects written", written, written)
    recorded: list[Operation] = []
    if plan.steps:

        def build(change: Change) -> None:
            writer = _Writer(
                plan,
                change,
                classes=classes,
                stakeholders=stakeholders,
                plans=plans,
                vesting=vesting,
                approved_by=approved_by,
            )
            writer.run(progress)
            recorded.append(change.operation)

        captable_change_record(
            issuer=issuer,
            description=f"Import of {len(plan.steps)} OCF transaction(s) for {issuer.name}",
            by=by,
            approved_by=approved_by,
            build=build,
            kind=OperationKind.IMPORT,
        )
    if accepted:
        _warnings_kept(recorded[0] if recorded else issuer, accepted)
    return issuer


def _warnings_kept(record: Operation | Issuer, warnings: list[str]) -> None:
    """Write the accepted ``warnings`` as the change reason of ``record``'s latest history row
    (an operation's execution, an issuer's creation), written by this import a moment ago."""
    latest = record.history.order_by("-history_date", "-history_id").first()
    if latest is None:
        raise RuntimeError(f"{record} has no history row to keep the accepted warnings on")
    reason = "\n".join([ACCEPTED_HEADING, *(f"- {warning}" for warning in warnings)])
    history: type[models.Model] = type(latest)
    history._default_manager.filter(pk=latest.pk).update(history_change_reason=reason)


def _planned(path: Path, *, findings: OcfFindings, progress: Progress | None) -> Plan:
    """Read and check the package at ``path``, noting what it finds in ``findings``."""
    package = package_read(Path(path), progress=progress, findings=findings)
    plan = package_plan(package)
    if progress is not None:
        progress("transactions checked", len(plan.steps), len(plan.steps))
    return plan


def _recorded(
    plan: Plan, *, by: User, approved_by: User, progress: Progress | None, accepted: list[str]
) -> Issuer:
    try:
        return _write(plan, by=by, approved_by=approved_by, progress=progress, accepted=accepted)
    except DataError as error:
        # The checks above should leave nothing for the database to refuse; if it still does,
        # the transaction is rolled back and the refusal is reported like the others.
        raise OcfImportError(
            REFUSED_WHILE_RECORDING, [f"the database refused a value of the package: {error}"]
        ) from error


@use_case(permission="captable.add_issuer")
def ocf_import(
    *,
    path: Path,
    by: User,
    approved_by: User,
    accept_warnings: bool = False,
    progress: Progress | None = None,
) -> Issuer:
    """Import the OCF package at ``path`` as a new issuer; ``by`` makes it, ``approved_by``
    approves it.

    Raise :class:`~apps.captable.ocf.OcfImportError` listing every error, having written
    nothing, when the package is of a version not read here, invalid, inconsistent, unsupported
    or cannot be recorded; when it has none but has warnings, raise
    :class:`~apps.captable.ocf.OcfWarningsNotAccepted` listing them, having written nothing,
    unless ``accept_warnings``: then they are kept on the import operation's history.
    """
    findings = OcfFindings()
    plan = _planned(path, findings=findings, progress=progress)
    warnings = findings.warnings
    issuer = _recorded(
        plan,
        by=by,
        approved_by=approved_by,
        progress=progress,
        accepted=warnings if accept_warnings else [],
    )
    if warnings and not accept_warnings:
        raise OcfWarningsNotAccepted(warnings)  # the use case's transaction is rolled back
    return issuer


def _rehearsal(progress: Progress | None) -> Progress | None:
    """Return ``progress`` marking each stage of a rehearsal as rolled back."""
    if progress is None:
        return None
    tell: Progress = progress

    def told(stage: str, done: int, total: int) -> None:
        tell(f"{stage} (dry run, rolled back)", done, total)

    return told


def _rehearsed(
    plan: Plan, *, by: User, as_of: date | None, progress: Progress | None
) -> list[CapTableRow]:
    """Record ``plan`` as the import would, read its cap table on ``as_of``, and roll it all
    back; refuse as the import would."""
    with transaction.atomic():
        try:
            stand_in = system_user()  # the checker, inside this savepoint only
            issuer = _recorded(
                plan, by=by, approved_by=stand_in, progress=_rehearsal(progress), accepted=[]
            )
            rows = cap_table(issuer, as_of=as_of).rows
        except OcfImportError:
            raise
        except (DomainError, ValidationError) as error:
            reason = error.message if isinstance(error, DomainError) else _reason(error)
            raise OcfImportError(REFUSED_WHILE_RECORDING, [reason]) from error
        finally:
            transaction.set_rollback(True)
    # Nothing of the rehearsal is kept, its ids included.
    return [replace(row, holder_id=None, share_class_id=None) for row in rows]


@use_case(permission="captable.add_issuer")
def ocf_dry_run(*, path: Path, by: User, progress: Progress | None = None) -> OcfReport:
    """Check the OCF package at ``path`` as :func:`ocf_import` would, made by ``by``, and
    report what importing it would do; write nothing.

    The report gives the cap table the import would produce on the package's date, and every
    error and warning; a refusal of any kind, a package too large included, is reported, not
    raised.
    """
    findings = OcfFindings()
    rows: list[CapTableRow] = []
    errors: list[str] = []
    try:
        plan = _planned(path, findings=findings, progress=progress)
        rows = _rehearsed(plan, by=by, as_of=findings.as_of, progress=progress)
    except OcfImportError as error:
        errors = list(error.errors)
    return OcfReport(
        issuer_name=findings.issuer_name,
        ocf_version=findings.ocf_version,
        as_of=findings.as_of,
        counts=dict(sorted(findings.counts.items())),
        cap_table=[] if errors else rows,
        errors=errors,
        warnings=list(findings.warnings),
    )


def ocf_import_counts(issuer: Issuer) -> dict[str, int]:
    """Return how many objects of each kind ``issuer`` has: what an import wrote."""
    return {
        "share classes": ShareClass.objects.filter(issuer=issuer).count(),
        "stakeholders": Stakeholder.objects.filter(issuer=issuer).count(),
        "plans": EquityPlan.objects.filter(issuer=issuer).count(),
        "vesting terms": VestingTerms.objects.filter(issuer=issuer).count(),
        "securities": Security.objects.filter(issuer=issuer).count(),
        "movements": Movement.objects.filter(issuer=issuer).count(),
    }


def ocf_import_warnings_accepted(issuer: Issuer) -> str:
    """Return the warnings the import of ``issuer`` accepted, as its history keeps them (the
    change reason of its operation's execution, or of the issuer's creation), or ``""``."""
    operation = (
        Operation.objects.filter(kind=OperationKind.IMPORT, movements__issuer=issuer)
        .order_by("pk")
        .first()
    )
    record: Operation | Issuer = operation if operation is not None else issuer
    reason = (
        record.history.filter(history_change_reason__startswith=ACCEPTED_HEADING)
        .values_list("history_change_reason", flat=True)
        .first()
    )
    return reason or ""
