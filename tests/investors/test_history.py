"""An investor's history shows personal data masked; a past value is revealed like today's."""

from datetime import date

import pytest

from apps.accounts.roles import Role
from apps.core.exceptions import PermissionRefused
from apps.investors.models import SensitiveDataReveal
from apps.investors.services import (
    RevealRefused,
    investor_create,
    investor_update,
    sensitive_value_reveal,
)
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

OLD_TAX_ID, NEW_TAX_ID = "36574261809", "52345678908"
OLD_DOCUMENT, NEW_DOCUMENT = "18AB12345", "19CD67890"


@pytest.fixture
def investor(db):
    clerk = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    person = investor_create(
        kind="person",
        legal_name="Élodie Marchand",
        date_of_birth=date(1980, 5, 17),
        country_of_residence="FR",
        tax_residence_country="DE",
        tax_id=OLD_TAX_ID,
        identity_document_number=OLD_DOCUMENT,
        by=clerk,
    )
    return investor_update(
        investor=person,
        data={"tax_id": NEW_TAX_ID, "identity_document_number": NEW_DOCUMENT},
        by=clerk,
    )


@pytest.mark.parametrize("role", list(Role))
def test_history_pages_show_no_personal_data_in_clear_to_any_role(role, investor, staff_client):
    client = staff_client(StaffFactory(roles=[role]))
    pages = [client.get(f"/admin/investors/investor/{investor.pk}/history/")] + [
        client.get(f"/admin/investors/investor/{investor.pk}/history/{version.history_id}/")
        for version in investor.history.all()
    ]

    assert [page.status_code for page in pages] == [200] * 3
    for page in pages:
        for value in (OLD_TAX_ID, NEW_TAX_ID, OLD_DOCUMENT, NEW_DOCUMENT):
            assert value.encode() not in page.content
    assert "•••••••1809".encode() in pages[0].content  # the change, old → new, masked
    assert not SensitiveDataReveal.objects.exists()


def test_a_past_value_is_revealed_through_the_logged_reveal(investor, staff_client):
    officer = StaffFactory(roles=[Role.COMPLIANCE])
    client = staff_client(officer)
    first = investor.history.earliest("history_date")

    base = f"/admin/investors/investor/{investor.pk}"
    version_page = client.get(f"{base}/history/{first.history_id}/")
    revealed = client.get(
        f"/admin/investors/investor/{investor.pk}/reveal/tax_id/?version={first.history_id}"
    )

    assert f"reveal/tax_id/?version={first.history_id}".encode() in version_page.content
    assert OLD_TAX_ID.encode() in revealed.content
    assert b"as a past version recorded it" in revealed.content
    look = SensitiveDataReveal.objects.get()
    assert (look.user, look.field, look.version) == (officer, "tax_id", first.history_id)


def test_a_past_value_is_refused_without_the_reveal_permission_and_nothing_is_logged(investor):
    clerk = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    first = investor.history.earliest("history_date")

    with pytest.raises(PermissionRefused, match="may not reveal encrypted personal data"):
        sensitive_value_reveal(
            investor=investor, field="tax_id", by=clerk, version=first.history_id
        )

    assert not SensitiveDataReveal.objects.exists()


def test_a_version_of_another_investor_is_refused(investor):
    officer = UserFactory(is_staff=True, roles=[Role.COMPLIANCE])

    with pytest.raises(RevealRefused, match="no version"):
        sensitive_value_reveal(investor=investor, field="tax_id", by=officer, version=10**9)

    assert not SensitiveDataReveal.objects.exists()
