"""Operations staff propose a deal operation; a finance officer approves and executes it."""

from datetime import date
from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.captable.models import Movement
from apps.core.exceptions import PermissionRefused
from apps.deals.models import Closing, DealState, Proposal, SubscriptionState
from apps.deals.services import (
    OperationRefused,
    deal_operation_propose,
    deal_proposal_cancel,
    deal_proposal_execute,
)
from apps.deals.services.proposals import PLANS, decode, encode
from apps.ledger.exceptions import MakerCheckerViolation, ProposalOutdated
from apps.ledger.models import Entry, Operation
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur, figures
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CLOSING_DAY = date(2026, 3, 31)


def _propose_closing(books, deal, by=None):
    return deal_operation_propose(
        deal=deal, action="closing", by=by or books.ops, effective_date=CLOSING_DAY, final=True
    )


def test_a_proposed_closing_moves_nothing_until_finance_executes_it(books, ready):
    before = figures()

    proposal = _propose_closing(books, ready)

    assert proposal.operation.state == "submitted" and proposal.operation.created_by == books.ops
    assert figures() == before and not Movement.objects.exists()
    ready.refresh_from_db()
    assert ready.state == DealState.CLOSING and not Closing.objects.exists()

    closing = deal_proposal_execute(proposal=proposal, by=books.finance)

    assert closing.operation == proposal.operation
    operation = Operation.objects.get(pk=proposal.operation.pk)
    assert (operation.state, operation.approved_by) == ("executed", books.finance)
    assert operation.effective_at.date() == CLOSING_DAY
    assert closing.amount_minor == eur(350_000).amount_minor
    assert set(ready.subscriptions.values_list("state", flat=True)) == {SubscriptionState.ACCEPTED}
    ready.refresh_from_db()
    assert ready.state == DealState.CLOSED
    assert ledger_verify_report().passed


def test_the_proposer_cannot_execute_their_own_proposal(books, ready):
    proposal = _propose_closing(books, ready, by=books.finance)
    with pytest.raises(MakerCheckerViolation):
        deal_proposal_execute(proposal=proposal, by=books.finance)
    assert Operation.objects.get(pk=proposal.operation.pk).state == "submitted"


def test_operations_staff_cannot_execute_a_proposal(books, ready):
    proposal = _propose_closing(books, ready)
    with pytest.raises(PermissionRefused, match="may not approve an operation"):
        deal_proposal_execute(
            proposal=proposal, by=UserFactory(is_staff=True, roles=[Role.OPERATIONS])
        )
    assert Operation.objects.get(pk=proposal.operation.pk).state == "submitted"


def test_a_proposal_the_books_have_moved_past_is_refused_as_outdated(books, ready):
    proposal = _propose_closing(books, ready)
    # The setup fee is corrected after the proposal: the closing would now take other amounts.
    type(ready).objects.filter(pk=ready.pk).update(setup_fee_rate=Decimal("0.015"))
    entries = Entry.objects.count()

    with pytest.raises(ProposalOutdated, match="other amounts than were proposed"):
        deal_proposal_execute(proposal=proposal, by=books.finance)

    assert Entry.objects.count() == entries and not Closing.objects.exists()
    deal_proposal_cancel(proposal=proposal, by=books.ops, reason="the setup fee was corrected")
    assert Operation.objects.get(pk=proposal.operation.pk).state == "cancelled"
    with pytest.raises(OperationRefused, match="only a submitted proposal executes"):
        deal_proposal_execute(proposal=proposal, by=books.finance)
    for investor in books.investors_of(ready):
        books.deposit(investor, eur(2_000))  # the higher fee
    closing = deal_proposal_execute(proposal=_propose_closing(books, ready), by=books.finance)
    fees = closing.operation.entries.filter(account__purpose="fee").get()
    assert fees.amount_minor == eur(5_250).amount_minor


def test_a_proposal_is_checked_when_proposed_and_a_refused_one_writes_nothing(books):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000)])
    operations = Operation.objects.count()

    with pytest.raises(OperationRefused, match="above the uncalled commitment"):
        deal_operation_propose(
            deal=fund,
            action="capital_call",
            by=books.ops,
            amount=eur(200_000),
            call_date=CLOSING_DAY,
            due_date=CLOSING_DAY,
        )
    with pytest.raises(OperationRefused, match="unexpected keyword argument 'when'"):
        deal_operation_propose(deal=fund, action="capital_call", by=books.ops, when=CLOSING_DAY)
    with pytest.raises(OperationRefused, match="'burn' is not an operation"):
        deal_operation_propose(deal=fund, action="burn", by=books.ops)

    assert Operation.objects.count() == operations and not Proposal.objects.exists()


def test_a_call_and_its_payment_go_through_proposals(books):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000), eur(300_000)])
    call = deal_proposal_execute(
        proposal=deal_operation_propose(
            deal=fund,
            action="capital_call",
            by=books.ops,
            amount=eur(40_000),
            call_date=CLOSING_DAY,
            due_date=CLOSING_DAY,
            purpose="first investment",
        ),
        by=books.finance,
    )
    notice = call.notices.get(amount_minor=eur(10_000).amount_minor)
    books.deposit(notice.investor, eur(10_000))

    payment = deal_proposal_execute(
        proposal=deal_operation_propose(
            deal=fund,
            action="call_payment",
            by=books.ops,
            notice=notice,
            amount=eur(10_000),
            paid_on=CLOSING_DAY,
        ),
        by=books.finance,
    )

    assert payment.amount_minor == eur(10_000).amount_minor and call.purpose == "first investment"
    assert ledger_verify_report().passed


@pytest.mark.parametrize(
    ("action", "name", "value"),
    [
        ("capital_call", "amount", eur("12.34")),
        ("capital_call", "call_date", date(2026, 1, 2)),
        ("capital_call", "purpose", "2026-01-02"),
        ("secondary_transfer", "units", Decimal("1.0000000001")),
        ("closing", "final", True),
    ],
)
def test_parameters_are_kept_exactly(action, name, value):
    plan = PLANS[action]
    assert decode(plan, name, encode(plan, name, value)) == value


def test_a_parameter_that_cannot_be_kept_is_refused():
    with pytest.raises(OperationRefused, match="'amount' must be an amount"):
        encode(PLANS["capital_call"], "amount", 0.1)


def test_a_coding_error_inside_a_plan_is_a_server_error_not_a_business_refusal(books, monkeypatch):
    from apps.deals.services import proposals

    def broken_plan(*, deal, by, on: date):
        return len(on)  # a date has no length: a bug, not a refusal

    monkeypatch.setitem(proposals.PLANS, "closing", broken_plan)
    deal = books.deal("Atlas")

    with pytest.raises(TypeError, match="has no len"):
        deal_operation_propose(deal=deal, action="closing", by=books.ops, on=CLOSING_DAY)
    with pytest.raises(OperationRefused, match="Closing: missing a required argument: 'on'"):
        deal_operation_propose(deal=deal, action="closing", by=books.ops)

    assert not Proposal.objects.exists()
