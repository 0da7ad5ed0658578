from datetime import date
from pathlib import Path

import pytest

from apps.accounts.roles import Role
from apps.captable.models import Issuer, ShareClass, Stakeholder
from apps.captable.services import issuer_create, share_class_create, stakeholder_create
from tests.factories import UserFactory

D1, D2, D3 = date(2025, 1, 10), date(2025, 6, 30), date(2026, 3, 1)


@pytest.fixture
def maker(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS], email="captable.maker@example.com")


@pytest.fixture
def checker(db):
    return UserFactory(is_staff=True, roles=[Role.FINANCE], email="captable.checker@example.com")


@pytest.fixture
def people(maker, checker) -> dict:
    """The two people every recorded change needs: one makes it, the other approves it."""
    return {"by": maker, "approved_by": checker}


def make_issuer(name: str, by, *, kind: str = "company") -> Issuer:
    return issuer_create(
        name=name, kind=kind, legal_form="SAS", country="FR", currency="EUR", by=by
    )


@pytest.fixture
def issuer(maker) -> Issuer:
    return make_issuer("Lumen Robotics SAS", maker)


@pytest.fixture
def common(issuer, maker) -> ShareClass:
    return share_class_create(issuer=issuer, name="Ordinary", class_type="common", by=maker)


@pytest.fixture
def preferred(issuer, maker) -> ShareClass:
    return share_class_create(
        issuer=issuer,
        name="Series A Preferred",
        class_type="preferred",
        authorised_units=1_000_000,
        seniority=2,
        by=maker,
    )


def holder(issuer: Issuer, name: str, by, **fields) -> Stakeholder:
    return stakeholder_create(issuer=issuer, name=name, kind="individual", by=by, **fields)


@pytest.fixture
def alice(issuer, maker) -> Stakeholder:
    return holder(issuer, "Alice Martin", maker, party_key="investor:alice")


@pytest.fixture
def bob(issuer, maker) -> Stakeholder:
    return holder(issuer, "Bob Keller", maker, party_key="investor:bob")


REFERENCE_SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "ocf-schema"


@pytest.fixture(autouse=True)
def _reference_ocf_schemas(monkeypatch):
    """Validate against the team's reference copy of the OCF schemas, where it is beside us."""
    if REFERENCE_SCHEMAS.is_dir():
        monkeypatch.setenv("OCF_SCHEMA_DIR", str(REFERENCE_SCHEMAS))
