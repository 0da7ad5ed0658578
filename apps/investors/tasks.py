from celery import shared_task
from django.utils import timezone

from apps.accounts.services import system_user
from apps.investors.services import kyc_expire_due


@shared_task(name="investors.kyc_expire_due")
def kyc_expire_due_task() -> int:
    """Expire the approved KYC files whose review date has passed (run by beat)."""
    return kyc_expire_due(today=timezone.localdate(), by=system_user())
