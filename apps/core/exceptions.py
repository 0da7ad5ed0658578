"""Typed errors of the product.

A broken business rule raises a subclass of :class:`DomainError` carrying a stable ``code`` and
the data that explains it; each door maps these once (admin message, form error, problem
document). Bad input raises Django's ``ValidationError`` instead.
"""

from typing import Any


class DomainError(Exception):
    """A business rule refused the request; nothing was written."""

    code = "domain_error"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.data}


class TransitionRefused(DomainError):
    """A state change the record's lifecycle or a business rule does not allow now."""

    code = "transition_refused"


class PermissionRefused(DomainError):
    """The acting user may not make this change, whichever door they came through."""

    code = "permission_refused"
