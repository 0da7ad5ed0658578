"""Staff roles, kept as groups whose model permissions follow the policy written here.

The policy names apps (or single models) and the actions each role may take on them; the groups
are brought in line with it by a data migration and again after every ``migrate``, so the
permissions of models added by later migrations are granted without anyone editing groups.
History models are only ever viewable: the past is not edited.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import models


class Role(models.TextChoices):
    OPERATIONS = "operations", "Operations"
    COMPLIANCE = "compliance", "Compliance"
    FINANCE = "finance", "Finance"
    AUDITOR = "auditor", "Auditor"
    ADMINISTRATOR = "administrator", "Administrator"


# The product's domains; a domain that does not exist yet simply grants nothing.
PRODUCT_APPS = (
    "accounts",
    "ledger",
    "captable",
    "investors",
    "compliance",
    "documents",
    "deals",
    "valuations",
)
VIEW = frozenset({"view"})
EDIT = frozenset({"view", "add", "change"})
ALL = frozenset({"view", "add", "change", "delete"})
# Operations are prepared by one person and checked by another (maker-checker).
PREPARE_OPERATIONS = frozenset({"submit", "cancel"})
CHECK_OPERATIONS = frozenset({"submit", "cancel", "approve", "execute", "reverse"})
# An OCF package is uploaded and confirmed by operations and imported on finance's approval;
# either may cancel it (the service lets only its maker or an approver do so).
CANCEL = frozenset({"cancel"})
CHECK_OCF_IMPORTS = frozenset({"approve", "cancel"})


@dataclass(frozen=True)
class Grant:
    """``actions`` on every model of the ``targets``: app labels, or ``app_label.model``."""

    actions: frozenset[str]
    targets: tuple[str, ...]

    def covers(self, *, app_label: str, model: str, action: str) -> bool:
        return action in self.actions and (
            app_label in self.targets or f"{app_label}.{model}" in self.targets
        )


ROLE_GRANTS: dict[Role, tuple[Grant, ...]] = {
    Role.OPERATIONS: (
        Grant(VIEW, PRODUCT_APPS),
        Grant(EDIT, ("accounts.organisation", "captable", "deals", "documents", "investors")),
        Grant(PREPARE_OPERATIONS, ("ledger.operation",)),
        Grant(CANCEL, ("captable.ocfimport",)),
    ),
    Role.COMPLIANCE: (
        Grant(VIEW, PRODUCT_APPS),
        Grant(EDIT, ("compliance", "documents", "investors")),
    ),
    Role.FINANCE: (
        Grant(VIEW, PRODUCT_APPS),
        Grant(EDIT, ("deals", "ledger", "valuations")),
        Grant(CHECK_OPERATIONS, ("ledger.operation",)),
        Grant(CHECK_OCF_IMPORTS, ("captable.ocfimport",)),
    ),
    Role.AUDITOR: (Grant(VIEW, (*PRODUCT_APPS, "auth")),),
    # Administrators manage people and access, not money.
    Role.ADMINISTRATOR: (
        Grant(VIEW, PRODUCT_APPS),
        Grant(ALL, ("accounts", "account", "mfa")),
        # Roles are this policy: their groups are shown, never edited.
        Grant(VIEW, ("auth.group",)),
    ),
}


# Permissions that are not an action on a model, granted by name.
SUBSCRIPTION_STEPS = frozenset({"deals.submit_subscription", "deals.withdraw_subscription"})
ROLE_NAMED_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.OPERATIONS: SUBSCRIPTION_STEPS,
    Role.COMPLIANCE: frozenset(
        {"investors.reveal_sensitive", "investors.review_kyc", "compliance.decide_assessment"}
    ),
    Role.FINANCE: SUBSCRIPTION_STEPS,
}


def role_grants_permission(*, role: Role, app_label: str, codename: str) -> bool:
    """Say whether ``role`` holds the model permission ``app_label.codename``."""
    if f"{app_label}.{codename}" in ROLE_NAMED_PERMISSIONS.get(role, frozenset()):
        return True
    action, _, model = codename.partition("_")
    if model.startswith("historical") and action != "view":
        return False
    return any(
        grant.covers(app_label=app_label, model=model, action=action) for grant in ROLE_GRANTS[role]
    )


def role_groups_sync(*, apps: Apps = global_apps) -> None:
    """Create one group per role and set its permissions to exactly what the policy grants.

    ``apps`` is the registry to work with: the historical one inside a migration.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    permissions = list(permission_model.objects.select_related("content_type"))
    for role in Role:
        group, _ = group_model.objects.get_or_create(name=role.value)
        group.permissions.set(
            [
                permission
                for permission in permissions
                if role_grants_permission(
                    role=role,
                    app_label=permission.content_type.app_label,
                    codename=permission.codename,
                )
            ]
        )


def create_all_permissions(*, app_configs: Iterable, apps: Apps = global_apps, using: str) -> None:
    """Create the model permissions of every app now, not app by app after migrate."""
    from django.contrib.auth.management import create_permissions

    for app_config in app_configs:
        create_permissions(app_config, verbosity=0, using=using, apps=apps)


def sync_roles_after_migrate(sender, using: str = "default", **kwargs) -> None:
    create_all_permissions(app_configs=global_apps.get_app_configs(), using=using)
    role_groups_sync()
