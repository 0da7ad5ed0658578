"""Proposals: operations staff propose a deal operation, finance approves and executes it."""

from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.accounts.requests import StaffRequest
from apps.core.admin import ReadOnlyAdminMixin, run_for_each
from apps.core.exceptions import DomainError
from apps.core.money import Money
from apps.deals.admin.common import DATE_INPUT, amount_typed, show_on_form
from apps.deals.models import (
    CapitalCallNotice,
    Deal,
    DealState,
    DistributionKind,
    PortfolioInvestment,
    Proposal,
    ProposalAction,
)
from apps.deals.services import (
    OperationRefused,
    deal_operation_propose,
    deal_proposal_cancel,
    deal_proposal_execute,
)
from apps.deals.services.proposals import PLANS, decode, parameter_type
from apps.investors.models import Investor

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
        Param("investment", "investment", "portfolio investment called for", optional=True),
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
        Param("investment", "investment", "portfolio investment distributing", optional=True),
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
    ProposalAction.CLAWBACK: (Param("as_of", "on", "date the fund's profit is measured on"),),
}
LOOKUPS: dict[str, type[CapitalCallNotice] | type[Investor]] = {
    "notice": CapitalCallNotice,
    "seller": Investor,
    "buyer": Investor,
}


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
        help_text="Effective, call, payment, distribution, transfer or clawback date; period "
        "start.",
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
    # As many digits as the units column holds, so that no count is too long to work with.
    units = forms.DecimalField(
        required=False, min_value=0, max_digits=38, decimal_places=10, help_text="Units sold."
    )
    investment = forms.ModelChoiceField(
        queryset=PortfolioInvestment.objects.select_related("deal", "issuer").order_by(
            "deal__name", "invested_on", "pk"
        ),
        required=False,
        label="Portfolio investment",
        help_text="Of a call made for it, or a distribution of its proceeds (deal by deal).",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
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
            return amount_typed(value, deal.currency)
        if field in LOOKUPS:
            model = LOOKUPS[field]
            found = model.objects.filter(pk=value).first()
            if found is None:
                raise ValidationError(f"No {model._meta.verbose_name} has the id {value}.")
            return found
        return value


def _shown(action: str, name: str, stored: Any) -> Any:
    """A stored parameter for display, without reading the rows it names; as stored if it does
    not read as its plan says."""
    plan = PLANS.get(action)
    if plan is None:
        return stored
    try:
        kind, _ = parameter_type(plan, name)
        if issubclass(kind, models.Model):
            return f"{kind._meta.verbose_name} #{stored}" if type(stored) is int else stored
        value = decode(plan, name, stored)
    except OperationRefused:
        return stored
    if isinstance(value, Money):
        return value.format()
    return value


def proposal_summary(action: str, stored: dict[str, Any]) -> str:
    """A short human account of what a proposal would do, from its stored parameters."""
    p = {name: _shown(action, name, value) for name, value in stored.items()}
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
            case ProposalAction.CLAWBACK:
                return f"clawback of the carry held above its due on {p['as_of']}"
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
    fields: ClassVar[tuple[str, ...]] = (
        "deal",
        "action",
        "summary",
        "params",
        "operation",
        "state",
        "created_by",
        "created_at",
    )
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

    # Only signed-in staff reach the admin's views, so the request is narrowed to theirs.
    def add_view(  # type: ignore[override]
        self, request: StaffRequest, form_url: str = "", extra_context=None
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
                action = form.cleaned_data["action"]
                show_on_form(form, error, {p.name: p.field for p in ACTION_PARAMS[action]})
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
    def approve_and_execute(self, request: StaffRequest, queryset: QuerySet) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda proposal: deal_proposal_execute(proposal=proposal, by=request.user),
            "proposal(s) approved and executed",
        )

    @admin.action(description="Cancel", permissions=["cancel"])
    def cancel(self, request: StaffRequest, queryset: QuerySet) -> None:
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
