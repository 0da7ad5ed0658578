"""A fund's portfolio in the admin: its investments and the fee income its companies paid.

Every change goes through a service of :mod:`apps.deals.services.portfolio`: an investment is
recorded on the add page, written down or realised on its own pages, and its fee income recorded
on the fee income's add page; each service checks who acts and refuses bad input writing
nothing, and these pages show its refusal on the form. Nothing is edited through the admin's own
change form and nothing is deleted.

The list of investments shows the capital each took in and what it returned, read for the whole
page in a fixed number of queries rather than once per row.
"""

from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    F,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from apps.accounts.requests import StaffRequest
from apps.captable.models import Issuer
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin
from apps.core.exceptions import DomainError
from apps.core.money import Money
from apps.deals.admin.common import (
    DATE_INPUT,
    FirstRowsInline,
    all_rows_link,
    amount_typed,
    money_column,
    service_form_response,
    show_on_form,
)
from apps.deals.models import (
    Deal,
    FeeIncomeKind,
    PortfolioFeeIncome,
    PortfolioInvestment,
)
from apps.deals.selectors import (
    contributed_at_closings,
    investment_contributions,
    investment_proceeds,
    loss_of,
    with_capital_in_and_out,
)
from apps.deals.services.portfolio import (
    INVESTING_STATES,
    portfolio_fee_income_record,
    portfolio_investment_record,
    portfolio_realise,
    portfolio_write_down,
)
from apps.ledger.models import OperationState

EXECUTED = OperationState.EXECUTED
CHANGE_INVESTMENTS = "deals.change_portfolioinvestment"
ADD_FEE_INCOME = "deals.add_portfoliofeeincome"
AMOUNT_HELP = "In the deal's currency, in major units (1234.56)."
# The services name the model's columns; the forms name what staff type.
INVESTMENT_FORM_RENAMED = {"cost_minor": "cost", "expenses_minor": "expenses"}
CHANGE_FORM_RENAMED = {"written_down_minor": "amount", "written_down_on": "on", "realised_on": "on"}
FEE_INCOME_FORM_RENAMED = {"amount_minor": "amount"}


def _reason_field(help_text: str) -> forms.CharField:
    return forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=f"{help_text} Kept in the investment's history.",
    )


class PortfolioChangeList(ChangeList):
    """The list of investments, each row given ``contributed_minor`` once the page is read."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Reading the page here caches its rows: the template shows these very instances.
        rows = list(self.result_list)
        at_closings = contributed_at_closings(rows)
        for investment in rows:
            investment.contributed_minor = (
                investment.called_minor
                if investment.deal.drawn_by_calls
                else at_closings.get(investment.pk, 0)
            )


# --- forms -------------------------------------------------------------------------------------


class InvestmentForm(forms.Form):
    """An investment of a deal's vehicle, its amounts in major units of the deal's currency.
    Once valid, ``cost_money`` and ``expenses_money`` are the amounts; whether it names
    one company, costs something and may be made by the deal is the service's to say."""

    deal = forms.ModelChoiceField(
        queryset=Deal.objects.filter(state__in=INVESTING_STATES).order_by("name"),
        help_text="Deals in closing or closed.",
    )
    issuer = forms.ModelChoiceField(
        queryset=Issuer.objects.all(),
        required=False,
        label="Company on the platform",
        help_text="A company on the platform's cap tables; or name an external one below.",
    )
    company = forms.CharField(
        max_length=200,
        required=False,
        label="External company",
        help_text="An external company, by name; or choose one on the platform above.",
    )
    invested_on = forms.DateField(widget=DATE_INPUT)
    cost = forms.DecimalField(help_text=f"What the vehicle paid. {AMOUNT_HELP}")
    expenses = forms.DecimalField(
        required=False,
        help_text=f"Fees and expenses allocated to it; left empty, none. {AMOUNT_HELP}",
    )

    def __init__(self, *args: Any, admin_site: admin.AdminSite, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        issuer = self.fields["issuer"]
        if not isinstance(issuer, forms.ModelChoiceField):
            raise TypeError("the issuer field is declared as a ModelChoiceField")
        issuer.widget = AutocompleteSelect(
            PortfolioInvestment._meta.get_field("issuer"), admin_site, choices=issuer.choices
        )
        self.cost_money: Money | None = None
        self.expenses_money: Money | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        deal = cleaned.get("deal")
        if deal is None:
            return cleaned  # the deal field says why
        cost, expenses = cleaned.get("cost"), cleaned.get("expenses")
        try:
            if cost is not None:
                self.cost_money = amount_typed(cost, deal.currency)
        except ValidationError as error:
            self.add_error("cost", error)
        try:
            if expenses is not None:
                self.expenses_money = amount_typed(expenses, deal.currency)
        except ValidationError as error:
            self.add_error("expenses", error)
        return cleaned


class WriteDownForm(forms.Form):
    """A write-down of an investment, its amount typed in major units of ``currency`` (its
    deal's). Once valid, ``money`` is the amount; whether it fits the cost is the service's to
    say."""

    amount = forms.DecimalField(
        help_text=f"How much of its cost it is written down by, replacing any earlier write-down. "
        f"{AMOUNT_HELP}"
    )
    on = forms.DateField(label="Written down on", widget=DATE_INPUT)
    reason = _reason_field("Why it is written down: a round, a mark, news of the company.")

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.money: Money | None = None

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        self.money = amount_typed(amount, self.currency)
        return amount


class RealiseForm(forms.Form):
    on = forms.DateField(label="Realised on", widget=DATE_INPUT)
    reason = _reason_field("How it was realised: sold, to whom, or written off.")


class InvestmentChoiceField(forms.ModelChoiceField):
    """An investment named with its deal: two funds may invest in companies of one name."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.deal}, {obj.invested_on:%Y-%m-%d})"


class FeeIncomeForm(forms.Form):
    """A fee a portfolio company paid the manager. Once valid, ``money`` is its amount."""

    investment = InvestmentChoiceField(
        queryset=PortfolioInvestment.objects.select_related("deal", "issuer").order_by(
            "deal__name", "invested_on", "pk"
        ),
    )
    kind = forms.ChoiceField(choices=FeeIncomeKind.choices)
    received_on = forms.DateField(widget=DATE_INPUT)
    amount = forms.DecimalField(help_text=AMOUNT_HELP)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.money: Money | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        investment, amount = cleaned.get("investment"), cleaned.get("amount")
        if investment is None or amount is None:
            return cleaned
        try:
            self.money = amount_typed(amount, investment.deal.currency)
        except ValidationError as error:
            self.add_error("amount", error)
        return cleaned


# --- investments ---------------------------------------------------------------------------


class RealisedFilter(admin.SimpleListFilter):
    title = "realised"
    parameter_name = "realised"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Realised"), ("no", "Held")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(realised_on__isnull=False)
        if self.value() == "no":
            return queryset.filter(realised_on__isnull=True)
        return queryset


class CompanyKindFilter(admin.SimpleListFilter):
    title = "kind of company"
    parameter_name = "company_kind"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("platform", "On the platform's cap tables"), ("external", "External")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "platform":
            return queryset.filter(issuer__isnull=False)
        if self.value() == "external":
            return queryset.filter(issuer__isnull=True)
        return queryset


class FeeIncomeInline(ReadOnlyAdminMixin, FirstRowsInline):
    model = PortfolioFeeIncome
    verbose_name = "fee income received"
    verbose_name_plural = "fee income received"
    fields: ClassVar[tuple[str, ...]] = ("kind", "received_on", "amount")
    readonly_fields = fields
    extra = 0

    amount = money_column("amount_minor", "amount", "investment.deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("investment__deal")


INVESTMENT_FIELDSETS: list[tuple[str | None, dict[str, list[str]]]] = [
    (None, {"fields": ["deal", "company_name", "issuer", "invested_on"]}),
    (
        "Amounts, in the deal's currency",
        {"fields": ["cost", "expenses", "written_down", "written_down_on", "realised_on"]},
    ),
    (
        "Capital in and out",
        {"fields": ["contributed", "proceeds", "loss_to_date", "all_fee_income"]},
    ),
    ("Record", {"fields": ["created_by", "created_at"]}),
]


@admin.register(PortfolioInvestment)
class PortfolioInvestmentAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Investments are recorded on the add page through :func:`portfolio_investment_record`,
    written down and realised on their own pages; the admin's change form saves nothing."""

    list_display = [
        "deal",
        "company_name",
        "invested_on",
        "cost",
        "expenses",
        "written_down",
        "realised_on",
        "contributed",
        "proceeds",
    ]
    list_display_links = ["company_name"]
    list_filter = [("deal", admin.RelatedOnlyFieldListFilter), RealisedFilter, CompanyKindFilter]
    search_fields = ["company", "issuer__name", "deal__name"]
    list_select_related = ["deal", "issuer"]
    list_per_page = 50
    readonly_fields = [
        "company_name",
        "cost",
        "expenses",
        "written_down",
        "contributed",
        "proceeds",
        "loss_to_date",
        "all_fee_income",
        "changes",
        "fee_income_link",
    ]
    inlines = [FeeIncomeInline]

    cost = money_column("cost_minor", "cost", "deal.currency")
    expenses = money_column("expenses_minor", "expenses", "deal.currency")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        shown_name = Coalesce(NullIf(F("company"), Value("")), F("issuer__name"))
        return with_capital_in_and_out(super().get_queryset(request)).annotate(
            shown_name=shown_name
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PortfolioChangeList

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """The investment's figures, with the links to the pages that change it for staff who
        may use them."""
        steps = []
        if obj is not None and obj.realised_on is None and self.may_change(request):
            steps.append("changes")
        if obj is not None and request.user.has_perm(ADD_FEE_INCOME):
            steps.append("fee_income_link")
        if not steps:
            return INVESTMENT_FIELDSETS
        return [("Changes", {"fields": steps}), *INVESTMENT_FIELDSETS]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("deals.add_portfolioinvestment")

    def may_change(self, request: HttpRequest) -> bool:
        """Whether the user may write an investment down or record its realisation. The
        admin's own change permission stays off: its change form saves nothing."""
        return request.user.has_perm(CHANGE_INVESTMENTS)

    # --- columns and fields ----------------------------------------------------------------

    @admin.display(description="company", ordering="shown_name")
    def company_name(self, investment: PortfolioInvestment) -> str:
        return str(investment)

    @admin.display(description="written down", ordering="written_down_minor")
    def written_down(self, investment: PortfolioInvestment) -> str:
        if not investment.written_down_minor:
            return "not written down"
        return Money(investment.written_down_minor, investment.deal.currency).format()

    @admin.display(description="capital contributed")
    def contributed(self, investment: PortfolioInvestment) -> str:
        minor = getattr(investment, "contributed_minor", None)
        if minor is None:  # a single investment's page: the selector itself
            flows = investment_contributions(investment)
            minor = sum(money.amount_minor for _, money in flows)
        return Money(minor, investment.deal.currency).format()

    @admin.display(description="proceeds", ordering="proceeds_net_minor")
    def proceeds(self, investment: PortfolioInvestment) -> str:
        minor = getattr(investment, "proceeds_net_minor", None)
        if minor is None:
            return investment_proceeds(investment).format()
        return Money(minor, investment.deal.currency).format()

    @admin.display(description="loss shown today")
    def loss_to_date(self, investment: PortfolioInvestment) -> str:
        lost = loss_of(investment, on=timezone.localdate())
        return Money(lost, investment.deal.currency).format()

    @admin.display(description="fee income")
    def all_fee_income(self, investment: PortfolioInvestment) -> str:
        return all_rows_link(
            investment.fee_income,
            "deals_portfoliofeeincome_changelist",
            f"investment__id__exact={investment.pk}",
            "fees received",
        )

    @admin.display(description="change")
    def changes(self, investment: PortfolioInvestment) -> str:
        return format_html(
            '<a class="button" href="{}">Write down</a> '
            '<a class="button" href="{}">Record realisation</a>',
            reverse("admin:deals_portfolioinvestment_write_down", args=[investment.pk]),
            reverse("admin:deals_portfolioinvestment_realise", args=[investment.pk]),
        )

    @admin.display(description="fee income")
    def fee_income_link(self, investment: PortfolioInvestment) -> str:
        return format_html(
            '<a class="button" href="{}?investment={}">Record fee income</a>',
            reverse("admin:deals_portfoliofeeincome_add"),
            investment.pk,
        )

    # --- pages -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        # Before the admin's own: its "<path:object_id>/" would take these paths too.
        return [
            path(
                "<path:object_id>/write-down/",
                view(self.portfolio_write_down_view),
                name="deals_portfolioinvestment_write_down",
            ),
            path(
                "<path:object_id>/realise/",
                view(self.portfolio_realise_view),
                name="deals_portfolioinvestment_realise",
            ),
            *super().get_urls(),
        ]

    def add_view(
        self, request: StaffRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Record an investment through :func:`portfolio_investment_record`; a refusal is
        shown on the form and writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InvestmentForm(
            request.POST if request.method == "POST" else None, admin_site=self.admin_site
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            cost = form.cost_money
            if cost is None:
                raise RuntimeError("a valid investment form has its cost in Money")
            try:
                investment = portfolio_investment_record(
                    deal=data["deal"],
                    issuer=data["issuer"],
                    company=data["company"],
                    invested_on=data["invested_on"],
                    cost=cost,
                    expenses=form.expenses_money,
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                show_on_form(form, error, INVESTMENT_FORM_RENAMED)
            else:
                self.message_user(
                    request,
                    f"Investment of {investment.deal} in {investment} recorded at a cost of "
                    f"{cost.format()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:deals_portfolioinvestment_change", args=[investment.pk])
                )
        return service_form_response(
            self,
            request,
            form,
            title="Add a portfolio investment",
            intro="An investment of a deal's vehicle, in closing or closed, in one company: on "
            "the platform's cap tables or external. The capital reaches it through the calls "
            "made for it (or the closings) and comes back through its distributions.",
            submit="Record the investment",
            fieldsets=[
                (None, ["deal", "issuer", "company", "invested_on"]),
                ("Amounts, in major units of the deal's currency", ["cost", "expenses"]),
            ],
        )

    def _investment_to_change(self, request: StaffRequest, object_id: str) -> PortfolioInvestment:
        """The investment a change page is about, for staff who may change investments."""
        if not self.may_change(request):
            raise PermissionDenied
        investment = self.get_object(request, unquote(object_id))
        if investment is None:
            raise Http404("no such portfolio investment")
        return investment

    def _summary(self, investment: PortfolioInvestment) -> str:
        """The investment's figures in a sentence, amounts as money."""
        currency = investment.deal.currency
        cost = Money(investment.cost_minor, currency)
        contributed = sum(money.amount_minor for _, money in investment_contributions(investment))
        text = (
            f"{investment}, an investment of {investment.deal} made on "
            f"{investment.invested_on:%Y-%m-%d}: cost {cost.format()}, capital contributed "
            f"{Money(contributed, currency).format()}, proceeds "
            f"{investment_proceeds(investment).format()}"
        )
        if investment.written_down_on is not None:
            written_down = Money(investment.written_down_minor, currency).format()
            text += f"; written down by {written_down} on {investment.written_down_on:%Y-%m-%d}"
        if investment.realised_on is not None:
            text += f"; realised on {investment.realised_on:%Y-%m-%d}"
        return text + "."

    def _changed(
        self, request: StaffRequest, investment: PortfolioInvestment, done: str
    ) -> HttpResponse:
        self.message_user(request, f"{investment} {done}.", messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:deals_portfolioinvestment_change", args=[investment.pk])
        )

    def portfolio_write_down_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Write an investment down through :func:`portfolio_write_down`; a refusal is shown on
        the form and writes nothing."""
        investment = self._investment_to_change(request, object_id)
        form = WriteDownForm(
            request.POST if request.method == "POST" else None, currency=investment.deal.currency
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if form.money is None:
                raise RuntimeError("a valid write-down form has its amount in Money")
            try:
                changed = portfolio_write_down(
                    investment=investment,
                    amount=form.money,
                    on=data["on"],
                    reason=data["reason"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                show_on_form(form, error, CHANGE_FORM_RENAMED)
            else:
                written_down = Money(changed.written_down_minor, changed.deal.currency)
                return self._changed(
                    request,
                    changed,
                    f"written down by {written_down.format()} on {changed.written_down_on}",
                )
        return service_form_response(
            self,
            request,
            form,
            title=f"Write {investment} down",
            intro=f"{self._summary(investment)} A write-down replaces any earlier one and "
            "stands until the investment is realised.",
            submit="Write it down",
            original=investment,
        )

    def portfolio_realise_view(self, request: StaffRequest, object_id: str) -> HttpResponse:
        """Record an investment's realisation through :func:`portfolio_realise`; a refusal is
        shown on the form and writes nothing."""
        investment = self._investment_to_change(request, object_id)
        form = RealiseForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                changed = portfolio_realise(
                    investment=investment, on=data["on"], reason=data["reason"], by=request.user
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                show_on_form(form, error, CHANGE_FORM_RENAMED)
            else:
                return self._changed(request, changed, f"realised on {changed.realised_on}")
        return service_form_response(
            self,
            request,
            form,
            title=f"Record the realisation of {investment}",
            intro=f"{self._summary(investment)} Once realised, sold or written off entirely, "
            "its loss is the capital it took in less what its distributions returned; it is "
            "realised once.",
            submit="Record the realisation",
            original=investment,
        )


# --- fee income ------------------------------------------------------------------------------


@admin.register(PortfolioFeeIncome)
class PortfolioFeeIncomeAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Fee income is recorded on the add page through :func:`portfolio_fee_income_record` and
    never edited."""

    list_display = ["investment", "deal", "kind", "received_on", "amount"]
    list_filter = ["kind", ("investment__deal", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["investment__company", "investment__issuer__name", "investment__deal__name"]
    list_select_related = ["investment__deal", "investment__issuer"]
    list_per_page = 100
    fields = ["investment", "deal", "kind", "received_on", "amount", "created_by", "created_at"]
    readonly_fields = ["deal", "amount"]

    amount = money_column("amount_minor", "amount", "investment.deal.currency")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(ADD_FEE_INCOME)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        return lookup == "investment__id__exact" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="deal", ordering="investment__deal__name")
    def deal(self, income: PortfolioFeeIncome) -> Deal:
        return income.investment.deal

    def add_view(
        self, request: StaffRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Record fee income through :func:`portfolio_fee_income_record`; a refusal is shown
        on the form and writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = FeeIncomeForm(request.POST)
        else:
            form = FeeIncomeForm(initial={"investment": request.GET.get("investment")})
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if form.money is None:
                raise RuntimeError("a valid fee income form has its amount in Money")
            try:
                income = portfolio_fee_income_record(
                    investment=data["investment"],
                    kind=data["kind"],
                    amount=form.money,
                    received_on=data["received_on"],
                    by=request.user,
                )
            except DomainError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                show_on_form(form, error, FEE_INCOME_FORM_RENAMED)
            else:
                self.message_user(
                    request,
                    f"{income} of {form.money.format()} received on {income.received_on} recorded.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:deals_portfolioinvestment_change", args=[income.investment_id])
                )
        return service_form_response(
            self,
            request,
            form,
            title="Add portfolio fee income",
            intro="A transaction or monitoring fee a portfolio company paid the manager; the "
            "deal's fee offset rate of it reduces the next management fees.",
            submit="Record the fee income",
        )
