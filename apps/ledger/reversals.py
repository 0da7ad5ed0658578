"""The steps that undo, in the layers above the books, what an operation recorded there.

A reversal posts the opposite entries here; what higher layers recorded with the original
(holding movements, deal records) is undone by their own functions, which the ledger may not
import. ``settings.LEDGER_REVERSAL_STEPS`` lists them by dotted path, and they run in exactly
that order inside the transaction that executes the reversal, after its entries are written and
before it commits. Each is called as ``step(original=..., reversal=...)`` with both operations
locked. A step refuses by raising: the steps after it do not run and the whole reversal rolls
back, so which refusal the user sees never depends on the order apps happen to load in.
"""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from apps.ledger.models import Operation


class ReversalStep(Protocol):
    def __call__(self, *, original: Operation, reversal: Operation) -> object: ...


def reversal_step_paths() -> tuple[str, ...]:
    """Return the configured steps' dotted paths, in the order they run."""
    try:
        return tuple(settings.LEDGER_REVERSAL_STEPS)
    except AttributeError:
        raise ImproperlyConfigured(
            "LEDGER_REVERSAL_STEPS is not set: list the steps that undo what higher layers "
            "recorded with a reversed operation (an empty list if there are none)"
        ) from None


@cache
def _steps_at(paths: tuple[str, ...]) -> tuple[ReversalStep, ...]:
    # Keyed by the paths themselves, so that a changed setting is resolved afresh.
    return tuple(import_string(path) for path in paths)


def reversal_steps() -> tuple[ReversalStep, ...]:
    """Return the configured steps, imported once, in the order they run."""
    return _steps_at(reversal_step_paths())


def reversal_steps_run(*, original: Operation, reversal: Operation) -> None:
    """Run every step for ``reversal`` of ``original``, in order; the first refusal propagates."""
    for step in reversal_steps():
        step(original=original, reversal=reversal)
