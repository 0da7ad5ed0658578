import re
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from apps.accounts.demo import DEMO_PASSWORD, DEMO_STAFF, demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development(settings):
    settings.DEBUG = True  # as DJANGO_DEBUG leaves it on a developer's machine


def _seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def _snapshot() -> tuple:
    return (
        list(User.objects.values_list("email", flat=True)),
        list(Authenticator.objects.values_list("user__email", "type")),
        User.history.count(),
    )


def test_seed_demo_creates_one_staff_login_per_role_and_prints_how_to_sign_in():
    output = _seed()

    for role in Role:
        user = User.objects.get(email=demo_staff_email(role))
        assert user.is_staff
        assert list(user.groups.all()) == [Group.objects.get(name=role.value)]
        assert user.check_password(DEMO_PASSWORD)
        assert demo_staff_email(role) in output
        assert DEMO_STAFF[role][1] in output
    assert DEMO_PASSWORD in output


def test_seed_demo_run_twice_changes_nothing_the_second_time():
    _seed()
    before = _snapshot()

    _seed()

    assert _snapshot() == before


def test_seed_demo_restores_a_demo_secret_that_was_changed():
    _seed()
    user = User.objects.get(email=demo_staff_email(Role.AUDITOR))
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()

    _seed()

    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=false"):
        _seed()

    assert not User.objects.filter(kind=User.Kind.PERSON).exists()


def test_seed_demo_runs_in_production_when_forced(settings):
    settings.DEBUG = False

    _seed(force=True)

    assert User.objects.filter(is_staff=True).count() == len(Role)


def test_a_demo_login_opens_the_admin_with_the_printed_code(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    output = _seed()
    row = next(line for line in output.splitlines() if line.strip().startswith("operations"))
    email, code = re.search(r"(\S+@\S+)\s+\S+\s+(\d{6})$", row).groups()

    sign_in(client, User.objects.get(email=email), code=code, password=DEMO_PASSWORD)

    assert client.get("/admin/").status_code == 200
