"""Structured logging: structlog for our own events, the same pipeline for the standard library's.

Every line carries the context bound for the current request or task (``request_id``, ``user_id``,
bound by django-structlog), whether it was logged through structlog or through ``logging``.
"""

from typing import Any

import structlog

_SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


def json_formatter() -> structlog.stdlib.ProcessorFormatter:
    """Render each record as one JSON object per line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


def console_formatter() -> structlog.stdlib.ProcessorFormatter:
    """Render each record as a readable key=value line, for development."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED_PROCESSORS,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """Configure structlog and return the matching ``LOGGING`` dictionary."""
    if fmt not in {"json", "console"}:
        raise ValueError(f"DJANGO_LOG_FORMAT must be 'json' or 'console', not {fmt!r}")
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {"()": json_formatter},
            "console": {"()": console_formatter},
        },
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": fmt},
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "django_structlog": {"level": level},
            "django.db.backends": {"level": "INFO"},
            # Django logs 4xx/5xx responses after the request's context is gone; django-structlog
            # already logs them (request_finished, request_failed with the traceback) within it.
            "django.request": {"handlers": [], "propagate": False},
        },
    }
