"""The investor admin's actions move a KYC only for the roles whose service may move it."""

from datetime import date

import pytest

from apps.accounts.roles import Role
from apps.investors.models import Investor, KycState
from apps.investors.services import investor_create, kyc_submit
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

MAY_SUBMIT = {Role.OPERATIONS, Role.COMPLIANCE}
MAY_APPROVE = {Role.COMPLIANCE}


@pytest.fixture
def investor(db) -> Investor:
    return investor_create(
        kind="person",
        legal_name="Élodie Marchand",
        date_of_birth=date(1980, 5, 17),
        country_of_residence="FR",
        tax_residence_country="FR",
        by=UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
    )


def _run(client, action: str, investor: Investor):
    return client.post(
        "/admin/investors/investor/",
        {"action": action, "_selected_action": [investor.pk]},
        follow=True,
    )


@pytest.mark.parametrize("role", list(Role))
def test_submitting_for_review_moves_the_kyc_only_for_roles_that_may(role, investor, staff_client):
    client = staff_client(StaffFactory(roles=[role]))
    history = investor.history.count()

    _run(client, "submit_for_review", investor)

    investor.refresh_from_db()
    if role in MAY_SUBMIT:
        assert investor.kyc_state == KycState.IN_REVIEW
    else:
        assert investor.kyc_state == KycState.PENDING
        assert investor.history.count() == history


@pytest.mark.parametrize("role", list(Role))
def test_approving_moves_the_kyc_only_for_compliance(role, investor, staff_client):
    investor = kyc_submit(investor=investor, by=UserFactory(roles=[Role.OPERATIONS]))
    client = staff_client(StaffFactory(roles=[role]))
    history = investor.history.count()

    _run(client, "approve", investor)

    investor.refresh_from_db()
    if role in MAY_APPROVE:
        assert investor.kyc_state == KycState.APPROVED
    else:
        assert investor.kyc_state == KycState.IN_REVIEW
        assert investor.history.count() == history
