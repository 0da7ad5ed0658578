"""Who, and which operation, stand behind each change: the context stamped on history rows.

Services that change the books run inside :func:`acting`, naming the user and the ledger
operation they act for; every history row written meanwhile (django-simple-history) records
both, whether the change came from a request, a Celery task or a management command.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import models
from django.http import HttpRequest
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

ModelT = TypeVar("ModelT", bound=models.Model)

_operation_id: ContextVar[int | None] = ContextVar("current_operation_id", default=None)
_user: ContextVar[Any] = ContextVar("current_user", default=None)


@contextmanager
def acting(*, user: Any = None, operation_id: int | None = None) -> Iterator[None]:
    """Stamp the history written inside this block with ``user`` and ``operation_id``."""
    user_token = _user.set(user)
    operation_token = _operation_id.set(operation_id)
    try:
        yield
    finally:
        _operation_id.reset(operation_token)
        _user.reset(user_token)


def current_operation_id() -> int | None:
    return _operation_id.get()


def current_user() -> Any:
    return _user.get()


class OperationStampedHistory(models.Model):
    """Base of every history model: the operation behind the change, beside its user."""

    history_operation_id = models.BigIntegerField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The ledger operation this change was made for, if any.",
    )

    class Meta:
        abstract = True


def _history_user(request: HttpRequest | None = None, **kwargs: Any) -> Any:
    if request is not None and getattr(request, "user", None) and request.user.is_authenticated:
        return request.user
    return current_user()


def audited_history(**kwargs: Any) -> HistoricalRecords:
    """Return the history manager every mutable domain model declares."""
    return HistoricalRecords(bases=[OperationStampedHistory], get_user=_history_user, **kwargs)


def _stamp_operation(sender: type[models.Model], history_instance: Any, **kwargs: Any) -> None:
    if isinstance(history_instance, OperationStampedHistory) and (
        history_instance.history_operation_id is None
    ):
        history_instance.history_operation_id = current_operation_id()


def history_stamp_custom_attrs() -> dict[str, Any]:
    """Attributes for simple-history's bulk helpers, which send no signal."""
    return {"history_operation_id": current_operation_id()}


pre_create_historical_record.connect(_stamp_operation, dispatch_uid="core.history.stamp")


def history_user_set(instance: models.Model, user: Any) -> None:
    """Name ``user`` as the author of the history row that saving ``instance`` writes."""
    # simple-history reads this attribute of the instance when it writes the row.
    instance._history_user = user  # type: ignore[attr-defined]


def history_reason_set(instance: models.Model, reason: str) -> None:
    """Give the reason of the change on the history row that saving ``instance`` writes."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # read by simple-history


def history_bulk_record(
    model: type[ModelT],
    instances: Sequence[ModelT],
    *,
    by: Any,
    reason: str = "",
    update: bool = True,
) -> None:
    """Write the history rows of rows written in bulk (which send no signal), stamped like any
    other: the user ``by`` (else the one acting), the reason, and the current operation."""
    if not instances:
        return
    model.history.bulk_history_create(  # type: ignore[attr-defined]
        instances,
        update=update,
        default_user=by if by is not None else current_user(),
        default_change_reason=reason or None,
        custom_historical_attrs=history_stamp_custom_attrs(),
    )
