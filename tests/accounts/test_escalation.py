"""Nobody raises their own access: roles are the policy; superuser status is set on the server."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import RolesChangeRefused, user_roles_set
from apps.core.exceptions import PermissionRefused
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def _user_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "is_staff": "on",
        "groups": [group.pk for group in user.groups.all()],
    }
    return {**data, **changes}


def test_an_administrator_cannot_make_themselves_superuser_or_change_their_own_roles(
    staff_client,
):
    administrator = StaffFactory(roles=[Role.ADMINISTRATOR])
    client = staff_client(administrator)
    finance = Group.objects.get(name=Role.FINANCE)

    client.post(
        f"/admin/accounts/user/{administrator.pk}/change/",
        _user_form(administrator, is_superuser="on", groups=[finance.pk]),
    )

    administrator.refresh_from_db()
    assert not administrator.is_superuser
    assert list(administrator.groups.values_list("name", flat=True)) == [Role.ADMINISTRATOR]


def test_an_administrator_changes_another_users_roles_and_history_says_who(staff_client):
    administrator = StaffFactory(roles=[Role.ADMINISTRATOR])
    analyst = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    client = staff_client(administrator)
    finance = Group.objects.get(name=Role.FINANCE)

    response = client.post(
        f"/admin/accounts/user/{analyst.pk}/change/",
        _user_form(analyst, groups=[finance.pk], is_superuser="on"),
    )

    assert response.status_code == 302
    analyst.refresh_from_db()
    assert list(analyst.groups.values_list("name", flat=True)) == [Role.FINANCE]
    assert not analyst.is_superuser
    latest = analyst.history.latest("history_date")
    assert latest.history_user == administrator
    assert latest.history_change_reason == "roles: operations → finance"


def test_the_roles_service_refuses_a_change_of_ones_own_roles_whoever_calls():
    administrator = UserFactory(is_staff=True, roles=[Role.ADMINISTRATOR])
    history = administrator.history.count()

    with pytest.raises(RolesChangeRefused, match="own roles"):
        user_roles_set(user=administrator, roles=[Role.FINANCE], by=administrator)

    assert list(administrator.groups.values_list("name", flat=True)) == [Role.ADMINISTRATOR]
    assert administrator.history.count() == history


def test_the_roles_service_refuses_someone_who_may_not_change_users():
    operator = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    analyst = UserFactory(is_staff=True, roles=[Role.AUDITOR])

    with pytest.raises(PermissionRefused, match="may not change user"):
        user_roles_set(user=analyst, roles=[Role.FINANCE], by=operator)

    assert list(analyst.groups.values_list("name", flat=True)) == [Role.AUDITOR]


def test_group_permissions_cannot_be_edited_in_the_admin(staff_client):
    client = staff_client(StaffFactory(roles=[Role.ADMINISTRATOR]))
    operations = Group.objects.get(name=Role.OPERATIONS)
    before = set(operations.permissions.values_list("pk", flat=True))
    approve = Permission.objects.get(codename="approve_operation")

    page = client.get(f"/admin/auth/group/{operations.pk}/change/")
    client.post(
        f"/admin/auth/group/{operations.pk}/change/",
        {"name": "operations", "permissions": [*before, approve.pk]},
    )
    added = client.post("/admin/auth/group/add/", {"name": "shadow", "permissions": [approve.pk]})

    assert page.status_code == 200
    assert b"not editable here" in page.content
    assert set(operations.permissions.values_list("pk", flat=True)) == before
    assert added.status_code == 403
    assert not Group.objects.filter(name="shadow").exists()


def test_superuser_status_is_granted_by_the_server_command_with_a_reason():
    person = UserFactory(is_staff=True)

    call_command("user_superuser", person.email, "--grant", "--reason", "incident 7 recovery")

    person.refresh_from_db()
    assert person.is_superuser
    assert person.history.latest("history_date").history_change_reason == (
        "superuser granted on the server: incident 7 recovery"
    )
    with pytest.raises(CommandError, match="no user"):
        call_command("user_superuser", "nobody@example.com", "--grant", "--reason", "x")
