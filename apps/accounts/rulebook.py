"""Who may do what, for every kind of user, whichever door they come through.

Staff act by their roles (:mod:`apps.accounts.roles`): model permissions, whatever the object.
An investor acts as their own portal user and only on what is theirs: their profile, bank
accounts and beneficial owners, their qualification answers, their subscriptions. A partner
acts through its organisation's service user and only on the investors it introduced, reading
always and writing if its scope allows. The system user (tasks and commands) applies the
platform's own rules and may do anything a rule asks of it. Services check these through
``user.has_perm(permission, obj)``; this module answers for the authentication backend.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import models

from apps.accounts.models import PartnerScope, UserKind

# What an investor may do on their own objects, and a partner on its investors' objects.
OWN_READ = frozenset(
    {
        "investors.view_investor",
        "investors.view_bankaccount",
        "investors.view_beneficialowner",
        "compliance.view_assessment",
        "deals.view_subscription",
    }
)
OWN_WRITE = frozenset(
    {
        "investors.change_investor",
        "investors.add_bankaccount",
        "investors.add_beneficialowner",
        "compliance.add_assessment",
        "deals.add_subscription",
        "deals.submit_subscription",
        "deals.withdraw_subscription",
    }
)
# A partner with the write scope also brings new investors (introduced by it).
PARTNER_WRITE_WITHOUT_OBJECT = frozenset({"investors.add_investor"})

# How each owned model reaches its investor: the attribute path, "" for the investor itself.
OWNED_THROUGH: dict[str, str] = {
    "investors.investor": "",
    "investors.bankaccount": "investor",
    "investors.beneficialowner": "entity",
    "compliance.assessment": "investor",
    "deals.subscription": "investor",
}


def investor_of(obj: models.Model | None) -> Any:
    """Return the investor ``obj`` belongs to, or ``None`` if it belongs to no investor."""
    if obj is None:
        return None
    path = OWNED_THROUGH.get(obj._meta.label_lower)
    if path is None:
        return None
    owner = obj
    for name in filter(None, path.split(".")):
        owner = getattr(owner, name)
    return owner


def investor_may(user: Any, permission: str, obj: models.Model | None) -> bool:
    """Whether an investor's portal ``user`` may use ``permission`` on ``obj``."""
    if permission not in OWN_READ | OWN_WRITE:
        return False
    owner = investor_of(obj)
    return owner is not None and owner.user_id == user.pk


def partner_may(user: Any, permission: str, obj: models.Model | None) -> bool:
    """Whether a partner's service ``user`` may use ``permission`` on ``obj``."""
    organisation = user.organisation
    if organisation is None or not organisation.is_active:
        return False
    writes = organisation.scope == PartnerScope.WRITE
    if obj is None:
        return writes and permission in PARTNER_WRITE_WITHOUT_OBJECT
    allowed = OWN_READ | OWN_WRITE if writes else OWN_READ
    if permission not in allowed:
        return False
    owner = investor_of(obj)
    return owner is not None and owner.introduced_by_id == organisation.pk


class RulebookBackend(ModelBackend):
    """Sign in people only; answer permissions for staff, investors, partners and the system."""

    def user_can_authenticate(self, user: Any) -> bool:
        return getattr(
            user, "kind", UserKind.PERSON
        ) == UserKind.PERSON and super().user_can_authenticate(user)

    def has_perm(self, user_obj: Any, perm: str, obj: models.Model | None = None) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        if user_obj.kind == UserKind.SYSTEM:
            return True
        if user_obj.kind == UserKind.PARTNER:
            return partner_may(user_obj, perm, obj)
        # Staff roles are model permissions: they hold whatever the object.
        if perm in self.get_all_permissions(user_obj):
            return True
        return investor_may(user_obj, perm, obj)
