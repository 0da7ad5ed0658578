"""The one way a declared state machine moves: lock, re-check, permission, transition, save.

Every ``@transition`` names its ``permission``; :func:`fsm_transition` checks it for the acting
user, so a call from any door (admin, portal, API, task) without it is refused with
:class:`~apps.core.exceptions.PermissionRefused`, and a move the lifecycle does not allow from
the state found under the lock with :class:`~apps.core.exceptions.TransitionRefused`. The save
writes the history row with the actor, the reason and the operation, if any.
"""

from collections.abc import Mapping
from typing import Any, TypeVar

from django.db import models
from django_fsm import can_proceed, has_transition_perm

from apps.core.exceptions import PermissionRefused, TransitionRefused
from apps.core.history import acting, history_reason_set

RecordT = TypeVar("RecordT", bound=models.Model)


def _state_label(record: models.Model, name: str) -> str:
    field = getattr(type(record), name)._django_fsm.field
    return str(getattr(record, f"get_{field.name}_display")()).lower()


def fsm_transition_refuse_unless_allowed(*, instance: models.Model, name: str, by: Any) -> None:
    """Refuse the transition ``name`` of a (locked) ``instance`` unless its lifecycle allows it
    now and ``by`` holds its permission (the system user, for tasks and commands, holds all)."""
    if by is None:
        raise ValueError("a transition names who makes it: a person, a partner or the system user")
    bound = getattr(instance, name)
    words = name.replace("_", " ")
    if not can_proceed(bound):
        raise TransitionRefused(
            f"{instance} is {_state_label(instance, name)}: it cannot {words} from there",
            record=str(instance),
            transition=name,
        )
    if not has_transition_perm(bound, by):
        raise PermissionRefused(
            f"{by} may not {words} {instance._meta.verbose_name_plural}",
            record=str(instance),
            transition=name,
        )


def fsm_transition(
    *,
    instance: RecordT,
    name: str,
    by: Any,
    reason: str = "",
    fields: Mapping[str, Any] | None = None,
    operation_id: int | None = None,
) -> RecordT:
    """Lock ``instance``, check and apply its transition ``name`` and ``fields``, save with
    history naming ``by``, ``reason`` and ``operation_id``; return the saved row."""
    with acting(user=by, operation_id=operation_id):
        # The one lock taken outside an app's locks module: any record with a lifecycle, alone.
        locked = type(instance)._default_manager.select_for_update(of=("self",)).get(pk=instance.pk)
        fsm_transition_refuse_unless_allowed(instance=locked, name=name, by=by)
        getattr(locked, name)()
        for field, value in (fields or {}).items():
            setattr(locked, field, value)
        if reason:
            history_reason_set(locked, reason)
        locked.save()
    return locked
