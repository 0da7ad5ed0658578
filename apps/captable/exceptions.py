"""Why a cap table change was refused. Each error names the object; nothing was written."""

from apps.core.exceptions import DomainError


class MovementAppendOnly(DomainError):
    code = "movement_append_only"


class InsufficientUnits(DomainError):
    code = "security_insufficient_units"


class SecurityClosed(DomainError):
    code = "security_closed"


class AuthorisedExceeded(DomainError):
    code = "class_authorised_exceeded"


class PoolExhausted(DomainError):
    code = "plan_pool_exhausted"


class InvalidMovement(DomainError):
    code = "movement_invalid"
