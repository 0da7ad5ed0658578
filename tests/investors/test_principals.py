"""What an investor and a partner may do to investor files through the services themselves."""

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.models import Organisation
from apps.core.exceptions import PermissionRefused
from apps.investors.models import Investor
from apps.investors.services import (
    PartnerIntroductionRefused,
    investor_create,
    investor_update,
    kyc_submit,
)
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(**extra) -> dict:
    return {
        "kind": "person",
        "legal_name": "Inès Laurent",
        "country_of_residence": "FR",
        "tax_residence_country": "FR",
        **extra,
    }


def test_a_partner_brings_an_investor_introduced_by_itself():
    partner = OrganisationFactory(scope=Organisation.Scope.WRITE)

    investor = investor_create(by=partner.service_user, **_fields())

    assert investor.introduced_by == partner
    assert investor.history.get().history_user == partner.service_user


def test_a_partner_cannot_bring_an_investor_for_another_partner_and_nothing_is_written():
    partner = OrganisationFactory(scope=Organisation.Scope.WRITE)
    other = OrganisationFactory()

    with pytest.raises(PartnerIntroductionRefused, match="only investors it introduces"):
        investor_create(by=partner.service_user, **_fields(introduced_by=other))

    assert not Investor.objects.exists()


def test_a_partner_with_the_read_scope_brings_no_investor():
    reader = OrganisationFactory(scope=Organisation.Scope.READ)

    with pytest.raises(PermissionRefused):
        investor_create(by=reader.service_user, **_fields())

    assert not Investor.objects.exists()


def test_an_inactive_partner_may_do_nothing():
    partner = OrganisationFactory(scope=Organisation.Scope.WRITE, is_active=False)

    with pytest.raises(PermissionRefused):
        investor_create(by=partner.service_user, **_fields())


def test_an_investor_changes_their_contact_details_but_not_their_identity():
    user = UserFactory()
    investor = Investor.objects.create(**_fields(user=user))

    investor_update(investor=investor, data={"phone": "+33 6 12 34 56 78"}, by=user)
    with pytest.raises(ValidationError) as refused:
        investor_update(investor=investor, data={"legal_name": "Someone Else"}, by=user)

    investor.refresh_from_db()
    assert investor.phone == "+33 6 12 34 56 78"
    assert investor.legal_name == "Inès Laurent"
    assert list(refused.value.message_dict) == ["legal_name"]


def test_an_investor_submits_their_own_kyc_file_and_not_another_investors():
    user = UserFactory()
    own = Investor.objects.create(**_fields(user=user))
    other = Investor.objects.create(**_fields(legal_name="Paul Martin"))

    assert kyc_submit(investor=own, by=user).kyc_state == "in_review"
    with pytest.raises(PermissionRefused, match="Paul Martin"):
        kyc_submit(investor=other, by=user)

    other.refresh_from_db()
    assert other.kyc_state == "pending"
