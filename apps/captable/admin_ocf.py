"""OCF imports in the admin: upload a package, read its dry run's report, confirm, approve.

Operations staff upload an Open Cap Format package (a zip archive) on the upload page and read
at once what importing it would do; they confirm it, accepting its warnings if it has any, and
somebody else who may approve imports reads the report again and approves it, which imports the
package as a new issuer. Every step is a service of :mod:`apps.captable.services.ocf_imports`,
which decides who may take it; these pages only show what the services allow and say what they
answered. Nothing is added, changed or deleted through the admin's own forms.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import DeletedObject, ModelChange, ModelChangeValue

from apps.accounts.models import User
from apps.accounts.requests import StaffRequest
from apps.captable.models import OcfImport, OcfImportState
from apps.captable.ocf import OcfImportError
from apps.captable.ocf.report import OcfReport
from apps.captable.quantities import quantity_shown
from apps.captable.services import (
    ocf_import_approve,
    ocf_import_cancel,
    ocf_import_check,
    ocf_import_confirm,
    ocf_import_steps_open,
    ocf_upload_refuse_unless_acceptable,
)
from apps.captable.services.ocf_imports import APPROVE, CANCEL, CONFIRM, counted
from apps.core.admin import HistoryAdmin, MaskingContextHelper, ReadOnlyAdminMixin, VersionField
from apps.core.exceptions import DomainError

TEMPLATES = "admin/captable/ocfimport"
ERRORS_IN_A_MESSAGE = 10  # the rest are on the import's page

# OCF object types whose plain name is not their code in words.
OBJECT_TYPE_NAMES = {
    "ISSUER": "Issuer",
    "STOCK_CLASS": "Stock classes",
    "STOCK_PLAN": "Stock plans",
    "VESTING_TERMS": "Vesting terms",
    "STOCK_LEGEND_TEMPLATE": "Stock legend templates",
    "TX_VESTING_START": "Vesting starts",
    "TX_VESTING_EVENT": "Vesting events",
    "TX_VESTING_ACCELERATION": "Vesting accelerations",
    "TX_STOCK_CLASS_SPLIT": "Stock class splits",
    "TX_STOCK_PLAN_POOL_ADJUSTMENT": "Stock plan pool adjustments",
    "TX_STOCK_CLASS_AUTHORIZED_SHARES_ADJUSTMENT": "Authorised shares adjustments (classes)",
    "TX_ISSUER_AUTHORIZED_SHARES_ADJUSTMENT": "Authorised shares adjustments (issuer)",
}


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es" if not word.endswith("s") else word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def object_type_name(code: str) -> str:
    """Name an OCF object type for a person: ``TX_STOCK_ISSUANCE`` is "Stock issuances"."""
    if code in OBJECT_TYPE_NAMES:
        return OBJECT_TYPE_NAMES[code]
    words = code.removeprefix("TX_").removeprefix("CE_").lower().split("_")
    if not words or not all(words):
        return code
    words[-1] = _plural(words[-1])
    return capfirst(" ".join(words))


def percent_shown(value: Decimal) -> str:
    return f"{value:.2f} %"


def person(user: User | None) -> str:
    return user.get_full_name() if user is not None else "—"


@dataclass(frozen=True)
class CapTableLine:
    holder: str
    share_class: str
    units: str
    fully_diluted: str
    percent: str
    percent_fully_diluted: str


def report_context(report: OcfReport) -> dict[str, Any]:
    """What the report's templates show: the package, its objects, its cap table, its problems,
    every number formatted."""
    return {
        "report": report,
        "object_counts": [
            (object_type_name(code), f"{count:,}") for code, count in report.counts.items()
        ],
        "cap_table_lines": [
            CapTableLine(
                holder=row.holder,
                share_class=row.share_class,
                units=quantity_shown(row.units),
                fully_diluted=quantity_shown(row.fully_diluted_units),
                percent=percent_shown(row.percent),
                percent_fully_diluted=percent_shown(row.percent_fully_diluted),
            )
            for row in report.cap_table
        ],
    }


def refusal_text(error: DomainError) -> str:
    """A refusal in one line: an import's refusal names its first errors."""
    if isinstance(error, OcfImportError) and error.errors:
        headline = error.message.splitlines()[0]
        shown = error.errors[:ERRORS_IN_A_MESSAGE]
        more = len(error.errors) - len(shown)
        listed = "; ".join(shown) + (f"; and {more} more" if more else "")
        return f"{headline}: {listed}"
    return error.message


# --- forms ---------------------------------------------------------------------------------


class OcfUploadForm(forms.Form):
    package = forms.FileField(
        label="OCF package",
        help_text="One zip archive holding the package's manifest (Manifest.ocf.json) and the "
        "files it lists. Nothing is imported yet: the package is checked and its report shown.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def clean_package(self) -> Any:
        upload = self.cleaned_data["package"]
        try:
            ocf_upload_refuse_unless_acceptable(filename=upload.name, size=upload.size)
        except DomainError as error:
            raise ValidationError(error.message) from error
        return upload


class OcfConfirmForm(forms.Form):
    accept_warnings = forms.BooleanField(required=False, label="I accept these warnings")

    def __init__(self, *args: Any, warnings: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if warnings:
            self.fields["accept_warnings"].widget.attrs["required"] = True
        else:
            del self.fields["accept_warnings"]


class OcfCancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept with the import and shown in its history.",
    )


# --- history, as staff read it ---------------------------------------------------------------


def _report_summary(data: Any) -> str:
    if not isinstance(data, dict) or not data:
        return "—"
    try:
        report = OcfReport.from_json(data)
    except (KeyError, TypeError, ValueError):
        return "(a report this page cannot read)"
    on = f", as of {report.as_of.isoformat()}" if report.as_of else ""
    return (
        f"{report.issuer_name or 'unnamed issuer'} (OCF {report.ocf_version or 'version unknown'}"
        f"{on}): {counted(len(report.errors), 'error')}, "
        f"{counted(len(report.warnings), 'warning')}"
    )


def _related_shown(field: "models.Field[Any, Any]", value: Any) -> str:
    """A related row as staff read it: a person by name, a record by its own words. The value
    is the row, its key, or the history's stand-in for a row that is not there."""
    if isinstance(value, DeletedObject):
        value = value.pk
    if isinstance(value, models.Model):
        found: models.Model | None = value
    else:
        model = field.related_model
        if value is None or model is None or isinstance(model, str):
            return "—"
        found = model._default_manager.filter(pk=value).first()
        if found is None:
            return f"(deleted {model._meta.verbose_name})"
    return person(found) if isinstance(found, User) else str(found)


class OcfImportHistoryHelper(MaskingContextHelper):
    """History diffs with states in words, people and records by name, the report summed up."""

    def prepare_delta_change_value(self, change: ModelChange, value: ModelChangeValue) -> Any:
        field = self.model._meta.get_field(change.field)
        if change.field == "report":
            return _report_summary(value)
        if getattr(field, "choices", None):
            return str(dict(field.flatchoices).get(value, value))
        if field.is_relation:
            return _related_shown(field, value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None or value == "":
            return "—"
        if isinstance(value, datetime):
            return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S %Z}"
        return super().prepare_delta_change_value(change, value)


# --- the admin -------------------------------------------------------------------------------


class OcfImportAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Imports are made on the upload page and moved on from their report page, through the
    services; the admin's own forms change nothing."""

    list_display = [
        "filename",
        "issuer_name",
        "state",
        "maker",
        "uploaded_at",
        "warnings",
        "errors",
    ]
    list_filter = ["state"]
    search_fields = ["filename", "report__issuer_name"]
    list_select_related = ["created_by"]
    list_per_page = 50
    date_hierarchy = "created_at"
    # The user fields name people; the rest of the row is in the report.
    history_user_fields: ClassVar[frozenset[str]] = frozenset({"created_by", "decided_by"})

    def get_queryset(self, request: HttpRequest) -> QuerySet[OcfImport]:
        # The package's bytes are read by the services only, never by a page.
        return super().get_queryset(request).defer("package")

    @admin.display(description="issuer", ordering="report__issuer_name")
    def issuer_name(self, ocf_import: OcfImport) -> str:
        return str(ocf_import.report.get("issuer_name") or "—")

    @admin.display(description="uploaded by", ordering="created_by__full_name")
    def maker(self, ocf_import: OcfImport) -> str:
        return person(ocf_import.created_by)

    @admin.display(description="uploaded", ordering="created_at")
    def uploaded_at(self, ocf_import: OcfImport) -> datetime:
        return ocf_import.created_at

    @admin.display(description="warnings")
    def warnings(self, ocf_import: OcfImport) -> str:
        return f"{len(ocf_import.report.get('warnings') or []):,}"

    @admin.display(description="errors")
    def errors(self, ocf_import: OcfImport) -> str:
        return f"{len(ocf_import.report.get('errors') or []):,}"

    # --- urls ----------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("upload/", view(self.ocf_upload_view), name="captable_ocfimport_upload"),
            path(
                "<path:object_id>/confirm/",
                view(self.ocf_confirm_view),
                name="captable_ocfimport_confirm",
            ),
            path(
                "<path:object_id>/approve/",
                view(self.ocf_approve_view),
                name="captable_ocfimport_approve",
            ),
            path(
                "<path:object_id>/cancel/",
                view(self.ocf_cancel_view),
                name="captable_ocfimport_cancel",
            ),
            *super().get_urls(),
        ]

    def _page_url(self, ocf_import: OcfImport) -> str:
        return reverse("admin:captable_ocfimport_change", args=[ocf_import.pk])

    def _import_or_404(self, request: HttpRequest, object_id: str) -> OcfImport:
        ocf_import = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if not self.has_view_permission(request, ocf_import):
            raise PermissionDenied
        return ocf_import

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            **extra,
        }

    def _report_page(
        self,
        request: StaffRequest,
        ocf_import: OcfImport,
        template: str,
        title: str,
        **extra: Any,
    ) -> TemplateResponse:
        report = OcfReport.from_json(ocf_import.report)
        steps = ocf_import_steps_open(ocf_import=ocf_import, by=request.user)
        state = OcfImportState(ocf_import.state)
        context = self._context(
            request,
            title,
            original=ocf_import,
            maker=person(ocf_import.created_by),
            decider=person(ocf_import.decided_by) if ocf_import.decided_by_id else "",
            may_confirm=CONFIRM in steps,
            may_approve=APPROVE in steps,
            may_cancel=CANCEL in steps,
            is_maker=ocf_import.created_by_id == request.user.pk,
            is_checked=state == OcfImportState.CHECKED,
            is_refused=state == OcfImportState.REFUSED,
            is_proposed=state == OcfImportState.PROPOSED,
            is_imported=state == OcfImportState.IMPORTED,
            is_cancelled=state == OcfImportState.CANCELLED,
            **report_context(report),
            **extra,
        )
        return TemplateResponse(request, f"{TEMPLATES}/{template}", context)

    # --- the pages -----------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        may_upload = ocf_import_check.refusal(by=request.user) is None
        return super().changelist_view(request, {"may_upload": may_upload, **(extra_context or {})})

    # Only signed-in staff reach the admin's views, so the request is narrowed to theirs.
    def change_view(
        self,
        request: StaffRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponseBase:
        """The import's report, and the steps the user may take on it now."""
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET"], "An import changes through its buttons only.")
        ocf_import = self._import_or_404(request, object_id)
        report = OcfReport.from_json(ocf_import.report)
        return self._report_page(
            request,
            ocf_import,
            "report.html",
            str(ocf_import),
            confirm_form=OcfConfirmForm(warnings=bool(report.warnings)),
            **(extra_context or {}),
        )

    def ocf_upload_view(self, request: StaffRequest) -> HttpResponse:
        """Upload a package: it is checked at once and its report shown on its page."""
        if ocf_import_check.refusal(by=request.user) is not None:
            raise PermissionDenied
        form = OcfUploadForm(
            request.POST if request.method == "POST" else None,
            request.FILES if request.method == "POST" else None,
        )
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["package"]
            try:
                ocf_import = ocf_import_check(
                    filename=upload.name, content=upload.read(), by=request.user
                )
            except DomainError as error:
                form.add_error("package", error.message)
            except ValidationError as error:
                form.add_error("package", " ".join(error.messages))
            else:
                self._say_checked(request, ocf_import)
                return HttpResponseRedirect(self._page_url(ocf_import))
        context = self._context(
            request,
            "Upload an OCF package",
            form=form,
            media=self.media + form.media,
        )
        return TemplateResponse(request, f"{TEMPLATES}/upload.html", context)

    def _say_checked(self, request: HttpRequest, ocf_import: OcfImport) -> None:
        report = OcfReport.from_json(ocf_import.report)
        if ocf_import.state == OcfImportState.REFUSED:
            self.message_user(
                request,
                f"The package {ocf_import.filename} was refused by the checks: "
                f"{counted(len(report.errors), 'error')}, listed below. Nothing can be imported "
                "from it: correct the package and upload it again.",
                messages.ERROR,
            )
            return
        them = "it" if len(report.warnings) == 1 else "them"
        warned = (
            f" It has {counted(len(report.warnings), 'warning')}: read {them} before you "
            f"accept {them}."
            if report.warnings
            else ""
        )
        self.message_user(
            request,
            f"The package {ocf_import.filename} was checked: nothing is imported yet. Read "
            f"what importing it would do, then confirm the import.{warned}",
            messages.SUCCESS,
        )

    def ocf_confirm_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Confirm the import (its maker), accepting its warnings if it has any."""
        ocf_import = self._import_or_404(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._page_url(ocf_import))
        form = OcfConfirmForm(request.POST, warnings=True)
        accepted = form.is_valid() and bool(form.cleaned_data.get("accept_warnings"))
        try:
            ocf_import_confirm(ocf_import=ocf_import, accept_warnings=accepted, by=request.user)
        except DomainError as error:
            self.message_user(
                request, f"The import was not confirmed: {refusal_text(error)}", messages.ERROR
            )
        else:
            self.message_user(
                request,
                f"The import of {ocf_import.filename} is confirmed: it waits for somebody else "
                "to approve and import it.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._page_url(ocf_import))

    def ocf_approve_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Show the report once more, then approve the import: the package is imported."""
        ocf_import = self._import_or_404(request, object_id)
        if request.method != "POST":
            return self._report_page(
                request, ocf_import, "approve.html", f"Approve the import of {ocf_import.filename}"
            )
        try:
            imported = ocf_import_approve(ocf_import=ocf_import, by=request.user)
        except DomainError as error:
            self.message_user(
                request, f"Nothing was imported: {refusal_text(error)}", messages.ERROR
            )
        except ValidationError as error:
            self.message_user(
                request, f"Nothing was imported: {' '.join(error.messages)}", messages.ERROR
            )
        else:
            self.message_user(
                request,
                f"The package {imported.filename} is imported: {imported.issuer} and its cap "
                "table are in the books.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(self._page_url(ocf_import))

    def ocf_cancel_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Cancel the import, saying why."""
        ocf_import = self._import_or_404(request, object_id)
        form = OcfCancelForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                ocf_import_cancel(
                    ocf_import=ocf_import, reason=form.cleaned_data["reason"], by=request.user
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                form.add_error("reason", " ".join(error.messages))
            else:
                self.message_user(
                    request, f"The import of {ocf_import.filename} is cancelled.", messages.SUCCESS
                )
                return HttpResponseRedirect(self._page_url(ocf_import))
        return self._report_page(
            request,
            ocf_import,
            "cancel.html",
            f"Cancel the import of {ocf_import.filename}",
            form=form,
        )

    # --- history -------------------------------------------------------------------------

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: models.Model
    ) -> MaskingContextHelper:
        return OcfImportHistoryHelper(self.model, historical_record)

    def history_version_fields(
        self, request: HttpRequest, record: models.Model
    ) -> list[VersionField]:
        shown = []
        for version_field in super().history_version_fields(request, record):
            if version_field.name == "report":
                text = _report_summary(getattr(record, "report", None))
                version_field = version_field._replace(shown=text)
            elif version_field.name in self.history_user_fields:
                field = self.model._meta.get_field(version_field.name)
                pk = getattr(record, f"{version_field.name}_id", None)
                version_field = version_field._replace(shown=_related_shown(field, pk))
            shown.append(version_field)
        return shown
