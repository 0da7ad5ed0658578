"""Registry of demo-data seeders.

Each domain registers, in its own ``demo`` module, a function that creates its demo data
idempotently and returns the lines worth printing (logins, links). ``seed_demo`` runs them in
the order of ``INSTALLED_APPS``, which is the order of the layers, so a seeder may rely on the
data of the domains below it.
"""

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import autodiscover_modules

Seeder = Callable[[], list[str]]

_seeders: list[tuple[str, Seeder]] = []


def demo_seeder(func: Seeder) -> Seeder:
    """Register ``func`` as the demo seeder of its module's app."""
    if all(registered is not func for _, registered in _seeders):
        _seeders.append((func.__module__, func))
    return func


def demo_seeders() -> list[Seeder]:
    """Return the registered seeders, lowest layer first."""
    autodiscover_modules("demo")
    layer = {config.name: index for index, config in enumerate(apps.get_app_configs())}

    def layer_of(item: tuple[str, Seeder]) -> int:
        config = apps.get_containing_app_config(item[0])
        if config is None:
            raise ImproperlyConfigured(f"the demo seeder {item[0]} is in no installed app")
        return layer[config.name]

    ordered = sorted(_seeders, key=layer_of)
    return [func for _, func in ordered]
