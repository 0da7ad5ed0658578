"""The admin drives operations through the services; maker-checker and permissions hold there."""

import pytest
from django.contrib.messages import get_messages

from apps.accounts.roles import Role
from apps.ledger.models import Operation, OperationState
from tests.factories import StaffFactory
from tests.ledger.conftest import approved, draft, eur, post, snapshot

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/ledger/operation/"


def _act(client, action: str, *operations: Operation):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [operation.pk for operation in operations]},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def finance(db):
    return StaffFactory(roles=[Role.FINANCE])


@pytest.fixture
def operations_staff(db):
    return StaffFactory(roles=[Role.OPERATIONS])


def test_a_checker_approves_and_executes_from_the_admin(
    staff_client, operations_staff, finance, bank, cash
):
    operation = draft([(bank, eur(-100)), (cash, eur(100))], by=operations_staff)
    maker_client = staff_client(operations_staff)
    _act(maker_client, "submit", operation)
    maker_client.logout()
    client = staff_client(finance)

    _act(client, "approve", operation)
    response = _act(client, "execute", operation)

    operation.refresh_from_db()
    assert operation.state == OperationState.EXECUTED
    assert "1 operation(s) executed." in _messages(response)


def test_the_maker_cannot_approve_from_the_admin(staff_client, finance, bank, cash):
    operation = draft([(bank, eur(-100)), (cash, eur(100))], by=finance)
    client = staff_client(finance)
    _act(client, "submit", operation)
    before = snapshot()

    response = _act(client, "approve", operation)

    assert snapshot() == before
    assert any("cannot approve it" in message for message in _messages(response))


def test_operations_staff_are_not_offered_the_approval(
    staff_client, operations_staff, maker, bank, cash
):
    operation = draft([(bank, eur(-100)), (cash, eur(100))], by=maker)
    client = staff_client(operations_staff)

    page = client.get(CHANGELIST)
    response = _act(client, "approve", operation)

    actions = [choice[0] for choice in page.context["action_form"].fields["action"].choices]
    assert "submit" in actions
    assert "approve" not in actions
    assert "execute" not in actions
    operation.refresh_from_db()
    assert operation.state == OperationState.DRAFT
    assert response.status_code == 200


def test_an_auditor_sees_operations_and_entries_but_can_act_on_nothing(
    staff_client, maker, checker, bank, cash
):
    operation = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    page = client.get(CHANGELIST)
    detail = client.get(f"{CHANGELIST}{operation.pk}/change/")

    assert page.status_code == 200
    assert "action_form" not in page.context or not page.context["action_form"]
    assert detail.status_code == 200
    assert b"-100" in detail.content
    assert client.post(f"{CHANGELIST}{operation.pk}/change/", {}).status_code == 403


def test_the_operation_list_runs_a_fixed_number_of_queries(
    staff_client, maker, checker, bank, cash, django_assert_max_num_queries
):
    for _ in range(30):
        post([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)
    client = staff_client(StaffFactory(roles=[Role.FINANCE]))
    client.get(CHANGELIST)  # warm the session and permission caches

    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST, {"state__exact": "executed", "q": ""})

    assert response.context["cl"].result_count == 30


def test_the_list_filters_by_state_and_kind_and_searches_by_key(
    staff_client, maker, checker, bank, cash
):
    executed = post([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker, key="wire-001")
    approved([(bank, eur(-2)), (cash, eur(2))], maker=maker, checker=checker, key="wire-002")
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    by_state = client.get(CHANGELIST, {"state__exact": "executed"}).context["cl"].result_list
    by_key = client.get(CHANGELIST, {"q": "wire-002"}).context["cl"].result_list
    by_kind = client.get(CHANGELIST, {"kind__exact": "fee"}).context["cl"].result_list

    assert [o.pk for o in by_state] == [executed.pk]
    assert [o.idempotency_key for o in by_key] == ["wire-002"]
    assert list(by_kind) == []
