"""Deals (offerings through a vehicle) and the subscriptions investors make to them.

Both are state machines with protected state fields, moved only by the services: a deal from
draft to open, closing, closed and then exited or wound up (or cancelled while open or
closing); a subscription from draft to submitted, eligible (the compliance eligibility passes),
signed, funded and accepted, or rejected or withdrawn with reasons. Amounts are integers in the
deal currency's minor unit.
"""

from typing import TypedDict

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.history import audited_history
from apps.core.validators import (
    multiline_text_without_control_characters,
    text_without_control_characters,
)
from apps.deals.interest import DayCount


class _RateOptions(TypedDict):
    max_digits: int
    decimal_places: int
    default: int


RATE: _RateOptions = {"max_digits": 9, "decimal_places": 6, "default": 0}


class AssetClass(models.TextChoices):
    EQUITY = "equity", "Equity"
    PREFERRED_EQUITY = "preferred_equity", "Preferred equity"
    CONVERTIBLE = "convertible", "Convertible"
    DEBT = "debt", "Debt / note"
    REAL_ESTATE = "real_estate", "Real estate"
    FUND_UNITS = "fund_units", "Fund units"
    SECONDARY = "secondary", "Secondary"


# Who may move a deal or a subscription along, whichever door they come through.
CHANGE_DEAL = "deals.change_deal"
CHANGE_SUBSCRIPTION = "deals.change_subscription"
# What an investor does with their own subscription, besides creating it.
SUBMIT_SUBSCRIPTION = "deals.submit_subscription"
WITHDRAW_SUBSCRIPTION = "deals.withdraw_subscription"


class DealState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"
    EXITED = "exited", "Exited"
    WOUND_UP = "wound_up", "Wound up"
    CANCELLED = "cancelled", "Cancelled"


class WaterfallType(models.TextChoices):
    EUROPEAN = "european", "European (whole fund)"
    AMERICAN = "american", "American (deal by deal)"


class HurdleCompounding(models.TextChoices):
    COMPOUND = "compound", "Compounding annually"
    SIMPLE = "simple", "Simple"


DAY_COUNTS = [(item.value, item.label) for item in DayCount]


class FeeBasis(models.TextChoices):
    COMMITMENTS = "commitments", "Commitments"
    INVESTED = "invested", "Invested capital"


class Deal(FSMModelMixin, models.Model):
    name = models.CharField(
        max_length=200, unique=True, validators=[text_without_control_characters]
    )
    issuer = models.ForeignKey("captable.Issuer", on_delete=models.PROTECT, related_name="deals")
    share_class = models.ForeignKey(
        "captable.ShareClass",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
        help_text="The class of the units issued at closing.",
    )
    asset_class = models.CharField(max_length=20, choices=AssetClass.choices)
    currency = models.CharField(max_length=3)
    unit_price_minor = models.BigIntegerField(help_text="Price of one unit, in minor units.")
    target_minor = models.BigIntegerField()
    hard_cap_minor = models.BigIntegerField()
    min_ticket_minor = models.BigIntegerField(default=0)
    max_ticket_minor = models.BigIntegerField(null=True, blank=True)
    eligible_regimes = models.JSONField(default=list, blank=True)
    setup_fee_rate = models.DecimalField(**RATE)
    management_fee_rate = models.DecimalField(**RATE)
    management_fee_basis = models.CharField(
        max_length=12, choices=FeeBasis.choices, default=FeeBasis.COMMITMENTS
    )
    carry_rate = models.DecimalField(**RATE)
    hurdle_rate = models.DecimalField(**RATE)
    catch_up_rate = models.DecimalField(**RATE)
    waterfall_type = models.CharField(
        max_length=10, choices=WaterfallType.choices, default=WaterfallType.EUROPEAN
    )
    interest_rate = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, help_text="Debt and notes."
    )
    day_count = models.CharField(
        max_length=8,
        choices=DAY_COUNTS,
        default=DayCount.ACT_365,
        help_text="How debt interest counts days.",
    )
    hurdle_compounding = models.CharField(
        max_length=8,
        choices=HurdleCompounding.choices,
        default=HurdleCompounding.COMPOUND,
        help_text="How the preferred return accrues.",
    )
    hurdle_day_count = models.CharField(
        max_length=8,
        choices=DAY_COUNTS,
        default=DayCount.ACT_365,
        help_text="How the preferred return counts days.",
    )
    gp_investor = models.ForeignKey(
        "investors.Investor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="GP commitment",
        help_text="The GP, or its affiliate, investing alongside the investors: its capital "
        "follows the investors' tiers but bears no carry and no management fee.",
    )
    loss_carryforward = models.BooleanField(
        default=False,
        help_text="Deal by deal as ILPA recommends: an investment's capital to return first "
        "includes the realised losses and write-downs of the others, and their fees and "
        "expenses.",
    )
    fee_offset_rate = models.DecimalField(
        **RATE,
        help_text="The share of fee income from portfolio companies (transaction and "
        "monitoring fees) that reduces the management fee.",
    )
    clawback_tax_rate = models.DecimalField(
        **RATE,
        help_text="The share of excess carry the GP may keep back for the tax it paid on it "
        "when it returns the rest by clawback.",
    )
    return_fees_first = models.BooleanField(
        default=False,
        help_text="The first tier returns the management fees paid as well as the capital "
        "contributed (and the preferred return accrues on them).",
    )
    drawn_by_calls = models.BooleanField(
        default=False,
        help_text="Commitments are drawn over time by capital calls (funds), not paid at closing.",
    )
    equalisation_rate = models.DecimalField(
        **RATE,
        help_text="Yearly interest a later closing's investors pay the earlier ones, from the "
        "first closing to theirs.",
    )
    opens_on = models.DateField(null=True, blank=True)
    closes_on = models.DateField(null=True, blank=True)
    state = FSMField(default=DealState.DRAFT, choices=DealState.choices, protected=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hard_cap_minor__gte=models.F("target_minor"))
                & models.Q(target_minor__gt=0)
                & models.Q(unit_price_minor__gt=0)
                & models.Q(min_ticket_minor__gte=0),
                name="deals_deal_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(max_ticket_minor__isnull=True)
                | models.Q(max_ticket_minor__gte=models.F("min_ticket_minor")),
                name="deals_deal_tickets_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    setup_fee_rate__gte=0,
                    setup_fee_rate__lt=1,
                    management_fee_rate__gte=0,
                    management_fee_rate__lt=1,
                    carry_rate__gte=0,
                    carry_rate__lt=1,
                    hurdle_rate__gte=0,
                    hurdle_rate__lt=1,
                    catch_up_rate__gte=0,
                    catch_up_rate__lte=1,
                    equalisation_rate__gte=0,
                    equalisation_rate__lt=1,
                    fee_offset_rate__gte=0,
                    fee_offset_rate__lte=1,
                    clawback_tax_rate__gte=0,
                    clawback_tax_rate__lt=1,
                ),
                name="deals_deal_rates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(field=state, source=DealState.DRAFT, target=DealState.OPEN, permission=CHANGE_DEAL)
    def open(self) -> None:
        """Accept subscriptions."""

    @transition(
        field=state, source=DealState.OPEN, target=DealState.CLOSING, permission=CHANGE_DEAL
    )
    def start_closing(self) -> None:
        """Stop taking subscriptions and prepare the closing."""

    @transition(
        field=state, source=DealState.CLOSING, target=DealState.CLOSED, permission=CHANGE_DEAL
    )
    def close(self) -> None:
        """Record that the closing executed."""

    @transition(
        field=state, source=DealState.CLOSED, target=DealState.EXITED, permission=CHANGE_DEAL
    )
    def exit(self) -> None:
        """Record the sale of the investment."""

    @transition(
        field=state, source=DealState.EXITED, target=DealState.CLOSED, permission=CHANGE_DEAL
    )
    def reopen(self) -> None:
        """Return to closed after the exit distribution was reversed."""

    @transition(
        field=state, source=DealState.CLOSED, target=DealState.WOUND_UP, permission=CHANGE_DEAL
    )
    def wind_up(self) -> None:
        """Record the end of the vehicle."""

    @transition(
        field=state, source=DealState.CLOSED, target=DealState.CLOSING, permission=CHANGE_DEAL
    )
    def reopen_closing(self) -> None:
        """Return to closing after the final closing was reversed."""

    @transition(
        field=state,
        source=[DealState.OPEN, DealState.CLOSING],
        target=DealState.CANCELLED,
        permission=CHANGE_DEAL,
    )
    def cancel(self) -> None:
        """Abandon the deal before it closes."""


class SubscriptionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ELIGIBLE = "eligible", "Eligible"
    SIGNED = "signed", "Signed"
    FUNDED = "funded", "Funded"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_SUBSCRIPTIONS = (
    SubscriptionState.ELIGIBLE,
    SubscriptionState.SIGNED,
    SubscriptionState.FUNDED,
)


class Subscription(FSMModelMixin, models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="subscriptions")
    investor = models.ForeignKey(
        "investors.Investor", on_delete=models.PROTECT, related_name="subscriptions"
    )
    amount_minor = models.BigIntegerField(help_text="The amount the investor asks for.")
    accepted_minor = models.BigIntegerField(
        null=True, blank=True, help_text="What the deal accepts, after any scale-back."
    )
    priority = models.PositiveSmallIntegerField(
        default=1, help_text="Scale-back fills lower numbers first."
    )
    state = FSMField(
        default=SubscriptionState.DRAFT, choices=SubscriptionState.choices, protected=True
    )
    reasons = models.JSONField(
        default=list, blank=True, validators=[multiline_text_without_control_characters]
    )
    closing = models.ForeignKey(
        "Closing", null=True, blank=True, on_delete=models.PROTECT, related_name="subscriptions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["deal", "priority", "pk"]
        permissions = [
            ("submit_subscription", "Can submit subscriptions"),
            ("withdraw_subscription", "Can withdraw subscriptions"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "investor"], name="deals_one_subscription_per_investor"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="deals_subscription_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_minor__isnull=True)
                | models.Q(accepted_minor__gte=0, accepted_minor__lte=models.F("amount_minor")),
                name="deals_subscription_accepted_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.investor} in {self.deal}"

    @transition(
        field=state,
        source=SubscriptionState.DRAFT,
        target=SubscriptionState.SUBMITTED,
        permission=SUBMIT_SUBSCRIPTION,
    )
    def submit(self) -> None:
        """Hand the subscription in."""

    @transition(
        field=state,
        source=SubscriptionState.SUBMITTED,
        target=SubscriptionState.ELIGIBLE,
        permission=SUBMIT_SUBSCRIPTION,
    )
    def mark_eligible(self) -> None:
        """Record that the investor may invest in this deal for this amount."""

    @transition(
        field=state,
        source=SubscriptionState.ELIGIBLE,
        target=SubscriptionState.SIGNED,
        permission=CHANGE_SUBSCRIPTION,
    )
    def sign(self) -> None:
        """Record the signed subscription agreement."""

    @transition(
        field=state,
        source=SubscriptionState.SIGNED,
        target=SubscriptionState.FUNDED,
        permission=CHANGE_SUBSCRIPTION,
    )
    def fund(self) -> None:
        """Record the investor's payment."""

    @transition(
        field=state,
        source=SubscriptionState.FUNDED,
        target=SubscriptionState.ACCEPTED,
        permission=CHANGE_SUBSCRIPTION,
    )
    def accept(self) -> None:
        """Record the subscription accepted at closing."""

    @transition(
        field=state,
        source=SubscriptionState.ACCEPTED,
        target=SubscriptionState.FUNDED,
        permission=CHANGE_SUBSCRIPTION,
    )
    def unaccept(self) -> None:
        """Return to funded when the closing that accepted it is reversed."""

    @transition(
        field=state,
        source=[
            SubscriptionState.SUBMITTED,
            SubscriptionState.ELIGIBLE,
            SubscriptionState.SIGNED,
            SubscriptionState.FUNDED,
        ],
        target=SubscriptionState.REJECTED,
        permission=CHANGE_SUBSCRIPTION,
    )
    def reject(self) -> None:
        """Refuse the subscription, with reasons."""

    @transition(
        field=state,
        source=[
            SubscriptionState.DRAFT,
            SubscriptionState.SUBMITTED,
            SubscriptionState.ELIGIBLE,
            SubscriptionState.SIGNED,
        ],
        target=SubscriptionState.WITHDRAWN,
        permission=WITHDRAW_SUBSCRIPTION,
    )
    def withdraw(self) -> None:
        """The investor withdraws, with reasons."""


# --- the operations of a deal ----------------------------------------------------------------
#
# Each record below names the ledger operation that moved the money and units; it is written
# once, with that operation. A record whose operation was reversed no longer counts: selectors
# read only records whose operation is executed.


class DealOperation(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(help_text="First, second, ... of its kind in the deal.")
    operation = models.OneToOneField("ledger.Operation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["deal", "number"]

    def __str__(self) -> str:
        return f"{str(self._meta.verbose_name).capitalize()} {self.number} of {self.deal}"


class Closing(DealOperation):
    effective_date = models.DateField()
    final = models.BooleanField(help_text="The deal closes with it.")
    amount_minor = models.BigIntegerField(help_text="The commitments accepted.")
    equalisation_minor = models.BigIntegerField(
        default=0, help_text="Interest paid by this closing's investors to the earlier ones."
    )

    class Meta(DealOperation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_closing_number"),
        ]


class CapitalCall(DealOperation):
    amount_minor = models.BigIntegerField()
    investment = models.ForeignKey(
        "PortfolioInvestment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        help_text="The portfolio investment the capital is called for, if one.",
    )
    call_date = models.DateField()
    due_date = models.DateField()
    purpose = models.CharField(
        max_length=200, blank=True, validators=[text_without_control_characters]
    )

    class Meta(DealOperation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_call_number"),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0, due_date__gte=models.F("call_date")),
                name="deals_call_positive_and_due_after",
            ),
        ]


class CapitalCallNotice(models.Model):
    """What one investor owes on a call; payments are recorded against it."""

    call = models.ForeignKey(CapitalCall, on_delete=models.PROTECT, related_name="notices")
    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="+")
    investor = models.ForeignKey(
        "investors.Investor", on_delete=models.PROTECT, related_name="capital_call_notices"
    )
    amount_minor = models.BigIntegerField()
    defaulted_at = models.DateTimeField(
        null=True, blank=True, help_text="Flagged unpaid after the due date."
    )

    history = audited_history()

    class Meta:
        ordering = ["call", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "investor"], name="deals_one_notice_each"),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0), name="deals_notice_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call}: {self.investor}"


class CapitalCallPayment(models.Model):
    notice = models.ForeignKey(CapitalCallNotice, on_delete=models.PROTECT, related_name="payments")
    operation = models.OneToOneField("ledger.Operation", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    paid_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["notice", "paid_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="deals_payment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Payment of {self.notice}"


class DistributionKind(models.TextChoices):
    EXIT = "exit", "Exit proceeds"
    DIVIDEND = "dividend", "Dividend"
    INTEREST = "interest", "Interest"


class Distribution(DealOperation):
    kind = models.CharField(max_length=10, choices=DistributionKind.choices)
    investment = models.ForeignKey(
        "PortfolioInvestment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distributions",
        help_text="The portfolio investment whose proceeds these are, if one.",
    )
    losses_recouped_minor = models.BigIntegerField(
        default=0,
        help_text="Of the capital returned, what made good other investments' losses.",
    )
    distributed_on = models.DateField()
    proceeds_minor = models.BigIntegerField()
    lp_minor = models.BigIntegerField()
    gp_minor = models.BigIntegerField()
    tiers = models.JSONField(
        default=list, blank=True, help_text="The waterfall of the carried capital, tier by tier."
    )
    carry_free_minor = models.BigIntegerField(
        default=0,
        help_text="What the GP's commitment received: its share of the proceeds, without carry.",
    )
    closes_deal = models.BooleanField(default=False, help_text="The deal exited with it.")

    class Meta(DealOperation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_distribution_number"),
            models.CheckConstraint(
                condition=models.Q(
                    lp_minor__gte=0,
                    gp_minor__gte=0,
                    carry_free_minor__gte=0,
                    carry_free_minor__lte=models.F("lp_minor"),
                    proceeds_minor=models.F("lp_minor") + models.F("gp_minor"),
                ),
                name="deals_distribution_adds_up",
            ),
        ]


class DistributionLine(models.Model):
    distribution = models.ForeignKey(Distribution, on_delete=models.PROTECT, related_name="lines")
    investor = models.ForeignKey(
        "investors.Investor", on_delete=models.PROTECT, related_name="distribution_lines"
    )
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["distribution", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution", "investor"], name="deals_one_line_per_investor"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gte=0), name="deals_line_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.distribution}: {self.investor}"


class FeeCharge(DealOperation):
    period_start = models.DateField()
    period_end = models.DateField()
    amount_minor = models.BigIntegerField(help_text="What the investors paid, after the offset.")
    offset_minor = models.BigIntegerField(
        default=0, help_text="Fee income from portfolio companies taken off the fee."
    )

    class Meta(DealOperation.Meta):
        verbose_name = "management fee charge"
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_fee_charge_number"),
            models.CheckConstraint(
                condition=models.Q(period_end__gt=models.F("period_start")),
                name="deals_fee_period_ordered",
            ),
        ]


class SecondaryTransfer(DealOperation):
    seller = models.ForeignKey("investors.Investor", on_delete=models.PROTECT, related_name="+")
    buyer = models.ForeignKey("investors.Investor", on_delete=models.PROTECT, related_name="+")
    units = models.DecimalField(max_digits=38, decimal_places=10)
    price_minor = models.BigIntegerField()
    transferred_on = models.DateField()

    class Meta(DealOperation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_transfer_number"),
            models.CheckConstraint(
                condition=models.Q(units__gt=0, price_minor__gte=0),
                name="deals_transfer_positive",
            ),
        ]


# --- a fund's portfolio ------------------------------------------------------------------------


class PortfolioInvestment(models.Model):
    """What the deal's vehicle invests in: an issuer on the platform's cap tables or an external
    company, with its cost, its fees and expenses, its write-down and its realisation.

    The capital contributed to it is what the calls made for it brought in (in a vehicle paid
    at closing, the closings shared by cost); its realised proceeds are the distributions made
    for it.
    """

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="portfolio")
    issuer = models.ForeignKey(
        "captable.Issuer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A company on the platform's cap tables.",
    )
    company = models.CharField(
        max_length=200,
        blank=True,
        validators=[text_without_control_characters],
        help_text="An external company, by name.",
    )
    invested_on = models.DateField()
    cost_minor = models.BigIntegerField(help_text="What the vehicle paid, in minor units.")
    expenses_minor = models.BigIntegerField(
        default=0, help_text="Fees and expenses allocated to it."
    )
    written_down_minor = models.BigIntegerField(default=0)
    written_down_on = models.DateField(null=True, blank=True)
    realised_on = models.DateField(
        null=True, blank=True, help_text="Sold or written off entirely on this date."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["deal", "invested_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(issuer__isnull=False) & models.Q(company=""))
                | (models.Q(issuer__isnull=True) & ~models.Q(company="")),
                name="deals_investment_names_one_company",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    cost_minor__gt=0,
                    expenses_minor__gte=0,
                    written_down_minor__gte=0,
                    written_down_minor__lte=models.F("cost_minor"),
                ),
                name="deals_investment_amounts_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(written_down_minor=0, written_down_on__isnull=True)
                | models.Q(written_down_minor__gt=0, written_down_on__isnull=False),
                name="deals_investment_write_down_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.issuer.name if self.issuer_id and self.issuer else self.company


class FeeIncomeKind(models.TextChoices):
    TRANSACTION = "transaction", "Transaction fee"
    MONITORING = "monitoring", "Monitoring fee"


class PortfolioFeeIncome(models.Model):
    """A fee a portfolio company paid the manager; the deal's offset rate of it reduces the
    management fee."""

    investment = models.ForeignKey(
        PortfolioInvestment, on_delete=models.PROTECT, related_name="fee_income"
    )
    kind = models.CharField(max_length=12, choices=FeeIncomeKind.choices)
    received_on = models.DateField()
    amount_minor = models.BigIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        verbose_name = "portfolio fee income"
        verbose_name_plural = "portfolio fee income"
        ordering = ["investment", "received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="deals_fee_income_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.investment}"


class Clawback(DealOperation):
    """The GP returning the carry it received above its carry of the fund's profit."""

    as_of = models.DateField()
    excess_minor = models.BigIntegerField(help_text="Carry held above what the terms give.")
    tax_kept_minor = models.BigIntegerField(help_text="Kept back for the tax paid on it.")
    amount_minor = models.BigIntegerField(help_text="Returned to the investors.")

    class Meta(DealOperation.Meta):
        constraints = [
            models.UniqueConstraint(fields=["deal", "number"], name="deals_clawback_number"),
            models.CheckConstraint(
                condition=models.Q(
                    amount_minor__gt=0,
                    tax_kept_minor__gte=0,
                    excess_minor=models.F("amount_minor") + models.F("tax_kept_minor"),
                ),
                name="deals_clawback_adds_up",
            ),
        ]


class ClawbackLine(models.Model):
    clawback = models.ForeignKey(Clawback, on_delete=models.PROTECT, related_name="lines")
    investor = models.ForeignKey("investors.Investor", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()

    class Meta:
        ordering = ["clawback", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clawback", "investor"], name="deals_one_clawback_line_each"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="deals_clawback_line_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clawback}: {self.investor}"


class ProposalAction(models.TextChoices):
    CLOSING = "closing", "Closing"
    CAPITAL_CALL = "capital_call", "Capital call"
    CALL_PAYMENT = "call_payment", "Capital call payment"
    DISTRIBUTION = "distribution", "Distribution"
    INTEREST = "interest", "Interest payment"
    MANAGEMENT_FEE = "management_fee", "Management fee"
    SECONDARY_TRANSFER = "secondary_transfer", "Secondary transfer"
    CLAWBACK = "clawback", "Clawback of excess carry"


class Proposal(models.Model):
    """A deal operation proposed by one person, waiting for another to approve and execute it.

    Its ledger operation is submitted with the legs worked out when it was proposed; executing
    it works them out again and refuses if they changed. Its state is the operation's.
    """

    deal = models.ForeignKey(Deal, on_delete=models.PROTECT, related_name="proposals")
    action = models.CharField(max_length=20, choices=ProposalAction.choices)
    params = models.JSONField(help_text="What the operation was proposed with.")
    operation = models.OneToOneField("ledger.Operation", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} of {self.deal} proposed by {self.created_by}"
