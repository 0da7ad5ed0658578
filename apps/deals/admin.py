from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import ReadOnlyAdminMixin, run_for_each
from apps.deals.models import Deal, Subscription
from apps.deals.services import (
    deal_open,
    deal_start_closing,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscriptions_scale_back,
)


class SubscriptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Subscription
    fields = ["investor", "amount_minor", "accepted_minor", "priority", "state"]
    readonly_fields = fields
    extra = 0


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """Deals change through their services; the admin shows them and moves them along."""

    list_display = ["name", "issuer", "asset_class", "currency", "state", "closes_on"]
    list_filter = ["state", "asset_class", "currency", "waterfall_type"]
    search_fields = ["name", "issuer__name"]
    list_select_related = ["issuer"]
    list_per_page = 50
    inlines = [SubscriptionInline]
    actions = ["open_deals", "start_closing", "scale_back"]

    @admin.action(description="Open for subscriptions")
    def open_deals(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self, request, queryset, lambda d: deal_open(deal=d, by=request.user), "opened"
        )

    @admin.action(description="Start the closing")
    def start_closing(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: deal_start_closing(deal=d, by=request.user),
            "moved to closing",
        )

    @admin.action(description="Scale subscriptions back to the hard cap")
    def scale_back(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: subscriptions_scale_back(deal=d, by=request.user),
            "scaled back",
        )


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["investor", "deal", "amount_minor", "accepted_minor", "priority", "state"]
    list_filter = ["state", "deal"]
    search_fields = ["investor__legal_name", "deal__name"]
    list_select_related = ["investor", "deal"]
    list_per_page = 100
    actions = ["submit", "sign", "fund"]

    @admin.action(description="Submit (checks eligibility)")
    def submit(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_submit(subscription=s, by=request.user),
            "submitted",
        )

    @admin.action(description="Record the signature")
    def sign(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_sign(subscription=s, by=request.user),
            "signed",
        )

    @admin.action(description="Record the funds received")
    def fund(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_fund(subscription=s, by=request.user),
            "funded",
        )
