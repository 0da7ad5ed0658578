"""Reference records change only in the fields their update names; what the books and the cap
table are kept in is fixed, and a class never authorises less than is outstanding."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.roles import Role
from apps.captable.models import ShareClass
from apps.captable.services import reference_update, shares_issue
from tests.captable.conftest import D1, make_issuer
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(preferred, alice, people) -> ShareClass:
    shares_issue(
        share_class=preferred, stakeholder=alice, quantity=600_000, effective_date=D1, **people
    )
    return preferred


def test_a_class_cannot_move_to_another_issuer_nor_authorise_less_than_is_outstanding(
    issued, maker
):
    other = make_issuer("Other Co", maker)
    history = issued.history.count()

    with pytest.raises(ValidationError) as refused:
        reference_update(
            instance=issued,
            data={"issuer": other, "authorised_units": Decimal(599_999), "conversion_ratio": 2},
            by=maker,
        )

    assert refused.value.message_dict == {
        "issuer": ["the issuer of a share class is fixed when it is created"],
        "authorised_units": [
            "600000 units of Series A Preferred are outstanding: at least that many stay authorised"
        ],
        "conversion_ratio": [
            "Series A Preferred has 600000 units outstanding: its economic terms change only by "
            "a corporate action"
        ],
    }
    issued.refresh_from_db()
    assert (issued.issuer_id, issued.authorised_units) != (other.pk, Decimal(599_999))
    assert issued.history.count() == history


def test_a_class_is_renamed_and_authorises_what_is_outstanding_with_history(issued, maker):
    updated = reference_update(
        instance=issued,
        data={"name": "Series A", "authorised_units": Decimal(600_000)},
        by=maker,
    )

    assert (updated.name, updated.authorised_units) == ("Series A", Decimal(600_000))
    assert updated.history.latest("history_date").history_user == maker


def test_the_admin_shows_the_refusal_on_the_field_and_writes_nothing(issued, staff_client):
    client = staff_client(StaffFactory(roles=[Role.OPERATIONS]))
    url = f"/admin/captable/shareclass/{issued.pk}/change/"
    history = issued.history.count()

    page = client.get(url)
    response = client.post(
        url,
        {
            "name": issued.name,
            "authorised_units": "100",
            "seniority": issued.seniority,
            "votes_per_unit": issued.votes_per_unit,
            "class_type": issued.class_type,
            "liquidation_preference_multiple": issued.liquidation_preference_multiple,
            "conversion_ratio": issued.conversion_ratio,
        },
    )

    assert b'name="issuer"' not in page.content  # fixed: shown, not offered
    assert response.status_code == 200
    assert "at least that many stay authorised" in response.content.decode()
    issued.refresh_from_db()
    assert issued.authorised_units == Decimal(1_000_000)
    assert issued.history.count() == history
