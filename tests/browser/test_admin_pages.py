"""The back office in a browser: pages render under the Content-Security-Policy, history is
read-only, personal data stays masked."""

from datetime import date

import pytest

from apps.accounts.roles import Role
from apps.investors.services import investor_create, investor_update
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

TAX_ID = "36574261809"


@pytest.fixture
def investor():
    clerk = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    person = investor_create(
        kind="person",
        legal_name="Élodie Marchand",
        date_of_birth=date(1980, 5, 17),
        country_of_residence="FR",
        tax_residence_country="DE",
        tax_id=TAX_ID,
        identity_document_number="18AB12345",
        by=clerk,
    )
    return investor_update(investor=person, data={"phone": "+33 1 23 45 67 89"}, by=clerk)


def test_an_investors_pages_and_history_render_masked_for_the_auditor(staff_tab, investor):
    tab = staff_tab(StaffFactory(roles=[Role.AUDITOR]))
    version = investor.history.earliest("history_date")
    base = f"/admin/investors/investor/{investor.pk}"

    pages = [
        tab.open(f"{base}/change/", shot="investor-change"),
        tab.open(f"{base}/history/", shot="investor-history"),
        tab.open(f"{base}/history/{version.history_id}/", shot="investor-version"),
    ]

    assert [page.status for page in pages] == [200, 200, 200]
    assert tab.page.get_by_role("button").filter(has_text="Revert").count() == 0
    assert "•••••••1809" in tab.page.content()
    assert TAX_ID not in tab.page.content()
    assert tab.violations == []


def test_an_administrators_own_user_page_offers_no_escalation(staff_tab):
    administrator = StaffFactory(roles=[Role.ADMINISTRATOR], full_name="Ada Admin")
    tab = staff_tab(administrator)

    page = tab.open(f"/admin/accounts/user/{administrator.pk}/change/", shot="own-user")
    tab.open("/admin/auth/group/", shot="roles")

    assert page.status == 200
    assert tab.page.locator("input[name=is_superuser]").count() == 0
    tab.open(f"/admin/accounts/user/{administrator.pk}/change/")
    assert tab.page.locator("select[name=groups]").count() == 0
    assert tab.violations == []
