"""Deployment checks of this product, run by ``manage.py check --deploy``."""

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


@register(Tags.security, deploy=True)
def shared_cache_check(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Second-factor codes are single-use and sign-in attempts are rate-limited through the
    cache: a cache each web process keeps for itself lets a code be used twice."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PROCESS_LOCAL_CACHES:
        return [
            Warning(
                f"The default cache ({backend}) is not shared between processes.",
                hint="Set REDIS_URL so that every web process shares one cache.",
                id="core.W001",
            )
        ]
    return []
