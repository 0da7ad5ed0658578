"""Any balance can be shown as it was at a past time or right after a given operation."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Organisation
from apps.core.money import Money
from apps.ledger.models import AccountPurpose
from apps.ledger.selectors import balance, owner_balances
from apps.ledger.services import account_open
from tests.factories import OrganisationFactory
from tests.ledger.conftest import approved, eur, post

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 15, 12, tzinfo=UTC)


def test_balance_as_of_a_time_counts_what_took_effect_by_then(maker, checker, bank, cash):
    post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker, effective_at=JAN)
    post(
        [(bank, eur(-50)), (cash, eur(50))],
        maker=maker,
        checker=checker,
        effective_at=JAN + timedelta(days=31),
    )

    assert balance(cash, as_of=JAN - timedelta(microseconds=1)) == eur(0)
    assert balance(cash, as_of=JAN) == eur(100)
    assert balance(cash, as_of=JAN + timedelta(days=30)) == eur(100)
    assert balance(cash, as_of=JAN + timedelta(days=31)) == eur(150)
    assert balance(cash) == eur(150)


def test_a_back_dated_operation_changes_the_past_balance_but_not_the_state_after_earlier_operations(
    maker, checker, bank, cash
):
    first = post(
        [(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker, effective_at=JAN
    )
    post(
        [(bank, eur(-7)), (cash, eur(7))],
        maker=maker,
        checker=checker,
        effective_at=JAN - timedelta(days=10),
    )

    assert balance(cash, as_of=JAN) == eur(107)
    assert balance(cash, after_operation=first) == eur(100)


def test_balance_after_an_operation_is_what_the_books_showed_right_then(maker, checker, bank, cash):
    first = post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)
    second = post([(bank, eur(-20)), (cash, eur(20))], maker=maker, checker=checker)
    post([(cash, eur(-70)), (bank, eur(70))], maker=maker, checker=checker)

    assert balance(cash, after_operation=first) == eur(100)
    assert balance(cash, after_operation=second) == eur(120)
    assert balance(cash) == eur(50)


def test_balance_after_an_operation_not_executed_is_refused(maker, checker, bank, cash):
    pending = approved([(bank, eur(-1)), (cash, eur(1))], maker=maker, checker=checker)

    with pytest.raises(ValueError, match="approved"):
        balance(cash, after_operation=pending)


def test_an_account_without_entries_has_a_zero_balance_in_its_currency(usd_bank):
    assert balance(usd_bank) == Money(0, "USD")


def test_owner_balances_covers_every_account_of_the_owner_in_one_query(
    maker, checker, bank, django_assert_num_queries
):
    partner = OrganisationFactory()
    other: Organisation = OrganisationFactory()
    fees = account_open(purpose=AccountPurpose.FEE, currency="EUR", owner=partner, by=checker)
    dollars = account_open(purpose=AccountPurpose.CASH, currency="USD", owner=partner, by=checker)
    account_open(purpose=AccountPurpose.FEE, currency="EUR", owner=other, by=checker)
    first = post([(bank, eur(-900)), (fees, eur(900))], maker=maker, checker=checker)
    post([(bank, eur(-100)), (fees, eur(100))], maker=maker, checker=checker)

    with django_assert_num_queries(2):  # the accounts, then their sums
        balances = owner_balances(partner)

    assert balances == {fees: eur(1000), dollars: Money(0, "USD")}
    assert owner_balances(partner, after_operation=first) == {
        fees: eur(900),
        dollars: Money(0, "USD"),
    }


def test_balance_reads_one_query(maker, checker, bank, cash, django_assert_num_queries):
    post([(bank, eur(-100)), (cash, eur(100))], maker=maker, checker=checker)

    with django_assert_num_queries(1):
        balance(cash, as_of=timezone.now())
