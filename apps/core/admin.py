"""Admin helpers shared by the domains."""

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import (
    FieldDoesNotExist,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.core.exceptions import DomainError
from apps.core.fields import EncryptedTextField
from apps.core.money import Money


class ReadOnlyAdminMixin:
    """Rows written by the services only: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


def run_for_each(
    modeladmin: "ModelAdmin[Any]",
    request: HttpRequest,
    queryset: QuerySet[Any],
    action: Callable[[Any], Any],
    done: str,
) -> None:
    """Run an admin action's service on each selected row, reporting each refusal by name."""
    succeeded = 0
    for instance in queryset.order_by("pk"):
        try:
            action(instance)
        except DomainError as error:
            modeladmin.message_user(request, f"{instance}: {error.message}", messages.ERROR)
        except ValidationError as error:
            modeladmin.message_user(
                request, f"{instance}: {' '.join(error.messages)}", messages.ERROR
            )
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)


def masked(value: str) -> str:
    """Show the last four characters of a sensitive value, hide the rest."""
    if not value:
        return "—"
    return "•" * max(len(value) - 4, 4) + value[-4:]


def is_sensitive(model: type[models.Model], name: str) -> bool:
    """Say whether ``name`` is a field of ``model`` kept encrypted at rest."""
    try:
        return isinstance(model._meta.get_field(name), EncryptedTextField)
    except FieldDoesNotExist:
        return False


def _as_money(record: models.Model, name: str, value: Any) -> str | None:
    """An amount in minor units shown with the record's currency, if the record has one."""
    currency = getattr(record, "currency", None)
    if name.endswith("_minor") and isinstance(value, int) and isinstance(currency, str):
        return Money(value, currency).format()
    return None


def _shown(record: models.Model, field: "models.Field[Any, Any]") -> str:
    """One past value as staff read it: money with its currency, choices by label, parties by
    name, sensitive values masked."""
    if isinstance(field, EncryptedTextField):
        return masked(getattr(record, field.attname))
    if field.is_relation:
        related_id = getattr(record, field.attname)
        if related_id is None:
            return "—"
        try:
            return str(getattr(record, field.name))
        except ObjectDoesNotExist:
            related = field.related_model
            kind = related._meta.verbose_name if related is not None else field.verbose_name
            return f"(deleted {kind})"
    value = getattr(record, field.attname)
    if (money := _as_money(record, field.name, value)) is not None:
        return money
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S %Z}"
    return str(value)


class UseCaseFormMixin:
    """For an admin whose add and change forms save through a use case.

    Django's admin runs a posted form inside its own transaction; the use case opens a durable
    one, which refuses to nest, and is the one transaction of the change.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Mixed into a ModelAdmin, which defines the undecorated ``_changeform_view``.
        changeform = self._changeform_view  # type: ignore[attr-defined]
        response: HttpResponse = changeform(request, object_id, form_url, extra_context)
        return response


class VersionField(NamedTuple):
    name: str
    label: str
    shown: str
    reveal_url: str = ""


class MaskingContextHelper(HistoricalRecordContextHelper):
    """History diffs that never show a sensitive value in clear, and money as money."""

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if is_sensitive(self.model, change.field):
            return masked(value or "")
        if (money := _as_money(self.record, change.field, value)) is not None:
            return money
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """History that is read, never written back.

    A past version is shown field by field (sensitive values masked); restoring it would write
    around the services, so the version page accepts no POST for any role and offers no revert:
    a correction is a new change made through the services.
    """

    object_history_form_template = "admin/history_record.html"

    def revert_disabled(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return True

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: models.Model
    ) -> MaskingContextHelper:
        return MaskingContextHelper(self.model, historical_record)

    def history_version_fields(
        self, request: HttpRequest, record: models.Model
    ) -> list[VersionField]:
        """The past version's fields, as staff read them."""
        recorded = {field.name for field in record._meta.concrete_fields}
        return [
            VersionField(field.name, capfirst(field.verbose_name), _shown(record, field))
            for field in self.model._meta.concrete_fields
            if field.name in recorded and not field.primary_key and field.name != "password"
        ]

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(
                ["GET"], "Past versions are read-only: correct a record through its services."
            )
        opts = self.model._meta
        history_model = self.model.history.model
        if not str(version_id).isdigit():
            raise Http404("no such version")
        record = get_object_or_404(
            history_model, **{opts.pk.attname: unquote(object_id), "history_id": version_id}
        )
        if not self.has_view_or_change_permission(request, record.instance):
            raise PermissionDenied
        url_name = f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(opts.verbose_name)} {record.instance} as it was on "
            f"{record.history_date:%Y-%m-%d %H:%M:%S %Z}",
            "opts": opts,
            "record": record,
            "fields": self.history_version_fields(request, record),
            "history_url": reverse(f"{url_name}_history", args=[quote(object_id)]),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_form_template, context)
