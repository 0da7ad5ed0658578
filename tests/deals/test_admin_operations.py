"""The admin lists every deal operation, proposes reversals and flags defaults through services."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.deals.models import (
    CapitalCall,
    CapitalCallNotice,
    CapitalCallPayment,
    Closing,
    Deal,
    Distribution,
    DistributionKind,
    FeeCharge,
    SecondaryTransfer,
)
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    distribution_record,
    management_fee_charge,
    secondary_transfer,
)
from apps.investors.models import Investor
from apps.ledger.models import Operation, OperationState
from tests.deals.conftest import Books, eur
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/deals"
TODAY = timezone.localdate()
CLOSED_ON = TODAY - timedelta(days=200)


@dataclass
class World(Books):
    """The deals' test world, with the closed deals these admin pages show."""

    def spv(self, name: str = "Atlas co-investment") -> tuple[Deal, Closing, list[Investor]]:
        """A closed SPV: two investors of 100,000 each, with cash left for fees."""
        deal = self.deal(name, management_fee_rate=Decimal("0.02"))
        investors = [self.investor(cash=eur(110_000)), self.investor(cash=eur(110_000))]
        for person in investors:
            self.subscribe(deal, eur(100_000), person=person)
        closing = self.close(deal, on=CLOSED_ON)
        deal.refresh_from_db()
        return deal, closing, investors

    def fund(self, investors: int = 2, name: str = "Orion Fund I") -> Deal:
        """A closed fund whose investors committed 100,000 each, drawn by calls."""
        deal = self.deal(name, drawn_by_calls=True, asset_class="fund_units")
        self.close(deal, [eur(100_000)] * investors, on=CLOSED_ON)
        deal.refresh_from_db()
        return deal

    def call(self, deal: Deal, amount: Money, *, due: date, **kwargs) -> CapitalCall:
        return capital_call_issue(
            deal=deal,
            amount=amount,
            call_date=due - timedelta(days=30),
            due_date=due,
            by=self.ops,
            approved_by=self.finance,
            **kwargs,
        )

    def pay(self, notice: CapitalCallNotice, amount: Money) -> CapitalCallPayment:
        self.deposit(notice.investor, amount)
        return capital_call_payment_record(
            notice=notice,
            amount=amount,
            paid_on=notice.call.call_date,
            by=self.ops,
            approved_by=self.finance,
        )


@pytest.fixture
def world(books) -> World:
    return World(ops=books.ops, finance=books.finance, officer=books.officer)


@pytest.fixture
def finance_client(staff_client, db):
    """A finance officer signed in to the admin: may view deals and reverse operations."""
    return staff_client(StaffFactory(roles=[Role.FINANCE]))


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _rows(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _act(client, model: str, action: str, *records):
    return client.post(
        f"{ADMIN}/{model}/",
        {"action": action, "_selected_action": [record.pk for record in records]},
        follow=True,
    )


def test_every_deal_operation_is_listed_with_its_amounts_and_state(world, finance_client):
    deal, closing, (first, second) = world.spv()
    distribution = distribution_record(
        deal=deal,
        proceeds=eur(50_000),
        on=CLOSED_ON + timedelta(days=30),
        by=world.ops,
        approved_by=world.finance,
        kind=DistributionKind.DIVIDEND,
    )
    fee = management_fee_charge(
        deal=deal,
        period_start=CLOSED_ON,
        period_end=CLOSED_ON + timedelta(days=182),
        by=world.ops,
        approved_by=world.finance,
    )
    transfer = secondary_transfer(
        deal=deal,
        seller=first,
        buyer=world.investor(cash=eur(100_000)),
        units=Decimal(40_000),
        price=eur(100_000),
        on=CLOSED_ON + timedelta(days=60),
        by=world.ops,
        approved_by=world.finance,
    )
    fund = world.fund()
    call = world.call(fund, eur(50_000), due=TODAY - timedelta(days=10))
    notice = call.notices.order_by("pk").first()
    payment = world.pay(notice, eur(10_000))
    expected = {
        "closing": (closing, ["€200,000.00"]),
        "capitalcall": (call, ["€50,000.00"]),
        "capitalcallnotice": (notice, ["€25,000.00", "€10,000.00", "€15,000.00"]),
        "capitalcallpayment": (payment, ["€10,000.00"]),
        "distribution": (distribution, ["€50,000.00"]),
        "feecharge": (fee, [Money(fee.amount_minor, "EUR").format()]),
        "secondarytransfer": (transfer, ["€100,000.00", first.legal_name]),
    }

    for model, (record, shown) in expected.items():
        response = finance_client.get(f"{ADMIN}/{model}/")
        assert record in _rows(response), model
        content = response.content.decode()
        assert all(text in content for text in shown), (model, shown)
        assert '">Executed</td>' in content, model
        detail = finance_client.get(f"{ADMIN}/{model}/{record.pk}/change/")
        assert detail.status_code == 200, model

    assert "Propose the reversal" in finance_client.get(f"{ADMIN}/closing/").content.decode()
    call_page = finance_client.get(f"{ADMIN}/capitalcall/{call.pk}/change/").content.decode()
    assert all(n.investor.legal_name in call_page for n in call.notices.all())
    assert "€15,000.00" in call_page  # outstanding on the partly paid notice
    lines_page = finance_client.get(f"{ADMIN}/distribution/{distribution.pk}/change/")
    assert second.legal_name in lines_page.content.decode()
    assert "€25,000.00" in lines_page.content.decode()  # half the dividend to each investor


def test_the_notice_list_filters_by_deal_default_and_investor(world, finance_client):
    fund = world.fund(investors=2)
    other = world.deal("Vega co-investment")
    late = world.call(fund, eur(20_000), due=TODAY - timedelta(days=5))
    world.call(fund, eur(20_000), due=TODAY + timedelta(days=25))
    late_notices = list(late.notices.order_by("pk"))
    world.pay(late_notices[0], Money(late_notices[0].amount_minor, "EUR"))
    _act(finance_client, "capitalcallnotice", "flag_defaults", late_notices[0])
    url = f"{ADMIN}/capitalcallnotice/"

    assert len(_rows(finance_client.get(url))) == 4
    assert len(_rows(finance_client.get(url, {"call__deal__id__exact": fund.pk}))) == 4
    assert _rows(finance_client.get(url, {"call__deal__id__exact": other.pk})) == []
    assert _rows(finance_client.get(url, {"defaulted": "yes"})) == [late_notices[1]]
    assert len(_rows(finance_client.get(url, {"defaulted": "no"}))) == 3
    by_paid = _rows(finance_client.get(url, {"o": "-5"}))  # "paid", after the checkbox
    assert by_paid[0] == late_notices[0] and by_paid[0].paid_minor == late_notices[0].amount_minor
    name = late_notices[1].investor.legal_name
    found = _rows(finance_client.get(url, {"q": name}))
    assert {n.investor.legal_name for n in found} == {name} and len(found) == 2


def test_proposing_the_reversal_of_a_closing_submits_a_reversal(world, finance_client):
    _, closing, _ = world.spv()

    response = _act(finance_client, "closing", "propose_reversal", closing)

    reversal = Operation.objects.get(reverses=closing.operation)
    assert reversal.state == OperationState.SUBMITTED
    assert "Reversal proposed from the admin by" in reversal.description
    assert "1 reversal(s) proposed, for finance to approve and execute in the ledger." in (
        _messages(response)
    )
    closing.operation.refresh_from_db()
    assert closing.operation.state == OperationState.EXECUTED  # until finance executes it


def test_a_closing_followed_by_a_distribution_is_refused_and_nothing_is_written(
    world, finance_client
):
    deal, closing, _ = world.spv()
    distribution_record(
        deal=deal,
        proceeds=eur(1_000),
        on=CLOSED_ON + timedelta(days=30),
        by=world.ops,
        approved_by=world.finance,
    )
    before = list(Operation.objects.order_by("pk").values_list("pk", "state"))

    response = _act(finance_client, "closing", "propose_reversal", closing)

    shown = _messages(response)
    assert any(
        message.startswith(f"{closing}: ") and "cannot be reversed while later" in message
        for message in shown
    ), shown
    assert not any("proposed" in message for message in shown)
    assert list(Operation.objects.order_by("pk").values_list("pk", "state")) == before


def test_a_call_with_a_payment_is_refused_and_its_payment_can_be_reversed(world, finance_client):
    fund = world.fund()
    call = world.call(fund, eur(20_000), due=TODAY + timedelta(days=10))
    payment = world.pay(call.notices.order_by("pk").first(), eur(1_000))
    operations = Operation.objects.count()

    refused = _act(finance_client, "capitalcall", "propose_reversal", call)

    assert any("cannot be reversed while later" in message for message in _messages(refused))
    assert Operation.objects.count() == operations
    accepted = _act(finance_client, "capitalcallpayment", "propose_reversal", payment)
    assert "1 reversal(s) proposed, for finance to approve and execute in the ledger." in (
        _messages(accepted)
    )
    assert Operation.objects.filter(
        reverses=payment.operation, state=OperationState.SUBMITTED
    ).exists()


def test_staff_who_may_not_reverse_operations_are_not_offered_the_action(world, staff_client):
    _, closing, _ = world.spv()
    client = staff_client(StaffFactory(roles=[Role.OPERATIONS]))

    assert "Propose the reversal" not in client.get(f"{ADMIN}/closing/").content.decode()
    _act(client, "closing", "propose_reversal", closing)

    assert not Operation.objects.filter(reverses=closing.operation).exists()


def test_flagging_defaults_flags_the_unpaid_notices_past_due(world, finance_client):
    fund = world.fund(investors=2)
    late = world.call(fund, eur(20_000), due=TODAY - timedelta(days=1))
    on_time = world.call(fund, eur(20_000), due=TODAY + timedelta(days=30))
    paid, unpaid = late.notices.order_by("pk")
    world.pay(paid, Money(paid.amount_minor, "EUR"))

    response = _act(finance_client, "capitalcall", "flag_defaults", late)

    assert "1 notice(s) flagged as defaults." in _messages(response)
    flagged = CapitalCallNotice.objects.filter(defaulted_at__isnull=False)
    assert list(flagged) == [unpaid]
    assert not on_time.notices.filter(defaulted_at__isnull=False).exists()
    again = _act(finance_client, "capitalcallnotice", "flag_defaults", unpaid)
    assert "No unpaid notice is past due: none flagged." in _messages(again)
    assert unpaid.history.count() == 2  # created, then flagged


def test_listing_twenty_notices_takes_a_bounded_number_of_queries(
    world, finance_client, django_assert_max_num_queries
):
    fund = world.fund(investors=5)
    for weeks in range(4):
        call = world.call(fund, eur(10_000), due=TODAY + timedelta(weeks=weeks))
        world.pay(call.notices.order_by("pk").first(), eur(500))
    assert CapitalCallNotice.objects.count() == 20
    url = f"{ADMIN}/capitalcallnotice/"
    finance_client.get(url)  # warm the session and the content types

    with django_assert_max_num_queries(15):
        response = finance_client.get(url)

    assert len(_rows(response)) == 20
    with django_assert_max_num_queries(15):
        assert finance_client.get(f"{ADMIN}/capitalcall/{call.pk}/change/").status_code == 200


@pytest.mark.parametrize(
    "model", [Closing, CapitalCall, CapitalCallPayment, Distribution, FeeCharge, SecondaryTransfer]
)
def test_empty_changelists_answer(finance_client, model):
    response = finance_client.get(f"{ADMIN}/{model._meta.model_name}/")
    assert _rows(response) == []


def test_a_call_page_shows_its_first_notices_and_links_to_all_of_them(
    world, finance_client, monkeypatch
):
    from apps.deals.admin.operations import CapitalCallNoticeInline

    monkeypatch.setattr(CapitalCallNoticeInline, "shown", 2)
    fund = world.fund(investors=3)
    call = world.call(fund, eur(9_000), due=TODAY)

    page = finance_client.get(f"{ADMIN}/capitalcall/{call.pk}/change/")

    assert page.status_code == 200
    assert len(page.context["inline_admin_formsets"][0].formset.forms) == 2
    link = f"/admin/deals/capitalcallnotice/?call__id__exact={call.pk}"
    assert f'<a href="{link}">All 3 notices</a>' in page.content.decode()
    assert len(_rows(finance_client.get(link))) == 3


def test_a_distribution_page_shows_its_tiers_and_the_carry_to_date(world, finance_client):
    deal = world.deal(
        "Helios",
        hurdle_rate=Decimal("0.10"),
        carry_rate=Decimal("0.20"),
        catch_up_rate=Decimal(1),
    )
    start = date(2021, 1, 1)
    world.close(deal, [eur(10_000_000)], on=start)
    deal.refresh_from_db()
    world.deposit(deal.issuer, eur(14_000_000))
    for amount, on in [(eur(11_000_000), date(2022, 1, 1)), (eur(3_000_000), date(2023, 1, 1))]:
        second = distribution_record(
            deal=deal, proceeds=amount, on=on, by=world.ops, approved_by=world.finance
        )

    page = finance_client.get(f"{ADMIN}/distribution/{second.pk}/change/").content.decode()

    rows = [
        ("Catch-up", "€0.00", "€250,000.00", "€250,000.00"),
        ("Split", "€2,200,000.00", "€550,000.00", "€2,750,000.00"),
        ("Total", "€2,200,000.00", "€800,000.00", "€3,000,000.00"),
    ]
    right = '<td class="amount">'
    for name, lp, gp, total in rows:
        assert (f"<td>{name}</td>{right}{lp}</td>{right}{gp}</td>{right}{total}</td>") in page
    for label, amount in [
        ("Profit so far", "€4,000,000.00"),
        ("Carry received by the GP", "€800,000.00"),
        ("Carry the terms give", "€800,000.00"),
        ("Held above that (clawback exposure)", "€0.00"),
    ]:
        assert f"<tr><td>{label}</td>{right}{amount}</td></tr>" in page
