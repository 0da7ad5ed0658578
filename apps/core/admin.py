"""Admin helpers shared by the domains."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.exceptions import DomainError


class ReadOnlyAdminMixin:
    """Rows written by the services only: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def run_for_each(
    modeladmin: ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    action: Callable[[Any], Any],
    done: str,
) -> None:
    """Run an admin action's service on each selected row, reporting each refusal by name."""
    succeeded = 0
    for instance in queryset.order_by("pk"):
        try:
            action(instance)
        except DomainError as error:
            modeladmin.message_user(request, f"{instance}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
