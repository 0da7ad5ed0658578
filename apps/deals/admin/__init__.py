"""The deals' admin pages, registered when this package is imported."""

from apps.deals.admin import deals, operations, portfolio, proposals

__all__ = ["deals", "operations", "portfolio", "proposals"]
