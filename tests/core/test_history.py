"""History rows name the user and the operation behind each change, wherever it was made."""

import pytest

from apps.accounts.roles import Role
from apps.accounts.services import organisation_update
from apps.core.history import acting, current_operation_id
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_change_made_while_acting_for_an_operation_is_stamped_with_it():
    organisation = OrganisationFactory(name="Before")
    clerk = UserFactory(is_staff=True, roles=[Role.OPERATIONS])

    with acting(user=clerk, operation_id=4242):
        organisation_update(organisation=organisation, data={"name": "After"}, by=clerk)

    latest = organisation.history.latest()
    assert latest.history_operation_id == 4242
    assert latest.history_user == clerk


def test_a_change_made_outside_any_operation_is_stamped_with_none():
    organisation = OrganisationFactory()

    assert organisation.history.get().history_operation_id is None


def test_the_context_is_restored_after_the_block_even_on_error():
    with pytest.raises(RuntimeError), acting(operation_id=1):
        raise RuntimeError

    assert current_operation_id() is None
