"""Every page carries a Content-Security-Policy that allows this site's own scripts alone."""

import pytest

from apps.accounts.roles import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(directive.strip().split(" ", 1) for directive in header.split(";"))


@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/admin/"])
def test_pages_served_to_anyone_carry_the_policy(client, url):
    policy = _policy(client.get(url))

    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in " ".join(policy.values())


def test_admin_pages_carry_the_policy(staff_client):
    client = staff_client(StaffFactory(roles=[Role.AUDITOR]))

    for url in ("/admin/", "/admin/accounts/user/", "/admin/ledger/operation/"):
        response = client.get(url)
        assert response.status_code == 200
        assert _policy(response)["default-src"] == "'self'"
