"""Secondary transfers move cash and units between investors in one operation."""

from datetime import date
from decimal import Decimal

import pytest

from apps.captable.models import Movement
from apps.captable.selectors import cap_table
from apps.deals.models import SecondaryTransfer
from apps.deals.services import OperationRefused, secondary_transfer
from apps.investors.models import Investor, SanctionsStatus
from apps.ledger.models import Operation
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

SOLD_ON = date(2026, 6, 1)


@pytest.fixture
def spv(books):
    deal = books.deal("Atlas")
    books.close(deal, [eur(100_000), eur(150_000)])
    deal.refresh_from_db()
    return deal


def _sell(books, deal, seller, buyer, units, price):
    return secondary_transfer(
        deal=deal,
        seller=seller,
        buyer=buyer,
        units=units,
        price=price,
        on=SOLD_ON,
        by=books.ops,
        approved_by=books.finance,
    )


def _units(deal):
    return {row.holder: row.units for row in cap_table(deal.issuer).rows}


def test_cash_and_units_change_hands_in_one_operation(books, spv):
    seller = books.investors_of(spv)[0]
    buyer = books.investor(cash=eur(170_000), name="Buyer")

    transfer = _sell(books, spv, seller, buyer, Decimal("60000.5"), eur(165_000))

    assert transfer.operation.kind == "transfer" and transfer.operation.state == "executed"
    assert Movement.objects.filter(operation=transfer.operation).count() == 3  # out, rest, in
    assert _units(spv)[seller.legal_name] == Decimal("39999.5")
    assert _units(spv)["Buyer"] == Decimal("60000.5")
    assert books.cash(buyer) == eur(5_000) and books.cash(seller) == eur(165_000)
    assert ledger_verify_report().passed


def test_more_units_than_held_is_refused_and_nothing_is_written(books, spv):
    seller = books.investors_of(spv)[0]
    buyer = books.investor(cash=eur(70_000), name="Buyer")
    before = Operation.objects.count(), Movement.objects.count()

    with pytest.raises(OperationRefused, match="holds 100000 units of Atlas: 100001 cannot"):
        _sell(books, spv, seller, buyer, Decimal(100_001), eur(100_000))

    assert (Operation.objects.count(), Movement.objects.count()) == before
    assert not SecondaryTransfer.objects.exists()


def test_an_ineligible_buyer_is_refused_with_the_reasons(books, spv):
    seller = books.investors_of(spv)[0]
    buyer = books.investor(cash=eur(70_000), name="Held buyer")
    Investor.objects.filter(pk=buyer.pk).update(sanctions_status=SanctionsStatus.ON_HOLD)

    with pytest.raises(OperationRefused, match=r"Held buyer may not buy into Atlas: .*on hold"):
        _sell(books, spv, seller, buyer, Decimal(1), eur(100_000))
    assert not SecondaryTransfer.objects.exists()


def test_a_buyer_short_of_cash_stops_the_transfer(books, spv):
    from apps.ledger.exceptions import InsufficientBalance

    seller = books.investors_of(spv)[0]
    buyer = books.investor(cash=eur(99_999), name="Buyer")
    with pytest.raises(InsufficientBalance):
        _sell(books, spv, seller, buyer, Decimal(1), eur(100_000))
    assert _units(spv).get("Buyer") is None


def test_a_fund_interest_does_not_change_hands_by_a_secondary_transfer(books):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000)])
    fund.refresh_from_db()
    seller = books.investors_of(fund)[0]
    buyer = books.investor(cash=eur(100_000), name="Buyer")

    with pytest.raises(OperationRefused, match="changes hands with its commitment"):
        _sell(books, fund, seller, buyer, Decimal(1), eur(100_000))
    assert not SecondaryTransfer.objects.exists()
