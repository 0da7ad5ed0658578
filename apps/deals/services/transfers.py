"""Secondary transfers: units sold by one investor to another, cash and units in one operation.

The buyer must be eligible for the deal at the price paid (KYC, sanctions, qualification); the
seller must hold the units. The seller's securities are consumed oldest first, as the cap table
does for any transfer, and the buyer receives one new security.
"""

from datetime import date
from decimal import Decimal

from apps.accounts.models import User
from apps.captable.models import Movement, MovementKind, Security, SecurityKind
from apps.captable.quantities import grouped_sums, quantity_text
from apps.captable.services import Change
from apps.compliance.selectors import eligibility
from apps.core.money import Money
from apps.core.services import use_case
from apps.deals.locks import deal_lock
from apps.deals.models import Deal, DealState, SecondaryTransfer
from apps.deals.services.common import (
    OperationRefused,
    Plan,
    accounts_of,
    carry_out,
    check_currency,
    next_number,
    stakeholders_of,
)
from apps.investors.models import Investor
from apps.ledger.models import AccountPurpose, Operation, OperationKind
from apps.ledger.services import Leg


@use_case(permission="deals.add_secondarytransfer")
def secondary_transfer(
    *,
    deal: Deal,
    seller: Investor,
    buyer: Investor,
    units: Decimal,
    price: Money,
    on: date,
    by: User,
    approved_by: User,
) -> SecondaryTransfer:
    """Move ``units`` of the deal's class from ``seller`` to ``buyer`` against ``price``."""
    plan = plan_secondary_transfer(
        deal=deal, seller=seller, buyer=buyer, units=units, price=price, on=on, by=by
    )
    return carry_out(plan, by=by, approved_by=approved_by)


def plan_secondary_transfer(
    *,
    deal: Deal,
    seller: Investor,
    buyer: Investor,
    units: Decimal,
    price: Money,
    on: date,
    by: User,
) -> Plan:
    """Work out a sale of units between investors, checking the buyer and the seller's units."""
    deal = deal_lock(deal)
    check_currency(price, deal, "a price")
    if deal.state != DealState.CLOSED:
        raise OperationRefused(
            f"{deal} is {deal.get_state_display().lower()}: its units change hands once closed"
        )
    # Eligibility is judged on the investors as they stand now, not as the caller loaded them.
    seller, buyer = Investor.objects.get(pk=seller.pk), Investor.objects.get(pk=buyer.pk)
    if deal.drawn_by_calls:
        raise OperationRefused(
            f"{deal} draws its commitments by calls: a fund interest changes hands with its "
            "commitment and what was paid on it, which a secondary transfer does not move"
        )
    if seller.pk == buyer.pk:
        raise OperationRefused("the buyer and the seller are the same investor")
    if not isinstance(units, Decimal) or units <= 0:
        raise OperationRefused("a transfer is of a positive number of units, as a Decimal")
    if price.amount_minor < 0:
        raise OperationRefused("a price cannot be negative")
    holders = stakeholders_of(deal, [seller, buyer], by=by)
    securities = list(
        Security.objects.filter(
            stakeholder=holders[seller.pk], share_class=deal.share_class, kind=SecurityKind.STOCK
        ).order_by("issue_date", "pk")
    )
    held = grouped_sums(Movement.objects.filter(security__in=securities), ["security"])
    securities = [s for s in securities if held.get((s.pk,), 0) > 0]
    total = sum((held[(s.pk,)] for s in securities), Decimal(0))
    if units > total:
        raise OperationRefused(
            f"{seller} holds {quantity_text(total)} units of {deal}: "
            f"{quantity_text(units)} cannot be sold",
            held=quantity_text(total),
        )
    verdict = eligibility(buyer, deal, price)
    if not verdict.eligible:
        raise OperationRefused(
            f"{buyer} may not buy into {deal}: " + "; ".join(verdict.reasons),
            reasons=verdict.reasons,
        )
    cash = accounts_of(
        [seller, buyer],
        purpose=AccountPurpose.CASH,
        currency=deal.currency,
        by=by,
        allow_negative=False,
    )
    legs = []
    if price.amount_minor:
        legs = [Leg(cash[buyer.pk].pk, -price), Leg(cash[seller.pk].pk, price)]

    def build(change: Change) -> None:
        left = units
        for security in securities:
            taken = min(left, held[(security.pk,)])
            change.consume(
                security=security, kind=MovementKind.TRANSFER, quantity=taken, effective_date=on
            )
            left -= taken
            if not left:
                break
        received = change.open_security(
            kind=SecurityKind.STOCK,
            stakeholder=holders[buyer.pk],
            issue_date=on,
            share_class=deal.share_class,
        )
        change.move(
            security=received, kind=MovementKind.TRANSFER, quantity=units, effective_date=on
        )

    number = next_number(SecondaryTransfer, deal)

    def settle(operation: Operation, approver: User) -> SecondaryTransfer:
        return SecondaryTransfer.objects.create(
            deal=deal,
            number=next_number(SecondaryTransfer, deal),
            operation=operation,
            seller=seller,
            buyer=buyer,
            units=units,
            price_minor=price.amount_minor,
            transferred_on=on,
        )

    return Plan(
        deal=deal,
        kind=OperationKind.TRANSFER,
        legs=legs,
        key=f"deal-{deal.pk}-transfer-{number}",
        description=f"{seller} sells {quantity_text(units)} units of {deal} to {buyer} "
        f"for {price.format()}",
        on=on,
        settle=settle,
        build=build,
    )
