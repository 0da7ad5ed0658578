from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from apps.accounts.roles import sync_roles_after_migrate

        # Roles follow the models: each migrate grants the permissions of models added since.
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="accounts.roles")
