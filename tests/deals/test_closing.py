"""A closing moves cash, fees and units in one operation, or nothing at all."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.captable.selectors import cap_table
from apps.captable.services import share_class_create
from apps.core.money import Money
from apps.deals.models import DealState, SubscriptionState
from apps.deals.services import (
    deal_close,
    deal_create,
    deal_open,
    deal_start_closing,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscriptions_scale_back,
)
from apps.ledger.exceptions import InsufficientBalance
from apps.ledger.models import Account, Entry, Operation
from apps.ledger.selectors import balance
from apps.ledger.services import AccountSpec, account_bulk_open, account_open
from apps.ledger.verification import ledger_verify_report
from tests.captable.conftest import make_issuer
from tests.deals.conftest import eur, investor
from tests.factories import UserFactory
from tests.ledger.conftest import post

pytestmark = pytest.mark.django_db

CLOSING_DAY = date(2026, 6, 30)


@pytest.fixture
def people(db):
    from apps.accounts.roles import Role

    return {
        "ops": UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
        "finance": UserFactory(is_staff=True, roles=[Role.FINANCE]),
        "officer": UserFactory(is_staff=True, roles=[Role.COMPLIANCE]),
    }


def _deal(people):
    ops = people["ops"]
    spv = make_issuer("Atlas SPV SCSp", ops, kind="spv")
    units = share_class_create(issuer=spv, name="Units", class_type="units", by=ops)
    deal = deal_create(
        name="Atlas co-investment",
        issuer=spv,
        share_class=units,
        asset_class="equity",
        currency="EUR",
        unit_price_minor=100,
        target_minor=eur(200_000).amount_minor,
        hard_cap_minor=eur(500_000).amount_minor,
        min_ticket_minor=eur(100_000).amount_minor,
        setup_fee_rate=Decimal("0.02"),
        eligible_regimes=["fr_min_ticket_100k"],
        by=ops,
    )
    return deal_open(deal=deal, by=ops)


def _funded(deal, people, amounts, *, deposit_extra=0):
    ops, finance, officer = people["ops"], people["finance"], people["officer"]
    bank = account_open(purpose="bank", currency="EUR", name="Client bank", by=finance)
    subscriptions = []
    for index, amount in enumerate(amounts):
        person = investor(ops, officer, f"Investor {index}")
        cash = account_bulk_open(
            specs=[AccountSpec("cash", "EUR", owner=person, allow_negative=False)], by=finance
        )[0]
        paid = eur(amount).times(Decimal("1.02")) + Money(deposit_extra, "EUR")
        post([(bank, -paid), (cash, paid)], maker=ops, checker=finance)
        subscription = subscription_create(deal=deal, investor=person, amount=eur(amount), by=ops)
        subscription = subscription_submit(subscription=subscription, by=ops)
        subscription = subscription_sign(subscription=subscription, by=ops)
        subscriptions.append(subscription_fund(subscription=subscription, by=ops))
    subscriptions_scale_back(deal=deal, by=ops)
    deal_start_closing(deal=deal, by=ops)
    return subscriptions


def test_a_closing_posts_cash_fees_and_units_in_one_operation(people):
    deal = _deal(people)
    subscriptions = _funded(deal, people, [150_000, 250_000])

    operation = deal_close(
        deal=deal, by=people["ops"], approved_by=people["finance"], effective_date=CLOSING_DAY
    ).operation

    deal.refresh_from_db()
    assert deal.state == DealState.CLOSED
    assert operation.kind == "closing" and operation.state == "executed"
    assert operation.movements.count() == 2
    vehicle = Account.objects.get(
        owner_type=ContentType.objects.get_for_model(deal.issuer), owner_id=deal.issuer_id
    )
    fees = Account.objects.get(owner_type__isnull=True, purpose="fee")
    assert balance(vehicle) == eur(400_000)
    assert balance(fees) == eur(8_000)
    table = {row.holder: row.units for row in cap_table(deal.issuer, as_of=CLOSING_DAY).rows}
    assert table == {"Investor 1": Decimal(250_000), "Investor 0": Decimal(150_000)}  # at 1.00 EUR
    assert {s.state for s in deal.subscriptions.all()} == {SubscriptionState.ACCEPTED}
    investor_type = ContentType.objects.get_for_model(subscriptions[0].investor)
    assert all(
        balance(Account.objects.get(owner_type=investor_type, owner_id=s.investor_id)) == eur(0)
        for s in subscriptions
    )
    assert ledger_verify_report().passed


def test_a_closing_with_an_investor_short_of_cash_writes_nothing(people):
    deal = _deal(people)
    _funded(deal, people, [150_000, 250_000], deposit_extra=-1)
    before = (Operation.objects.count(), Entry.objects.count())

    with pytest.raises(InsufficientBalance, match=r"short of 0\.01 EUR"):
        deal_close(
            deal=deal, by=people["ops"], approved_by=people["finance"], effective_date=CLOSING_DAY
        )

    deal.refresh_from_db()
    assert deal.state == DealState.CLOSING
    assert (Operation.objects.count(), Entry.objects.count()) == before
    assert cap_table(deal.issuer).rows == []


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_a_closing_and_a_distribution_issue_as_many_queries_for_3_investors_as_for_12(books):
    from apps.deals.services import distribution_record
    from tests.deals.conftest import eur as euros

    counts = []
    for size in (2, 3, 12):  # the first opens the platform's fee and carry accounts
        deal = books.deal(f"Deal of {size}", setup_fee_rate=Decimal("0.01"))
        for _ in range(size):
            books.subscribe(deal, euros(100_000))
        subscriptions_scale_back(deal=deal, by=books.ops)
        deal_start_closing(deal=deal, by=books.ops)
        closing = _queries(
            lambda deal=deal: deal_close(
                deal=deal, by=books.ops, approved_by=books.finance, effective_date=CLOSING_DAY
            )
        )
        books.deposit(deal.issuer, euros(1_000))
        deal.refresh_from_db()
        distribution = _queries(
            lambda deal=deal, size=size: distribution_record(
                deal=deal,
                proceeds=euros(100_000 * size + 1_000),
                on=date(2027, 1, 1),
                by=books.ops,
                approved_by=books.finance,
            )
        )
        counts.append((closing, distribution))

    assert counts[1] == counts[2]
