import io
import json
import logging

import pytest
from django.test import Client

from roundtable.logs import json_formatter


@pytest.fixture
def log_lines():
    """Capture what the root logger writes during the test, rendered as production JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_every_line_of_a_request_carries_its_request_id(log_lines):
    client = Client(enforce_csrf_checks=True)
    # Refused by the CSRF check, which logs through the standard library, not structlog.
    client.post("/accounts/login/", {"login": "someone@example.com"})
    client.post("/accounts/login/", {"login": "someone@example.com"})

    lines = log_lines()
    assert [(line["logger"], line["event"].split(" ")[0]) for line in lines] == 2 * [
        ("django_structlog.middlewares.request", "request_started"),
        ("django.security.csrf", "Forbidden"),
        ("django_structlog.middlewares.request", "request_finished"),
    ]
    first, second = lines[:3], lines[3:]
    assert len({line["request_id"] for line in first}) == 1
    assert len({line["request_id"] for line in second}) == 1
    assert first[0]["request_id"] != second[0]["request_id"]


def test_a_failing_request_is_logged_with_its_traceback_and_request_id(
    client, log_lines, monkeypatch
):
    def explode():
        raise RuntimeError("boom")

    monkeypatch.setattr("apps.core.views.health_report", explode)
    client.raise_request_exception = False

    client.get("/healthz")

    failed = [line for line in log_lines() if line["event"] == "request_failed"]
    assert len(failed) == 1
    assert "RuntimeError: boom" in failed[0]["exception"]
    assert failed[0]["request_id"]


def test_a_request_id_sent_by_the_proxy_is_kept(client, log_lines, settings):
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    client.get("/no-such-page", headers={"X-Request-ID": "req-from-proxy-1"})

    assert {line["request_id"] for line in log_lines()} == {"req-from-proxy-1"}
