"""The shape every use case takes, and write helpers shared by every domain's services.

A use case that a door (the admin, the portal, the API, a task or a command) calls is declared
with :func:`use_case`: it runs as one durable transaction, so nesting it inside another by
mistake fails loudly, and before anything else it refuses an acting user who lacks its
permission, whichever door they came through. The permission is checked on the object the use
case acts on, so an investor or a partner is allowed only on what is theirs (the
authentication backend decides ownership). Every use case is listed in :data:`USE_CASES`, which
is what the role-by-service test walks. A use case that composes another calls its ``step``,
inside its own transaction and under its own permission.
"""

import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

from django.contrib.auth.models import Permission
from django.db import models, transaction

from apps.core.exceptions import PermissionRefused
from apps.core.history import history_user_set

ModelT = TypeVar("ModelT", bound=models.Model)
P = ParamSpec("P")
R = TypeVar("R")


def permission_refusal(
    *, by: Any, permission: str, on: models.Model | None = None
) -> PermissionRefused | None:
    """Return why ``by`` may not use ``permission`` on ``on`` (or at all), or ``None``."""
    if by is None:
        raise ValueError("a use case names who acts: a person, a partner or the system user")
    if by.has_perm(permission, on):
        return None
    app_label, codename = permission.split(".", 1)
    name = (
        Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        .values_list("name", flat=True)
        .first()
    )
    # "Can reveal encrypted personal data (each reveal is logged)": "reveal encrypted personal data"
    words = (name or codename.replace("_", " ")).removeprefix("Can ").split(" (")[0]
    target = f": {on}" if on is not None else ""
    return PermissionRefused(
        f"{by} may not {words}{target}",
        permission=permission,
        record=str(on) if on is not None else None,
    )


class UseCase(Generic[P, R]):
    """A service a door calls: its permission, the argument it is checked on, its body."""

    def __init__(self, *, body: Callable[P, R], permission: str, on: str | None) -> None:
        self.body = body
        self.permission = permission
        self.on = on
        functools.update_wrapper(self, body)

    def __repr__(self) -> str:
        return f"<use case {self.name}: {self.permission}>"

    @property
    def name(self) -> str:
        return self.body.__name__

    def refusal(self, **kwargs: Any) -> PermissionRefused | None:
        """Return why this call would be refused for its ``by``, or ``None``."""
        target = kwargs.get(self.on) if self.on else None
        permission = self.permission
        if "{model}" in permission:  # one use case for several models: the target's decides
            if target is None:
                raise ValueError(f"{self.name} needs `{self.on}` to know whose permission applies")
            permission = permission.format(model=target._meta.model_name)
        return permission_refusal(by=kwargs.get("by"), permission=permission, on=target)

    def step(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run as a step of a larger use case, in its transaction: that use case has checked
        who acts (a state change inside still checks its transition's permission)."""
        with transaction.atomic():
            return self.body(*args, **kwargs)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            refusal = self.refusal(**kwargs)
            if refusal is not None:
                raise refusal
            return self.body(*args, **kwargs)


USE_CASES: dict[str, UseCase[..., Any]] = {}


def use_case(
    *, permission: str, on: str | None = None
) -> Callable[[Callable[P, R]], UseCase[P, R]]:
    """Declare a top-level service: ``by`` needs ``permission`` (on the argument ``on``)."""

    def declare(body: Callable[P, R]) -> UseCase[P, R]:
        parameters = inspect.signature(body).parameters
        if "by" not in parameters or (on is not None and on not in parameters):
            raise TypeError(f"{body.__qualname__} must take `by` and `{on}` to be a use case")
        declared = UseCase(body=body, permission=permission, on=on)
        USE_CASES[f"{body.__module__}.{body.__name__}"] = declared
        return declared

    return declare


def model_update(
    *, instance: ModelT, fields: list[str], data: dict[str, Any], by: Any = None
) -> tuple[ModelT, bool]:
    """Apply the whitelisted ``fields`` of ``data`` to ``instance``, validate, save what changed.

    Keys of ``data`` outside ``fields`` are refused, so a caller cannot write a field its use
    case does not own. ``by`` is recorded as the author of the history row, if the model keeps
    one. Return the instance and whether anything changed.
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"fields not updatable here: {sorted(unknown)}")
    changed = [
        field for field in fields if field in data and getattr(instance, field) != data[field]
    ]
    if not changed:
        return instance, False
    for field in changed:
        setattr(instance, field, data[field])
    # A protected state field (django-fsm) changes through its transitions only.
    instance.full_clean(
        exclude=[f.name for f in instance._meta.fields if getattr(f, "protected", False)]
    )
    if by is not None:
        history_user_set(instance, by)
    update_fields = changed
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        update_fields = [*changed, "updated_at"]
    instance.save(update_fields=update_fields)
    return instance, True
