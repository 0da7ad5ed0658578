"""The deals' admin pages, registered when this package is imported."""

from apps.deals.admin import deals, operations, proposals

__all__ = ["deals", "operations", "proposals"]
