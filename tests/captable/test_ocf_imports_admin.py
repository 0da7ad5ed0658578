"""OCF packages imported from the admin: uploaded and checked, confirmed by their maker, approved
and imported by somebody else, or cancelled; and the pages that show their report."""

import io
import json
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.demo import current_totp_code
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.captable.models import Issuer, Movement, OcfImport, OcfImportState
from apps.captable.ocf import OcfImportError
from apps.captable.ocf.importer import ocf_import_warnings_accepted
from apps.captable.ocf.report import OcfReport
from apps.captable.selectors import cap_table
from apps.captable.services import (
    OcfUploadRefused,
    OcfWarningsToAccept,
    ocf_import_approve,
    ocf_import_cancel,
    ocf_import_check,
    ocf_import_confirm,
    ocf_import_steps_open,
)
from apps.core.exceptions import PermissionRefused, TransitionRefused
from apps.ledger.exceptions import MakerCheckerViolation
from apps.ledger.models import Operation, OperationKind
from tests.captable.conftest import make_issuer
from tests.conftest import sign_in
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PACKAGES = Path(__file__).parent / "ocf_packages"
AS_OF = date(2025, 4, 30)
ORD, PREF = "Ordinary", "Series A Preferred"
# (holder, class, units, fully diluted, %, % fully diluted): the valid package on its date.
LUMEN_CAP_TABLE = [
    ("Alice Martin", ORD, "1800000", "1800000", "62.84", "59.85"),
    ("Seedcamp Fund II", PREF, "400000", "400000", "13.96", "13.30"),
    ("Bob Keller", ORD, "280000", "290000", "9.78", "9.64"),
    ("Seedcamp Fund II", ORD, "200000", "200000", "6.98", "6.65"),
    ("Pool: BSPCE 2024", ORD, "0", "115000", "0.00", "3.82"),
    ("Carol Diaz", ORD, "110000", "110000", "3.84", "3.66"),
    ("Carol Diaz", PREF, "62500", "62500", "2.18", "2.08"),
    ("Dan Okafor", ORD, "12000", "30000", "0.42", "1.00"),
]


def package_zip(folder: str, *, stale_md5: bool = False) -> bytes:
    """The fixture package ``folder`` as a zip archive; ``stale_md5``: the manifest gives a
    wrong md5 for its first stakeholders file (a warning, not an error)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted((PACKAGES / folder).iterdir()):
            content = path.read_bytes()
            if stale_md5 and path.name == "Manifest.ocf.json":
                manifest = json.loads(content)
                manifest["stakeholders_files"][0]["md5"] = "0" * 32
                content = json.dumps(manifest, indent=2).encode()
            # A fixed date, so that the same package is the same bytes.
            archive.writestr(zipfile.ZipInfo(path.name, date_time=(2025, 4, 30, 12, 0, 0)), content)
    return buffer.getvalue()


def rows_of(rows) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            row.holder,
            row.share_class,
            format(row.units.normalize(), "f"),
            format(row.fully_diluted_units.normalize(), "f"),
            str(row.percent),
            str(row.percent_fully_diluted),
        )
        for row in rows
    ]


@pytest.fixture
def ops(db) -> User:
    return StaffFactory(roles=[Role.OPERATIONS], full_name="Olivia Ops")


@pytest.fixture
def colleague(db) -> User:
    return StaffFactory(roles=[Role.OPERATIONS], full_name="Omar Ops")


@pytest.fixture
def finance(db) -> User:
    return StaffFactory(roles=[Role.FINANCE], full_name="Fatima Finance")


@pytest.fixture
def checked(ops) -> OcfImport:
    return ocf_import_check(filename="lumen.zip", content=package_zip("valid"), by=ops)


@pytest.fixture
def proposed(checked, ops) -> OcfImport:
    return ocf_import_confirm(ocf_import=checked, accept_warnings=False, by=ops)


@pytest.fixture
def warned(ops) -> OcfImport:
    return ocf_import_check(
        filename="lumen-stale.zip", content=package_zip("valid", stale_md5=True), by=ops
    )


def signed_in(user: User) -> Client:
    client = Client()
    response = sign_in(client, user, code=current_totp_code(user.totp_secret))
    assert response.status_code == 302, response.content
    return client


def page(ocf_import: OcfImport, step: str = "change") -> str:
    return reverse(f"admin:captable_ocfimport_{step}", args=[ocf_import.pk])


def text_of(response) -> str:
    return response.content.decode()


# --- the services ------------------------------------------------------------------------------


def test_an_upload_is_kept_checked_with_its_report_and_nothing_imported(checked):
    report = OcfReport.from_json(checked.report)

    assert checked.state == OcfImportState.CHECKED
    assert bytes(checked.package) == package_zip("valid")
    assert (report.issuer_name, report.ocf_version, report.as_of) == (
        "Lumen Robotics SAS",
        "1.2.1-alpha+main",
        AS_OF,
    )
    assert report.counts["STAKEHOLDER"] == 5
    assert rows_of(report.cap_table) == LUMEN_CAP_TABLE
    assert (report.errors, report.warnings) == ([], [])
    assert not Issuer.objects.exists()
    assert checked.history.get().history_change_reason == "Uploaded and checked: 0 warnings"


def test_a_refused_package_is_kept_refused_with_its_errors_and_nothing_is_imported(ops):
    ocf_import = ocf_import_check(
        filename="ghost.zip", content=package_zip("unknown_stakeholder"), by=ops
    )
    report = OcfReport.from_json(ocf_import.report)

    assert ocf_import.state == OcfImportState.REFUSED
    assert any("sh-ghost" in error for error in report.errors)
    assert report.cap_table == []
    assert not Issuer.objects.exists()
    assert ocf_import_steps_open(ocf_import=ocf_import, by=ops) == frozenset()


def test_a_manifest_alone_is_refused_as_not_a_zip_archive_and_nothing_is_kept(ops):
    manifest = (PACKAGES / "valid" / "Manifest.ocf.json").read_bytes()

    with pytest.raises(OcfUploadRefused, match=r"Manifest\.ocf\.json is not a zip archive"):
        ocf_import_check(filename="Manifest.ocf.json", content=manifest, by=ops)

    assert not OcfImport.objects.exists()


def test_an_upload_larger_than_a_package_may_inflate_to_is_refused(ops, settings):
    content = package_zip("valid")
    settings.OCF_IMPORT_MAX_UNCOMPRESSED_BYTES = len(content) - 1

    with pytest.raises(OcfUploadRefused, match="OCF_IMPORT_MAX_UNCOMPRESSED_BYTES"):
        ocf_import_check(filename="lumen.zip", content=content, by=ops)

    assert not OcfImport.objects.exists()


def test_finance_may_not_upload_a_package(finance):
    with pytest.raises(PermissionRefused):
        ocf_import_check(filename="lumen.zip", content=package_zip("valid"), by=finance)

    assert not OcfImport.objects.exists()


def test_confirmation_by_someone_other_than_the_maker_is_refused(checked, colleague):
    with pytest.raises(PermissionRefused, match=r"who uploaded lumen\.zip, confirms it"):
        ocf_import_confirm(ocf_import=checked, accept_warnings=True, by=colleague)

    checked.refresh_from_db()
    assert checked.state == OcfImportState.CHECKED
    assert checked.confirmed_at is None


def test_the_maker_confirms_a_package_without_warnings(proposed, ops):
    assert proposed.state == OcfImportState.PROPOSED
    assert proposed.confirmed_at is not None
    assert proposed.accepted_warnings is False
    assert ocf_import_steps_open(ocf_import=proposed, by=ops) == {"cancel"}


def test_warnings_must_be_accepted_to_confirm(warned, ops):
    report = OcfReport.from_json(warned.report)
    assert warned.state == OcfImportState.CHECKED
    assert len(report.warnings) == 1

    with pytest.raises(OcfWarningsToAccept, match="1 warning to accept") as refused:
        ocf_import_confirm(ocf_import=warned, accept_warnings=False, by=ops)

    assert "Stakeholders.ocf.json" in refused.value.message
    warned.refresh_from_db()
    assert warned.state == OcfImportState.CHECKED

    confirmed = ocf_import_confirm(ocf_import=warned, accept_warnings=True, by=ops)

    assert confirmed.state == OcfImportState.PROPOSED
    assert confirmed.accepted_warnings is True


def test_approval_by_the_maker_is_refused(proposed, ops):
    ops.groups.add(*StaffFactory(roles=[Role.FINANCE]).groups.all())
    ops = User.objects.get(pk=ops.pk)  # permissions read afresh

    with pytest.raises(MakerCheckerViolation, match="cannot approve"):
        ocf_import_approve(ocf_import=proposed, by=ops)

    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED
    assert not Issuer.objects.exists()


def test_approval_without_the_permission_is_refused(proposed, colleague):
    with pytest.raises(PermissionRefused, match="may not approve an OCF import"):
        ocf_import_approve(ocf_import=proposed, by=colleague)

    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED
    assert not Issuer.objects.exists()


def test_approval_of_a_package_not_confirmed_is_refused(checked, finance):
    with pytest.raises(TransitionRefused, match="only an import waiting for approval"):
        ocf_import_approve(ocf_import=checked, by=finance)

    assert not Issuer.objects.exists()


def test_approval_imports_the_issuer_and_links_it_and_its_operation(proposed, ops, finance):
    imported = ocf_import_approve(ocf_import=proposed, by=finance)

    issuer = Issuer.objects.get()
    operation = Operation.objects.get(kind=OperationKind.IMPORT)
    assert imported.state == OcfImportState.IMPORTED
    assert (imported.issuer, imported.operation) == (issuer, operation)
    assert (imported.decided_by, imported.created_by) == (finance, ops)
    assert imported.decided_at is not None
    assert issuer.name == "Lumen Robotics SAS"
    assert (operation.created_by, operation.approved_by) == (ops, finance)
    assert rows_of(cap_table(issuer, as_of=AS_OF).rows) == LUMEN_CAP_TABLE
    assert Movement.objects.filter(issuer=issuer, operation=operation).exists()
    assert imported.history.first().history_change_reason == (
        "Approved and imported as Lumen Robotics SAS"
    )


def test_approval_keeps_the_accepted_warnings_on_the_import_history(warned, ops, finance):
    ocf_import_confirm(ocf_import=warned, accept_warnings=True, by=ops)

    imported = ocf_import_approve(ocf_import=warned, by=finance)

    assert "Stakeholders.ocf.json" in ocf_import_warnings_accepted(imported.issuer)


def test_an_import_refused_at_approval_changes_nothing(proposed, ops, finance):
    make_issuer("Lumen Robotics SAS", ops)  # the name is taken meanwhile
    issuers = Issuer.objects.count()

    with pytest.raises(OcfImportError):
        ocf_import_approve(ocf_import=proposed, by=finance)

    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED
    assert (proposed.issuer, proposed.decided_by) == (None, None)
    assert Issuer.objects.count() == issuers
    assert not Operation.objects.filter(kind=OperationKind.IMPORT).exists()


def test_the_maker_cancels_a_checked_import_saying_why(checked, ops):
    cancelled = ocf_import_cancel(ocf_import=checked, reason="Wrong as-of date.", by=ops)

    assert cancelled.state == OcfImportState.CANCELLED
    assert (cancelled.reason, cancelled.decided_by) == ("Wrong as-of date.", ops)
    assert cancelled.history.first().history_change_reason == "Cancelled: Wrong as-of date."


def test_an_approver_cancels_a_proposed_import(proposed, finance):
    cancelled = ocf_import_cancel(ocf_import=proposed, reason="Duplicate upload.", by=finance)

    assert cancelled.state == OcfImportState.CANCELLED


def test_cancellation_by_another_maker_is_refused(proposed, colleague):
    with pytest.raises(PermissionRefused, match="cancels it"):
        ocf_import_cancel(ocf_import=proposed, reason="Not mine.", by=colleague)

    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED


def test_cancellation_without_a_reason_is_refused(proposed, ops):
    with pytest.raises(TransitionRefused, match="say why"):
        ocf_import_cancel(ocf_import=proposed, reason="  ", by=ops)

    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED


def test_an_imported_package_can_no_longer_be_cancelled(proposed, finance):
    ocf_import_approve(ocf_import=proposed, by=finance)

    with pytest.raises(TransitionRefused, match="can no longer be cancelled"):
        ocf_import_cancel(ocf_import=proposed, reason="Too late.", by=finance)


# --- the admin pages ---------------------------------------------------------------------------


def test_the_upload_page_checks_the_package_and_shows_its_report(ops):
    client = signed_in(ops)
    upload = io.BytesIO(package_zip("valid"))
    upload.name = "lumen.zip"

    response = client.post(
        reverse("admin:captable_ocfimport_upload"), {"package": upload}, follow=True
    )

    ocf_import = OcfImport.objects.get()
    assert response.redirect_chain == [(page(ocf_import), 302)]
    text = text_of(response)
    assert "The package lumen.zip was checked: nothing is imported yet" in text
    for shown in (
        "Lumen Robotics SAS",
        "1.2.1-alpha+main",
        "30 April 2025",
        "<td>Stakeholders</td>",
        "<td>Stock issuances</td>",
        "<td>Stock classes</td>",
        "Alice Martin",
        "1,800,000",
        "62.84 %",
        "59.85 %",
        "Confirm the import",
        "Errors (0)",
        "Warnings (0)",
    ):
        assert shown in text, shown
    assert "TX_STOCK_ISSUANCE" not in text
    assert "Approve and import" not in text


def test_the_upload_page_refuses_a_file_that_is_not_a_zip_archive(ops):
    client = signed_in(ops)
    upload = io.BytesIO((PACKAGES / "valid" / "Manifest.ocf.json").read_bytes())
    upload.name = "Manifest.ocf.json"

    response = client.post(reverse("admin:captable_ocfimport_upload"), {"package": upload})

    assert response.status_code == 200
    assert "Manifest.ocf.json is not a zip archive" in text_of(response)
    assert not OcfImport.objects.exists()


def test_the_upload_page_is_not_offered_to_finance(finance):
    client = signed_in(finance)

    assert client.get(reverse("admin:captable_ocfimport_upload")).status_code == 403
    assert "Upload a package" not in text_of(
        client.get(reverse("admin:captable_ocfimport_changelist"))
    )


def test_a_refused_package_shows_its_errors_and_no_step(ops):
    ocf_import = ocf_import_check(
        filename="ghost.zip", content=package_zip("unknown_stakeholder"), by=ops
    )

    text = text_of(signed_in(ops).get(page(ocf_import)))

    assert "Refused by the checks" in text
    assert "sh-ghost" in text
    assert "None: the package has errors." in text
    assert "Confirm the import" not in text
    assert "Cancel the import" not in text


def test_the_confirm_form_requires_accepting_the_warnings(warned, ops):
    client = signed_in(ops)
    text = text_of(client.get(page(warned)))
    assert "I accept these warnings" in text
    assert "Warnings (1)" in text

    response = client.post(page(warned, "confirm"), {}, follow=True)

    assert "The import was not confirmed" in text_of(response)
    warned.refresh_from_db()
    assert warned.state == OcfImportState.CHECKED

    response = client.post(page(warned, "confirm"), {"accept_warnings": "on"}, follow=True)

    assert "is confirmed: it waits for somebody else" in text_of(response)
    warned.refresh_from_db()
    assert warned.state == OcfImportState.PROPOSED


def test_another_person_may_not_confirm_through_the_page(checked, colleague):
    response = signed_in(colleague).post(page(checked, "confirm"), {}, follow=True)

    assert "The import was not confirmed" in text_of(response)
    checked.refresh_from_db()
    assert checked.state == OcfImportState.CHECKED


def test_the_maker_waits_for_an_approver(proposed, ops):
    text = text_of(signed_in(ops).get(page(proposed)))

    assert "Waiting for approval" in text
    assert "waiting for somebody else, who may approve OCF imports" in text
    assert "Approve and import" not in text
    assert "Cancel the import" in text


def test_the_approver_reads_the_report_again_then_approves(proposed, finance):
    client = signed_in(finance)
    assert "Approve and import…" in text_of(client.get(page(proposed)))

    approve_page = text_of(client.get(page(proposed, "approve")))

    assert 'value="Approve and import"' in approve_page
    assert "made by Olivia Ops and approved by you" in approve_page
    assert "1,800,000" in approve_page

    response = client.post(page(proposed, "approve"), follow=True)

    assert "The package lumen.zip is imported: Lumen Robotics SAS" in text_of(response)
    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.IMPORTED
    assert "Issuer created" in text_of(response)


def test_approving_through_the_page_without_the_permission_changes_nothing(proposed, colleague):
    response = signed_in(colleague).post(page(proposed, "approve"), follow=True)

    assert "Nothing was imported" in text_of(response)
    proposed.refresh_from_db()
    assert proposed.state == OcfImportState.PROPOSED
    assert not Issuer.objects.exists()


def test_the_cancel_page_asks_why(proposed, finance):
    client = signed_in(finance)

    response = client.post(page(proposed, "cancel"), {"reason": ""})

    assert response.status_code == 200
    assert "This field is required." in text_of(response)

    response = client.post(page(proposed, "cancel"), {"reason": "Wrong package."}, follow=True)

    assert "The import of lumen.zip is cancelled." in text_of(response)
    assert "Wrong package." in text_of(response)


def test_the_report_page_changes_nothing_when_posted_to(checked, ops):
    assert signed_in(ops).post(page(checked), {}).status_code == 405


def test_the_list_shows_each_import_in_words(checked, warned, ops):
    response = signed_in(ops).get(reverse("admin:captable_ocfimport_changelist"))
    text = text_of(response)

    assert "Upload a package" in text
    assert "lumen-stale.zip" in text
    assert "Lumen Robotics SAS" in text
    assert "Checked, to be confirmed" in text
    assert "Olivia Ops" in text


def test_the_list_reads_as_many_rows_in_as_many_queries(ops):
    client = signed_in(ops)
    url = reverse("admin:captable_ocfimport_changelist")
    ocf_import_check(filename="one.zip", content=package_zip("valid"), by=ops)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for name in ("two.zip", "three.zip"):
        ocf_import_check(filename=name, content=package_zip("valid"), by=ops)

    with CaptureQueriesContext(connection) as three:
        client.get(url)

    assert len(three) == len(one)
    assert not any("package" in query["sql"].split("FROM")[0] for query in three)


def test_the_history_shows_each_step_in_words(proposed, finance):
    ocf_import_approve(ocf_import=proposed, by=finance)

    text = text_of(signed_in(finance).get(page(proposed, "history")))

    assert "Uploaded and checked" in text
    assert "Confirmed" in text
    assert "Approved and imported as Lumen Robotics SAS" in text
    assert "Waiting for approval" in text
    assert "Fatima Finance" in text
    assert '"issuer_name"' not in text


def test_a_past_version_shows_the_report_summed_up(proposed, ops):
    version = proposed.history.order_by("history_id").first()
    url = reverse("admin:captable_ocfimport_simple_history", args=[proposed.pk, version.history_id])

    text = text_of(signed_in(ops).get(url))

    assert (
        "Lumen Robotics SAS (OCF 1.2.1-alpha+main, as of 2025-04-30): 0 errors, 0 warnings" in text
    )
    assert "Olivia Ops" in text
    assert '"cap_table"' not in text


def test_quantities_are_shown_with_separators_and_without_trailing_zeros():
    from apps.captable.admin_ocf import object_type_name
    from apps.captable.quantities import quantity_shown

    assert quantity_shown(Decimal("1234567.5000000000")) == "1,234,567.5"
    assert quantity_shown(Decimal("1800000.0000000000")) == "1,800,000"
    assert object_type_name("TX_STOCK_ISSUANCE") == "Stock issuances"
    assert object_type_name("STAKEHOLDER") == "Stakeholders"
    assert object_type_name("TX_EQUITY_COMPENSATION_EXERCISE") == ("Equity compensation exercises")
