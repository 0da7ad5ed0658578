"""Operations staff propose deal operations in the admin; finance approves and executes them."""

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client

from apps.deals.models import Clawback, Closing, DealState, Distribution, Proposal, ProposalAction
from apps.deals.services import (
    deal_operation_propose,
    deal_proposal_cancel,
)
from apps.ledger.models import Account, Operation, OperationState
from tests.deals.conftest import eur
from tests.deals.portfolio import Fund

pytestmark = pytest.mark.django_db

URL = "/admin/deals/proposal/"
ADD = f"{URL}add/"
CLOSING_DAY = date(2026, 3, 31)


@pytest.fixture
def ops_client(books, admin_as) -> Client:
    return admin_as(books.ops)


@pytest.fixture
def finance_client(books, admin_as) -> Client:
    return admin_as(books.finance)


def _closing(deal, **overrides) -> dict:
    return {"deal": deal.pk, "action": "closing", "on": "2026-03-31", "final": "on", **overrides}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _act(client, action: str, *proposals):
    return client.post(
        URL, {"action": action, "_selected_action": [p.pk for p in proposals]}, follow=True
    )


def _written() -> tuple[int, int, int]:
    return Proposal.objects.count(), Operation.objects.count(), Account.objects.count()


def _propose_closing(books, deal, by=None) -> Proposal:
    return deal_operation_propose(
        deal=deal, action="closing", by=by or books.ops, effective_date=CLOSING_DAY, final=True
    )


def test_the_form_renders_for_operations_staff_and_lists_proposable_deals(books, ready, ops_client):
    response = ops_client.get(ADD)

    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["deal"].queryset) == [ready]
    content = response.content.decode()
    assert "Propose a deal operation" in content
    assert 'name="until"' in content and 'name="notice"' in content
    assert "Due date" in content  # the explanation of the fields each operation uses
    assert ADD in ops_client.get(URL).content.decode()  # the changelist offers it


def test_staff_without_the_permission_to_propose_cannot_open_the_form(books, ready, admin_as):
    client = admin_as(books.officer)  # compliance may view deals, not propose

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, _closing(ready)).status_code == 403
    assert not Proposal.objects.exists()


def test_proposing_a_closing_submits_it_and_moves_nothing(books, ready, ops_client):
    response = ops_client.post(ADD, _closing(ready))

    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.url == f"{URL}{proposal.pk}/change/"
    assert (proposal.deal, proposal.action, proposal.created_by) == (
        ready,
        ProposalAction.CLOSING,
        books.ops,
    )
    assert proposal.params == {"effective_date": "2026-03-31", "final": True}
    assert proposal.operation.state == OperationState.SUBMITTED
    assert proposal.operation.created_by == books.ops
    assert not Closing.objects.exists()
    ready.refresh_from_db()
    assert ready.state == DealState.CLOSING
    page = ops_client.get(response.url)
    assert page.status_code == 200
    assert any(
        m.startswith("Proposed: Atlas, closing on 2026-03-31, final")
        and "waiting for approval by somebody else" in m
        for m in _messages(page)
    )


def test_the_changelist_summarises_each_proposal(books, ready, ops_client):
    proposal = _propose_closing(books, ready)

    response = ops_client.get(URL)

    assert list(response.context["cl"].result_list) == [proposal]
    content = response.content.decode()
    assert '"field-summary">closing on 2026-03-31, final</td>' in content
    assert '"field-state">Submitted</td>' in content
    assert ops_client.get(URL, {"q": "Atlas"}).context["cl"].result_count == 1
    assert ops_client.get(URL, {"q": "Orion"}).context["cl"].result_count == 0
    filtered = ops_client.get(URL, {"operation__state__exact": "executed"})
    assert filtered.context["cl"].result_count == 0
    assert ops_client.get(f"{URL}{proposal.pk}/change/").status_code == 200


def test_a_refused_proposal_is_shown_on_the_form_and_writes_nothing(books, ready, ops_client):
    before = _written()

    response = ops_client.post(
        ADD,
        {
            "deal": ready.pk,
            "action": "capital_call",
            "amount": "1000",
            "on": "2026-03-31",
            "until": "2026-04-30",
        },
    )

    assert response.status_code == 200
    assert "draws nothing by capital calls" in " ".join(response.context["form"].non_field_errors())
    assert "draws nothing by capital calls" in response.content.decode()
    assert _written() == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "1000", "on": "2026-03-31"}, "until", "needs “Until”: the due date"),
        ({"on": "2026-03-31", "until": "2026-04-30"}, "amount", "needs “Amount”"),
        (
            {"amount": "1000.001", "on": "2026-03-31", "until": "2026-04-30"},
            "amount",
            "more decimals than EUR allows",
        ),
    ],
)
def test_a_call_missing_a_field_or_with_a_bad_amount_is_a_form_error(
    books, ready, ops_client, data, field, message
):
    before = _written()

    response = ops_client.post(ADD, {"deal": ready.pk, "action": "capital_call", **data})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert _written() == before


def test_an_unknown_notice_id_is_a_form_error(books, ready, ops_client):
    before = _written()

    response = ops_client.post(
        ADD,
        {
            "deal": ready.pk,
            "action": "call_payment",
            "notice": "999999",
            "amount": "10",
            "on": "2026-03-31",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["notice"] == [
        "No capital call notice has the id 999999."
    ]
    assert _written() == before


def test_finance_approves_and_executes_a_proposed_closing(books, ready, ops_client, finance_client):
    ops_client.post(ADD, _closing(ready))
    proposal = Proposal.objects.get()

    response = _act(finance_client, "approve_and_execute", proposal)

    assert "1 proposal(s) approved and executed." in _messages(response)
    closing = Closing.objects.get()
    assert closing.operation == proposal.operation
    assert closing.amount_minor == eur(350_000).amount_minor
    operation = Operation.objects.get(pk=proposal.operation.pk)
    assert (operation.state, operation.created_by, operation.approved_by) == (
        OperationState.EXECUTED,
        books.ops,
        books.finance,
    )
    ready.refresh_from_db()
    assert ready.state == DealState.CLOSED


def test_the_proposer_cannot_approve_their_own_proposal(books, ready, finance_client):
    finance_client.post(ADD, _closing(ready))
    proposal = Proposal.objects.get(created_by=books.finance)

    response = _act(finance_client, "approve_and_execute", proposal)

    shown = _messages(response)
    assert any(
        m.startswith(f"{proposal}: ") and "another person must check it" in m for m in shown
    ), shown
    assert not any("approved and executed" in m for m in shown)
    assert Operation.objects.get(pk=proposal.operation.pk).state == OperationState.SUBMITTED
    assert not Closing.objects.exists()


def test_operations_staff_are_not_offered_approval(books, ready, ops_client):
    proposal = _propose_closing(books, ready, by=books.finance)

    assert "Approve and execute" not in ops_client.get(URL).content.decode()
    _act(ops_client, "approve_and_execute", proposal)

    assert Operation.objects.get(pk=proposal.operation.pk).state == OperationState.SUBMITTED
    assert not Closing.objects.exists()


def test_cancelling_a_proposal_cancels_its_operation(books, ready, ops_client, finance_client):
    proposal = _propose_closing(books, ready)

    response = _act(ops_client, "cancel", proposal)

    assert "1 proposal(s) cancelled." in _messages(response)
    operation = Operation.objects.get(pk=proposal.operation.pk)
    assert operation.state == OperationState.CANCELLED
    assert operation.reason == f"Cancelled from the admin by {books.ops}"
    refused = _act(finance_client, "approve_and_execute", proposal)
    assert any("only a submitted proposal executes" in m for m in _messages(refused))
    assert not Closing.objects.exists()


LARGEST_EUR = "The amount is too large: at most 92,233,720,368,547,758.07 EUR."


@pytest.fixture
def closed(books):
    """A closed deal, whose distributions and transfers read the amount typed."""
    deal = books.deal("Closed deal")
    books.close(deal, [eur(100_000), eur(200_000)])
    deal.refresh_from_db()
    return deal


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e30", LARGEST_EUR),
        ("92233720368547758.08", LARGEST_EUR),
        ("1e999999999", LARGEST_EUR),
        ("-1e30", "The amount is too small: at least -92,233,720,368,547,758.07 EUR."),
        ("1.00000000000000000000000000000001", "has more decimals than EUR allows (2)"),
    ],
)
@pytest.mark.parametrize("action", ["distribution", "secondary_transfer"])
def test_an_amount_no_column_holds_is_a_form_error_on_the_amount_and_writes_nothing(
    books, closed, ops_client, action, typed, message
):
    seller, buyer = books.investors_of(closed)
    before = _written()

    response = ops_client.post(
        ADD,
        {
            "deal": closed.pk,
            "action": action,
            "amount": typed,
            "on": "2026-03-31",
            "kind": "exit",
            "seller": seller.pk,
            "buyer": buyer.pk,
            "units": "1",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors["amount"]), errors
    assert _written() == before


def test_a_purpose_with_a_control_character_is_shown_on_the_purpose_and_writes_nothing(
    books, ready, ops_client
):
    before = _written()

    response = ops_client.post(
        ADD,
        {
            "deal": ready.pk,
            "action": "capital_call",
            "amount": "1000",
            "on": "2026-03-31",
            "until": "2026-04-30",
            "purpose": "Bridge\u202eloan",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["purpose"] == [
        "U+202E RIGHT-TO-LEFT OVERRIDE is an invisible control character (at character 7): "
        "remove it."
    ]
    assert _written() == before


def test_a_proposal_cancelled_with_a_control_character_in_its_reason_stays_submitted(books, ready):
    proposal = _propose_closing(books, ready)

    with pytest.raises(ValidationError) as refused:
        deal_proposal_cancel(proposal=proposal, by=books.ops, reason="Duplicate\x07")

    assert list(refused.value.message_dict) == ["reason"]
    assert Operation.objects.get(pk=proposal.operation.pk).state == OperationState.SUBMITTED


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e30", "no more than 28 digits before the decimal point"),
        ("1e999999999", "no more than 38 digits in total"),
        ("0.00000000001", "no more than 10 decimal places"),
    ],
)
def test_units_the_column_cannot_hold_are_a_form_error_on_the_units_and_write_nothing(
    books, closed, ops_client, typed, message
):
    seller, buyer = books.investors_of(closed)
    before = _written()

    response = ops_client.post(
        ADD,
        {
            "deal": closed.pk,
            "action": "secondary_transfer",
            "amount": "10",
            "on": "2026-03-31",
            "seller": seller.pk,
            "buyer": buyer.pk,
            "units": typed,
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors["units"]), errors
    assert _written() == before


def test_a_fund_proposes_an_investments_distribution_and_then_its_clawback(
    books, ops_client, finance_client
):
    fund = Fund(books)
    books.deposit(fund.deal.issuer, eur(15_000_000))
    ops_client.post(
        ADD,
        {
            "deal": fund.deal.pk,
            "action": "distribution",
            "amount": "15000000",
            "on": "2022-01-01",
            "kind": "exit",
            "investment": fund.beta.pk,
        },
    )
    _act(finance_client, "approve_and_execute", Proposal.objects.get())
    assert Distribution.objects.get().investment == fund.beta
    fund.sell(fund.alpha, eur(1_000_000), date(2023, 1, 1))

    response = ops_client.post(
        ADD, {"deal": fund.deal.pk, "action": "clawback", "on": "2023-01-01"}, follow=True
    )

    proposal = Proposal.objects.get(action=ProposalAction.CLAWBACK)
    assert proposal.params == {"as_of": "2023-01-01"}
    assert "clawback of the carry held above its due on 2023-01-01" in response.content.decode()
    _act(finance_client, "approve_and_execute", proposal)
    clawback = Clawback.objects.get()
    assert (clawback.excess_minor, clawback.amount_minor) == (80_000_000, 80_000_000)
