"""Pages in a real browser: Playwright driving Debian's Chromium against the live test server.

Without Chromium at ``CHROMIUM_PATH`` these tests are skipped, except in CI, which installs it.
Screenshots go to ``BROWSER_SCREENSHOTS`` when set, so a person can look at each page.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.accounts.demo import current_totp_code
from tests.conftest import sign_in

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if not Path(CHROMIUM_PATH).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is missing at {CHROMIUM_PATH}: CI must run the browser tests")
        pytest.skip(f"Chromium is missing at {CHROMIUM_PATH}")
    from playwright.sync_api import sync_playwright

    # Playwright's driver runs an event loop in this thread; the ORM calls of the test itself
    # are still synchronous and made between page loads.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Visit:
    """A browser tab signed in as one member of staff, recording policy violations."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def open(self, path: str, *, shot: str | None = None):
        response = self.page.goto(self.base_url + path)
        folder = os.environ.get("BROWSER_SCREENSHOTS")
        if shot and folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(folder) / f"{shot}.png"), full_page=True)
        return response


@pytest.fixture
def staff_tab(browser, live_server):
    """Return a function opening a tab signed in (password and second factor) as ``user``."""
    contexts = []

    def _open(user) -> Visit:
        client = Client()
        response = sign_in(client, user, code=current_totp_code(user.totp_secret))
        assert response.status_code == 302
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        return Visit(context.new_page(), live_server.url)

    yield _open
    for context in contexts:
        context.close()
