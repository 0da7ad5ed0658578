"""Admin pages write through the services: validation, history and the vouched e-mail included."""

import pytest
from allauth.account.models import EmailAddress

from apps.accounts.models import Organisation, User
from apps.accounts.roles import Role
from tests.factories import OrganisationFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_administrator_adds_a_user_who_can_then_sign_in(staff_client):
    administrator = StaffFactory(roles=[Role.ADMINISTRATOR])
    client = staff_client(administrator)

    response = client.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Analyst@Example.com",
            "full_name": "New Analyst",
            "is_staff": "on",
            "usable_password": "true",
            "password1": "a-long-unguessable-passphrase",
            "password2": "a-long-unguessable-passphrase",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="new.analyst@example.com")
    assert user.is_staff
    assert user.check_password("a-long-unguessable-passphrase")
    assert EmailAddress.objects.get(user=user).verified
    assert user.history.get().history_user == administrator


def test_administrator_adds_a_user_without_a_password(staff_client):
    client = staff_client(StaffFactory(roles=[Role.ADMINISTRATOR]))

    client.post(
        "/admin/accounts/user/add/",
        {"email": "invited@example.com", "full_name": "", "usable_password": "false"},
    )

    assert not User.objects.get(email="invited@example.com").has_usable_password()


def test_operations_add_an_organisation_and_history_names_them(staff_client):
    operator = StaffFactory(roles=[Role.OPERATIONS])
    client = staff_client(operator)

    response = client.post(
        "/admin/accounts/organisation/add/",
        {
            "name": "Nordic Bank AB",
            "kind": "bank",
            "country": "SE",
            "lei": "",
            "is_active": "on",
            "scope": "read",
        },
    )

    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Nordic Bank AB")
    assert organisation.history.get().history_user == operator


def test_an_organisation_with_a_bad_lei_is_refused_in_the_admin_and_nothing_is_written(
    staff_client,
):
    existing = OrganisationFactory(name="Nordic Bank AB", country="SE")
    client = staff_client(StaffFactory(roles=[Role.OPERATIONS]))

    response = client.post(
        f"/admin/accounts/organisation/{existing.pk}/change/",
        {
            "name": "Nordic Bank AB",
            "kind": "bank",
            "country": "SE",
            "lei": "12345",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "lei" in response.context["adminform"].form.errors
    existing.refresh_from_db()
    assert existing.lei == ""
    assert existing.history.count() == 1


def test_organisation_list_is_searchable_and_filterable(staff_client):
    OrganisationFactory(name="Alpine Introducers AG", country="CH")
    OrganisationFactory(name="Nordic Bank AB", kind="bank", country="SE")
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    found = client.get("/admin/accounts/organisation/", {"q": "alpine"})
    banks = client.get("/admin/accounts/organisation/", {"kind__exact": "bank"})

    assert [o.name for o in found.context["cl"].result_list] == ["Alpine Introducers AG"]
    assert [o.name for o in banks.context["cl"].result_list] == ["Nordic Bank AB"]
