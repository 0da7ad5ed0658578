"""Background jobs of deals."""

from celery import shared_task
from django.utils import timezone

from apps.accounts.services import system_user
from apps.deals.services import capital_calls_flag_defaults


@shared_task(name="deals.flag_call_defaults")
def flag_call_defaults() -> int:
    """Flag the capital call notices still unpaid after their due date."""
    return capital_calls_flag_defaults(today=timezone.localdate(), by=system_user())
