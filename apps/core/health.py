"""Health of the services the product depends on: the database, and Redis when configured."""

from dataclasses import dataclass

import redis
import structlog
from django.conf import settings
from django.db import DatabaseError, connection

logger = structlog.get_logger(__name__)

OK = "ok"
NOT_CONFIGURED = "not configured"


@dataclass(frozen=True)
class HealthReport:
    checks: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(state in {OK, NOT_CONFIGURED} for state in self.checks.values())


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"failing: {type(exc).__name__}"
    return OK


def _redis_state(url: str) -> str:
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return NOT_CONFIGURED
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"failing: {type(exc).__name__}"
    finally:
        client.close()
    return OK


def health_report() -> HealthReport:
    """Probe each configured dependency once and say which answer."""
    checks = {"database": _database_state(), "redis": _redis_state(settings.REDIS_URL)}
    if not settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL != settings.REDIS_URL:
        checks["broker"] = _redis_state(settings.CELERY_BROKER_URL)
    report = HealthReport(checks=checks)
    if not report.healthy:
        logger.warning("health_check_failed", checks=checks)
    return report
