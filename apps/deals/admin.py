from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from apps.captable.models import ShareClass
from apps.compliance.rules import REGIMES
from apps.core.admin import ReadOnlyAdminMixin, run_for_each
from apps.core.exceptions import DomainError
from apps.core.money import Money, minor_unit_digits
from apps.deals.models import (
    CapitalCall,
    CapitalCallNotice,
    CapitalCallPayment,
    Closing,
    Deal,
    DealState,
    Distribution,
    DistributionKind,
    DistributionLine,
    FeeCharge,
    Proposal,
    ProposalAction,
    SecondaryTransfer,
    Subscription,
)
from apps.deals.selectors import notices_with_paid
from apps.deals.services import (
    capital_calls_flag_defaults,
    deal_create,
    deal_open,
    deal_operation_propose,
    deal_operation_reverse,
    deal_proposal_cancel,
    deal_proposal_execute,
    deal_start_closing,
    deal_update,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscription_withdraw,
    subscriptions_scale_back,
)
from apps.deals.services.proposals import decode
from apps.investors.models import Investor
from apps.ledger.models import OperationState

DATE_INPUT = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _money_column(field: str, description: str, currency: str, *, none: str | None = None):
    """A display method showing the integer ``field`` as money in the currency at ``currency``
    (a dotted path from the row, such as ``"deal.currency"``); a null amount shows ``none``
    (the admin's empty value when ``None``)."""
    currency_of = attrgetter(currency)

    @admin.display(description=description, ordering=field)
    def column(self, record) -> str | None:
        amount = getattr(record, field)
        if amount is None:
            return none
        return Money(amount, currency_of(record)).format()

    return column


def show_on_form(
    form: forms.BaseForm, error: ValidationError, renamed: Mapping[str, str] | None = None
) -> None:
    """Put a service's ``ValidationError`` on ``form``: each message on the form field it names
    (through ``renamed``, model field to form field), else above the form, naming the field."""
    renamed = renamed or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        texts = ValidationError(errors).messages
        field = renamed.get(name, name)
        if field in form.fields:
            form.add_error(field, texts)
        elif name == NON_FIELD_ERRORS:
            form.add_error(None, texts)
        else:
            form.add_error(None, [f"{name.replace('_', ' ')}: {text}" for text in texts])


def service_form_response(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    title: str,
    intro: str,
    submit: str,
    fieldsets: Sequence[tuple[str | None, Sequence[str]]] | None = None,
    original: Any = None,
) -> TemplateResponse:
    """The admin page of a form saved through a service (``admin/deals/service_form.html``)."""
    request.current_app = model_admin.admin_site.name
    groups = fieldsets or [(None, list(form.fields))]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit": submit,
        "opts": model_admin.opts,
        "original": original,
        "form": form,
        "fieldsets": [(name, [form[field] for field in fields]) for name, fields in groups],
        "media": model_admin.media + form.media,
    }
    return TemplateResponse(request, "admin/deals/service_form.html", context)


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
    "waterfall_type",
    "equalisation_rate",
    "drawn_by_calls",
    "interest_rate",
    "day_count",
]
DEAL_FIELDSETS: list[tuple[str | None, list[str]]] = [
    (None, DEAL_TERMS[:8]),
    ("Amounts, in major units of the deal's currency", list(DEAL_AMOUNTS)),
    ("Fees and waterfall", DEAL_TERMS[8:17]),
    ("Debt and notes", DEAL_TERMS[17:]),
]
RATE_HELP = "A fraction: 0.02 is 2 %."
# The rates the deal's constraints keep from 0 up to 1 (1 excluded but for the catch-up).
DEAL_RATES = [
    "setup_fee_rate",
    "management_fee_rate",
    "carry_rate",
    "hurdle_rate",
    "catch_up_rate",
    "equalisation_rate",
]


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
        widgets = {"opens_on": DATE_INPUT, "closes_on": DATE_INPUT}
        help_texts = {
            name: RATE_HELP
            for name in DEAL_TERMS
            if name.endswith("_rate") and name != "equalisation_rate"
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
            self.fields["share_class"].queryset = ShareClass.objects.filter(
                issuer=self.instance.issuer_id
            )

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        try:
            minor_unit_digits(currency)
        except ValueError as error:
            raise ValidationError(str(error)) from error
        return currency

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        share_class, issuer = cleaned.get("share_class"), cleaned.get("issuer")
        if share_class is not None and issuer is not None and share_class.issuer_id != issuer.pk:
            self.add_error("share_class", f"“{share_class}” is not a class of {issuer}.")
        self._check_rates(cleaned)
        currency = cleaned.get("currency")
        if currency is None:
            return cleaned  # the currency field says why
        for field, column in DEAL_AMOUNTS.items():
            value = cleaned.get(field)
            if value is None:
                self.amounts[column] = 0 if field == "min_ticket" else None
                continue
            try:
                self.amounts[column] = Money.from_decimal(value, currency).amount_minor
            except ValueError as error:
                self.add_error(field, str(error))
        self._check_amounts(currency)
        return cleaned

    def _check_rates(self, cleaned: dict[str, Any]) -> None:
        """The deal's rate constraints, said field by field: from 0 up to 1, 1 excluded but
        for the catch-up (1 is a full catch-up)."""
        for name in DEAL_RATES:
            rate = cleaned.get(name)
            if rate is None:
                continue
            if name == "catch_up_rate" and not 0 <= rate <= 1:
                self.add_error(name, "A catch-up rate is from 0 to 1 (a full catch-up).")
            elif name != "catch_up_rate" and not 0 <= rate < 1:
                self.add_error(name, "A rate is from 0 up to 1, 1 excluded (0.02 is 2 %).")

    def _check_amounts(self, currency: str) -> None:
        """The deal's amount constraints, said field by field."""
        amounts = self.amounts
        if amounts.get("unit_price_minor") == 0:
            self.add_error("unit_price", "A unit must cost more than nothing.")
        if amounts.get("target_minor") == 0:
            self.add_error("target", "The target must be more than nothing.")
        target, cap = amounts.get("target_minor"), amounts.get("hard_cap_minor")
        if target is not None and cap is not None and cap < target:
            shown = Money(target, currency).format()
            self.add_error("hard_cap", f"The hard cap cannot be below the target ({shown}).")
        low, high = amounts.get("min_ticket_minor"), amounts.get("max_ticket_minor")
        if low is not None and high is not None and high < low:
            shown = Money(low, currency).format()
            self.add_error(
                "max_ticket", f"The maximum ticket cannot be below the minimum ticket ({shown})."
            )

    def deal_fields(self) -> dict[str, Any]:
        """The deal's fields from a valid form, amounts in minor units; without the fixed
        ones (vehicle and currency) of an existing deal."""
        terms = {
            name: self.cleaned_data[name] for name in DEAL_TERMS if not self.fields[name].disabled
        }
        return terms | self.amounts


DEAL_FORM_RENAMED = {column: field for field, column in DEAL_AMOUNTS.items()}


class SubscriptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Subscription
    fields = ["investor", "amount", "accepted", "priority", "state"]
    readonly_fields = fields
    extra = 0

    amount = _money_column("amount_minor", "amount", "deal.currency")
    accepted = _money_column("accepted_minor", "accepted", "deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investor", "deal")


@admin.register(Deal)
class DealAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
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
    list_select_related = ["issuer"]
    list_per_page = 50
    fieldsets = [
        *((name, {"fields": fields}) for name, fields in DEAL_FIELDSETS),
        ("Record", {"fields": ["state", "created_by", "created_at"]}),
    ]
    readonly_fields = list(DEAL_AMOUNTS)
    inlines = [SubscriptionInline]
    actions = ["open_deals", "start_closing", "scale_back"]

    unit_price = _money_column("unit_price_minor", "unit price", "currency")
    target = _money_column("target_minor", "target", "currency")
    hard_cap = _money_column("hard_cap_minor", "hard cap", "currency")
    min_ticket = _money_column("min_ticket_minor", "minimum ticket", "currency")
    max_ticket = _money_column("max_ticket_minor", "maximum ticket", "currency", none="no limit")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("deals.add_deal")

    def can_edit_terms(self, request: HttpRequest, deal: Deal) -> bool:
        """Only a draft's terms change, and only by staff who may change deals. The admin's
        own change permission stays off: nothing is saved by the standard change form."""
        return deal.state == DealState.DRAFT and request.user.has_perm("deals.change_deal")

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context=None
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
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
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

    @admin.action(description="Open for subscriptions", permissions=["move"])
    def open_deals(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self, request, queryset, lambda d: deal_open(deal=d, by=request.user), "opened"
        )

    @admin.action(description="Start the closing", permissions=["move"])
    def start_closing(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: deal_start_closing(deal=d, by=request.user),
            "moved to closing",
        )

    @admin.action(description="Scale subscriptions back to the hard cap", permissions=["move"])
    def scale_back(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda d: subscriptions_scale_back(deal=d, by=request.user),
            "scaled back",
        )


# --- subscriptions: requested through subscription_create, moved along by actions ------------


class SubscriptionForm(forms.Form):
    """An investor's subscription to an open deal. Once valid, ``amount`` is the Money asked."""

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
        investor.widget = AutocompleteSelect(
            Subscription._meta.get_field("investor"), admin_site, choices=investor.choices
        )
        investor.help_text = "Type part of the legal name, e-mail or company number."
        self.amount: Money | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        deal, amount = cleaned.get("deal"), cleaned.get("amount")
        if deal is None or amount is None:
            return cleaned
        if amount <= 0:
            self.add_error("amount", "The amount must be more than nothing.")
            return cleaned
        try:
            self.amount = Money.from_decimal(amount, deal.currency)
        except ValueError as error:
            self.add_error("amount", str(error))
        return cleaned


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
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

    amount = _money_column("amount_minor", "amount", "deal.currency")
    accepted = _money_column("accepted_minor", "accepted", "deal.currency")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("deals.add_subscription")

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context=None
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
            try:
                subscription = subscription_create(
                    deal=data["deal"],
                    investor=data["investor"],
                    amount=form.amount,
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
                    f"{form.amount.format()} recorded as a draft: submit it to check the "
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
    def submit(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_submit(subscription=s, by=request.user),
            "submitted",
        )

    @admin.action(description="Record the signature", permissions=["move"])
    def sign(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_sign(subscription=s, by=request.user),
            "signed",
        )

    @admin.action(description="Record the funds received", permissions=["move"])
    def fund(self, request: HttpRequest, queryset) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_fund(subscription=s, by=request.user),
            "funded",
        )

    @admin.action(description="Withdraw", permissions=["move"])
    def withdraw(self, request: HttpRequest, queryset) -> None:
        reason = f"Withdrawn from the admin by {request.user}"
        run_for_each(
            self,
            request,
            queryset,
            lambda s: subscription_withdraw(subscription=s, by=request.user, reason=reason),
            "withdrawn",
        )


# --- the operations of a deal -----------------------------------------------------------------
#
# Closings, calls, payments, distributions, fees and transfers are written by their services with
# their ledger operation and never edited: the admin lists them and, for staff who may reverse
# operations, proposes their reversal (finance approves and executes it in the ledger admin).

EXECUTED = OperationState.EXECUTED


class NoticeAmountsMixin:
    """The amount, paid and outstanding columns of notices annotated by
    :func:`~apps.deals.selectors.notices_with_paid`."""

    amount = _money_column("amount_minor", "amount", "call.deal.currency")
    paid = _money_column("paid_minor", "paid", "call.deal.currency")

    outstanding = _money_column("outstanding_minor", "outstanding", "call.deal.currency")


class FlagDefaultsMixin:
    """The action flagging every unpaid notice past its due date as a default."""

    def has_flag_defaults_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("deals.change_capitalcallnotice")

    @admin.action(
        description="Flag unpaid notices past due as defaults (all calls, not only the selected)",
        permissions=["flag_defaults"],
    )
    def flag_defaults(self, request: HttpRequest, queryset: QuerySet) -> None:
        flagged = capital_calls_flag_defaults(today=timezone.localdate(), by=request.user)
        if flagged:
            self.message_user(
                request, f"{flagged} notice(s) flagged as defaults.", messages.SUCCESS
            )
        else:
            self.message_user(request, "No unpaid notice is past due: none flagged.", messages.INFO)


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
    def propose_reversal(self, request: HttpRequest, queryset: QuerySet) -> None:
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

    amount = _money_column("amount_minor", "commitments accepted", "deal.currency")
    equalisation = _money_column("equalisation_minor", "equalisation", "deal.currency")


class CapitalCallNoticeInline(NoticeAmountsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = CapitalCallNotice
    fields = ["investor", "amount", "paid", "outstanding", "defaulted_at"]
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
    readonly_fields = ["amount"]
    inlines = [CapitalCallNoticeInline]
    actions = ["propose_reversal", "flag_defaults"]

    amount = _money_column("amount_minor", "amount", "deal.currency")


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
    NoticeAmountsMixin, FlagDefaultsMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin
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

    amount = _money_column("amount_minor", "amount", "notice.call.deal.currency")

    @admin.display(description="investor", ordering="notice__investor__legal_name")
    def investor(self, payment: CapitalCallPayment):
        return payment.notice.investor

    @admin.display(description="deal", ordering="notice__call__deal__name")
    def deal(self, payment: CapitalCallPayment) -> Deal:
        return payment.notice.call.deal

    @admin.display(description="call", ordering="notice__call__number")
    def call_number(self, payment: CapitalCallPayment) -> int:
        return payment.notice.call.number


class DistributionLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DistributionLine
    fields = ["investor", "amount"]
    readonly_fields = fields
    extra = 0

    amount = _money_column("amount_minor", "amount", "distribution.deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investor", "distribution__deal")


@admin.register(Distribution)
class DistributionAdmin(DealRecordAdmin):
    list_display = [
        "deal",
        "number",
        "kind",
        "distributed_on",
        "proceeds",
        "lp",
        "gp",
        "closes_deal",
        "operation",
        "state",
    ]
    list_filter = ["operation__state", "kind", "closes_deal", "deal"]
    search_fields = ["deal__name", "lines__investor__legal_name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["proceeds", "lp", "gp"]
    inlines = [DistributionLineInline]

    proceeds = _money_column("proceeds_minor", "proceeds", "deal.currency")
    lp = _money_column("lp_minor", "to investors (LP)", "deal.currency")
    gp = _money_column("gp_minor", "carried interest (GP)", "deal.currency")


@admin.register(FeeCharge)
class FeeChargeAdmin(DealRecordAdmin):
    list_display = ["deal", "number", "period_start", "period_end", "amount", "operation", "state"]
    list_filter = ["operation__state", "deal"]
    search_fields = ["deal__name"]
    list_select_related = ["deal", "operation"]
    readonly_fields = ["amount"]

    amount = _money_column("amount_minor", "amount", "deal.currency")


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

    price = _money_column("price_minor", "price", "deal.currency")


# --- proposals: operations staff propose, finance approves and executes (maker-checker) -------

PROPOSABLE_DEAL_STATES = [DealState.OPEN, DealState.CLOSING, DealState.CLOSED]


@dataclass(frozen=True)
class Param:
    """A keyword of an operation's plan, read from the form field ``field``."""

    name: str
    field: str
    meaning: str
    optional: bool = False


# What each action is proposed with: the plan function's keywords and the form fields giving them.
ACTION_PARAMS: dict[str, tuple[Param, ...]] = {
    ProposalAction.CLOSING: (
        Param("effective_date", "on", "effective date"),
        Param("final", "final", "whether it is the final closing", optional=True),
    ),
    ProposalAction.CAPITAL_CALL: (
        Param("amount", "amount", "amount called"),
        Param("call_date", "on", "call date"),
        Param("due_date", "until", "due date"),
        Param("purpose", "purpose", "purpose", optional=True),
    ),
    ProposalAction.CALL_PAYMENT: (
        Param("notice", "notice", "notice paid"),
        Param("amount", "amount", "amount paid"),
        Param("paid_on", "on", "payment date"),
    ),
    ProposalAction.DISTRIBUTION: (
        Param("proceeds", "amount", "proceeds"),
        Param("on", "on", "distribution date"),
        Param("kind", "kind", "kind of distribution", optional=True),
        Param("closes_deal", "closes_deal", "whether it closes the deal", optional=True),
    ),
    ProposalAction.INTEREST: (
        Param("start", "on", "start of the interest period"),
        Param("end", "until", "end of the interest period"),
    ),
    ProposalAction.MANAGEMENT_FEE: (
        Param("period_start", "on", "start of the fee period"),
        Param("period_end", "until", "end of the fee period"),
    ),
    ProposalAction.SECONDARY_TRANSFER: (
        Param("seller", "seller", "selling investor"),
        Param("buyer", "buyer", "buying investor"),
        Param("units", "units", "units sold"),
        Param("price", "amount", "price"),
        Param("on", "on", "transfer date"),
    ),
}
LOOKUPS = {"notice": CapitalCallNotice, "seller": Investor, "buyer": Investor}


class ProposalForm(forms.Form):
    """A deal, an action and the parameters it needs; which fields an action uses is
    :data:`ACTION_PARAMS`. Once valid, ``params`` holds the plan's keyword arguments."""

    deal = forms.ModelChoiceField(
        queryset=Deal.objects.filter(state__in=PROPOSABLE_DEAL_STATES).order_by("name"),
        help_text="Open, in closing or closed deals.",
    )
    action = forms.ChoiceField(choices=[("", "---------"), *ProposalAction.choices])
    on = forms.DateField(
        required=False,
        widget=DATE_INPUT,
        help_text="Effective, call, payment, distribution or transfer date; period start.",
    )
    until = forms.DateField(
        required=False, widget=DATE_INPUT, help_text="Due date; end of the period."
    )
    amount = forms.DecimalField(
        required=False,
        help_text="In the deal's currency, in major units (1234.56): amount called or paid, "
        "proceeds, price.",
    )
    final = forms.BooleanField(required=False, initial=True, label="Final closing")
    closes_deal = forms.BooleanField(required=False, label="The distribution closes the deal")
    kind = forms.ChoiceField(
        required=False,
        choices=DistributionKind.choices,
        initial=DistributionKind.EXIT,
        label="Distribution kind",
    )
    purpose = forms.CharField(required=False, max_length=200, help_text="Of a capital call.")
    notice = forms.IntegerField(
        required=False, min_value=1, label="Notice id", help_text="The capital call notice paid."
    )
    seller = forms.IntegerField(required=False, min_value=1, label="Seller id (investor)")
    buyer = forms.IntegerField(required=False, min_value=1, label="Buyer id (investor)")
    units = forms.DecimalField(required=False, min_value=0, help_text="Units sold.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.params: dict[str, Any] = {}
        action, deal = cleaned.get("action"), cleaned.get("deal")
        if not action or deal is None:
            return cleaned
        for param in ACTION_PARAMS[action]:
            if param.field in self.errors:
                continue
            value = cleaned.get(param.field)
            if value is None or value == "":
                if not param.optional:
                    self.add_error(
                        param.field,
                        f"{ProposalAction(action).label} needs “{self[param.field].label}”: "
                        f"the {param.meaning}.",
                    )
                continue
            try:
                self.params[param.name] = self._value(param.field, value, deal)
            except ValidationError as error:
                self.add_error(param.field, error)
        return cleaned

    @staticmethod
    def _value(field: str, value: Any, deal: Deal) -> Any:
        if field == "amount":
            try:
                return Money.from_decimal(value, deal.currency)
            except ValueError as error:
                raise ValidationError(str(error)) from error
        if field in LOOKUPS:
            model = LOOKUPS[field]
            found = model.objects.filter(pk=value).first()
            if found is None:
                raise ValidationError(f"No {model._meta.verbose_name} has the id {value}.")
            return found
        return value


def _shown(value: Any) -> Any:
    """A stored parameter for display, without reading the rows it names."""
    if isinstance(value, dict) and "model" in value:
        return f"{apps.get_model(value['model'])._meta.verbose_name} #{value['pk']}"
    value = decode(value)
    if isinstance(value, Money):
        return value.format()
    return value


def proposal_summary(action: str, stored: dict[str, Any]) -> str:
    """A short human account of what a proposal would do, from its stored parameters."""
    p = {name: _shown(value) for name, value in stored.items()}
    try:
        match action:
            case ProposalAction.CLOSING:
                final = "final" if p.get("final", True) else "not final"
                return f"closing on {p['effective_date']}, {final}"
            case ProposalAction.CAPITAL_CALL:
                purpose = f" ({p['purpose']})" if p.get("purpose") else ""
                return f"call of {p['amount']} on {p['call_date']}, due {p['due_date']}{purpose}"
            case ProposalAction.CALL_PAYMENT:
                return f"payment of {p['amount']} on {p['paid_on']} on {p['notice']}"
            case ProposalAction.DISTRIBUTION:
                kind = DistributionKind(p.get("kind", DistributionKind.EXIT)).label.lower()
                closes = ", closes the deal" if p.get("closes_deal") else ""
                return f"{kind}: {p['proceeds']} on {p['on']}{closes}"
            case ProposalAction.INTEREST:
                return f"interest from {p['start']} to {p['end']}"
            case ProposalAction.MANAGEMENT_FEE:
                return f"fee from {p['period_start']} to {p['period_end']}"
            case ProposalAction.SECONDARY_TRANSFER:
                return (
                    f"{p['units']} units from {p['seller']} to {p['buyer']} "
                    f"for {p['price']} on {p['on']}"
                )
    except (KeyError, ValueError):
        pass
    return ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in p.items())


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Proposals are made on the add page through the proposal service, then approved and
    executed (or cancelled) from the list; they are never edited."""

    list_display = ["deal", "action", "summary", "created_by", "created_at", "state"]
    list_filter = ["action", "operation__state", "deal"]
    search_fields = ["deal__name"]
    list_select_related = ["deal", "operation", "created_by"]
    list_per_page = 50
    fields = [
        "deal",
        "action",
        "summary",
        "params",
        "operation",
        "state",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["approve_and_execute", "cancel"]

    @admin.display(description="what")
    def summary(self, proposal: Proposal) -> str:
        return proposal_summary(proposal.action, proposal.params)

    @admin.display(description="state", ordering="operation__state")
    def state(self, proposal: Proposal) -> str:
        return proposal.operation.get_state_display()

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("deals.add_proposal")

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        """Propose an operation through :func:`deal_operation_propose`; a refusal is shown on
        the form and writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProposalForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                proposal = deal_operation_propose(
                    deal=form.cleaned_data["deal"],
                    action=form.cleaned_data["action"],
                    by=request.user,
                    **form.params,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    f"Proposed: {proposal.deal}, "
                    f"{proposal_summary(proposal.action, proposal.params)}; "
                    "waiting for approval by somebody else.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:deals_proposal_change", args=[proposal.pk])
                )
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": "Propose a deal operation",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "uses": [
                (
                    ProposalAction(action).label,
                    [f"{form[p.field].label} ({p.meaning})" for p in params],
                )
                for action, params in ACTION_PARAMS.items()
            ],
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/deals/proposal/propose.html", context)

    def has_approve_and_execute_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perms(["ledger.approve_operation", "ledger.execute_operation"])

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.cancel_operation")

    @admin.action(
        description="Approve and execute (not your own proposals)",
        permissions=["approve_and_execute"],
    )
    def approve_and_execute(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda proposal: deal_proposal_execute(proposal=proposal, by=request.user),
            "proposal(s) approved and executed",
        )

    @admin.action(description="Cancel", permissions=["cancel"])
    def cancel(self, request: HttpRequest, queryset: QuerySet) -> None:
        reason = f"Cancelled from the admin by {request.user}"
        run_for_each(
            self,
            request,
            queryset,
            lambda proposal: deal_proposal_cancel(
                proposal=proposal, by=request.user, reason=reason
            ),
            "proposal(s) cancelled",
        )
