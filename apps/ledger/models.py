"""The books: accounts, operations (business events) and their entries (money legs).

An :class:`Operation` is a state machine (draft → submitted → approved → executed, executed →
reversed, draft/submitted → cancelled) whose planned legs become :class:`Entry` rows when it is
executed. Entries are append-only, signed integers in their account's currency, and each
operation's entries sum to zero per currency. Executed operations are numbered without gap and
chained by SHA-256 hashes, so a row changed behind the application's back is found by
``ledger_verify``. On PostgreSQL the database enforces these rules too (migration 0002).
"""

from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.core.history import audited_history
from apps.core.money import Money
from apps.core.validators import (
    multiline_text_without_control_characters,
    text_without_control_characters,
)
from apps.ledger.exceptions import AppendOnlyViolation


class AccountPurpose(models.TextChoices):
    CASH = "cash", "Cash"
    BANK = "bank", "Bank"
    COMMITMENT = "commitment", "Commitment"
    CAPITAL_CALLED = "capital_called", "Capital called"
    DISTRIBUTION = "distribution", "Distribution"
    FEE = "fee", "Fee"
    INVESTMENT = "investment", "Investment"
    SUSPENSE = "suspense", "Suspense"
    EQUITY = "equity", "Equity"


class Account(models.Model):
    """A balance kept in one currency, for one purpose, of one owner (or of the platform)."""

    owner_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    owner_id = models.PositiveBigIntegerField(null=True, blank=True)
    owner = GenericForeignKey("owner_type", "owner_id")
    purpose = models.CharField(max_length=32, choices=AccountPurpose.choices)
    currency = models.CharField(max_length=3)
    name = models.CharField(
        max_length=200, blank=True, validators=[text_without_control_characters]
    )
    allow_negative = models.BooleanField(
        default=True,
        help_text="Unselect for balances that can never go below zero, such as an investor's cash.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["owner_type", "owner_id"], name="ledger_acct_owner_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "purpose", "currency"],
                condition=models.Q(owner_type__isnull=False),
                name="ledger_account_one_per_owner_purpose_currency",
            ),
            models.UniqueConstraint(
                fields=["purpose", "currency", "name"],
                condition=models.Q(owner_type__isnull=True),
                name="ledger_account_platform_unique",
            ),
            # The target of the entries' (account, currency) key on PostgreSQL.
            models.UniqueConstraint(fields=["id", "currency"], name="ledger_account_id_currency"),
            models.CheckConstraint(
                condition=models.Q(owner_type__isnull=True, owner_id__isnull=True)
                | models.Q(owner_type__isnull=False, owner_id__isnull=False),
                name="ledger_account_owner_complete",
            ),
        ]

    def __str__(self) -> str:
        label = self.name or self.get_purpose_display()
        return f"#{self.pk} {label} ({self.currency})"


class OperationKind(models.TextChoices):
    CLOSING = "closing", "Closing"
    CAPITAL_CALL = "capital_call", "Capital call"
    DISTRIBUTION = "distribution", "Distribution"
    FEE = "fee", "Fee"
    TRANSFER = "transfer", "Transfer"
    DEPOSIT = "deposit", "Deposit"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    VALUATION = "valuation", "Valuation"
    CORRECTION = "correction", "Correction"
    REVERSAL = "reversal", "Reversal"
    HOLDING_CHANGE = "holding_change", "Holding change"
    IMPORT = "import", "Import of records"


class OperationState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    EXECUTED = "executed", "Executed"
    REVERSED = "reversed", "Reversed"
    CANCELLED = "cancelled", "Cancelled"


# States in which an operation's entries are in the books.
BOOKED_STATES = (OperationState.EXECUTED, OperationState.REVERSED)


class Operation(ConcurrentTransitionMixin, models.Model):
    """One business event, posted to the books as a whole or not at all."""

    State = OperationState
    Kind = OperationKind

    kind = models.CharField(max_length=32, choices=OperationKind.choices)
    state = FSMField(default=OperationState.DRAFT, choices=OperationState.choices, protected=True)
    description = models.CharField(
        max_length=500, blank=True, validators=[text_without_control_characters]
    )
    idempotency_key = models.CharField(
        max_length=200,
        unique=True,
        help_text="The business request's own key: the same request twice is one operation.",
    )
    # The legs to post, as [{"account": id, "amount_minor": int, "currency": code}, ...].
    legs = models.JSONField(blank=True, default=list)
    effective_at = models.DateTimeField(
        null=True, blank=True, help_text="When the event takes effect; the execution time if empty."
    )
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, help_text="Gap-free number given at execution."
    )
    hash = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64, blank=True)
    reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why it was cancelled.",
        validators=[multiline_text_without_control_characters],
    )

    history = audited_history(excluded_fields=["legs"])

    # Django adds this manager; the stubs lose it behind django-fsm's mixin, so it is named.
    objects: ClassVar[models.Manager["Operation"]]

    class Meta:
        ordering = ["-pk"]
        indexes = [models.Index(fields=["state", "kind"], name="ledger_op_state_kind_idx")]
        permissions = [
            ("submit_operation", "Can submit an operation for approval"),
            ("approve_operation", "Can approve an operation made by someone else"),
            ("execute_operation", "Can execute an approved operation"),
            ("cancel_operation", "Can cancel a draft or submitted operation"),
            ("reverse_operation", "Can reverse an executed operation"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OperationState.values),
                name="ledger_operation_state_valid",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        state__in=BOOKED_STATES, sequence__isnull=False, executed_at__isnull=False
                    )
                    | (~models.Q(state__in=BOOKED_STATES) & models.Q(sequence__isnull=True))
                ),
                name="ledger_operation_sequence_iff_booked",
            ),
            models.CheckConstraint(
                condition=~models.Q(approved_by=models.F("created_by")),
                name="ledger_operation_approver_is_not_maker",
            ),
        ]

    def __str__(self) -> str:
        number = f"#{self.sequence}" if self.sequence else f"(id {self.pk})"
        return f"{self.get_kind_display()} {number}"

    @transition(
        field=state,
        source=OperationState.DRAFT,
        target=OperationState.SUBMITTED,
        permission="ledger.submit_operation",
    )
    def submit(self) -> None:
        """Hand the operation to a checker."""

    @transition(
        field=state,
        source=OperationState.SUBMITTED,
        target=OperationState.APPROVED,
        permission="ledger.approve_operation",
    )
    def approve(self) -> None:
        """Accept the operation for execution (maker-checker is the service's to enforce)."""

    @transition(
        field=state,
        source=OperationState.APPROVED,
        target=OperationState.EXECUTED,
        permission="ledger.execute_operation",
    )
    def execute(self) -> None:
        """Mark the operation as posted to the books."""

    @transition(
        field=state,
        source=OperationState.EXECUTED,
        target=OperationState.REVERSED,
        permission="ledger.reverse_operation",
    )
    def mark_reversed(self) -> None:
        """Mark the operation as undone by an executed reversal."""

    @transition(
        field=state,
        source=[OperationState.DRAFT, OperationState.SUBMITTED],
        target=OperationState.CANCELLED,
        permission="ledger.cancel_operation",
    )
    def cancel(self) -> None:
        """Abandon the operation before execution."""


class EntryQuerySet(models.QuerySet["Entry"]):
    """Entries are written once: no update, no delete, through any path of the ORM."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyViolation("ledger entries cannot be updated; post a reversal instead")

    def delete(self) -> NoReturn:
        raise AppendOnlyViolation("ledger entries cannot be deleted; post a reversal instead")

    def bulk_update(
        self, objs: Iterable["Entry"], fields: Iterable[str], batch_size: int | None = None
    ) -> NoReturn:
        raise AppendOnlyViolation("ledger entries cannot be updated; post a reversal instead")


class Entry(models.Model):
    """One money leg of an executed operation: a signed amount on one account."""

    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # Copied from the operation, which never changes once executed, so that balances as of a
    # time or an operation read one index range of the account's entries.
    operation_sequence = models.PositiveBigIntegerField()
    effective_at = models.DateTimeField()

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["operation_sequence", "pk"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(
                fields=["account", "effective_at"],
                include=["amount_minor"],
                name="ledger_entry_acct_time_idx",
            ),
            models.Index(
                fields=["account", "operation_sequence"],
                include=["amount_minor"],
                name="ledger_entry_acct_seq_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(amount_minor=0), name="ledger_entry_amount_not_zero"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.money} on account #{self.account_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation("ledger entries cannot be updated; post a reversal instead")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyViolation("ledger entries cannot be deleted; post a reversal instead")

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


class SequenceCounter(models.Model):
    """The last number given to an executed operation, and its hash: one row, locked to number.

    A database sequence would leave gaps when a transaction rolls back; a locked row does not.
    """

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"
