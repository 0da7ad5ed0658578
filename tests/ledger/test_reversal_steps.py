"""Executing a reversal runs the configured steps in their listed order, inside its transaction.

The first step that refuses stops the rest and takes the whole reversal back with it: entries,
holding movements and deal records. With the project's settings the cap table's movements are
undone first, then the deal's records.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from apps.accounts.roles import Role
from apps.captable.exceptions import SecurityClosed
from apps.captable.models import Movement
from apps.captable.services import movements_reverse
from apps.deals.models import Closing, Deal, DealState, Subscription, SubscriptionState
from apps.deals.services import deal_operation_reverse, secondary_transfer
from apps.deals.services.reversals import deal_records_reverse
from apps.ledger.checks import reversal_steps_check
from apps.ledger.models import Entry, Operation, OperationState
from apps.ledger.reversals import reversal_steps
from apps.ledger.services import operation_approve, operation_execute, operation_reverse
from tests.deals.conftest import Books, figures
from tests.deals.conftest import eur as euros
from tests.factories import UserFactory
from tests.ledger.conftest import eur, post, snapshot

pytestmark = pytest.mark.django_db

HERE = __name__
CAPTABLE_STEP = "apps.captable.services.movements_reverse"
DEALS_STEP = "apps.deals.services.reversals.deal_records_reverse"

calls: list[tuple[str, int, int]] = []


class StepRefused(Exception):
    pass


def record_first(*, original: Operation, reversal: Operation) -> None:
    calls.append(("first", original.pk, reversal.pk))


def record_second(*, original: Operation, reversal: Operation) -> None:
    calls.append(("second", original.pk, reversal.pk))


def refuse(*, original: Operation, reversal: Operation) -> None:
    raise StepRefused(f"{reversal} may not undo {original}")


@pytest.fixture(autouse=True)
def _no_calls_yet():
    calls.clear()
    yield
    calls.clear()


@pytest.fixture
def approved_reversal(maker, checker, second_checker, bank, cash) -> Operation:
    """A deposit's reversal, approved and ready to execute."""
    deposit = post([(bank, eur(-250)), (cash, eur(250))], maker=maker, checker=checker)
    reversal = operation_reverse(operation=deposit, by=checker, reason="Wrong investor")
    return operation_approve(operation=reversal, by=second_checker)


@pytest.mark.parametrize(
    "order", [["first", "second"], ["second", "first"]], ids=["as-listed", "swapped"]
)
def test_steps_run_in_the_configured_order(order, approved_reversal, second_checker):
    paths = [f"{HERE}.record_{name}" for name in order]

    with override_settings(LEDGER_REVERSAL_STEPS=paths):
        operation_execute(operation=approved_reversal, by=second_checker)

    original = approved_reversal.reverses_id
    assert calls == [(name, original, approved_reversal.pk) for name in order]


def test_the_first_refusal_stops_the_steps_after_it_and_writes_nothing(
    approved_reversal, second_checker
):
    before = snapshot()

    with (
        override_settings(LEDGER_REVERSAL_STEPS=[f"{HERE}.refuse", f"{HERE}.record_second"]),
        pytest.raises(StepRefused),
    ):
        operation_execute(operation=approved_reversal, by=second_checker)

    assert calls == []
    assert snapshot() == before


# --- with a deal's closing --------------------------------------------------------------------


@pytest.fixture
def books(db) -> Books:
    return Books(
        ops=UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
        finance=UserFactory(is_staff=True, roles=[Role.FINANCE]),
        officer=UserFactory(is_staff=True, roles=[Role.COMPLIANCE]),
    )


@pytest.fixture
def deal_checker(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE])


@pytest.fixture
def closing(books) -> Closing:
    deal = books.deal("Atlas", setup_fee_rate=Decimal("0.01"))
    return books.close(deal, [euros(100_000), euros(300_000)])


def _approved_reversal_of(closing: Closing, books: Books, checker) -> Operation:
    reversal = deal_operation_reverse(
        operation=closing.operation, by=books.finance, reason="entered by mistake"
    )
    return operation_approve(operation=reversal, by=checker)


def _rows(deal: Deal) -> tuple:
    """What a refused reversal must leave as it was, in the books, the cap table and the deal."""
    return (
        Entry.objects.count(),
        Movement.objects.count(),
        Closing.objects.count(),
        list(Operation.objects.order_by("pk").values_list("pk", "state")),
        list(Subscription.objects.order_by("pk").values_list("pk", "state", "closing_id")),
        Deal.objects.get(pk=deal.pk).state,
    )


def test_the_project_reverses_cap_table_movements_then_deal_records():
    assert reversal_steps() == (movements_reverse, deal_records_reverse)


def test_a_reversed_closing_gives_back_its_units_and_reopens_its_subscriptions(
    books, deal_checker, closing
):
    reversal = _approved_reversal_of(closing, books, deal_checker)

    operation_execute(operation=reversal, by=deal_checker)

    assert reversal.movements.count() == 2
    assert set(Subscription.objects.values_list("state", "closing_id")) == {
        (SubscriptionState.FUNDED, None)
    }
    assert Deal.objects.get(pk=closing.deal_id).state == DealState.CLOSING


def test_a_refusal_after_both_steps_rolls_back_the_entries_movements_and_records(
    books, deal_checker, closing
):
    reversal = _approved_reversal_of(closing, books, deal_checker)
    before = _rows(closing.deal)
    figures_before = figures()

    with (
        override_settings(LEDGER_REVERSAL_STEPS=[CAPTABLE_STEP, DEALS_STEP, f"{HERE}.refuse"]),
        pytest.raises(StepRefused),
    ):
        operation_execute(operation=reversal, by=deal_checker)

    assert _rows(closing.deal) == before
    assert figures() == figures_before
    assert Operation.objects.get(pk=reversal.pk).state == OperationState.APPROVED


def test_the_cap_table_refuses_before_the_deal_records_are_consulted(books, deal_checker, closing):
    """Both would refuse to undo a closing whose units were sold on: the cap table says so."""
    deal = Deal.objects.get(pk=closing.deal_id)
    seller = books.investors_of(deal)[0]
    buyer = books.investor(cash=euros(100_000), name="Buyer")
    secondary_transfer(
        deal=deal,
        seller=seller,
        buyer=buyer,
        units=Decimal(100_000),
        price=euros(100_000),
        on=date(2026, 9, 1),
        by=books.ops,
        approved_by=books.finance,
    )
    # Through the ledger alone: the deal's own service would refuse before any step runs.
    reversal = operation_reverse(operation=closing.operation, by=books.finance, reason="oops")
    reversal = operation_approve(operation=reversal, by=deal_checker)
    before = _rows(deal)

    with pytest.raises(SecurityClosed):
        operation_execute(operation=reversal, by=deal_checker)

    assert _rows(deal) == before


# --- the system check -------------------------------------------------------------------------


def test_the_configured_steps_pass_the_system_check():
    assert reversal_steps_check() == []


@pytest.mark.parametrize(
    ("steps", "check_id"),
    [
        ("apps.captable.services.movements_reverse", "ledger.E001"),
        ([CAPTABLE_STEP, 42], "ledger.E002"),
        ([CAPTABLE_STEP, "apps.deals.services.reversals.no_such_step"], "ledger.E003"),
        ([CAPTABLE_STEP, "apps.nowhere.step"], "ledger.E003"),
        ([CAPTABLE_STEP, "apps.deals.services.reversals.RECORDS"], "ledger.E004"),
        ([CAPTABLE_STEP, "apps.ledger.reversals.reversal_step_paths"], "ledger.E005"),
        ([CAPTABLE_STEP, DEALS_STEP, CAPTABLE_STEP], "ledger.E006"),
    ],
    ids=[
        "not-a-list",
        "not-a-path",
        "no-such-name",
        "no-such-module",
        "not-callable",
        "wrong-arguments",
        "listed-twice",
    ],
)
def test_the_system_check_reports_a_bad_step(steps, check_id):
    with override_settings(LEDGER_REVERSAL_STEPS=steps):
        errors = [error for error in run_checks() if error.id.startswith("ledger.")]

    assert [error.id for error in errors] == [check_id]
