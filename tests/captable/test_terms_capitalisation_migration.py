"""The migration that records each convertible's capitalisation in its stored terms.

Terms stored before it hold no capitalisation, floor or nominal value; it gives each the
standard form's capitalisation (by kind, and for a SAFE by ``post_money``), reads back as the
services write, does nothing the second time, and reverses without losing a term that says
something.
"""

import importlib

import pytest
from django.apps import apps
from django.db.migrations.exceptions import IrreversibleError

from apps.captable.conversion import (
    BSA_AIR,
    NOTE,
    POST_MONEY_SAFE,
    PRE_MONEY_SAFE,
    ConvertibleTerms,
)
from apps.captable.models import Security
from apps.captable.services import convertible_issue
from apps.core.money import Money
from tests.captable.conftest import D1

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.captable.migrations.0009_terms_capitalisation")
ADDED = ("capitalisation", "valuation_floor", "nominal_value")

TERMS = {
    "pre-money SAFE": (
        ConvertibleTerms(
            kind="safe",
            principal=Money(10_000_000, "EUR"),
            valuation_cap=Money(500_000_000, "EUR"),
            post_money=False,
        ),
        PRE_MONEY_SAFE,
    ),
    "post-money SAFE": (
        ConvertibleTerms(
            kind="safe", principal=Money(10_000_000, "EUR"), valuation_cap=Money(500_000_000, "EUR")
        ),
        POST_MONEY_SAFE,
    ),
    "BSA AIR": (ConvertibleTerms(kind="bsa_air", principal=Money(5_000_000, "EUR")), BSA_AIR),
    "note": (ConvertibleTerms(kind="note", principal=Money(5_000_000, "EUR")), NOTE),
}


@pytest.fixture
def stored(issuer, alice, people) -> dict[str, Security]:
    """One convertible of each form, its terms stored as they were before the migration."""
    securities = {}
    for index, (name, (terms, _)) in enumerate(TERMS.items()):
        security = convertible_issue(
            issuer=issuer,
            stakeholder=alice,
            convertible_type=terms.kind,
            terms=terms,
            effective_date=D1,
            security_id=f"C-{index}",
            **people,
        )
        earlier = {key: value for key, value in terms.to_json().items() if key not in ADDED}
        Security.objects.filter(pk=security.pk).update(terms=earlier)
        securities[name] = security
    return securities


def terms_of(securities: dict[str, Security]) -> dict[str, dict]:
    return {name: Security.objects.get(pk=s.pk).terms for name, s in securities.items()}


def test_each_form_gets_its_standard_capitalisation_and_reads_back_as_written(stored):
    migration.forward(apps, None)

    for name, data in terms_of(stored).items():
        terms, capitalisation = TERMS[name]
        assert data == terms.to_json()
        assert data["capitalisation"] == capitalisation.to_json()
        assert (data["valuation_floor"], data["nominal_value"]) == (None, None)
        assert ConvertibleTerms.from_json(data) == terms


def test_the_second_run_changes_nothing(stored):
    migration.forward(apps, None)
    once = terms_of(stored)

    migration.forward(apps, None)

    assert terms_of(stored) == once


def test_the_reverse_puts_the_earlier_shape_back(stored):
    before = terms_of(stored)

    migration.forward(apps, None)
    migration.backward(apps, None)

    assert terms_of(stored) == before


def test_the_reverse_refuses_to_drop_a_floor(stored):
    migration.forward(apps, None)
    security = stored["BSA AIR"]
    data = {**security.terms, "valuation_floor": {"amount": "1000.00", "currency": "EUR"}}
    Security.objects.filter(pk=security.pk).update(terms=data)

    with pytest.raises(IrreversibleError):
        migration.backward(apps, None)
