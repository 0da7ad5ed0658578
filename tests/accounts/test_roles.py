"""Each staff role holds exactly the permissions its policy grants, in the admin too."""

import pytest
from django.contrib.auth.models import Group, Permission

from apps.accounts.models import Organisation
from apps.accounts.roles import Role, role_groups_sync
from tests.factories import OrganisationFactory, StaffFactory

pytestmark = pytest.mark.django_db

EXPECTED = {
    Role.OPERATIONS: {
        "accounts.view_organisation": True,
        "accounts.add_organisation": True,
        "accounts.change_organisation": True,
        "accounts.delete_organisation": False,
        "accounts.view_user": True,
        "accounts.change_user": False,
    },
    Role.COMPLIANCE: {
        "accounts.view_organisation": True,
        "accounts.change_organisation": False,
        "accounts.view_user": True,
    },
    Role.FINANCE: {
        "accounts.view_organisation": True,
        "accounts.change_organisation": False,
    },
    Role.AUDITOR: {
        "accounts.view_organisation": True,
        "accounts.view_historicalorganisation": True,
        "accounts.view_user": True,
        "auth.view_group": True,
        "accounts.add_organisation": False,
        "accounts.change_organisation": False,
        "accounts.delete_organisation": False,
        "accounts.change_user": False,
        "mfa.view_authenticator": False,
    },
    Role.ADMINISTRATOR: {
        "accounts.add_user": True,
        "accounts.change_user": True,
        "accounts.delete_organisation": True,
        "auth.view_group": True,
        "auth.change_group": False,  # roles are the policy in roles.py, not edited in the admin
        "auth.add_group": False,
        "mfa.delete_authenticator": True,
        "accounts.change_historicaluser": False,
    },
}


@pytest.mark.parametrize(
    ("role", "permission", "held"),
    [
        (role, permission, held)
        for role, permissions in EXPECTED.items()
        for permission, held in permissions.items()
    ],
)
def test_role_holds_its_permissions(role, permission, held):
    user = StaffFactory(roles=[role])

    assert user.has_perm(permission) is held


def test_auditor_holds_only_view_permissions():
    codenames = Group.objects.get(name=Role.AUDITOR).permissions.values_list("codename", flat=True)

    assert codenames
    assert all(codename.startswith("view_") for codename in codenames)


def test_no_role_may_change_history():
    history = Permission.objects.filter(codename__contains="_historical").exclude(
        codename__startswith="view_"
    )

    assert history.exists()
    assert not Group.objects.filter(permissions__in=history).exists()


def test_sync_restores_the_policy_after_a_group_was_edited_by_hand():
    auditor = Group.objects.get(name=Role.AUDITOR)
    auditor.permissions.add(Permission.objects.get(codename="change_organisation"))
    before = set(Group.objects.get(name=Role.OPERATIONS).permissions.all())

    role_groups_sync()

    assert not auditor.permissions.filter(codename="change_organisation").exists()
    assert set(Group.objects.get(name=Role.OPERATIONS).permissions.all()) == before


def test_auditor_can_view_an_organisation_in_the_admin_but_not_change_it(staff_client):
    organisation = OrganisationFactory(name="Alpine Introducers AG", country="CH")
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"

    assert client.get("/admin/accounts/organisation/").status_code == 200
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Renamed", "kind": "bank", "country": "CH", "lei": ""})

    assert response.status_code == 403
    organisation.refresh_from_db()
    assert organisation.name == "Alpine Introducers AG"
    assert client.get("/admin/accounts/organisation/add/").status_code == 403
    assert Organisation.history.count() == 1


def test_operations_can_change_an_organisation_and_history_names_them(staff_client):
    organisation = OrganisationFactory(name="Alpine Introducers AG", country="CH")
    operator = StaffFactory(roles=[Role.OPERATIONS])
    client = staff_client(operator)
    url = f"/admin/accounts/organisation/{organisation.pk}/change/"

    response = client.post(
        url,
        {
            "name": "Alpine Partners AG",
            "kind": "introducer",
            "country": "CH",
            "lei": "",
            "is_active": "on",
            "scope": "read",
        },
    )

    assert response.status_code == 302, response.content
    organisation.refresh_from_db()
    assert organisation.name == "Alpine Partners AG"
    latest = organisation.history.latest()
    assert latest.history_user == operator
    assert latest.name == "Alpine Partners AG"
