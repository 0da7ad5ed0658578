"""Deals (offerings through a vehicle) and the subscriptions investors make to them.

Both are state machines with protected state fields, moved only by the services: a deal from
draft to open, closing, closed and then exited or wound up (or cancelled while open or
closing); a subscription from draft to submitted, eligible (the compliance eligibility passes),
signed, funded and accepted, or rejected or withdrawn with reasons. Amounts are integers in the
deal currency's minor unit.
"""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.history import audited_history

RATE = {"max_digits": 9, "decimal_places": 6, "default": 0}


class AssetClass(models.TextChoices):
    EQUITY = "equity", "Equity"
    PREFERRED_EQUITY = "preferred_equity", "Preferred equity"
    CONVERTIBLE = "convertible", "Convertible"
    DEBT = "debt", "Debt / note"
    REAL_ESTATE = "real_estate", "Real estate"
    FUND_UNITS = "fund_units", "Fund units"
    SECONDARY = "secondary", "Secondary"


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


class FeeBasis(models.TextChoices):
    COMMITMENTS = "commitments", "Commitments"
    INVESTED = "invested", "Invested capital"


class Deal(FSMModelMixin, models.Model):
    name = models.CharField(max_length=200, unique=True)
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
                ),
                name="deals_deal_rates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @transition(field=state, source=DealState.DRAFT, target=DealState.OPEN)
    def open(self) -> None:
        """Accept subscriptions."""

    @transition(field=state, source=DealState.OPEN, target=DealState.CLOSING)
    def start_closing(self) -> None:
        """Stop taking subscriptions and prepare the closing."""

    @transition(field=state, source=DealState.CLOSING, target=DealState.CLOSED)
    def close(self) -> None:
        """Record that the closing executed."""

    @transition(field=state, source=DealState.CLOSED, target=DealState.EXITED)
    def exit(self) -> None:
        """Record the sale of the investment."""

    @transition(field=state, source=DealState.CLOSED, target=DealState.WOUND_UP)
    def wind_up(self) -> None:
        """Record the end of the vehicle."""

    @transition(field=state, source=[DealState.OPEN, DealState.CLOSING], target=DealState.CANCELLED)
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
    reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["deal", "priority", "pk"]
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

    @transition(field=state, source=SubscriptionState.DRAFT, target=SubscriptionState.SUBMITTED)
    def submit(self) -> None:
        """Hand the subscription in."""

    @transition(field=state, source=SubscriptionState.SUBMITTED, target=SubscriptionState.ELIGIBLE)
    def mark_eligible(self) -> None:
        """Record that the investor may invest in this deal for this amount."""

    @transition(field=state, source=SubscriptionState.ELIGIBLE, target=SubscriptionState.SIGNED)
    def sign(self) -> None:
        """Record the signed subscription agreement."""

    @transition(field=state, source=SubscriptionState.SIGNED, target=SubscriptionState.FUNDED)
    def fund(self) -> None:
        """Record the investor's payment."""

    @transition(field=state, source=SubscriptionState.FUNDED, target=SubscriptionState.ACCEPTED)
    def accept(self) -> None:
        """Record the subscription accepted at closing."""

    @transition(
        field=state,
        source=[
            SubscriptionState.SUBMITTED,
            SubscriptionState.ELIGIBLE,
            SubscriptionState.SIGNED,
            SubscriptionState.FUNDED,
        ],
        target=SubscriptionState.REJECTED,
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
    )
    def withdraw(self) -> None:
        """The investor withdraws, with reasons."""
