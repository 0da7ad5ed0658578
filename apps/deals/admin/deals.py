"""Deals and subscriptions: created and moved along through their services."""

from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.accounts.requests import StaffRequest
from apps.captable.models import ShareClass
from apps.compliance.rules import REGIMES
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, run_for_each
from apps.core.exceptions import DomainError
from apps.core.money import Money, minor_unit_digits
from apps.deals.admin.common import (
    DATE_INPUT,
    FirstRowsInline,
    all_rows_link,
    amount_typed,
    money_column,
    service_form_response,
    show_on_form,
)
from apps.deals.admin.operations import DEAL_OPERATION_INLINES, carry_text
from apps.deals.models import (
    Deal,
    DealState,
    PortfolioInvestment,
    Subscription,
)
from apps.deals.selectors import carry_position
from apps.deals.services import (
    deal_cancel,
    deal_create,
    deal_open,
    deal_start_closing,
    deal_update,
    deal_wind_up,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscription_withdraw,
    subscriptions_scale_back,
)
from apps.investors.models import Investor

# --- deals: created as drafts through deal_create, their terms edited while draft -------------

# A deal's amounts are typed in major units of its currency and stored in minor units.
DEAL_AMOUNTS = {
    "unit_price": "unit_price_minor",
    "target": "target_minor",
    "hard_cap": "hard_cap_minor",
    "min_ticket": "min_ticket_minor",
    "max_ticket": "max_ticket_minor",
}
DEAL_TERMS = [
    "name",
    "issuer",
    "share_class",
    "asset_class",
    "currency",
    "eligible_regimes",
    "opens_on",
    "closes_on",
    "setup_fee_rate",
    "management_fee_rate",
    "management_fee_basis",
    "carry_rate",
    "hurdle_rate",
    "catch_up_rate",
    "hurdle_compounding",
    "hurdle_day_count",
    "return_fees_first",
    "gp_investor",
    "waterfall_type",
    "loss_carryforward",
    "fee_offset_rate",
    "clawback_tax_rate",
    "equalisation_rate",
    "drawn_by_calls",
    "interest_rate",
    "day_count",
]
DEAL_FIELDSETS: list[tuple[str | None, list[str]]] = [
    (None, DEAL_TERMS[:8]),
    ("Amounts, in major units of the deal's currency", list(DEAL_AMOUNTS)),
    ("Fees and waterfall", DEAL_TERMS[8:24]),
    ("Debt and notes", DEAL_TERMS[24:]),
]
RATE_HELP = "A fraction: 0.02 is 2 %."


def _amount_field(label: str, help_text: str, *, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal(0), help_text=help_text
    )


class DealForm(forms.ModelForm):
    """A deal's terms, its amounts in major units. It validates and writes nothing: the view
    saves through :func:`deal_create` (a new deal) or :func:`model_update` (a draft's terms),
    with ``deal_fields()``. The vehicle and currency of an existing draft are fixed."""

    unit_price = _amount_field("Unit price", "Price of one unit, such as 1.00.")
    target = _amount_field("Target", "The amount the deal aims to raise.")
    hard_cap = _amount_field("Hard cap", "The most it accepts; scale-back fits under it.")
    min_ticket = _amount_field("Minimum ticket", "Left empty: no minimum.", required=False)
    max_ticket = _amount_field("Maximum ticket", "Left empty: no limit.", required=False)
    eligible_regimes = forms.MultipleChoiceField(
        choices=[(code, regime.name) for code, regime in REGIMES.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The qualification regimes under which investors may subscribe.",
    )

    class Meta:
        model = Deal
        fields = DEAL_TERMS
        widgets = {
            "opens_on": DATE_INPUT,
            "closes_on": DATE_INPUT,
            "gp_investor": AutocompleteSelect(Deal._meta.get_field("gp_investor"), admin.site),
        }
        help_texts = {
            name: RATE_HELP
            for name in DEAL_TERMS
            if name.endswith("_rate")
            and name not in ("equalisation_rate", "fee_offset_rate", "clawback_tax_rate")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        if instance is not None:
            kwargs["initial"] = {
                field: Money(getattr(instance, column), instance.currency).to_decimal()
                for field, column in DEAL_AMOUNTS.items()
                if getattr(instance, column) is not None
            } | kwargs.get("initial", {})
        super().__init__(*args, **kwargs)
        self.amounts: dict[str, int | None] = {}
        if self.instance.pk is not None:
            for name in ("issuer", "currency"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once the deal exists."
            share_class = self.fields["share_class"]
            if isinstance(share_class, forms.ModelChoiceField):  # as for any foreign key
                share_class.queryset = ShareClass.objects.filter(issuer=self.instance.issuer_id)

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        try:
            minor_unit_digits(currency)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        return currency

    def _post_clean(self) -> None:
        """Leave the model's own validation to the service (``full_clean`` and its checks of
        the terms), whose errors are shown on the fields they name: validating here too would
        report the same refusals twice, the constraints' without a field."""

    def clean(self) -> dict[str, Any]:
        """Turn the amounts into minor units of the deal's currency; the terms themselves are
        checked by the service, which names each field it refuses."""
        super().clean()
        cleaned = self.cleaned_data
        currency = cleaned.get("currency")
        if currency is None:
            return cleaned  # the currency field says why
        for field, column in DEAL_AMOUNTS.items():
            value = cleaned.get(field)
            if value is None:
                self.amounts[column] = 0 if field == "min_ticket" else None
                continue
            try:
                self.amounts[column] = amount_typed(value, currency).amount_minor
            except ValidationError as error:
                self.add_error(field, error)
        return cleaned

    def deal_fields(self) -> dict[str, Any]:
        """The deal's fields from a valid form, amounts in minor units; without the fixed
        ones (vehicle and currency) of an existing deal."""
        terms = {
            name: self.cleaned_data[name] for name in DEAL_TERMS if not self.fields[name].disabled
        }
        return terms | self.amounts


DEAL_FORM_RENAMED = {column: field for field, column in DEAL_AMOUNTS.items()}


class PortfolioInline(ReadOnlyAdminMixin, FirstRowsInline):
    model = PortfolioInvestment
    verbose_name = "portfolio investment"
    verbose_name_plural = "portfolio"
    fields: ClassVar[tuple[str, ...]] = (
        "company_name",
        "invested_on",
        "cost",
        "written_down",
        "realised_on",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True

    cost = money_column("cost_minor", "cost", "deal.currency")
    written_down = money_column("written_down_minor", "written down", "deal.currency")

    @admin.display(description="company")
    def company_name(self, investment: PortfolioInvestment) -> str:
        return str(investment)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("deal", "issuer")


class SubscriptionInline(ReadOnlyAdminMixin, FirstRowsInline):
    model = Subscription
    fields: ClassVar[tuple[str, ...]] = ("investor", "amount", "accepted", "priority", "state")
    readonly_fields = fields
    extra = 0

    amount = money_column("amount_minor", "amount", "deal.currency")
    accepted = money_column("accepted_minor", "accepted", "deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investor", "deal")


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Deals change through their services: added as drafts with :func:`deal_create`, a draft's
    terms edited with :func:`model_update`; after that the admin shows them and moves them
    along."""

    list_display = [
        "name",
        "issuer",
        "asset_class",
        "currency",
        "target",
        "hard_cap",
        "state",
        "closes_on",
    ]
    list_filter = ["state", "asset_class", "currency", "waterfall_type"]
    search_fields = ["name", "issuer__name"]
    autocomplete_fields = ["gp_investor"]
    list_select_related = ["issuer"]
    list_per_page = 50
    fieldsets = [
        *((name, {"fields": fields}) for name, fields in DEAL_FIELDSETS),
        ("Carried interest", {"fields": ["carry"]}),
        ("Record", {"fields": ["state", "created_by", "created_at"]}),
    ]
    readonly_fields = [*DEAL_AMOUNTS, "all_subscriptions", "carry"]
    inlines = [SubscriptionInline, PortfolioInline, *DEAL_OPERATION_INLINES]
    actions = ["open_deals", "start_closing", "scale_back", "cancel_deals", "wind_up"]

    unit_price = money_column("unit_price_minor", "unit price", "currency")
    target = money_column("target_minor", "target", "currency")
    hard_cap = money_column("hard_cap_minor", "hard cap", "currency")
    min_ticket = money_column("min_ticket_minor", "minimum ticket", "currency")
    max_ticket = money_column("max_ticket_minor", "maximum ticket", "currency", none="no limit")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("deals.add_deal")

    def can_edit_terms(self, request: HttpRequest, deal: Deal) -> bool:
        """Only a draft's terms change, and only by staff who may change deals. The admin's
        own change permission stays off: nothing is saved by the standard change form."""
        return deal.state == DealState.DRAFT and request.user.has_perm("deals.change_deal")

    def add_view(
        self, request: StaffRequest, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        """Create a draft deal through :func:`deal_create`; a refusal is shown on the form and
        writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DealForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                deal = deal_create(by=request.user, **form.deal_fields())
            except ValidationError as error:
                show_on_form(form, error, DEAL_FORM_RENAMED)
            else:
                self.message_user(
                    request,
                    f"Deal “{deal}” created as a draft: its terms can change until it is opened "
                    "for subscriptions.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:deals_deal_changelist"))
        return service_form_response(
            self,
            request,
            form,
            title="Add a deal",
            intro="The deal is created as a draft; its terms can be edited until it is opened "
            "for subscriptions. Amounts are in the deal's currency, in major units (1234.56).",
            submit="Create the draft",
            fieldsets=DEAL_FIELDSETS,
        )

    def change_view(
        self, request: StaffRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        """Edit a draft's terms (saved with :func:`model_update`); any other deal, or a person
        who may not change deals, gets the read-only page."""
        deal = self.get_object(request, unquote(object_id))
        if deal is None or not self.can_edit_terms(request, deal):
            return super().change_view(request, object_id, form_url, extra_context)
        form = DealForm(request.POST if request.method == "POST" else None, instance=deal)
        if form.is_bound and form.is_valid():
            try:
                changed = deal_update(deal=deal, data=form.deal_fields(), by=request.user)
            except ValidationError as error:
                show_on_form(form, error, DEAL_FORM_RENAMED)
            else:
                self.message_user(
                    request,
                    f"The terms of “{deal}” are saved." if changed else "Nothing changed.",
                    messages.SUCCESS if changed else messages.INFO,
                )
                return HttpResponseRedirect(reverse("admin:deals_deal_changelist"))
        return service_form_response(
            self,
            request,
            form,
            title=f"Edit the draft {deal}",
            intro="A draft's terms can change until it is opened for subscriptions. Amounts are "
            "in the deal's currency, in major units (1234.56).",
            submit="Save the terms",
            fieldsets=DEAL_FIELDSETS,
            original=deal,
        )

    def has_move_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("deals.change_deal")

    @admin.display(description="position today")
    def carry(self, deal: Deal) -> str:
        return carry_text(carry_position(deal))

    @admin.display(description="subscriptions")
    def all_subscriptions(self, deal: Deal) -> str:
        return all_rows_link(
            deal.subscriptions,
            "deals_subscription_changelist",
            f"deal__id__exact={deal.pk}",
            "subscriptions",
        )

    @admin.action(description="Open for subscriptions", permissions=["move"])
    def open_deals(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self, request, queryset, lambda d: deal_open(deal=d, by=request.user), "opened"
        )

    @admin.action(description="Start the closing", permissions=["move"])
    def start_closing(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: deal_start_closing(deal=d, by=request.user),
            "moved to closing",
        )

    @admin.action(description="Scale subscriptions back to the hard cap", permissions=["move"])
    def scale_back(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: subscriptions_scale_back(deal=d, by=request.user),
            "scaled back",
        )

    @admin.action(description="Cancel (nothing closed yet)", permissions=["move"])
    def cancel_deals(self, request: StaffRequest, queryset) -> None:
        reason = f"Cancelled from the admin by {request.user}"
        run_for_each(
            self,
            request,
            queryset,
            lambda d: deal_cancel(deal=d, by=request.user, reason=reason),
            "cancelled",
        )

    @admin.action(description="Wind the vehicle up (no cash left)", permissions=["move"])
    def wind_up(self, request: StaffRequest, queryset) -> None:
        reason = f"Wound up from the admin by {request.user}"
        run_for_each(
            self,
            request,
            queryset,
            lambda d: deal_wind_up(deal=d, by=request.user, reason=reason),
            "wound up",
        )


# --- subscriptions: requested through subscription_create, moved along by actions ------------


class SubscriptionForm(forms.Form):
    """An investor's subscription to an open deal. Once valid, ``money`` is the amount asked."""

    deal = forms.ModelChoiceField(
        queryset=Deal.objects.filter(state=DealState.OPEN).order_by("name"),
        help_text="Open deals.",
    )
    investor = forms.ModelChoiceField(queryset=Investor.objects.all())
    amount = forms.DecimalField(
        help_text="In the deal's currency, in major units (1234.56).",
    )
    priority = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=32767,
        help_text="Scale-back fills lower numbers first. Left empty: 1.",
    )

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        investor = self.fields["investor"]
        if not isinstance(investor, forms.ModelChoiceField):
            raise TypeError("the investor field is declared as a ModelChoiceField")
        investor.widget = AutocompleteSelect(
            Subscription._meta.get_field("investor"), admin_site, choices=investor.choices
        )
        investor.help_text = "Type part of the legal name, e-mail or company number."
        self.money: Money | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        deal, amount = cleaned.get("deal"), cleaned.get("amount")
        if deal is None or amount is None:
            return cleaned
        if amount <= 0:
            self.add_error("amount", "The amount must be more than nothing.")
            return cleaned
        try:
            self.money = amount_typed(amount, deal.currency)
        except ValidationError as error:
            self.add_error("amount", error)
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Subscriptions are requested on the add page through :func:`subscription_create`, then
    moved along (or withdrawn) by the actions of the list."""

    list_display = ["investor", "deal", "amount", "accepted", "priority", "state"]
    list_filter = ["state", "deal"]
    search_fields = ["investor__legal_name", "deal__name"]
    list_select_related = ["investor", "deal"]
    list_per_page = 100
    fields = [
        "deal",
        "investor",
        "amount",
        "accepted",
        "priority",
        "state",
        "reasons",
        "closing",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["amount", "accepted"]
    actions = ["submit", "sign", "fund", "withdraw"]

    amount = money_column("amount_minor", "amount", "deal.currency")
    accepted = money_column("accepted_minor", "accepted", "deal.currency")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("deals.add_subscription")

    def add_view(
        self, request: StaffRequest, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        """Record a subscription through :func:`subscription_create`; a refusal is shown on the
        form and writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SubscriptionForm(
            request.POST if request.method == "POST" else None, admin_site=self.admin_site
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            money = form.money
            if money is None:
                raise RuntimeError("a valid subscription form has its amount in Money")
            try:
                subscription = subscription_create(
                    deal=data["deal"],
                    investor=data["investor"],
                    amount=money,
                    by=request.user,
                    **({} if data["priority"] is None else {"priority": data["priority"]}),
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                show_on_form(form, error, {"amount_minor": "amount"})
            else:
                self.message_user(
                    request,
                    f"Subscription of {subscription.investor} to {subscription.deal} for "
                    f"{money.format()} recorded as a draft: submit it to check the "
                    "investor's eligibility.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:deals_subscription_changelist"))
        return service_form_response(
            self,
            request,
            form,
            title="Add a subscription",
            intro="The subscription is checked against the deal's terms (open, currency, "
            "tickets) and recorded as a draft; submitting it from the list checks the "
            "investor's eligibility.",
            submit="Record the subscription",
        )

    def has_move_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("deals.change_subscription")

    @admin.action(description="Submit (checks eligibility)", permissions=["move"])
    def submit(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_submit(subscription=s, by=request.user),
            "submitted",
        )

    @admin.action(description="Record the signature", permissions=["move"])
    def sign(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_sign(subscription=s, by=request.user),
            "signed",
        )

    @admin.action(description="Record the funds received", permissions=["move"])
    def fund(self, request: StaffRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_fund(subscription=s, by=request.user),
            "funded",
        )

    @admin.action(description="Withdraw", permissions=["move"])
    def withdraw(self, request: StaffRequest, queryset) -> None:
        reason = f"Withdrawn from the admin by {request.user}"
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_withdraw(subscription=s, by=request.user, reason=reason),
            "withdrawn",
        )
