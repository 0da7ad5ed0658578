"""Why the books refused a request. Each error says what was wrong; nothing was written."""

from apps.core.exceptions import DomainError, PermissionRefused, TransitionRefused

# The platform's one refusal of a transition and of a permission, named here for the callers of
# the ledger too.
__all__ = [
    "AppendOnlyViolation",
    "CurrencyMismatchError",
    "IdempotencyConflict",
    "InsufficientBalance",
    "InvalidLeg",
    "MakerCheckerViolation",
    "PermissionRefused",
    "ProposalOutdated",
    "TransitionRefused",
    "UnbalancedOperation",
]


class AppendOnlyViolation(DomainError):
    code = "entry_append_only"


class UnbalancedOperation(DomainError):
    code = "operation_unbalanced"


class InvalidLeg(DomainError):
    code = "operation_invalid_leg"


class CurrencyMismatchError(DomainError):
    code = "entry_currency_mismatch"


class MakerCheckerViolation(DomainError):
    code = "operation_maker_cannot_approve"


class InsufficientBalance(DomainError):
    code = "account_insufficient_balance"


class IdempotencyConflict(DomainError):
    code = "operation_idempotency_conflict"


class ProposalOutdated(DomainError):
    """What a proposed operation would post now differs from what was proposed and approved."""

    code = "operation_proposal_outdated"
