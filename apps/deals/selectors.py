"""Reads on deals: commitments, what is owed on calls, entitlements and cash flows.

Only records whose ledger operation is executed count: a reversed closing, call, payment or
distribution is as if it had never been.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import Case, F, Q, QuerySet, Sum, Value, When

from apps.captable.models import Movement, SecurityKind, Stakeholder
from apps.captable.quantities import grouped_sums
from apps.core.money import Money, round_fraction
from apps.deals.models import (
    CapitalCallNotice,
    CapitalCallPayment,
    Closing,
    Deal,
    Distribution,
    FeeCharge,
    Subscription,
    SubscriptionState,
)
from apps.deals.waterfall import PREFERRED_RETURN, RETURN_OF_CAPITAL, SPLIT, Flow, Paid, Tier
from apps.ledger.models import OperationState

EXECUTED = OperationState.EXECUTED
INVESTOR_KEY = "investor:"


def commitments(deal: Deal) -> dict[int, int]:
    """Return each accepted subscription's commitment (accepted amount), by subscription id."""
    rows = (
        Subscription.objects.filter(
            deal=deal, state=SubscriptionState.ACCEPTED, accepted_minor__gt=0
        )
        .order_by("pk")
        .values_list("pk", "accepted_minor")
    )
    return {pk: amount for pk, amount in rows if amount is not None}


def uncalled_commitments(deal: Deal) -> dict[int, int]:
    """Return what each accepted subscription has left to be called, by subscription id."""
    called = dict(
        CapitalCallNotice.objects.filter(call__deal=deal, call__operation__state=EXECUTED)
        .values("subscription")
        .annotate(total=Sum("amount_minor"))
        .values_list("subscription", "total")
    )
    return {pk: amount - called.get(pk, 0) for pk, amount in commitments(deal).items()}


def notice_outstanding(notice: CapitalCallNotice) -> Money:
    """Return what is still owed on ``notice`` (nothing once its call is reversed)."""
    owed = notices_with_paid(CapitalCallNotice.objects.filter(pk=notice.pk))
    # outstanding_minor is annotated by notices_with_paid, which the checker cannot follow.
    outstanding = owed.values_list("outstanding_minor", flat=True).get()  # type: ignore[misc]
    return Money(outstanding, notice.call.deal.currency)


def contributions(deal: Deal) -> list[Flow]:
    """Return the capital the investors paid in, dated: the closings' amounts in an SPV, the
    payments on capital calls in a fund."""
    currency = deal.currency
    rows: Iterable[tuple[date, int]]
    if deal.drawn_by_calls:
        rows = (
            CapitalCallPayment.objects.filter(
                notice__call__deal=deal,
                notice__call__operation__state=EXECUTED,
                operation__state=EXECUTED,
            )
            .values("paid_on")
            .annotate(total=Sum("amount_minor"))
            .order_by("paid_on")
            .values_list("paid_on", "total")
        )
    else:
        rows = (
            Closing.objects.filter(deal=deal, operation__state=EXECUTED)
            .order_by("effective_date")
            .values_list("effective_date", "amount_minor")
        )
    return [(day, Money(amount, currency)) for day, amount in rows]


def fees_paid(deal: Deal) -> list[Flow]:
    """Return the management fees the investors paid, dated at the end of each period."""
    rows = (
        FeeCharge.objects.filter(deal=deal, operation__state=EXECUTED)
        .order_by("period_end", "number")
        .values_list("period_end", "amount_minor")
    )
    return [(day, Money(amount, deal.currency)) for day, amount in rows]


def prior_distributions(deal: Deal, *, through: Distribution | None = None) -> list[Paid]:
    """Return the distributions of ``deal`` (up to ``through`` if given), dated, with what each
    tier paid the LPs and the GP as recorded. Interest, paid outside the waterfall, counts as
    preferred return: a return on the capital, not of it."""
    records = Distribution.objects.filter(deal=deal, operation__state=EXECUTED)
    if through is not None:
        records = records.filter(number__lte=through.number)
    rows = records.order_by("distributed_on", "number").values_list(
        "distributed_on", "tiers", "lp_minor"
    )
    currency = deal.currency
    paid = []
    for day, tiers, lp_minor in rows:
        recorded = [
            Tier(tier["name"], Money(tier["lp_minor"], currency), Money(tier["gp_minor"], currency))
            for tier in tiers
        ] or [Tier(PREFERRED_RETURN, Money(lp_minor, currency), Money.zero(currency))]
        paid.append(Paid(day, recorded))
    return paid


@dataclass(frozen=True)
class CarryPosition:
    """The carried interest of a deal so far against what its terms give the GP."""

    profit: Money
    carried: Money
    due: Money

    @property
    def excess(self) -> Money:
        """What the GP holds above its carry of the profit: what a clawback would return."""
        return max(self.carried - self.due, Money.zero(self.carried.currency))


def carry_position(deal: Deal, *, through: Distribution | None = None) -> CarryPosition:
    """Return the profit distributed, the carry received and the carry due on that profit
    (``carry`` of every profit with a catch-up, of the splits without one; rounded once), over
    the deal's distributions up to ``through`` (all of them without it)."""
    history = prior_distributions(deal, through=through)
    tiers = [tier for paid in history for tier in paid.tiers]
    zero = Money.zero(deal.currency)
    profit = sum((tier.total for tier in tiers if tier.name != RETURN_OF_CAPITAL), zero)
    carried = sum((tier.gp for tier in tiers), zero)
    base = profit
    if not deal.catch_up_rate:
        base = sum((tier.total for tier in tiers if tier.name == SPLIT), zero)
    due = round_fraction(Fraction(deal.carry_rate) * base.amount_minor)
    return CarryPosition(profit=profit, carried=carried, due=Money(due, deal.currency))


def units_by_stakeholder(deal: Deal, *, on: date) -> dict[int, Decimal]:
    """Return the units of the deal's class each stakeholder holds at the end of ``on``."""
    movements = Movement.objects.filter(
        issuer=deal.issuer_id,
        share_class=deal.share_class_id,
        security_kind=SecurityKind.STOCK,
        effective_date__lte=on,
    )
    return {key[0]: total for key, total in grouped_sums(movements, ["stakeholder"]).items()}


def entitlements(deal: Deal, *, on: date) -> tuple[dict[int, Decimal], list[str]]:
    """Return the units each investor holds in the deal's class at the end of ``on``, by
    investor id, and the names of holders that are not investors of the platform."""
    units = units_by_stakeholder(deal, on=on)
    holders = Stakeholder.objects.filter(pk__in=units).only("pk", "name", "party_key")
    by_investor: dict[int, Decimal] = {}
    others = []
    for holder in holders:
        if holder.party_key.startswith(INVESTOR_KEY):
            by_investor[int(holder.party_key.removeprefix(INVESTOR_KEY))] = units[holder.pk]
        else:
            others.append(holder.name)
    return dict(sorted(by_investor.items())), sorted(others)


def notices_with_paid(notices: QuerySet[CapitalCallNotice]) -> QuerySet[CapitalCallNotice]:
    """Annotate ``notices`` with what was paid on each (``paid_minor``) and what is still owed
    (``outstanding_minor``: nothing once the call is reversed), in the same query."""
    paid = Sum("payments__amount_minor", filter=Q(payments__operation__state=EXECUTED), default=0)
    return notices.annotate(
        paid_minor=paid,
        outstanding_minor=Case(
            When(call__operation__state=EXECUTED, then=F("amount_minor") - paid),
            default=Value(0),
        ),
    )


def paid_in(deal: Deal, *, on: date) -> dict[int, int]:
    """Return the capital each investor of a fund has paid on its calls up to ``on``, by
    investor id (investors who paid nothing are left out)."""
    rows = (
        CapitalCallPayment.objects.filter(
            notice__call__deal=deal,
            notice__call__operation__state=EXECUTED,
            operation__state=EXECUTED,
            paid_on__lte=on,
        )
        .values("notice__investor")
        .annotate(total=Sum("amount_minor"))
        .values_list("notice__investor", "total")
    )
    return {investor: total for investor, total in sorted(rows) if total}


def open_notices(deal: Deal) -> QuerySet[CapitalCallNotice]:
    """The notices of the deal's live calls, annotated by :func:`notices_with_paid`."""
    return notices_with_paid(
        CapitalCallNotice.objects.filter(call__deal=deal, call__operation__state=EXECUTED)
    ).order_by("call__number", "pk")
