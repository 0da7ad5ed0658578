from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.models import User
from apps.accounts.requests import StaffRequest
from apps.core.admin import HistoryAdmin, ReadOnlyAdminMixin, run_for_each
from apps.ledger.models import Account, Entry, Operation
from apps.ledger.selectors import balance, operation_list
from apps.ledger.services import (
    operation_approve,
    operation_cancel,
    operation_execute,
    operation_reverse,
    operation_submit,
)

if TYPE_CHECKING:
    # Django's admin classes take their type parameters in the stubs only.
    _EntryInlineBase = admin.TabularInline[Entry, Operation]
else:
    _EntryInlineBase = admin.TabularInline


class EntryInline(ReadOnlyAdminMixin, _EntryInlineBase):
    model = Entry
    fields: ClassVar[tuple[str, ...]] = ("account", "amount_minor", "currency", "effective_at")
    readonly_fields = fields
    extra = 0
    show_change_link = False


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = [
        "pk",
        "sequence",
        "kind",
        "state",
        "description",
        "effective_at",
        "created_by",
        "approved_by",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["=pk", "=sequence", "idempotency_key", "description"]
    list_select_related = ["created_by", "approved_by"]
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = [EntryInline]
    actions = ["submit", "approve", "execute", "reverse", "cancel"]
    fields: list[str] = [
        "kind",
        "state",
        "description",
        "idempotency_key",
        "legs",
        "effective_at",
        "reverses",
        "created_by",
        "created_at",
        "approved_by",
        "approved_at",
        "executed_at",
        "sequence",
        "previous_hash",
        "hash",
        "reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Operation]:
        return operation_list()

    def has_submit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.submit_operation")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.approve_operation")

    def has_execute_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.execute_operation")

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.reverse_operation")

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("ledger.cancel_operation")

    @admin.action(description="Submit for approval", permissions=["submit"])
    def submit(self, request: StaffRequest, queryset: QuerySet[Operation]) -> None:
        self._run(request, queryset, operation_submit, "submitted")

    @admin.action(description="Approve (not your own)", permissions=["approve"])
    def approve(self, request: StaffRequest, queryset: QuerySet[Operation]) -> None:
        self._run(request, queryset, operation_approve, "approved")

    @admin.action(description="Execute: post to the books", permissions=["execute"])
    def execute(self, request: StaffRequest, queryset: QuerySet[Operation]) -> None:
        self._run(request, queryset, operation_execute, "executed")

    @admin.action(description="Prepare a reversal", permissions=["reverse"])
    def reverse(self, request: StaffRequest, queryset: QuerySet[Operation]) -> None:
        def prepare(*, operation: Operation, by: User) -> Operation:
            return operation_reverse(
                operation=operation, by=by, reason=f"Reversal of {operation}, from the admin"
            )

        self._run(request, queryset, prepare, "prepared for reversal")

    @admin.action(description="Cancel (draft or submitted)", permissions=["cancel"])
    def cancel(self, request: StaffRequest, queryset: QuerySet[Operation]) -> None:
        def cancel(*, operation: Operation, by: User) -> Operation:
            return operation_cancel(operation=operation, by=by, reason="Cancelled from the admin")

        self._run(request, queryset, cancel, "cancelled")

    def _run(
        self,
        request: StaffRequest,
        queryset: QuerySet[Operation],
        service: Callable[..., Operation],
        done: str,
    ) -> None:
        run_for_each(
            self,
            request,
            queryset,
            lambda operation: service(operation=operation, by=request.user),
            f"operation(s) {done}",
        )


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    list_display = ["pk", "__str__", "purpose", "currency", "owner_type", "owner_id", "is_active"]
    list_filter = ["purpose", "currency", "allow_negative", "is_active"]
    search_fields = ["=pk", "name"]
    list_select_related = ["owner_type"]
    list_per_page = 50
    fields: list[str] = [
        "purpose",
        "currency",
        "name",
        "owner_type",
        "owner_id",
        "allow_negative",
        "is_active",
        "created_at",
        "current_balance",
    ]
    readonly_fields = fields

    @admin.display(description="Balance")
    def current_balance(self, account: Account) -> str:
        return balance(account).format()
