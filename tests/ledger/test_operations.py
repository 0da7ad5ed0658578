"""An operation moves draft → submitted → approved → executed, checked by a second person."""

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.roles import Role
from apps.ledger.exceptions import (
    IdempotencyConflict,
    MakerCheckerViolation,
    PermissionRefused,
    TransitionRefused,
)
from apps.ledger.models import Operation, OperationState
from apps.ledger.selectors import balance
from apps.ledger.services import (
    operation_approve,
    operation_cancel,
    operation_execute,
    operation_submit,
)
from tests.factories import UserFactory
from tests.ledger.conftest import approved, draft, eur, post, snapshot

pytestmark = pytest.mark.django_db


def test_an_operation_goes_from_draft_to_executed(maker, checker, bank, cash):
    operation = draft([(bank, eur(-500_00)), (cash, eur(500_00))], by=maker)
    assert operation.state == OperationState.DRAFT

    operation = operation_submit(operation=operation, by=maker)
    assert operation.state == OperationState.SUBMITTED

    operation = operation_approve(operation=operation, by=checker)
    assert operation.state == OperationState.APPROVED
    assert operation.approved_by == checker

    operation = operation_execute(operation=operation, by=checker)
    assert operation.state == OperationState.EXECUTED
    assert operation.sequence == 1
    assert len(operation.hash) == 64
    assert balance(cash) == eur(500_00)
    assert balance(bank) == eur(-500_00)


def test_the_state_cannot_be_set_directly(maker, bank, cash):
    operation = draft([(bank, eur(-1)), (cash, eur(1))], by=maker)

    with pytest.raises(AttributeError):
        operation.state = OperationState.EXECUTED


def test_approval_by_the_maker_is_refused(maker, bank, cash):
    maker.groups.add(*UserFactory(roles=[Role.FINANCE]).groups.all())  # even with the right
    operation = operation_submit(
        operation=draft([(bank, eur(-1)), (cash, eur(1))], by=maker), by=maker
    )
    before = snapshot()

    with pytest.raises(MakerCheckerViolation, match="cannot approve it"):
        operation_approve(operation=Operation.objects.get(pk=operation.pk), by=maker)

    assert snapshot() == before


def test_approval_without_the_permission_is_refused(maker, bank, cash):
    operation = operation_submit(
        operation=draft([(bank, eur(-1)), (cash, eur(1))], by=maker), by=maker
    )
    colleague = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    before = snapshot()

    with pytest.raises(PermissionRefused, match="may not approve"):
        operation_approve(operation=operation, by=colleague)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("service", "state_after_setup"),
    [("approve", "draft"), ("execute", "submitted"), ("submit", "approved")],
)
def test_a_transition_not_allowed_from_the_current_state_is_refused(
    service, state_after_setup, maker, checker, bank, cash
):
    operation = draft([(bank, eur(-1)), (cash, eur(1))], by=maker)
    if state_after_setup in {"submitted", "approved"}:
        operation = operation_submit(operation=operation, by=maker)
    if state_after_setup == "approved":
        operation = operation_approve(operation=operation, by=checker)
    services = {
        "approve": operation_approve,
        "execute": operation_execute,
        "submit": operation_submit,
    }
    before = snapshot()

    with pytest.raises(TransitionRefused, match=f"is {state_after_setup}: it cannot"):
        services[service](operation=operation, by=checker)

    assert snapshot() == before


def test_a_second_execution_is_refused_and_posts_nothing(maker, checker, bank, cash):
    operation = post([(bank, eur(-700)), (cash, eur(700))], maker=maker, checker=checker)
    before = snapshot()

    with pytest.raises(TransitionRefused, match="is executed: it cannot execute from there"):
        operation_execute(operation=operation, by=checker)

    assert snapshot() == before
    assert balance(cash) == eur(700)


def test_a_submitted_operation_can_be_cancelled_with_a_reason(maker, bank, cash):
    operation = operation_submit(
        operation=draft([(bank, eur(-1)), (cash, eur(1))], by=maker), by=maker
    )

    operation = operation_cancel(operation=operation, by=maker, reason="Wrong investor")

    assert operation.state == OperationState.CANCELLED
    assert operation.reason == "Wrong investor"


def test_a_cancel_reason_with_a_control_character_is_refused_and_nothing_changes(maker, bank, cash):
    operation = operation_submit(
        operation=draft([(bank, eur(-1)), (cash, eur(1))], by=maker), by=maker
    )

    with pytest.raises(ValidationError, match="U\\+202E"):
        operation_cancel(operation=operation, by=maker, reason="Wrong \u202einvestor")

    operation.refresh_from_db()
    assert (operation.state, operation.reason) == (OperationState.SUBMITTED, "")


def test_an_approved_operation_cannot_be_cancelled(maker, checker, bank, cash):
    operation = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)

    with pytest.raises(TransitionRefused, match="is approved: it cannot cancel from there"):
        operation_cancel(operation=operation, by=maker, reason="Too late")


def test_the_same_request_twice_returns_the_first_operation(maker, bank, cash):
    first = draft([(bank, eur(-100)), (cash, eur(100))], by=maker, key="wire-2026-11-24-001")

    second = draft([(bank, eur(-100)), (cash, eur(100))], by=maker, key="wire-2026-11-24-001")

    assert second.pk == first.pk
    assert Operation.objects.count() == 1


def test_the_same_key_for_another_request_is_refused(maker, bank, cash):
    draft([(bank, eur(-100)), (cash, eur(100))], by=maker, key="wire-2026-11-24-001")
    before = snapshot()

    with pytest.raises(IdempotencyConflict, match="wire-2026-11-24-001"):
        draft([(bank, eur(-999)), (cash, eur(999))], by=maker, key="wire-2026-11-24-001")

    assert snapshot() == before


def test_executed_operations_are_numbered_in_execution_order(maker, checker, bank, cash):
    first = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)
    second = approved([(bank, eur(-2)), (cash, eur(2))], maker=maker, checker=checker)

    second = operation_execute(operation=second, by=checker)
    first = operation_execute(operation=first, by=checker)

    assert (second.sequence, first.sequence) == (1, 2)
    assert first.previous_hash == second.hash


def test_every_change_of_an_operation_has_a_history_row_naming_user_and_operation(
    maker, checker, bank, cash
):
    operation = post([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)

    rows = list(operation.history.order_by("history_id"))

    assert [row.state for row in rows] == ["draft", "submitted", "approved", "executed"]
    assert [row.history_user for row in rows] == [maker, maker, checker, checker]
    assert {row.history_operation_id for row in rows} == {operation.pk}
