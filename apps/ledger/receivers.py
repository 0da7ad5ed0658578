"""An operation's own history rows name the operation, even the one that creates it."""

from typing import Any

from django.db import models
from simple_history.signals import pre_create_historical_record


def stamp_operation_history(
    sender: type[models.Model], instance: models.Model, history_instance: Any, **kwargs: Any
) -> None:
    if history_instance.history_operation_id is None:
        history_instance.history_operation_id = instance.pk


def connect() -> None:
    from apps.ledger.models import Operation

    pre_create_historical_record.connect(
        stamp_operation_history,
        sender=Operation.history.model,
        dispatch_uid="ledger.operation_history",
    )
