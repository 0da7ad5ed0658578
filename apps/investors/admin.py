from typing import ClassVar

from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.accounts.requests import StaffRequest
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, VersionField, masked, run_for_each
from apps.core.exceptions import DomainError
from apps.investors.models import BankAccount, BeneficialOwner, Investor, SensitiveDataReveal
from apps.investors.services import (
    SENSITIVE_FIELDS,
    kyc_approve,
    kyc_submit,
    sensitive_value_reveal,
)


class BeneficialOwnerInline(admin.TabularInline):
    model = BeneficialOwner
    fk_name = "entity"
    fields: ClassVar[tuple[str, ...]] = (
        "name",
        "ownership_percent",
        "is_controlling_person",
        "country_of_residence",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    fields: ClassVar[tuple[str, ...]] = (
        "holder_name",
        "masked_iban",
        "bic",
        "currency",
        "is_primary",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="IBAN or account number")
    def masked_iban(self, account: BankAccount) -> str:
        field = "iban" if account.iban else "account_number"
        url = reverse("admin:investors_investor_reveal", args=[account.investor_id, field])
        return format_html(
            '{} (<a href="{}?account={}">reveal, logged</a>)',
            masked(getattr(account, field)),
            url,
            account.pk,
        )


@admin.register(Investor)
class InvestorAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Investors change through their onboarding and KYC services; here they are reviewed."""

    list_display = [
        "legal_name",
        "kind",
        "country_of_residence",
        "kyc_state",
        "kyc_review_due",
        "sanctions_status",
    ]
    list_filter = ["kyc_state", "sanctions_status", "kind", "country_of_residence"]
    search_fields = ["legal_name", "email", "company_number"]
    list_per_page = 50
    inlines = [BeneficialOwnerInline, BankAccountInline]
    actions = ["submit_for_review", "approve"]
    readonly_fields = ["kyc_state", "kyc_review_due", "kyc_reason", "sanctions_status", "sensitive"]
    exclude = ["tax_id", "identity_document_number"]

    @admin.display(description="Sensitive data")
    def sensitive(self, investor: Investor) -> str:
        return format_html_join(
            mark_safe("<br>"),
            '{}: {} (<a href="{}">reveal, logged</a>)',
            (
                (
                    field.replace("_", " "),
                    masked(getattr(investor, field)),
                    reverse("admin:investors_investor_reveal", args=[investor.pk, field]),
                )
                for field in SENSITIVE_FIELDS
            ),
        )

    def history_version_fields(self, request: HttpRequest, record) -> list[VersionField]:
        """A past version's sensitive values are revealed like today's: logged, by permission."""
        return [
            field._replace(
                reveal_url=reverse("admin:investors_investor_reveal", args=[record.id, field.name])
                + f"?version={record.history_id}"
            )
            if field.name in SENSITIVE_FIELDS
            else field
            for field in super().history_version_fields(request, record)
        ]

    def get_urls(self):
        return [
            path(
                "<int:pk>/reveal/<str:field>/",
                self.admin_site.admin_view(self.reveal_view),
                name="investors_investor_reveal",
            ),
            *super().get_urls(),
        ]

    def reveal_view(self, request: StaffRequest, pk: int, field: str):
        investor = get_object_or_404(Investor, pk=pk)
        account, version = request.GET.get("account", ""), request.GET.get("version", "")
        if not (account or "0").isdigit() or not (version or "0").isdigit():
            raise Http404("account and version must be ids of this investor's records")
        bank_account = (
            get_object_or_404(BankAccount, pk=int(account), investor=investor) if account else None
        )
        try:
            value = sensitive_value_reveal(
                investor=investor,
                field=field,
                by=request.user,
                bank_account=bank_account,
                version=int(version) if version else None,
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:investors_investor_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"{field.replace('_', ' ')} of {investor}"
            + (" as a past version recorded it" if version else ""),
            "investor": investor,
            "field": field,
            "value": value,
        }
        return TemplateResponse(request, "admin/investors/reveal.html", context)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("investors.review_kyc")

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("investors.change_investor")

    @admin.action(description="Submit KYC for review", permissions=["submit"])
    def submit_for_review(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda investor: kyc_submit(investor=investor, by=request.user),
            "investor(s) submitted for review",
        )

    @admin.action(description="Approve KYC (12 months)", permissions=["review"])
    def approve(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda investor: kyc_approve(
                investor=investor, by=request.user, reason="Approved from the review queue"
            ),
            "investor(s) approved",
        )


@admin.register(SensitiveDataReveal)
class SensitiveDataRevealAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["revealed_at", "user", "investor", "field"]
    list_filter = ["field"]
    search_fields = ["investor__legal_name", "user__email"]
    list_select_related = ["user", "investor"]
