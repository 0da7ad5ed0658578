"""Reads on deals: commitments, what is owed on calls, entitlements and cash flows.

Only records whose ledger operation is executed count: a reversed closing, call, payment or
distribution is as if it had never been.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Case, F, Q, QuerySet, Sum, Value, When

from apps.captable.models import Movement, SecurityKind, Stakeholder
from apps.captable.quantities import grouped_sums
from apps.core.money import Money
from apps.deals.models import (
    CapitalCallNotice,
    CapitalCallPayment,
    Closing,
    Deal,
    Distribution,
    Subscription,
    SubscriptionState,
)
from apps.deals.waterfall import Flow
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


def prior_distributions(deal: Deal) -> list[Flow]:
    """Return what the investors (LPs) received from earlier distributions of ``deal``, dated."""
    rows = (
        Distribution.objects.filter(deal=deal, operation__state=EXECUTED)
        .order_by("distributed_on", "number")
        .values_list("distributed_on", "lp_minor")
    )
    return [(day, Money(amount, deal.currency)) for day, amount in rows]


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
