"""OCF packages imported from the admin, by two people.

The person who uploads a package (a zip archive, kept with its record) sees at once what a dry
run of the import reports: a package with errors is kept as refused, so that its report can be
read, and goes no further. They confirm a checked package, accepting its warnings if it has
any; then somebody else, who may approve imports, approves it, and the package kept is imported
as a new issuer in the same transaction as the approval. Its maker never approves it. Until it
is imported, its maker or an approver may cancel it, saying why.

Every step locks the import's row and checks its state under the lock; a refusal raises a
:class:`~apps.core.exceptions.DomainError` saying why, and changes nothing.
"""

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path, PurePath

from django.conf import settings
from django.utils import timezone

from apps.accounts.models import User
from apps.captable.locks import ocf_import_lock
from apps.captable.models import Issuer, OcfImport, OcfImportState

# The importer records through this package's services: it is read as a module, whichever of the
# two is imported first.
from apps.captable.ocf import importer as ocf_importer
from apps.captable.ocf.report import OcfReport
from apps.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from apps.core.history import history_reason_set, history_user_set
from apps.core.services import use_case
from apps.core.transitions import fsm_transition
from apps.core.validators import texts_without_control_characters
from apps.ledger.exceptions import MakerCheckerViolation
from apps.ledger.models import Operation, OperationKind

APPROVE_PERMISSION = "captable.approve_ocfimport"
# The steps :func:`ocf_import_steps_open` names.
CONFIRM, APPROVE, CANCEL = "confirm", "approve", "cancel"
PACKAGE_FILE = "package.zip"


class OcfUploadRefused(DomainError):
    """An upload is not an OCF package this door takes: not a zip archive, or too large."""

    code = "ocf_upload_refused"


class OcfWarningsToAccept(DomainError):
    """A checked package has warnings its maker has not accepted."""

    code = "ocf_warnings_to_accept"


def counted(number: int, noun: str) -> str:
    """``number`` and ``noun``, plural but for one: "1 warning", "2 warnings"."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _megabytes(size: int) -> str:
    tenths = size * 10 // 2**20  # in whole numbers: no float in the product
    return f"{tenths // 10:,}.{tenths % 10} MB"


def ocf_upload_refuse_unless_acceptable(*, filename: str, size: int) -> None:
    """Refuse an upload of ``size`` bytes larger than a package may inflate to, or empty."""
    limit = settings.OCF_IMPORT_MAX_UNCOMPRESSED_BYTES
    if size > limit:
        raise OcfUploadRefused(
            f"{filename} is {_megabytes(size)}, more than the {_megabytes(limit)} a package may "
            "hold (OCF_IMPORT_MAX_UNCOMPRESSED_BYTES): it was not uploaded",
            filename=filename,
            size=size,
            limit=limit,
            setting="OCF_IMPORT_MAX_UNCOMPRESSED_BYTES",
        )
    if size == 0:
        raise OcfUploadRefused(f"{filename} is empty: it was not uploaded", filename=filename)


def _refuse_unless_zip(filename: str, content: bytes) -> None:
    if not zipfile.is_zipfile(BytesIO(content)):
        raise OcfUploadRefused(
            f"{filename} is not a zip archive: upload the OCF package as one zip archive "
            "holding its manifest (Manifest.ocf.json) and the files the manifest lists",
            filename=filename,
        )


@contextmanager
def _package_file(filename: str, content: bytes) -> Iterator[Path]:
    """Write ``content`` to a temporary zip file named as uploaded (the reader's messages name
    it), removed afterwards."""
    name = PurePath(filename.replace("\\", "/")).name
    if not name.lower().endswith(".zip"):
        name = PACKAGE_FILE
    with tempfile.TemporaryDirectory(prefix="ocf-import-") as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


def _report(ocf_import: OcfImport) -> OcfReport:
    return OcfReport.from_json(ocf_import.report)


def _state_words(ocf_import: OcfImport) -> str:
    return str(ocf_import.get_state_display()).lower()


# --- the rules, each in one place: the services enforce them, the admin asks them ------------


def _confirm_refusal(ocf_import: OcfImport, by: User) -> DomainError | None:
    if ocf_import.state != OcfImportState.CHECKED:
        return TransitionRefused(
            f"{ocf_import} is {_state_words(ocf_import)}: only a checked import is confirmed",
            record=str(ocf_import),
            transition=CONFIRM,
        )
    if ocf_import.created_by_id != by.pk:
        return PermissionRefused(
            f"only {ocf_import.created_by}, who uploaded {ocf_import.filename}, confirms it",
            record=str(ocf_import),
            transition=CONFIRM,
        )
    return None


def _approve_refusal(ocf_import: OcfImport, by: User) -> DomainError | None:
    if ocf_import.state != OcfImportState.PROPOSED:
        return TransitionRefused(
            f"{ocf_import} is {_state_words(ocf_import)}: only an import waiting for approval "
            "is approved",
            record=str(ocf_import),
            transition=APPROVE,
        )
    if ocf_import.created_by_id == by.pk:
        return MakerCheckerViolation(
            f"{by} uploaded {ocf_import.filename} and so cannot approve its import: "
            "another person must check it",
            record=str(ocf_import),
        )
    return None


def _cancel_refusal(ocf_import: OcfImport, by: User) -> DomainError | None:
    if ocf_import.state not in (OcfImportState.CHECKED, OcfImportState.PROPOSED):
        return TransitionRefused(
            f"{ocf_import} is {_state_words(ocf_import)}: it can no longer be cancelled",
            record=str(ocf_import),
            transition=CANCEL,
        )
    if ocf_import.created_by_id != by.pk and not by.has_perm(APPROVE_PERMISSION):
        return PermissionRefused(
            f"only {ocf_import.created_by}, who uploaded {ocf_import.filename}, or a person who "
            "may approve OCF imports cancels it",
            record=str(ocf_import),
            transition=CANCEL,
        )
    return None


def ocf_import_steps_open(*, ocf_import: OcfImport, by: User) -> frozenset[str]:
    """Return the steps (:data:`CONFIRM`, :data:`APPROVE`, :data:`CANCEL`) ``by`` may take on
    ``ocf_import`` now, as the services would decide them."""
    rules = (
        (CONFIRM, ocf_import_confirm, _confirm_refusal),
        (APPROVE, ocf_import_approve, _approve_refusal),
        (CANCEL, ocf_import_cancel, _cancel_refusal),
    )
    return frozenset(
        step
        for step, service, refusal in rules
        if service.refusal(by=by) is None and refusal(ocf_import, by) is None
    )


# --- the use cases ------------------------------------------------------------------------


@use_case(permission="captable.add_ocfimport")
def ocf_import_check(*, filename: str, content: bytes, by: User) -> OcfImport:
    """Keep the uploaded package ``content`` with the report of its dry run: checked, ready for
    its maker to confirm, or refused when the report has errors.

    Refuse, keeping nothing, anything but a zip archive, and an archive larger than a package
    may inflate to.
    """
    # Its maker must be allowed to make the import itself.
    refusal = ocf_importer.ocf_dry_run.refusal(by=by)
    if refusal is not None:
        raise refusal
    texts_without_control_characters(filename=filename)
    ocf_upload_refuse_unless_acceptable(filename=filename, size=len(content))
    _refuse_unless_zip(filename, content)
    with _package_file(filename, content) as path:
        report = ocf_importer.ocf_dry_run.step(path=path, by=by)
    refused = bool(report.errors)
    ocf_import = OcfImport(
        filename=filename,
        package=content,
        report=report.as_json(),
        state=OcfImportState.REFUSED if refused else OcfImportState.CHECKED,
        created_by=by,
    )
    ocf_import.full_clean(exclude=["state"])
    history_user_set(ocf_import, by)
    history_reason_set(
        ocf_import,
        f"Uploaded; the checks found {counted(len(report.errors), 'error')}: refused"
        if refused
        else f"Uploaded and checked: {counted(len(report.warnings), 'warning')}",
    )
    ocf_import.save()
    return ocf_import


@use_case(permission="captable.add_ocfimport")
def ocf_import_confirm(*, ocf_import: OcfImport, accept_warnings: bool, by: User) -> OcfImport:
    """Hand a checked import to an approver; only its maker does, accepting its warnings if the
    report has any."""
    locked = ocf_import_lock(ocf_import.pk)
    refusal = _confirm_refusal(locked, by)
    if refusal is not None:
        raise refusal
    warnings = _report(locked).warnings
    if warnings and not accept_warnings:
        listed = "; ".join(warnings)
        raise OcfWarningsToAccept(
            f"{locked.filename} has {counted(len(warnings), 'warning')} to accept before it is "
            f"confirmed: {listed}",
            record=str(locked),
            warnings=warnings,
        )
    return fsm_transition(
        instance=locked,
        name=CONFIRM,
        by=by,
        reason=f"Confirmed, accepting {counted(len(warnings), 'warning')}"
        if warnings
        else "Confirmed",
        fields={"accepted_warnings": bool(warnings), "confirmed_at": timezone.now()},
    )


def _import_operation(issuer: Issuer) -> Operation | None:
    """The operation that recorded the import of ``issuer``'s transactions, if it had any."""
    return (
        Operation.objects.filter(kind=OperationKind.IMPORT, movements__issuer=issuer)
        .order_by("-pk")
        .first()
    )


@use_case(permission=APPROVE_PERMISSION)
def ocf_import_approve(*, ocf_import: OcfImport, by: User) -> OcfImport:
    """Import the package of a confirmed import as a new issuer, approved by ``by``, who is not
    its maker; the issuer and its operation are linked to the import, in one transaction.

    An import the package's checks refuse now raises their error, and nothing changes.
    """
    locked = ocf_import_lock(ocf_import.pk)
    refusal = _approve_refusal(locked, by)
    if refusal is not None:
        raise refusal
    maker = locked.created_by
    refusal = ocf_importer.ocf_import.refusal(by=maker)  # still allowed to make it
    if refusal is not None:
        raise refusal
    with _package_file(locked.filename, bytes(locked.package)) as path:
        issuer = ocf_importer.ocf_import.step(
            path=path, by=maker, approved_by=by, accept_warnings=locked.accepted_warnings
        )
    operation = _import_operation(issuer)
    return fsm_transition(
        instance=locked,
        name=APPROVE,
        by=by,
        reason=f"Approved and imported as {issuer}",
        fields={
            "decided_by": by,
            "decided_at": timezone.now(),
            "issuer": issuer,
            "operation": operation,
        },
        operation_id=operation.pk if operation is not None else None,
    )


@use_case(permission="captable.cancel_ocfimport")
def ocf_import_cancel(*, ocf_import: OcfImport, reason: str, by: User) -> OcfImport:
    """Abandon an import not yet imported, saying why; its maker or an approver does."""
    locked = ocf_import_lock(ocf_import.pk)
    refusal = _cancel_refusal(locked, by)
    if refusal is not None:
        raise refusal
    reason = reason.strip()
    if not reason:
        raise TransitionRefused(f"say why {locked} is cancelled", record=str(locked))
    texts_without_control_characters(reason=reason, multiline=True)
    return fsm_transition(
        instance=locked,
        name=CANCEL,
        by=by,
        reason=f"Cancelled: {reason}",
        fields={"reason": reason, "decided_by": by, "decided_at": timezone.now()},
    )
