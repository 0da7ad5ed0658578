"""Write helpers shared by every domain's services."""

from typing import Any, TypeVar

from django.db import models

ModelT = TypeVar("ModelT", bound=models.Model)


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
        instance._history_user = by
    update_fields = changed
    if any(f.name == "updated_at" for f in instance._meta.concrete_fields):
        update_fields = [*changed, "updated_at"]
    instance.save(update_fields=update_fields)
    return instance, True
