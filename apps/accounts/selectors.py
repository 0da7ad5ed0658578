"""Reads about who is signed in and how."""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from apps.accounts.models import User


def user_has_second_factor(*, user: User) -> bool:
    """Say whether ``user`` has an authenticator app set up."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_second_factor(*, request: HttpRequest) -> bool:
    """Say whether the signed-in user of this session has passed a second factor in it."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def staff_may_enter_back_office(*, request: HttpRequest) -> bool:
    """Active staff who passed a second factor in this session may use the admin."""
    user = request.user
    return (
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and session_passed_second_factor(request=request)
    )
