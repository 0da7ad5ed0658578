"""The operations of a deal, read-only, with their reversal and defaults actions."""

from collections.abc import Callable
from typing import ClassVar

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.accounts.requests import StaffRequest
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, run_for_each
from apps.core.money import Money
from apps.deals.admin.common import FirstRowsInline, all_rows_link, money_column
from apps.deals.models import (
    CapitalCall,
    CapitalCallNotice,
    CapitalCallPayment,
    Clawback,
    ClawbackLine,
    Closing,
    Deal,
    Distribution,
    DistributionLine,
    FeeCharge,
    SecondaryTransfer,
)
from apps.deals.selectors import CarryPosition, carry_position, notices_with_paid
from apps.deals.services import (
    capital_calls_flag_defaults,
    deal_operation_reverse,
)
from apps.ledger.models import OperationState

# --- the operations of a deal -----------------------------------------------------------------
#
# Closings, calls, payments, distributions, fees and transfers are written by their services with
# their ledger operation and never edited: the admin lists them and, for staff who may reverse
# operations, proposes their reversal (finance approves and executes it in the ledger admin).

EXECUTED = OperationState.EXECUTED
# A figure in a table cell, right-aligned so that columns of amounts line up.
AMOUNT_CELL = '<td class="amount">{}</td>'


class NoticeAmountsMixin:
    """The amount, paid and outstanding columns of notices annotated by
    :func:`~apps.deals.selectors.notices_with_paid`."""

    amount = money_column("amount_minor", "amount", "call.deal.currency")
    paid = money_column("paid_minor", "paid", "call.deal.currency")

    outstanding = money_column("outstanding_minor", "outstanding", "call.deal.currency")


class FlagDefaultsMixin:
    """The action flagging every unpaid notice past its due date as a default."""

    # Provided by the ModelAdmin this is mixed into.
    message_user: Callable[..., None]

    def has_flag_defaults_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("deals.change_capitalcallnotice")

    @admin.action(
        description="Flag unpaid notices past due as defaults (all calls, not only the selected)",
        permissions=["flag_defaults"],
    )
    def flag_defaults(self, request: StaffRequest, queryset: QuerySet) -> None:
        flagged = capital_calls_flag_defaults(today=timezone.localdate(), by=request.user)
        if flagged:
            self.message_user(
                request, f"{flagged} notice(s) flagged as defaults.", messages.SUCCESS
            )
        else:
            self.message_user(request, "No unpaid notice is past due: none flagged.", messages.INFO)


def carry_text(position: CarryPosition) -> str:
    """The carry position as a small table, amounts as money."""
    rows = [
        ("Profit so far", position.profit),
        ("Carry received by the GP", position.carried),
        ("Settled by clawback", position.settled),
        ("Carry the terms give", position.due),
        ("Held above that (clawback exposure)", position.excess),
    ]
    return format_html(
        "<table><tbody>{}</tbody></table>",
        format_html_join(
            "", "<tr><td>{}</td>" + AMOUNT_CELL + "</tr>", ((n, m.format()) for n, m in rows)
        ),
    )


class DealRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A deal operation's record, shown read-only; undone only by reversing its operation."""

    list_per_page = 50
    ordering = ["-pk"]
    actions = ["propose_reversal"]

    @admin.display(description="state", ordering="operation__state")
    def state(self, record) -> str:
        return record.operation.get_state_display()

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.reverse_operation")

    @admin.action(description="Propose the reversal", permissions=["reverse"])
    def propose_reversal(self, request: StaffRequest, queryset: QuerySet) -> None:
        reason = f"Reversal proposed from the admin by {request.user.email}"
        run_for_each(
            self,
            request,
            queryset,
            lambda record: deal_operation_reverse(
                operation=record.operation, by=request.user, reason=reason
            ),
            "reversal(s) proposed, for finance to approve and execute in the ledger",
        )


@admin.register(Closing)
class ClosingAdmin(DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "effective_date",
        "final",
        "amount",
        "equalisation",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "final", "deal"]
    search_fields = ["deal__name", "subscriptions__investor__legal_name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["amount", "equalisation"]

    amount = money_column("amount_minor", "commitments accepted", "deal.currency")
    equalisation = money_column("equalisation_minor", "equalisation", "deal.currency")


class CapitalCallNoticeInline(NoticeAmountsMixin, ReadOnlyAdminMixin, FirstRowsInline):
    model = CapitalCallNotice
    fields: ClassVar[tuple[str, ...]] = (
        "investor",
        "amount",
        "paid",
        "outstanding",
        "defaulted_at",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return notices_with_paid(super().get_queryset(request)).select_related(
            "investor", "call__deal", "call__operation"
        )


@admin.register(CapitalCall)
class CapitalCallAdmin(FlagDefaultsMixin, DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "call_date",
        "due_date",
        "amount",
        "purpose",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "deal"]
    search_fields = ["deal__name", "purpose", "notices__investor__legal_name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["amount", "all_notices"]
    inlines = [CapitalCallNoticeInline]
    actions = ["propose_reversal", "flag_defaults"]

    amount = money_column("amount_minor", "amount", "deal.currency")

    @admin.display(description="notices")
    def all_notices(self, call: CapitalCall) -> str:
        return all_rows_link(
            call.notices,
            "deals_capitalcallnotice_changelist",
            f"call__id__exact={call.pk}",
            "notices",
        )


class DefaultedFilter(admin.SimpleListFilter):
    title = "defaulted"
    parameter_name = "defaulted"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", "Defaulted"), ("no", "Not defaulted")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(defaulted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(defaulted_at__isnull=True)
        return queryset


@admin.register(CapitalCallNotice)
class CapitalCallNoticeAdmin(
    NoticeAmountsMixin, FlagDefaultsMixin, ReadOnlyAdminMixin, HistoryAdmin
):
    list_display = [
        "investor",
        "deal",
        "call_number",
        "amount",
        "paid",
        "outstanding",
        "defaulted_at",
        "call_state",
    ]
    list_filter = [DefaultedFilter, "call__operation__state", "call__deal"]
    search_fields = ["investor__legal_name", "call__deal__name"]
    list_select_related = ["investor", "call__deal", "call__operation"]
    list_per_page = 100
    ordering = ["-call_id", "pk"]
    readonly_fields = ["amount", "paid", "outstanding"]
    actions = ["flag_defaults"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return notices_with_paid(super().get_queryset(request))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup == "call__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="deal", ordering="call__deal__name")
    def deal(self, notice: CapitalCallNotice) -> Deal:
        return notice.call.deal

    @admin.display(description="call", ordering="call__number")
    def call_number(self, notice: CapitalCallNotice) -> int:
        return notice.call.number

    @admin.display(description="call state", ordering="call__operation__state")
    def call_state(self, notice: CapitalCallNotice) -> str:
        return notice.call.operation.get_state_display()


@admin.register(CapitalCallPayment)
class CapitalCallPaymentAdmin(DealRecordAdmin):
    list_display = ["investor", "deal", "call_number", "amount", "paid_on", "operation", "state"]
    list_filter = ["operation__state", "notice__call__deal"]
    search_fields = ["notice__investor__legal_name", "notice__call__deal__name"]
    list_select_related = ["notice__investor", "notice__call__deal", "operation"]
    readonly_fields = ["amount"]

    amount = money_column("amount_minor", "amount", "notice.call.deal.currency")

    @admin.display(description="investor", ordering="notice__investor__legal_name")
    def investor(self, payment: CapitalCallPayment):
        return payment.notice.investor

    @admin.display(description="deal", ordering="notice__call__deal__name")
    def deal(self, payment: CapitalCallPayment) -> Deal:
        return payment.notice.call.deal

    @admin.display(description="call", ordering="notice__call__number")
    def call_number(self, payment: CapitalCallPayment) -> int:
        return payment.notice.call.number


class DistributionLineInline(ReadOnlyAdminMixin, FirstRowsInline):
    model = DistributionLine
    fields: ClassVar[tuple[str, ...]] = ("investor", "amount")
    readonly_fields = fields
    extra = 0

    amount = money_column("amount_minor", "amount", "distribution.deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investor", "distribution__deal")


@admin.register(Distribution)
class DistributionAdmin(DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "kind",
        "investment",
        "distributed_on",
        "proceeds",
        "lp",
        "gp",
        "closes_deal",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "kind", "closes_deal", "deal"]
    search_fields = ["deal__name", "lines__investor__legal_name", "investment__company"]
    list_select_related = ["deal", "operation", "investment__issuer"]
    readonly_fields = [
        "proceeds",
        "lp",
        "gp",
        "losses_recouped",
        "waterfall",
        "carry_to_date",
        "all_lines",
    ]
    exclude = [
        "proceeds_minor",
        "lp_minor",
        "gp_minor",
        "carry_free_minor",
        "losses_recouped_minor",
        "tiers",
    ]
    losses_recouped = money_column(
        "losses_recouped_minor", "of which other investments' losses made good", "deal.currency"
    )
    inlines = [DistributionLineInline]

    @admin.display(description="waterfall")
    def waterfall(self, distribution: Distribution) -> str:
        currency = distribution.deal.currency
        if not distribution.tiers:
            return "Paid outside the waterfall (interest on each investor's principal)."
        rows = [
            (tier["name"].capitalize(), tier["lp_minor"], tier["gp_minor"])
            for tier in distribution.tiers
        ]
        if distribution.carry_free_minor:
            rows.append(("GP commitment, without carry", distribution.carry_free_minor, 0))
        rows.append(("Total", distribution.lp_minor, distribution.gp_minor))
        body = format_html_join(
            "",
            "<tr><td>{}</td>" + AMOUNT_CELL * 3 + "</tr>",
            (
                (
                    name,
                    Money(lp, currency).format(),
                    Money(gp, currency).format(),
                    Money(lp + gp, currency).format(),
                )
                for name, lp, gp in rows
            ),
        )
        return format_html(
            '<table class="waterfall"><thead><tr><th>Tier</th><th>To investors (LP)</th>'
            "<th>Carried interest (GP)</th><th>Total</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    @admin.display(description="carried interest to date")
    def carry_to_date(self, distribution: Distribution) -> str:
        return carry_text(carry_position(distribution.deal, through=distribution))

    @admin.display(description="lines")
    def all_lines(self, distribution: Distribution) -> str:
        return all_rows_link(
            distribution.lines,
            "deals_distributionline_changelist",
            f"distribution__id__exact={distribution.pk}",
            "lines, one per investor",
        )

    proceeds = money_column("proceeds_minor", "proceeds", "deal.currency")
    lp = money_column("lp_minor", "to investors (LP)", "deal.currency")
    gp = money_column("gp_minor", "carried interest (GP)", "deal.currency")


@admin.register(FeeCharge)
class FeeChargeAdmin(DealRecordAdmin):
    list_display = ["deal", "number", "period_start", "period_end", "amount", "operation", "state"]
    list_filter = ["operation__state", "deal"]
    search_fields = ["deal__name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["amount"]

    amount = money_column("amount_minor", "amount", "deal.currency")


@admin.register(SecondaryTransfer)
class SecondaryTransferAdmin(DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "seller",
        "buyer",
        "units",
        "price",
        "transferred_on",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "deal"]
    search_fields = ["deal__name", "seller__legal_name", "buyer__legal_name"]
    list_select_related = ["deal", "operation", "seller", "buyer"]
    readonly_fields = ["price"]

    price = money_column("price_minor", "price", "deal.currency")


# --- a deal's operations, on the deal's page ----------------------------------------------------


class DealRecordInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = True
    ordering = ["number"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("operation", "deal")

    @admin.display(description="state")
    def state(self, record) -> str:
        return record.operation.get_state_display()


class ClosingInline(DealRecordInline):
    model = Closing
    fields: ClassVar[tuple[str, ...]] = ("number", "effective_date", "final", "amount", "state")
    readonly_fields = fields
    amount = money_column("amount_minor", "commitments accepted", "deal.currency")


class CapitalCallInline(DealRecordInline):
    model = CapitalCall
    fields: ClassVar[tuple[str, ...]] = (
        "number",
        "call_date",
        "due_date",
        "amount",
        "purpose",
        "state",
    )
    readonly_fields = fields
    amount = money_column("amount_minor", "amount called", "deal.currency")


class DistributionInline(DealRecordInline):
    model = Distribution
    fields: ClassVar[tuple[str, ...]] = (
        "number",
        "kind",
        "distributed_on",
        "proceeds",
        "lp",
        "gp",
        "state",
    )
    readonly_fields = fields
    proceeds = money_column("proceeds_minor", "proceeds", "deal.currency")
    lp = money_column("lp_minor", "investors", "deal.currency")
    gp = money_column("gp_minor", "carry", "deal.currency")


class FeeChargeInline(DealRecordInline):
    model = FeeCharge
    fields: ClassVar[tuple[str, ...]] = ("number", "period_start", "period_end", "amount", "state")
    readonly_fields = fields
    amount = money_column("amount_minor", "management fee", "deal.currency")


class ClawbackInline(DealRecordInline):
    model = Clawback
    fields: ClassVar[tuple[str, ...]] = ("number", "as_of", "excess", "tax_kept", "amount", "state")
    readonly_fields = fields
    excess = money_column("excess_minor", "excess carry", "deal.currency")
    tax_kept = money_column("tax_kept_minor", "kept back for tax", "deal.currency")
    amount = money_column("amount_minor", "returned", "deal.currency")


DEAL_OPERATION_INLINES = [
    ClosingInline,
    CapitalCallInline,
    DistributionInline,
    FeeChargeInline,
    ClawbackInline,
]


class ClawbackLineInline(ReadOnlyAdminMixin, FirstRowsInline):
    model = ClawbackLine
    fields: ClassVar[tuple[str, ...]] = ("investor", "amount")
    readonly_fields = fields
    extra = 0

    amount = money_column("amount_minor", "amount", "clawback.deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investor", "clawback__deal")


@admin.register(Clawback)
class ClawbackAdmin(DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "as_of",
        "excess",
        "tax_kept",
        "amount",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "deal"]
    search_fields = ["deal__name", "lines__investor__legal_name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["excess", "tax_kept", "amount", "carry_after"]
    exclude = ["excess_minor", "tax_kept_minor", "amount_minor"]
    inlines = [ClawbackLineInline]

    excess = money_column("excess_minor", "excess carry", "deal.currency")
    tax_kept = money_column("tax_kept_minor", "kept back by the GP for tax", "deal.currency")
    amount = money_column("amount_minor", "returned to the investors", "deal.currency")

    @admin.display(description="carried interest after it")
    def carry_after(self, clawback: Clawback) -> str:
        return carry_text(carry_position(clawback.deal, as_of=clawback.as_of))


@admin.register(DistributionLine)
class DistributionLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["investor", "distribution", "amount"]
    list_filter = ["distribution__deal"]
    search_fields = ["investor__legal_name", "distribution__deal__name"]
    list_select_related = ["investor", "distribution__deal"]
    list_per_page = 100

    amount = money_column("amount_minor", "amount", "distribution.deal.currency")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup == "distribution__id__exact" or super().lookup_allowed(lookup, value, request)
