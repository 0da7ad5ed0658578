"""System checks of the ledger's configuration, run by ``manage.py check``, ``migrate`` and
``runserver``.

A reversal step that cannot be imported or called would otherwise fail only when someone
executes a reversal; here a bad ``LEDGER_REVERSAL_STEPS`` fails the checks, and with them the
release (which migrates), instead.
"""

import inspect
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

SETTING = "LEDGER_REVERSAL_STEPS"


def _step_error(path: object) -> Error | None:
    """Return what is wrong with one configured step, or ``None``."""
    if not isinstance(path, str):
        return Error(f"{SETTING} lists {path!r}, not a dotted path.", id="ledger.E002")
    try:
        step = import_string(path)
    except ImportError as error:
        return Error(f"Reversal step {path!r} cannot be imported: {error}", id="ledger.E003")
    if not callable(step):
        return Error(f"Reversal step {path!r} is not callable.", id="ledger.E004")
    try:
        inspect.signature(step).bind(original=None, reversal=None)
    except TypeError as error:
        return Error(
            f"Reversal step {path!r} cannot be called as step(original=..., reversal=...): {error}",
            id="ledger.E005",
        )
    except ValueError:  # no signature to inspect (a builtin): calling it will tell.
        pass
    return None


@register()
def reversal_steps_check(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Every reversal step imports, takes ``original`` and ``reversal``, and is listed once."""
    paths = getattr(settings, SETTING, None)
    if isinstance(paths, str) or not isinstance(paths, list | tuple):
        return [
            Error(
                f"{SETTING} must be a list of dotted paths, not {paths!r}.",
                hint="An empty list if no higher layer records anything with an operation.",
                id="ledger.E001",
            )
        ]
    errors: list[CheckMessage] = [error for error in map(_step_error, paths) if error is not None]
    errors.extend(
        Error(
            f"Reversal step {path!r} is listed {times} times: it would undo its records twice.",
            id="ledger.E006",
        )
        for path, times in Counter(p for p in paths if isinstance(p, str)).items()
        if times > 1
    )
    return errors
