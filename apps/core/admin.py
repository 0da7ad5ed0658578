"""Admin helpers shared by the domains."""

from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """Rows written by the services only: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
