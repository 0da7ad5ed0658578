"""Concurrent publications of one regime's rule set on PostgreSQL: each gets its own version."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from django.db import connections

from apps.accounts.services import system_user
from apps.compliance.models import RuleSet
from apps.compliance.rules import REGIMES
from apps.compliance.services import rule_set_publish
from tests.deals.conftest import published_rule_sets  # noqa: F401  (a fixture)
from tests.ledger.conftest import requires_postgresql

pytestmark = [
    requires_postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("published_rule_sets"),
]

ATTEMPTS = 8
REGIME = "de_semi_professional"


def test_concurrent_publications_each_take_the_next_version():
    before = RuleSet.objects.filter(regime=REGIME).count()
    start = threading.Barrier(ATTEMPTS)

    def publish(index: int) -> str:
        start.wait()
        try:
            rule_set_publish(
                regime=REGIME,
                effective_from=date(2027, 1, 1 + index),
                thresholds=dict(REGIMES[REGIME].default_thresholds),
                by=system_user(),
                notes=f"publication {index}",
            )
        except Exception as error:  # a loser of the race is what this test looks for
            return type(error).__name__
        finally:
            connections.close_all()
        return "done"

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        outcomes = list(pool.map(publish, range(ATTEMPTS)))

    assert outcomes == ["done"] * ATTEMPTS
    versions = sorted(RuleSet.objects.filter(regime=REGIME).values_list("version", flat=True))
    assert versions == list(range(1, before + ATTEMPTS + 1))
