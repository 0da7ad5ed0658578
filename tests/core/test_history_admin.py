"""The admin's history is read-only: every history page renders, none writes, for any role."""

import pytest
from django.contrib import admin

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.admin import HistoryAdmin
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_model_admin_that_shows_history_is_a_read_only_history_admin():
    with_history = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "history_form_view") or hasattr(model, "history")
    ]

    assert with_history
    assert [type(a).__name__ for a in with_history if not isinstance(a, HistoryAdmin)] == []


@pytest.mark.parametrize("role", list(Role))
def test_posting_a_past_version_is_refused_for_every_role_and_changes_nothing(
    role, staff_client, django_user_model
):
    person = UserFactory(is_staff=True, roles=[role])
    client = staff_client(StaffFactory(roles=[role]))
    version = person.history.earliest("history_date")
    before = list(User.history.values_list("history_id", flat=True))

    response = client.post(
        f"/admin/accounts/user/{person.pk}/history/{version.history_id}/",
        {"email": person.email, "is_superuser": "on", "is_staff": "on", "_change_history": "1"},
    )

    person.refresh_from_db()
    assert response.status_code == 405
    assert not person.is_superuser
    assert list(User.history.values_list("history_id", flat=True)) == before


def test_a_past_version_is_shown_field_by_field_with_no_form(staff_client):
    person = UserFactory(is_staff=True, full_name="Ada Lovelace", roles=[Role.FINANCE])
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))
    version = person.history.earliest("history_date")

    page = client.get(f"/admin/accounts/user/{person.pk}/history/{version.history_id}/")

    assert page.status_code == 200
    assert b"Ada Lovelace" in page.content
    assert b"<form" not in page.content.split(b'id="content-main"')[1]
    assert b"Revert" not in page.content
