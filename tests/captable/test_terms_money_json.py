"""The migration to the one JSON shape of money rewrites the stored terms of convertibles exactly.

Rows are put back in the old shape (``{"amount_minor": int, "currency": str}``) around the
services, as they were stored before; the migration must turn them into what the services
write today, leave everything else alone, do nothing the second time, and write the old shape
back when reversed. Terms it rewrote still go out to an OCF package and come back the same.
"""

import importlib
import json
from fractions import Fraction

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import Security
from apps.captable.ocf.exporter import ocf_export
from apps.captable.ocf.importer import ocf_import
from apps.captable.services import convertible_issue, shares_issue
from apps.core.money import Money
from tests.captable.conftest import D1

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.captable.migrations.0008_terms_money_json")
# The terms have since gained their capitalisation, floor and nominal value.
completed = importlib.import_module("apps.captable.migrations.0009_terms_capitalisation").completed

MONEY_CURRENCIES = sorted(code.value for code in Currency if code.exponent is not None)

NOTE = ConvertibleTerms(
    kind="note",
    principal=Money(5_000_005, "EUR"),
    valuation_cap=Money(400_000_000, "EUR"),
    discount=Fraction(1, 5),
    post_money=False,
    interest_rate=Fraction(8, 100),
    compounding="annual",
    issue_date=D1,
)
OLD_NOTE = {
    "kind": "note",
    "principal": {"amount_minor": 5_000_005, "currency": "EUR"},
    "valuation_cap": {"amount_minor": 400_000_000, "currency": "EUR"},
    "discount": "1/5",
    "post_money": False,
    "interest_rate": "2/25",
    "compounding": "annual",
    "issue_date": "2025-01-10",
}
NEW_NOTE = {
    **OLD_NOTE,
    "principal": {"amount": "50000.05", "currency": "EUR"},
    "valuation_cap": {"amount": "4000000.00", "currency": "EUR"},
}

SAFE = ConvertibleTerms(kind="safe", principal=Money(10_000_000, "EUR"))
OLD_SAFE = {
    "kind": "safe",
    "principal": {"amount_minor": 10_000_000, "currency": "EUR"},
    "valuation_cap": None,
    "discount": None,
    "post_money": True,
    "interest_rate": None,
    "compounding": "simple",
    "issue_date": None,
}
NEW_SAFE = {**OLD_SAFE, "principal": {"amount": "100000.00", "currency": "EUR"}}


def issue(issuer, holder, people, terms: ConvertibleTerms, security_id: str) -> Security:
    return convertible_issue(
        issuer=issuer,
        stakeholder=holder,
        convertible_type=terms.kind,
        terms=terms,
        effective_date=D1,
        security_id=security_id,
        **people,
    )


@pytest.fixture
def note(issuer, alice, people) -> Security:
    """A note whose terms are stored in the old shape."""
    security = issue(issuer, alice, people, NOTE, "N-1")
    Security.objects.filter(pk=security.pk).update(terms=OLD_NOTE)
    return security


@pytest.fixture
def safe(issuer, bob, people) -> Security:
    """A SAFE without a cap whose terms are stored in the old shape."""
    security = issue(issuer, bob, people, SAFE, "S-1")
    Security.objects.filter(pk=security.pk).update(terms=OLD_SAFE)
    return security


def stored_terms() -> dict[str, dict]:
    return dict(Security.objects.values_list("security_id", "terms"))


def test_the_services_write_what_the_migrations_write():
    assert NOTE.to_json() == completed(NEW_NOTE)
    assert ConvertibleTerms.from_json(NEW_NOTE) == NOTE
    assert SAFE.to_json() == completed(NEW_SAFE)
    assert ConvertibleTerms.from_json(NEW_SAFE) == SAFE


def test_old_terms_are_rewritten_in_the_new_shape_and_read_back_exactly(note, safe):
    migration.forward(apps, None)

    stored = stored_terms()
    assert stored == {"N-1": NEW_NOTE, "S-1": NEW_SAFE}
    assert ConvertibleTerms.from_json(stored["N-1"]) == NOTE
    assert ConvertibleTerms.from_json(stored["S-1"]) == SAFE


def test_securities_without_terms_are_left_alone(note, common, alice, people):
    shares = shares_issue(
        share_class=common, stakeholder=alice, quantity=1_000, effective_date=D1, **people
    )

    migration.forward(apps, None)
    migration.backward(apps, None)

    assert Security.objects.get(pk=shares.pk).terms == {}


def test_terms_other_than_the_amounts_are_kept_as_they_are(note):
    kept = {**OLD_NOTE, "comment": {"amount_minor": 1, "currency": "EUR"}}
    Security.objects.filter(pk=note.pk).update(terms=kept)

    migration.forward(apps, None)

    assert stored_terms()["N-1"] == {**NEW_NOTE, "comment": kept["comment"]}


def test_the_reverse_writes_the_old_shape_back(note, safe):
    migration.forward(apps, None)

    migration.backward(apps, None)

    assert stored_terms() == {"N-1": OLD_NOTE, "S-1": OLD_SAFE}


def test_a_second_run_changes_nothing(note, safe):
    migration.forward(apps, None)
    once = stored_terms()

    migration.forward(apps, None)

    assert stored_terms() == once == {"N-1": NEW_NOTE, "S-1": NEW_SAFE}


def test_the_reverse_leaves_terms_in_the_old_shape_alone(note, safe):
    migration.backward(apps, None)

    assert stored_terms() == {"N-1": OLD_NOTE, "S-1": OLD_SAFE}


def test_forward_then_back_then_forward_again_gives_the_same_rows(note, safe):
    migration.forward(apps, None)
    once = stored_terms()

    migration.backward(apps, None)
    migration.forward(apps, None)

    assert stored_terms() == once


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
def test_a_malformed_old_amount_stops_the_migration_and_writes_nothing(note, safe, stored):
    # The note comes first, so that its rewrite would be written if anything were.
    Security.objects.filter(pk=safe.pk).update(terms={**OLD_SAFE, "principal": stored})

    with pytest.raises(ValueError):
        migration.forward(apps, None)

    assert stored_terms() == {"N-1": OLD_NOTE, "S-1": {**OLD_SAFE, "principal": stored}}


def test_a_malformed_new_amount_stops_the_reverse_and_writes_nothing(note, safe):
    migration.forward(apps, None)
    stored = {"amount": "1000.5", "currency": "EUR"}
    Security.objects.filter(pk=safe.pk).update(terms={**NEW_SAFE, "principal": stored})

    with pytest.raises(ValueError):
        migration.backward(apps, None)

    assert stored_terms() == {"N-1": NEW_NOTE, "S-1": {**NEW_SAFE, "principal": stored}}


@given(
    amount_minor=st.integers(min_value=-(2**70), max_value=2**70),
    currency=st.sampled_from(MONEY_CURRENCIES),
)
def test_the_migrations_arithmetic_agrees_with_money(amount_minor, currency):
    money = Money(amount_minor, currency)
    old = {"amount_minor": amount_minor, "currency": currency}

    assert migration.money_to_new(old) == money.to_json()
    assert migration.money_to_old(money.to_json()) == old


def test_rewritten_convertibles_survive_an_ocf_export_and_an_import(note, safe, people, tmp_path):
    migration.forward(apps, None)

    ocf_export(issuer=note.issuer, outdir=tmp_path)
    manifest_path = tmp_path / "Manifest.ocf.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["issuer"]["legal_name"] = "Lumen Robotics Copy SAS"
    manifest["issuer"].pop("dba", None)
    manifest_path.write_text(json.dumps(manifest))
    copy = ocf_import(path=tmp_path, **people)

    imported = {
        security.security_id: (security.convertible_type, security.terms)
        for security in Security.objects.filter(issuer=copy)
    }
    # An import dates a convertible from its issuance where its terms give no date.
    assert imported == {
        "N-1": ("note", completed(NEW_NOTE)),
        "S-1": ("safe", completed({**NEW_SAFE, "issue_date": D1.isoformat()})),
    }
    assert ConvertibleTerms.from_json(imported["N-1"][1]) == NOTE
