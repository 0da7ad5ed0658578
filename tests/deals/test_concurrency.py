"""Concurrent deal operations on PostgreSQL: the vehicle's lock lets exactly one through."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections

from apps.core.exceptions import DomainError
from apps.deals.models import CapitalCallPayment, Closing
from apps.deals.selectors import notice_outstanding
from apps.deals.services import capital_call_issue, capital_call_payment_record, deal_close
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur
from tests.ledger.conftest import requires_postgresql

pytestmark = [
    requires_postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("published_rule_sets"),
]

ATTEMPTS = 8


def _race(attempt) -> list[str]:
    """Run ``attempt`` from ATTEMPTS threads at once, each on its own connection."""
    start = threading.Barrier(ATTEMPTS)

    def run(_):
        start.wait()
        try:
            attempt()
        except DomainError as error:
            return type(error).__name__
        finally:
            connections.close_all()
        return "done"

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        return sorted(pool.map(run, range(ATTEMPTS)))


def test_concurrent_closings_of_one_deal_close_it_once(books, ready):
    outcomes = _race(
        lambda: deal_close(
            deal=ready, by=books.ops, approved_by=books.finance, effective_date=date(2026, 3, 31)
        )
    )

    assert outcomes.count("done") == 1
    assert Closing.objects.count() == 1
    assert ledger_verify_report().passed


def test_concurrent_payments_of_a_whole_notice_settle_it_once(books):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000)])
    call = capital_call_issue(
        deal=fund,
        amount=eur(10_000),
        call_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        by=books.ops,
        approved_by=books.finance,
    )
    notice = call.notices.get()
    books.deposit(notice.investor, eur(100_000))

    outcomes = _race(
        lambda: capital_call_payment_record(
            notice=notice,
            amount=eur(10_000),
            paid_on=date(2026, 3, 15),
            by=books.ops,
            approved_by=books.finance,
        )
    )

    assert outcomes.count("done") == 1
    assert CapitalCallPayment.objects.count() == 1
    assert notice_outstanding(notice) == eur(0)
    assert books.cash(notice.investor) == eur(90_000)
    assert ledger_verify_report().passed
