from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils import timezone

from apps.accounts.requests import StaffRequest
from apps.captable.admin_ocf import OcfImportAdmin
from apps.captable.exports import CONTENT_TYPES, FORMATS, cap_table_export
from apps.captable.models import (
    EquityPlan,
    Issuer,
    Movement,
    OcfImport,
    Security,
    ShareClass,
    Stakeholder,
    VestingTerms,
)
from apps.captable.quantities import quantity_shown
from apps.captable.selectors import cap_table, convertibles_round
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
        "authorised",
        "seniority",
        "conversion",
    )
    readonly_fields = fields
    extra = 0

    @admin.display(description="Authorised units")
    def authorised(self, share_class: ShareClass) -> str:
        units = share_class.authorised_units
        return "—" if units is None else quantity_shown(units)

    @admin.display(description="Conversion ratio")
    def conversion(self, share_class: ShareClass) -> str:
        return quantity_shown(share_class.conversion_ratio)


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
        """Download the cap table in a format, as of a date and, given a price per share, with
        the convertibles converted at it; input it cannot read is said back on the issuer."""
        issuer = get_object_or_404(Issuer, pk=pk)
        if not self.has_view_permission(request, issuer):
            raise PermissionDenied
        query = request.GET.copy()
        query.setdefault("format", "xlsx")
        form = CapTableDownloadForm(query)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, f"The cap table was not downloaded: {error}")
            return redirect("admin:captable_issuer_change", pk)
        fmt, as_of = form.cleaned_data["format"], form.cleaned_data["as_of"]
        price = form.cleaned_data["convertibles_at"]
        try:
            at = None if price is None else convertibles_round(issuer, price=price, as_of=as_of)
            table = cap_table(issuer, as_of=as_of, convertibles_at=at)
        except ValueError as error:  # a currency mismatch among them
            messages.error(request, f"The cap table was not downloaded: {error}")
            return redirect("admin:captable_issuer_change", pk)
        content = cap_table_export(table, fmt=fmt, convertibles_at=price)
        response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        stamp = (as_of or timezone.localdate()).isoformat()
        response["Content-Disposition"] = f'attachment; filename="cap-table-{pk}-{stamp}.{fmt}"'
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["download_form"] = CapTableDownloadForm(
                initial={"format": "xlsx"}, currency=obj.currency
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


class CapTableDownloadForm(forms.Form):
    """What a cap table download asks: the format, the date, and a price for the convertibles."""

    format = forms.ChoiceField(choices=[(fmt, fmt.upper()) for fmt in FORMATS], initial="xlsx")
    as_of = forms.DateField(
        required=False,
        label="As of",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today if empty.",
    )
    convertibles_at = forms.DecimalField(
        required=False,
        max_digits=28,
        decimal_places=10,
        label="Convertibles converted at",
        help_text="A price per share: every convertible outstanding is counted fully diluted "
        "as converted at it. Left out if empty.",
    )

    def __init__(self, *args: Any, currency: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if currency:
            self.fields["convertibles_at"].label = f"Convertibles converted at ({currency})"

    def clean_convertibles_at(self) -> Decimal | None:
        price = self.cleaned_data["convertibles_at"]
        if price is not None and price <= 0:
            raise forms.ValidationError("The price per share is positive.")
        return price


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


# Packages uploaded, checked, confirmed and approved on their own pages (see admin_ocf).
admin.site.register(OcfImport, OcfImportAdmin)
