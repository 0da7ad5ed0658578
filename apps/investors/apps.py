from django.apps import AppConfig


class InvestorsConfig(AppConfig):
    name = "apps.investors"
    label = "investors"
    verbose_name = "Investors"
