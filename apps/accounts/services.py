"""Writes on users and organisations. Each service is one transaction and names who acts."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from apps.accounts.models import Organisation, User, normalize_email
from apps.accounts.roles import Role
from apps.core.services import model_update

ORGANISATION_UPDATABLE_FIELDS = ["name", "kind", "country", "lei", "is_active"]


@transaction.atomic
def user_create(
    *,
    email: str,
    full_name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    roles: tuple[Role, ...] = (),
    by: User | None,
) -> User:
    """Create a user whose e-mail address is vouched for by ``by``, with the given roles.

    Without a password the account cannot sign in until one is set through a reset link.
    """
    user = User(email=normalize_email(email), full_name=full_name, is_staff=is_staff)
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user=user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user._history_user = by
    user.save()
    if roles:
        user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def staff_user_create(
    *, email: str, full_name: str, roles: tuple[Role, ...], password: str | None, by: User | None
) -> User:
    """Create a back-office user; the admin will demand a second factor before anything else."""
    return user_create(
        email=email, full_name=full_name, password=password, is_staff=True, roles=roles, by=by
    )


@transaction.atomic
def organisation_create(
    *, name: str, kind: str, country: str, lei: str = "", by: User | None
) -> Organisation:
    organisation = Organisation(name=name, kind=kind, country=country, lei=lei)
    organisation.full_clean()
    organisation._history_user = by
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, data: dict, by: User | None) -> Organisation:
    organisation, _ = model_update(
        instance=organisation, fields=ORGANISATION_UPDATABLE_FIELDS, data=data, by=by
    )
    return organisation
