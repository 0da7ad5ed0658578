from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from apps.accounts.requests import StaffRequest
from apps.captable.exports import CONTENT_TYPES, FORMATS, cap_table_export
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    Security,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.selectors import cap_table
from apps.captable.services import (
    REFERENCE_UPDATABLE_FIELDS,
    issuer_create,
    plan_create,
    reference_update,
    reference_update_refusals,
    share_class_create,
    stakeholder_create,
    vesting_terms_create,
)
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, UseCaseFormMixin

if TYPE_CHECKING:
    # The mixin is only ever mixed into a ModelAdmin, whose methods it extends.
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _ModelAdminBase = object


class ServiceSaveMixin(UseCaseFormMixin, _ModelAdminBase):
    """Save through the app's services: the create service for a new row, else
    :func:`reference_update` of the changed fields (its refusals shown on their fields), with
    the history naming the user."""

    create_service: Callable[..., Model] | None = None

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        allowed = REFERENCE_UPDATABLE_FIELDS[type(obj)]
        fixed = [
            f.name for f in type(obj)._meta.concrete_fields if f.editable and not f.primary_key
        ]
        return readonly + [name for name in fixed if name not in allowed and name not in readonly]

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            return form_class

        # The form class is built by the admin at run time, hence unknown to the checker.
        class ReferenceForm(form_class):  # type: ignore[valid-type, misc]
            def clean(self):
                cleaned = super().clean()
                original = type(obj).objects.get(pk=obj.pk)
                data = {name: cleaned[name] for name in self.changed_data if name in cleaned}
                refusals = reference_update_refusals(instance=original, data=data)
                for name, message in refusals.items():
                    self.add_error(name if name in self.fields else None, message)
                return cleaned

        return ReferenceForm

    # Only signed-in staff reach the admin's views, so the request is narrowed to theirs.
    def save_model(self, request: StaffRequest, obj, form, change: bool) -> None:  # type: ignore[override]
        if change:
            reference_update(
                instance=type(obj).objects.get(pk=obj.pk),
                data={name: form.cleaned_data[name] for name in form.changed_data},
                by=request.user,
            )
            return
        create = type(self).create_service
        if create is None:
            raise ImproperlyConfigured(f"{type(self).__name__} names no create_service")
        created = create(**form.cleaned_data, by=request.user)
        obj.pk = created.pk
        obj._state.adding = False


class ShareClassInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ShareClass
    fields: ClassVar[tuple[str, ...]] = (
        "name",
        "class_type",
        "authorised_units",
        "seniority",
        "conversion_ratio",
    )
    readonly_fields = fields
    extra = 0


@admin.register(Issuer)
class IssuerAdmin(ServiceSaveMixin, HistoryAdmin):
    create_service = issuer_create
    list_display = ["name", "kind", "legal_form", "country", "currency"]
    list_filter = ["kind", "legal_form", "country", "currency"]
    search_fields = ["name", "legal_name"]
    list_per_page = 50
    inlines = [ShareClassInline]

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="captable_issuer_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        issuer = get_object_or_404(Issuer, pk=pk)
        if not self.has_view_permission(request, issuer):
            raise PermissionDenied
        fmt = request.GET.get("format", "xlsx")
        if fmt not in FORMATS:
            raise Http404(f"unknown format {fmt}")
        try:
            as_of = date.fromisoformat(request.GET["as_of"]) if request.GET.get("as_of") else None
        except ValueError as error:
            raise Http404("as_of must be a date, YYYY-MM-DD") from error
        content = cap_table_export(cap_table(issuer, as_of=as_of), fmt=fmt)
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        stamp = (as_of or date.today()).isoformat()
        response["Content-Disposition"] = f'attachment; filename="cap-table-{pk}-{stamp}.{fmt}"'
        return response


@admin.register(ShareClass)
class ShareClassAdmin(ServiceSaveMixin, HistoryAdmin):
    create_service = share_class_create
    list_display = ["name", "issuer", "class_type", "authorised_units", "seniority"]
    list_filter = ["class_type"]
    search_fields = ["name", "issuer__name"]
    list_select_related = ["issuer"]


@admin.register(Stakeholder)
class StakeholderAdmin(ServiceSaveMixin, HistoryAdmin):
    create_service = stakeholder_create
    list_display = ["name", "issuer", "kind", "role", "holder_issuer"]
    list_filter = ["kind", "role"]
    search_fields = ["name", "party_key", "issuer__name"]
    list_select_related = ["issuer", "holder_issuer"]
    list_per_page = 100


@admin.register(EquityPlan)
class EquityPlanAdmin(ServiceSaveMixin, HistoryAdmin):
    create_service = plan_create
    list_display = ["name", "issuer", "share_class"]
    search_fields = ["name", "issuer__name"]
    list_select_related = ["issuer", "share_class"]


@admin.register(VestingTerms)
class VestingTermsAdmin(ServiceSaveMixin, HistoryAdmin):
    create_service = vesting_terms_create
    list_display = ["name", "issuer", "cliff_months", "duration_months", "frequency_months"]
    search_fields = ["name", "issuer__name"]
    list_select_related = ["issuer"]


@admin.register(Security)
class SecurityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["security_id", "issuer", "kind", "stakeholder", "share_class", "issue_date"]
    list_filter = ["kind", "convertible_type"]
    search_fields = ["security_id", "stakeholder__name", "issuer__name"]
    list_select_related = ["issuer", "stakeholder", "share_class"]
    list_per_page = 100


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "operation_sequence",
        "effective_date",
        "kind",
        "security",
        "stakeholder",
        "share_class",
        "quantity",
    ]
    list_filter = ["kind", "security_kind"]
    search_fields = ["security__security_id", "stakeholder__name", "external_id"]
    list_select_related = ["security", "stakeholder", "share_class"]
    date_hierarchy = "effective_date"
    list_per_page = 100
