"""The migration to the one JSON shape of money rewrites stored thresholds and answers exactly.

Rows are put back in the old shape (``{"amount_minor": int, "currency": str}``) around the
services, as they were stored before; the migration must turn them into what the services
write today, leave everything else alone, do nothing the second time, and write the old shape
back when reversed.
"""

import importlib
from datetime import date

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from apps.accounts.roles import Role
from apps.compliance.models import Assessment, RuleSet
from apps.compliance.rules import REGIMES, thresholds_from_json, thresholds_to_json
from apps.compliance.services import answers_from_json, answers_to_json, assessment_record
from apps.core.money import Money
from apps.investors.services import investor_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.compliance.migrations.0005_money_json")
first_rule_sets = importlib.import_module("apps.compliance.migrations.0002_first_rule_sets")

MONEY_CURRENCIES = sorted(code.value for code in Currency if code.exponent is not None)

ANSWERS = {
    "annual_income": Money(10_000_000, "GBP"),
    "net_assets": Money(-5, "GBP"),
    "statement_signed_on": date(2026, 3, 31),
    "income": [Money(15_000_000, "USD"), [Money(0, "JPY")]],
    "joint": False,
    "licences": ["series_7"],
}
OLD_ANSWERS = {
    "annual_income": {"amount_minor": 10_000_000, "currency": "GBP"},
    "net_assets": {"amount_minor": -5, "currency": "GBP"},
    "statement_signed_on": {"date": "2026-03-31"},
    "income": [
        {"amount_minor": 15_000_000, "currency": "USD"},
        [{"amount_minor": 0, "currency": "JPY"}],
    ],
    "joint": False,
    "licences": ["series_7"],
}
NEW_ANSWERS = {
    "annual_income": {"amount": "100000.00", "currency": "GBP"},
    "net_assets": {"amount": "-0.05", "currency": "GBP"},
    "statement_signed_on": {"date": "2026-03-31"},
    "income": [{"amount": "150000.00", "currency": "USD"}, [{"amount": "0", "currency": "JPY"}]],
    "joint": False,
    "licences": ["series_7"],
}

OLD_UK_HNW = {
    "annual_income_at_least": {"amount_minor": 10_000_000, "currency": "GBP"},
    "net_assets_at_least": {"amount_minor": 25_000_000, "currency": "GBP"},
    "statement_valid_months": 12,
}
NEW_UK_HNW = {
    "annual_income_at_least": {"amount": "100000.00", "currency": "GBP"},
    "net_assets_at_least": {"amount": "250000.00", "currency": "GBP"},
    "statement_valid_months": 12,
}


@pytest.fixture
def rule_sets(db) -> None:
    """Version 1 of every regime, as migration 0002 publishes it (a flush may have removed it)."""
    first_rule_sets.publish(apps, None)


@pytest.fixture
def assessment(rule_sets) -> Assessment:
    """An assessment whose answers are stored in the old shape."""
    officer = UserFactory(is_staff=True, roles=[Role.COMPLIANCE])
    investor = investor_create(
        kind="person",
        legal_name="Camille Rousseau",
        country_of_residence="GB",
        tax_residence_country="GB",
        by=UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
    )
    made = assessment_record(
        investor=investor,
        regime="uk_certified_hnw",
        answers={"annual_income": Money(10_000_000, "GBP")},
        by=officer,
        on=date(2026, 4, 1),
    )
    Assessment.objects.filter(pk=made.pk).update(answers=OLD_ANSWERS)
    return made


def _thresholds() -> dict[str, dict]:
    return dict(RuleSet.objects.filter(version=1).values_list("regime", "thresholds"))


def test_the_services_write_what_the_migration_writes():
    assert answers_to_json(ANSWERS) == NEW_ANSWERS
    assert answers_from_json(NEW_ANSWERS) == ANSWERS
    uk_hnw = REGIMES["uk_certified_hnw"].default_thresholds
    assert thresholds_to_json(uk_hnw) == NEW_UK_HNW
    assert thresholds_from_json(NEW_UK_HNW) == uk_hnw


def test_old_answers_are_rewritten_in_the_new_shape_and_read_back_exactly(assessment):
    migration.forward(apps, None)

    stored = Assessment.objects.get(pk=assessment.pk).answers
    assert stored == NEW_ANSWERS
    assert answers_from_json(stored) == ANSWERS


def test_old_thresholds_are_rewritten_as_the_service_writes_them(rule_sets):
    RuleSet.objects.filter(regime="uk_certified_hnw", version=1).update(thresholds=OLD_UK_HNW)

    migration.forward(apps, None)

    stored = _thresholds()
    assert stored["uk_certified_hnw"] == NEW_UK_HNW
    assert stored == {
        code: thresholds_to_json(regime.default_thresholds) for code, regime in REGIMES.items()
    }


def test_the_reverse_writes_the_old_shape_back(assessment):
    migration.forward(apps, None)

    migration.backward(apps, None)

    assert Assessment.objects.get(pk=assessment.pk).answers == OLD_ANSWERS
    thresholds = _thresholds()
    assert thresholds["uk_certified_hnw"] == OLD_UK_HNW
    assert not any(
        set(value) == {"amount", "currency"}
        for stored in thresholds.values()
        for value in stored.values()
        if isinstance(value, dict)
    )


def test_a_second_run_changes_nothing(assessment):
    migration.forward(apps, None)
    answers, thresholds = Assessment.objects.get(pk=assessment.pk).answers, _thresholds()

    migration.forward(apps, None)

    assert Assessment.objects.get(pk=assessment.pk).answers == answers == NEW_ANSWERS
    assert _thresholds() == thresholds


def test_forward_then_back_then_forward_again_gives_the_same_rows(assessment):
    migration.forward(apps, None)
    once = (Assessment.objects.get(pk=assessment.pk).answers, _thresholds())

    migration.backward(apps, None)
    migration.forward(apps, None)

    assert (Assessment.objects.get(pk=assessment.pk).answers, _thresholds()) == once


@pytest.mark.parametrize(
    "stored",
    [
        {"amount_minor": "100", "currency": "EUR"},
        {"amount_minor": 1.5, "currency": "EUR"},
        {"amount_minor": True, "currency": "EUR"},
        {"amount_minor": 100, "currency": "ZZZ"},
        {"amount_minor": 100, "currency": "XAU"},
    ],
)
def test_a_malformed_old_amount_stops_the_migration_and_writes_nothing(assessment, stored):
    Assessment.objects.filter(pk=assessment.pk).update(answers={"net_assets": stored})

    with pytest.raises(ValueError):
        migration.forward(apps, None)

    assert Assessment.objects.get(pk=assessment.pk).answers == {"net_assets": stored}


@given(
    amount_minor=st.integers(min_value=-(2**70), max_value=2**70),
    currency=st.sampled_from(MONEY_CURRENCIES),
)
def test_the_migrations_arithmetic_agrees_with_money(amount_minor, currency):
    money = Money(amount_minor, currency)
    old = {"amount_minor": amount_minor, "currency": currency}

    assert migration.money_to_new(old) == money.to_json()
    assert migration.money_to_old(money.to_json()) == old
