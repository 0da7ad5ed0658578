"""A proposal keeps its amounts in the one JSON shape of money, and the migration moves old ones.

Before, an amount was kept as ``{"money": [minor units, currency]}``; it is now kept as
``Money.to_json`` writes it. Proposals are put back in the old shape around the service, as
they were stored before; the migration must turn them into what the service writes today,
leave every other parameter alone, do nothing the second time, and write the old shape back
when reversed. A migrated proposal still executes.
"""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from apps.core.money import Money
from apps.deals.models import Proposal
from apps.deals.services import deal_operation_propose, deal_proposal_execute
from apps.deals.services.proposals import decode, encode
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.deals.migrations.0005_proposal_params_money_json")

MONEY_CURRENCIES = sorted(code.value for code in Currency if code.exponent is not None)
CALL_DAY = date(2026, 3, 31)

OLD_CALL = {
    "amount": {"money": [4_000_000, "EUR"]},
    "call_date": {"date": "2026-03-31"},
    "due_date": {"date": "2026-03-31"},
    "purpose": "first investment",
}
NEW_CALL = {
    "amount": {"amount": "40000.00", "currency": "EUR"},
    "call_date": {"date": "2026-03-31"},
    "due_date": {"date": "2026-03-31"},
    "purpose": "first investment",
}


@pytest.fixture
def proposal(books) -> Proposal:
    """A proposed capital call whose parameters are stored in the old shape."""
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000), eur(300_000)])
    proposed = deal_operation_propose(
        deal=fund,
        action="capital_call",
        by=books.ops,
        amount=eur(40_000),
        call_date=CALL_DAY,
        due_date=CALL_DAY,
        purpose="first investment",
    )
    Proposal.objects.filter(pk=proposed.pk).update(params=OLD_CALL)
    return proposed


def _params(proposal: Proposal) -> dict:
    return Proposal.objects.get(pk=proposal.pk).params


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (eur("1234.56"), {"amount": "1234.56", "currency": "EUR"}),
        (Money(-5, "EUR"), {"amount": "-0.05", "currency": "EUR"}),
        (Money(1234, "JPY"), {"amount": "1234", "currency": "JPY"}),
        (date(2026, 1, 2), {"date": "2026-01-02"}),
        (Decimal("1.0000000001"), {"decimal": "1.0000000001"}),
    ],
)
def test_a_parameter_is_stored_in_its_one_shape_and_read_back_exactly(value, stored):
    assert encode(value) == stored
    assert decode(stored) == value


@pytest.mark.parametrize(
    "stored",
    [
        {"amount": 1234.56, "currency": "EUR"},
        {"amount": "1234.5", "currency": "EUR"},
        {"amount": "1234.56", "currency": "ZZZ"},
    ],
)
def test_a_stored_amount_not_in_the_one_shape_is_refused(stored):
    with pytest.raises(ValueError):
        decode(stored)


def test_old_parameters_are_rewritten_as_the_service_writes_them(proposal):
    migration.forward(apps, None)

    stored = _params(proposal)
    assert stored == NEW_CALL
    assert stored == {
        name: encode(value)
        for name, value in {
            "amount": eur(40_000),
            "call_date": CALL_DAY,
            "due_date": CALL_DAY,
            "purpose": "first investment",
        }.items()
    }


def test_a_migrated_proposal_still_executes(books, proposal):
    migration.forward(apps, None)

    call = deal_proposal_execute(proposal=Proposal.objects.get(pk=proposal.pk), by=books.finance)

    assert call.operation == proposal.operation
    assert sum(call.notices.values_list("amount_minor", flat=True)) == eur(40_000).amount_minor
    assert ledger_verify_report().passed


def test_the_reverse_writes_the_old_shape_back(proposal):
    migration.forward(apps, None)

    migration.backward(apps, None)

    assert _params(proposal) == OLD_CALL


def test_a_second_run_changes_nothing(proposal):
    migration.forward(apps, None)

    migration.forward(apps, None)

    assert _params(proposal) == NEW_CALL


def test_parameters_other_than_amounts_are_left_alone_both_ways():
    others = {
        "notice": {"model": "deals.capitalcallnotice", "pk": 3},
        "rate": {"decimal": "0.05"},
        "on": {"date": "2026-03-31"},
        "final": True,
        "units": 7,
        "purpose": "money",
        "kind": None,
    }

    assert migration.params_rewritten(others, migration.money_to_new) == others
    assert migration.params_rewritten(others, migration.money_to_old) == others


@pytest.mark.parametrize(
    "stored",
    [
        {"money": ["4000000", "EUR"]},
        {"money": [40000.0, "EUR"]},
        {"money": [True, "EUR"]},
        {"money": [4_000_000]},
        {"money": [4_000_000, "ZZZ"]},
        {"money": [4_000_000, "XAU"]},
    ],
)
def test_a_malformed_old_amount_stops_the_migration_and_writes_nothing(proposal, stored):
    Proposal.objects.filter(pk=proposal.pk).update(params={"amount": stored})

    with pytest.raises(ValueError):
        migration.forward(apps, None)

    assert _params(proposal) == {"amount": stored}


@given(
    amount_minor=st.integers(min_value=-(2**70), max_value=2**70),
    currency=st.sampled_from(MONEY_CURRENCIES),
)
def test_the_migrations_arithmetic_agrees_with_money(amount_minor, currency):
    money = Money(amount_minor, currency)
    old = {"money": [amount_minor, currency]}

    assert migration.money_to_new(old) == encode(money) == money.to_json()
    assert migration.money_to_old(money.to_json()) == old
