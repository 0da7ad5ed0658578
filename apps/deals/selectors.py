"""Reads on deals: commitments, what is owed on calls, entitlements and cash flows, a fund's
portfolio (the capital in and out of each investment, its losses, the fee income that offsets
the management fee) and the carry position a clawback settles.

Only records whose ledger operation is executed count: a reversed closing, call, payment,
distribution, fee or clawback is as if it had never been.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from django.db.models import (
    BigIntegerField,
    Case,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from apps.captable.models import Movement, SecurityKind, Stakeholder
from apps.captable.quantities import grouped_sums
from apps.core.money import Money, allocate, round_fraction
from apps.deals.models import (
    CapitalCallNotice,
    CapitalCallPayment,
    Clawback,
    Closing,
    Deal,
    Distribution,
    FeeCharge,
    PortfolioFeeIncome,
    PortfolioInvestment,
    Subscription,
    SubscriptionState,
)
from apps.deals.waterfall import PREFERRED_RETURN, RETURN_OF_CAPITAL, Flow, Paid, Tier
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


def contributions(deal: Deal, *, excluding: Collection[int] = ()) -> list[Flow]:
    """Return the capital the investors paid in, dated: the closings' amounts in an SPV, the
    payments on capital calls in a fund; without what the investors ``excluding`` (ids) paid."""
    currency = deal.currency
    rows: Iterable[tuple[date, int]]
    if deal.drawn_by_calls:
        rows = (
            CapitalCallPayment.objects.filter(
                notice__call__deal=deal,
                notice__call__operation__state=EXECUTED,
                operation__state=EXECUTED,
            )
            .exclude(notice__investor__in=excluding)
            .values("paid_on")
            .annotate(total=Sum("amount_minor"))
            .order_by("paid_on")
            .values_list("paid_on", "total")
        )
    elif excluding:
        rows = (
            Subscription.objects.filter(deal=deal, closing__operation__state=EXECUTED)
            .exclude(investor__in=excluding)
            .values("closing__effective_date")
            .annotate(total=Sum("accepted_minor"))
            .order_by("closing__effective_date")
            .values_list("closing__effective_date", "total")
        )
    else:
        rows = (
            Closing.objects.filter(deal=deal, operation__state=EXECUTED)
            .order_by("effective_date")
            .values_list("effective_date", "amount_minor")
        )
    return [(day, Money(amount, currency)) for day, amount in rows if amount]


def fees_paid(deal: Deal) -> list[Flow]:
    """Return the management fees the investors paid, dated at the end of each period."""
    rows = (
        FeeCharge.objects.filter(deal=deal, operation__state=EXECUTED)
        .order_by("period_end", "number")
        .values_list("period_end", "amount_minor")
    )
    return [(day, Money(amount, deal.currency)) for day, amount in rows]


def prior_distributions(
    deal: Deal,
    *,
    through: Distribution | None = None,
    investment: PortfolioInvestment | None = None,
) -> list[Paid]:
    """Return the distributions of ``deal`` (up to ``through``, of ``investment``, if given),
    dated, with what each tier paid the LPs and the GP as recorded. Interest, paid outside the
    waterfall, counts as preferred return: a return on the capital, not of it."""
    records = Distribution.objects.filter(deal=deal, operation__state=EXECUTED)
    if through is not None:
        records = records.filter(number__lte=through.number)
    if investment is not None:
        records = records.filter(investment=investment)
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


# --- a fund's portfolio ----------------------------------------------------------------------


def _excluding_gp(deal: Deal) -> list[int]:
    return [deal.gp_investor_id] if deal.gp_investor_id else []


def investment_contributions(investment: PortfolioInvestment) -> list[Flow]:
    """Return the carried capital contributed to ``investment``, dated: the payments on the
    calls made for it; in a vehicle paid at closing, each closing shared among the portfolio
    by cost. The GP's own commitment is left out: it bears no carry."""
    deal = investment.deal
    currency = deal.currency
    if deal.drawn_by_calls:
        rows = (
            CapitalCallPayment.objects.filter(
                notice__call__investment=investment,
                notice__call__operation__state=EXECUTED,
                operation__state=EXECUTED,
            )
            .exclude(notice__investor__in=_excluding_gp(deal))
            .values("paid_on")
            .annotate(total=Sum("amount_minor"))
            .order_by("paid_on")
            .values_list("paid_on", "total")
        )
        return [(day, Money(total, currency)) for day, total in rows if total]
    portfolio = list(deal.portfolio.order_by("pk").values_list("pk", "cost_minor"))
    place = [pk for pk, _ in portfolio].index(investment.pk)
    costs = [cost for _, cost in portfolio]
    shared = []
    for day, money in contributions(deal, excluding=_excluding_gp(deal)):
        part = allocate(money.amount_minor, costs)[place]
        if part:
            shared.append((day, Money(part, currency)))
    return shared


# --- the capital in and out of many investments, for a whole page ------------------------------


def with_capital_in_and_out(queryset: QuerySet[PortfolioInvestment]) -> QuerySet:
    """Annotate each investment with ``called_minor``, what the executed payments on the
    executed calls made for it brought in (the GP's own commitment left out), and with
    ``proceeds_net_minor``, what its executed distributions paid less the GP commitment's
    share: the filters of :func:`~apps.deals.selectors.investment_contributions` (for a deal
    drawn by calls) and of :func:`~apps.deals.selectors.investment_proceeds`."""
    called = (
        CapitalCallPayment.objects.filter(
            notice__call__investment=OuterRef("pk"),
            notice__call__operation__state=EXECUTED,
            operation__state=EXECUTED,
        )
        # A null GP keeps every row: Django guards the negated comparison with IS NOT NULL.
        .exclude(notice__investor=F("notice__call__deal__gp_investor"))
        .order_by()
        .values("notice__call__investment")
        .annotate(total=Sum("amount_minor"))
        .values("total")
    )
    proceeds = (
        Distribution.objects.filter(investment=OuterRef("pk"), operation__state=EXECUTED)
        .order_by()
        .values("investment")
        .annotate(total=Sum(F("proceeds_minor") - F("carry_free_minor")))
        .values("total")
    )
    return queryset.annotate(
        called_minor=Coalesce(Subquery(called), Value(0), output_field=BigIntegerField()),
        proceeds_net_minor=Coalesce(Subquery(proceeds), Value(0), output_field=BigIntegerField()),
    )


def _closing_amounts(deals: Sequence[Deal]) -> dict[int, list[int]]:
    """The capital each deal paid at closing took in, closing by closing, as
    :func:`~apps.deals.selectors.contributions` reads it: the closings' amounts; where the GP
    commits, the other investors' accepted amounts, closing date by closing date."""
    amounts: dict[int, list[int]] = defaultdict(list)
    without_gp = [deal.pk for deal in deals if deal.gp_investor_id is None]
    with_gp = [deal.pk for deal in deals if deal.gp_investor_id is not None]
    if without_gp:
        closings = Closing.objects.filter(
            deal__in=without_gp, operation__state=EXECUTED
        ).values_list("deal", "amount_minor")
        for deal_id, amount in closings:
            amounts[deal_id].append(amount)
    if with_gp:
        accepted = (
            Subscription.objects.filter(deal__in=with_gp, closing__operation__state=EXECUTED)
            .exclude(investor=F("deal__gp_investor"))
            .order_by()
            .values("deal", "closing__effective_date")
            .annotate(total=Sum("accepted_minor"))
            .values_list("deal", "closing__effective_date", "total")
        )
        for deal_id, _, total in accepted:
            if total:
                amounts[deal_id].append(total)
    return amounts


def contributed_at_closings(investments: Iterable[PortfolioInvestment]) -> dict[int, int]:
    """Return, by investment id, the capital contributed to each of ``investments`` whose deal
    is paid at closing: each closing shared among the deal's portfolio by cost, exactly as
    :func:`~apps.deals.selectors.investment_contributions` shares it, in two or three queries
    whatever the number of investments.

    """
    deals = {
        investment.deal_id: investment.deal
        for investment in investments
        if not investment.deal.drawn_by_calls
    }
    if not deals:
        return {}
    portfolios: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        PortfolioInvestment.objects.filter(deal__in=list(deals))
        .order_by("pk")
        .values_list("pk", "deal", "cost_minor")
    )
    for pk, deal_id, cost in rows:
        portfolios[deal_id].append((pk, cost))
    amounts = _closing_amounts(list(deals.values()))
    shares: dict[int, int] = {}
    for deal_id, portfolio in portfolios.items():
        costs = [cost for _, cost in portfolio]
        totals = [0] * len(portfolio)
        for amount in amounts.get(deal_id, []):
            for place, part in enumerate(allocate(amount, costs)):
                totals[place] += part
        shares.update(zip((pk for pk, _ in portfolio), totals, strict=True))
    return shares


def investment_proceeds(investment: PortfolioInvestment) -> Money:
    """Return the realised proceeds of ``investment`` that reached the carried capital: what
    its distributions paid, less the GP commitment's share."""
    totals = Distribution.objects.filter(
        investment=investment, operation__state=EXECUTED
    ).aggregate(proceeds=Sum("proceeds_minor", default=0), free=Sum("carry_free_minor", default=0))
    return Money(totals["proceeds"] - totals["free"], investment.deal.currency)


def loss_of(investment: PortfolioInvestment, *, on: date) -> int:
    """Return the loss ``investment`` shows on ``on``, in minor units: realised by then, its
    contributed capital less its proceeds; else its write-down, if made by then."""
    if investment.realised_on is not None and investment.realised_on <= on:
        contributed = sum(money.amount_minor for _, money in investment_contributions(investment))
        return max(contributed - investment_proceeds(investment).amount_minor, 0)
    if investment.written_down_on is not None and investment.written_down_on <= on:
        return investment.written_down_minor
    return 0


def losses_carried_forward(investment: PortfolioInvestment, *, on: date) -> list[Flow]:
    """Return what the deal's other investments lost by ``on`` (realised losses and
    write-downs, with the fees and expenses allocated to them), dated when their capital went
    in, less what other investments' distributions already made good (earliest first)."""
    deal = investment.deal
    losses = []
    for other in deal.portfolio.exclude(pk=investment.pk).order_by("invested_on", "pk"):
        lost = loss_of(other, on=on)
        if lost:
            losses.append((other.invested_on, lost + other.expenses_minor))
    recouped = (
        Distribution.objects.filter(deal=deal, operation__state=EXECUTED)
        .exclude(investment=investment)
        .aggregate(total=Sum("losses_recouped_minor", default=0))["total"]
    )
    outstanding = []
    for day, amount in losses:
        made_good = min(amount, recouped)
        recouped -= made_good
        if amount > made_good:
            outstanding.append((day, Money(amount - made_good, deal.currency)))
    return outstanding


def losses_recouped_by(investment: PortfolioInvestment) -> int:
    """Return what the distributions of ``investment`` made good of other investments' losses,
    in minor units."""
    return Distribution.objects.filter(investment=investment, operation__state=EXECUTED).aggregate(
        total=Sum("losses_recouped_minor", default=0)
    )["total"]


def fee_offset_available(deal: Deal, *, on: date) -> Money:
    """Return the fee income received by ``on`` that may still reduce a management fee: the
    deal's offset rate of it (rounded once), less the offsets already taken."""
    income = PortfolioFeeIncome.objects.filter(
        investment__deal=deal, received_on__lte=on
    ).aggregate(total=Sum("amount_minor", default=0))["total"]
    taken = FeeCharge.objects.filter(deal=deal, operation__state=EXECUTED).aggregate(
        total=Sum("offset_minor", default=0)
    )["total"]
    offset = round_fraction(Fraction(deal.fee_offset_rate) * income)
    return Money(max(offset - taken, 0), deal.currency)


@dataclass(frozen=True)
class CarryPosition:
    """The carried interest of a deal against what its terms give the GP: ``carry`` of the
    fund's profit (what the carried capital received, plus what it still holds at cost less
    write-downs, less what it contributed)."""

    profit: Money
    carried: Money
    settled: Money
    due: Money

    @property
    def excess(self) -> Money:
        """What the GP holds above its carry of the profit: what a clawback would settle."""
        return max(self.carried - self.settled - self.due, Money.zero(self.carried.currency))


def carry_position(
    deal: Deal, *, as_of: date | None = None, through: Distribution | None = None
) -> CarryPosition:
    """Return the deal's carry position on ``as_of`` (or after ``through``; today's without
    either): the profit, the carry received, the carry settled by clawbacks, the carry due."""
    if through is not None:
        as_of = through.distributed_on
    history = [
        paid
        for paid in prior_distributions(deal, through=through)
        if as_of is None or paid.on <= as_of
    ]
    on = as_of or date.max
    currency = deal.currency
    tiers = [tier for paid in history for tier in paid.tiers]
    received = sum(tier.total.amount_minor for tier in tiers)
    returned = sum(tier.lp.amount_minor for tier in tiers if tier.name == RETURN_OF_CAPITAL)
    contributed = sum(
        money.amount_minor
        for day, money in contributions(deal, excluding=_excluding_gp(deal))
        if day <= on
    )
    if deal.return_fees_first:
        contributed += sum(money.amount_minor for day, money in fees_paid(deal) if day <= on)
    portfolio = list(deal.portfolio.all())
    if portfolio:
        held = sum(_held_at_cost(investment, on=on) for investment in portfolio)
    else:
        held = contributed - returned
    profit = received + held - contributed
    carried = sum(tier.gp.amount_minor for tier in tiers)
    clawbacks = Clawback.objects.filter(deal=deal, operation__state=EXECUTED)
    if as_of is not None:
        clawbacks = clawbacks.filter(as_of__lte=as_of)
    settled = clawbacks.aggregate(total=Sum("excess_minor", default=0))["total"]
    due = round_fraction(Fraction(deal.carry_rate) * max(profit, 0))
    return CarryPosition(
        profit=Money(profit, currency),
        carried=Money(carried, currency),
        settled=Money(settled, currency),
        due=Money(due, currency),
    )


def _held_at_cost(investment: PortfolioInvestment, *, on: date) -> int:
    """What the carried capital still holds in ``investment`` on ``on``, at cost: nothing once
    realised; else what went in, less the capital its distributions returned and any
    write-down."""
    if investment.invested_on > on or (
        investment.realised_on is not None and investment.realised_on <= on
    ):
        return 0
    went_in = sum(
        money.amount_minor for day, money in investment_contributions(investment) if day <= on
    )
    returned = sum(
        paid.lp(RETURN_OF_CAPITAL)
        for paid in prior_distributions(investment.deal, investment=investment)
        if paid.on <= on
    )
    written_down = loss_of(investment, on=on)
    return max(went_in - returned - written_down, 0)


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
