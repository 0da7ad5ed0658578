"""Writes on users and organisations. Each service is one transaction and names who acts.

An organisation is created with its service user, the one account the partner acts through: it
has no password and no back office, so it never signs in. The system user, created by a data
migration, is who Celery tasks and management commands act as.
"""

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password

from apps.accounts.models import (
    SYSTEM_USER_EMAIL,
    Organisation,
    User,
    UserKind,
    normalize_email,
)
from apps.accounts.roles import Role
from apps.core.exceptions import DomainError
from apps.core.services import model_update, use_case

ORGANISATION_UPDATABLE_FIELDS = ["name", "kind", "country", "lei", "is_active", "scope"]


def system_user() -> User:
    """Return the user tasks and commands act as (created again if a test emptied the table)."""
    user, _ = User.objects.get_or_create(
        email=SYSTEM_USER_EMAIL,
        defaults={
            "kind": UserKind.SYSTEM,
            "full_name": "Roundtable system",
            "password": make_password(None),
        },
    )
    return user


@use_case(permission="accounts.add_user")
def user_create(
    *,
    email: str,
    full_name: str = "",
    password: str | None = None,
    is_staff: bool = False,
    roles: tuple[Role, ...] = (),
    by: User,
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
    *, email: str, full_name: str, roles: tuple[Role, ...], password: str | None, by: User
) -> User:
    """Create a back-office user; the admin will demand a second factor before anything else."""
    return user_create(
        email=email, full_name=full_name, password=password, is_staff=True, roles=roles, by=by
    )


@use_case(permission="accounts.add_organisation")
def organisation_create(
    *, name: str, kind: str, country: str, lei: str = "", scope: str = "read", by: User
) -> Organisation:
    """Register a partner with its service user, the account its integrations act through."""
    organisation = Organisation(name=name, kind=kind, country=country, lei=lei, scope=scope)
    organisation.full_clean()
    organisation._history_user = by
    organisation.save()
    service_user = User(
        email=f"partner-{organisation.pk}@service.roundtable.invalid",
        full_name=f"{organisation.name} (service)",
        kind=UserKind.PARTNER,
        organisation=organisation,
    )
    service_user.set_unusable_password()
    service_user.full_clean(exclude=["password"])
    service_user._history_user = by
    service_user.save()
    return organisation


@use_case(permission="accounts.change_organisation", on="organisation")
def organisation_update(*, organisation: Organisation, data: dict, by: User) -> Organisation:
    organisation, _ = model_update(
        instance=organisation, fields=ORGANISATION_UPDATABLE_FIELDS, data=data, by=by
    )
    return organisation


USER_UPDATABLE_FIELDS = ["email", "full_name", "is_active", "is_staff"]


class RolesChangeRefused(DomainError):
    code = "roles_change_refused"


class ServiceUserRefused(DomainError):
    code = "service_user_refused"


@use_case(permission="accounts.change_user", on="user")
def user_update(*, user: User, data: dict, by: User) -> User:
    """Change a user's identity or access flags; roles and superuser status change elsewhere."""
    if user.kind != UserKind.PERSON:
        raise ServiceUserRefused(f"{user} is a service user: it changes with its owner only")
    if "email" in data:
        data = {**data, "email": normalize_email(data["email"])}
    user, _ = model_update(instance=user, fields=USER_UPDATABLE_FIELDS, data=data, by=by)
    return user


@use_case(permission="accounts.change_user", on="user")
def user_roles_set(*, user: User, roles: Iterable[Role], by: User) -> User:
    """Give ``user`` exactly ``roles``, recorded in the user's history with who did it.

    Roles are the policy of :mod:`apps.accounts.roles`; nobody changes their own, so an
    administrator cannot raise their own access, and only administrators change anyone's.
    """
    if by.pk == user.pk:
        raise RolesChangeRefused(
            "nobody may change their own roles: ask another administrator", user=user.pk
        )
    if user.kind != UserKind.PERSON:
        raise ServiceUserRefused(f"{user} is a service user: it holds no roles")
    wanted = sorted({Role(role).value for role in roles})
    held = sorted(user.groups.values_list("name", flat=True))
    if wanted == held:
        return user
    user.groups.set(Group.objects.filter(name__in=wanted))
    user._history_user = by
    user._change_reason = f"roles: {', '.join(held) or 'none'} → {', '.join(wanted) or 'none'}"
    # Groups are not a column: saving one unchanged field writes the history row that says so.
    user.save(update_fields=["is_staff"])
    return user


@use_case(permission="accounts.grant_superuser", on="user")
def user_superuser_set(*, user: User, grant: bool, reason: str, by: User) -> User:
    """Grant or withdraw superuser status: only from the server's command line (acting as the
    system user), with a reason."""
    if user.kind != UserKind.PERSON:
        raise ServiceUserRefused(f"{user} is a service user: it is never a superuser")
    if not reason.strip():
        raise RolesChangeRefused("say why superuser status changes", user=user.pk)
    if user.is_superuser == grant:
        return user
    user.is_superuser = grant
    user._history_user = by
    user._change_reason = f"superuser {'granted' if grant else 'withdrawn'} on the server: {reason}"
    user.save(update_fields=["is_superuser"])
    return user
