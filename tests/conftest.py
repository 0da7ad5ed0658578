import os
import socket
from urllib.parse import urlparse

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from apps.accounts.demo import current_totp_code
from tests.factories import PASSWORD

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")

# Property tests: CI replays the same examples on every run and prints what reproduces a failure;
# "thorough" tries five times as many, on request (HYPOTHESIS_PROFILE=thorough). Locally they
# run with Hypothesis's own defaults. A test's own @settings still overrides what it names.
hypothesis_settings.register_profile(
    "ci", derandomize=True, max_examples=100, deadline=None, print_blob=True
)
hypothesis_settings.register_profile("thorough", max_examples=500, deadline=None)
hypothesis_settings.load_profile(
    "ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "default")
)


def _redis_answers() -> bool:
    url = urlparse(REDIS_TEST_URL)
    try:
        with socket.create_connection((url.hostname, url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("redis") and not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_TEST_URL}, and CI must test with it")
        pytest.skip(f"Redis does not answer at {REDIS_TEST_URL}")


@pytest.fixture
def redis_url() -> str:
    return REDIS_TEST_URL


@pytest.fixture(scope="session", autouse=True)
def _flush_may_truncate_the_books():
    """Let the flush that ends each transactional test empty the books on PostgreSQL.

    PostgreSQL refuses to TRUNCATE entries, operations, movements and seals unless the
    transaction has set ``roundtable.allow_truncate`` (ledger migration 0008). Django's flush
    truncates every table in one transaction; here, and only in tests, it sets that first.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush

    def sql_flush_allowed(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        return ["SET LOCAL roundtable.allow_truncate = on", *statements] if statements else []

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush_allowed)
        yield


@pytest.fixture(autouse=True)
def _books_verify_after_each_test(request):
    """Verify the books after every test that wrote to them, as ``ledger_verify`` would.

    A test that breaks the books on purpose (to see a check find it) says so with the
    ``books_not_verified`` marker.
    """
    uses_database = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
    } & set(request.fixturenames)
    if not uses_database or request.node.get_closest_marker("books_not_verified"):
        yield
        return
    # The database is set up before this fixture and torn down after it.
    request.getfixturevalue("_django_db_helper")
    yield
    from apps.ledger.models import Operation
    from apps.ledger.verification import ledger_verify_report

    if not Operation.objects.exists():
        return
    report = ledger_verify_report()
    breaches = [f"{check.name}: {breach}" for check in report.checks for breach in check.breaches]
    assert not breaches, "the books fail verification after this test:\n" + "\n".join(breaches)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # TOTP codes are single-use through the cache; tests must not see each other's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(client, user, *, code: str | None = None, password: str = PASSWORD):
    """Sign in through the real allauth flow: e-mail and password, then a TOTP code if given."""
    response = client.post("/accounts/login/", {"login": user.email, "password": password})
    if code is not None:
        response = client.post("/accounts/2fa/authenticate/", {"code": code})
    return response


@pytest.fixture
def staff_client(client):
    """Return a function signing ``user`` in with its authenticator, as a person would."""

    def _sign_in(user):
        response = sign_in(client, user, code=current_totp_code(user.totp_secret))
        assert response.status_code == 302, response.content
        return client

    return _sign_in
