"""One transition helper, one refusal of each kind: every declared lifecycle names who may move
it, and a service refuses anyone else whichever door they come through."""

from collections import Counter
from datetime import date

import pytest
from django.apps import apps
from django_fsm import FSMFieldMixin

from apps.accounts.roles import Role
from apps.core.exceptions import DomainError, PermissionRefused, TransitionRefused
from apps.investors.models import Investor, KycState
from apps.investors.services import investor_create, kyc_submit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _transitions():
    for model in apps.get_models():
        for field in model._meta.fields:
            if isinstance(field, FSMFieldMixin):
                for transition in field.get_all_transitions(model):
                    yield model, transition


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_declared_transition_names_its_permission():
    transitions = list(_transitions())

    assert len(transitions) > 20
    assert [
        f"{model._meta.label}.{transition.name}"
        for model, transition in transitions
        if not transition.permission
    ] == []


def test_no_two_refusals_share_a_name():
    names = Counter(cls.__name__ for cls in _subclasses(DomainError))

    assert [name for name, count in names.items() if count > 1] == []
    assert {TransitionRefused, PermissionRefused} <= set(_subclasses(DomainError))


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.FINANCE, Role.ADMINISTRATOR])
def test_a_role_without_the_permission_is_refused_by_the_service_and_nothing_changes(role):
    clerk = UserFactory(is_staff=True, roles=[Role.OPERATIONS])
    investor = investor_create(
        kind="person",
        legal_name="Élodie Marchand",
        date_of_birth=date(1980, 5, 17),
        country_of_residence="FR",
        tax_residence_country="FR",
        by=clerk,
    )
    history = investor.history.count()

    with pytest.raises(PermissionRefused, match="may not change investor: "):
        kyc_submit(investor=investor, by=UserFactory(is_staff=True, roles=[role]))

    investor = Investor.objects.get(pk=investor.pk)
    assert investor.kyc_state == KycState.PENDING
    assert investor.history.count() == history
    assert kyc_submit(investor=investor, by=clerk).kyc_state == KycState.IN_REVIEW
