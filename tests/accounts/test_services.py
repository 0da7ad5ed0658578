import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.models import Organisation, User
from apps.accounts.roles import Role
from apps.accounts.services import (
    organisation_create,
    organisation_update,
    staff_user_create,
    system_user,
)
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_LEI = "5493001KJTIIGC8Y1R12"


def test_staff_user_create_stores_a_lower_case_email_with_its_role_and_author():
    admin = UserFactory(is_staff=True, roles=[Role.ADMINISTRATOR])

    user = staff_user_create(
        email="  Marie.Curie@Example.COM ",
        full_name="Marie Curie",
        roles=(Role.COMPLIANCE,),
        password="a-long-unguessable-passphrase",
        by=admin,
    )

    assert user.email == "marie.curie@example.com"
    assert user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["compliance"]
    assert EmailAddress.objects.get(user=user).verified
    assert user.history.get().history_user == admin


def test_user_create_with_a_weak_password_is_refused_and_writes_nothing():
    with pytest.raises(ValidationError):
        staff_user_create(
            email="weak@example.com", full_name="", roles=(), password="12345678", by=system_user()
        )

    assert not User.objects.filter(email="weak@example.com").exists()
    assert not EmailAddress.objects.exists()


def test_user_create_with_an_email_in_use_in_another_casing_is_refused():
    UserFactory(email="taken@example.com")
    system = system_user()

    with pytest.raises(ValidationError):
        staff_user_create(
            email="TAKEN@example.com", full_name="", roles=(), password=None, by=system
        )

    assert User.objects.count() == 2  # the taken address and the system user


def test_database_refuses_an_email_that_is_not_lower_case():
    user = UserFactory(email="lower@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Lower@example.com")


def test_sign_in_ignores_the_casing_of_the_email(client):
    user = UserFactory(email="case@example.com")

    client.post(
        "/accounts/login/",
        {"login": "CASE@Example.com", "password": "correct-horse-battery-staple"},
    )

    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_with_a_wrong_password_is_refused(client):
    user = UserFactory()

    response = client.post("/accounts/login/", {"login": user.email, "password": "wrong"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_visitors_cannot_sign_up(client):
    response = client.post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "password1": "a-long-passphrase",
            "password2": "a-long-passphrase",
        },
    )

    assert b"closed" in response.content.lower()
    assert not User.objects.filter(email="new@example.com").exists()


def test_organisation_create_with_a_bad_lei_is_refused_and_writes_nothing():
    with pytest.raises(ValidationError) as error:
        organisation_create(
            name="Bad LEI Bank",
            kind="bank",
            country="DE",
            lei="5493001KJTIIGC8Y1R13",
            by=system_user(),
        )

    assert "lei" in error.value.message_dict
    assert not Organisation.objects.exists()
    assert not Organisation.history.exists()


def test_organisation_create_records_who_created_it():
    admin = UserFactory(is_staff=True, roles=[Role.OPERATIONS])

    organisation = organisation_create(
        name="Good Bank", kind="bank", country="DE", lei=VALID_LEI, by=admin
    )

    assert organisation.history.get().history_user == admin


def test_organisation_update_refuses_fields_it_does_not_own():
    organisation = OrganisationFactory()

    with pytest.raises(ValueError, match="created_at"):
        organisation_update(organisation=organisation, data={"created_at": None}, by=system_user())


def test_organisation_update_without_a_change_writes_no_history():
    organisation = OrganisationFactory(name="Same")

    organisation_update(organisation=organisation, data={"name": "Same"}, by=system_user())

    assert organisation.history.count() == 1


def test_two_organisations_cannot_share_an_lei():
    OrganisationFactory(lei=VALID_LEI)

    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(name="Other", kind="bank", country="FR", lei=VALID_LEI)
