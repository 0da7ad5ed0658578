"""The admin is served only to active staff who passed a second factor in their session."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from apps.accounts.demo import current_totp_code
from apps.accounts.roles import Role
from tests.conftest import sign_in
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["/admin/", "/admin/accounts/organisation/", "/admin/accounts/user/"]


def _assert_no_admin_page(client, expected_redirect: str) -> None:
    for page in ADMIN_PAGES:
        response = client.get(page, follow=True)
        visited = [url for url, _ in response.redirect_chain]
        assert any(url.startswith(expected_redirect) for url in visited), (page, visited)
        assert not response.request["PATH_INFO"].startswith("/admin/"), (page, visited)


def test_anonymous_visitor_is_sent_to_sign_in(client):
    _assert_no_admin_page(client, reverse("account_login"))


def test_staff_with_password_but_no_second_factor_is_refused(client):
    staff = UserFactory(is_staff=True, roles=[Role.ADMINISTRATOR])

    response = sign_in(client, staff)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)  # the password alone signs in ...
    _assert_no_admin_page(client, reverse("mfa_activate_totp"))  # ... but opens no admin page


def test_staff_with_an_authenticator_must_enter_its_code_to_sign_in(client):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])

    response = sign_in(client, staff)

    assert response.headers["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    _assert_no_admin_page(client, reverse("account_login"))


def test_staff_with_a_wrong_code_is_refused(client):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    wrong = f"{(int(current_totp_code(staff.totp_secret)) + 1) % 1_000_000:06d}"

    response = sign_in(client, staff, code=wrong)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_who_passed_the_second_factor_is_admitted(client):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])

    response = sign_in(client, staff, code=current_totp_code(staff.totp_secret))

    assert response.status_code == 302
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 200, page


def test_session_signed_in_without_the_second_factor_is_asked_for_it(client):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    client.force_login(staff)  # a session that never went through the second factor

    _assert_no_admin_page(client, reverse("mfa_reauthenticate"))

    client.post(
        f"{reverse('mfa_reauthenticate')}?next=/admin/",
        {"code": current_totp_code(staff.totp_secret)},
    )
    assert client.get("/admin/").status_code == 200


def test_recovery_code_is_a_second_factor(client):
    staff = StaffFactory(roles=[Role.ADMINISTRATOR])
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(staff).get_unused_codes()[0]

    sign_in(client, staff, code=code)

    assert client.get("/admin/").status_code == 200


def test_user_who_is_not_staff_is_refused_even_with_a_second_factor(client):
    user = StaffFactory(is_staff=False)
    sign_in(client, user, code=current_totp_code(user.totp_secret))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403


def test_inactive_staff_cannot_sign_in(client):
    staff = StaffFactory(is_active=False, roles=[Role.ADMINISTRATOR])

    sign_in(client, staff, code=current_totp_code(staff.totp_secret))

    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_totp_secret_is_encrypted_at_rest():
    staff = StaffFactory()

    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP).data["secret"]

    assert staff.totp_secret not in stored
    from apps.core.crypto import decrypt_text

    assert decrypt_text(stored) == staff.totp_secret


def test_staff_cannot_remove_their_second_factor(staff_client):
    staff = StaffFactory(roles=[Role.OPERATIONS])
    client = staff_client(staff)

    client.post(reverse("mfa_deactivate_totp"), {})

    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
