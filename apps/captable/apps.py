from django.apps import AppConfig


class CaptableConfig(AppConfig):
    name = "apps.captable"
    label = "captable"
    verbose_name = "Cap tables"

    def ready(self) -> None:
        from apps.captable import receivers

        receivers.connect()
