"""Demo books: platform accounts and operations at each step of maker-checker."""

from apps.accounts.demo import demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core.demo import demo_seeder
from apps.core.money import Money
from apps.ledger.models import Account, AccountPurpose, Operation, OperationKind, OperationState
from apps.ledger.services import (
    Leg,
    account_open,
    operation_approve,
    operation_create,
    operation_execute,
    operation_submit,
)

# Each demo operation and the state the demo leaves it in.
DEMO_OPERATIONS = [
    ("demo-wire-in-1", OperationKind.DEPOSIT, 250_000_00, "Investor wire received", "executed"),
    ("demo-setup-fee-1", OperationKind.FEE, 1_500_00, "Setup fee, 0.6%", "approved"),
    ("demo-wire-out-1", OperationKind.WITHDRAWAL, 10_000_00, "Refund of an excess", "submitted"),
]


def _platform_account(purpose: str, name: str, *, allow_negative: bool, by: User) -> Account:
    account = Account.objects.filter(owner_type__isnull=True, purpose=purpose, name=name).first()
    return account or account_open(
        purpose=purpose, currency="EUR", name=name, allow_negative=allow_negative, by=by
    )


@demo_seeder
def seed_demo_books() -> list[str]:
    maker = User.objects.get(email=demo_staff_email(Role.OPERATIONS))
    checker = User.objects.get(email=demo_staff_email(Role.FINANCE))
    bank = _platform_account(
        AccountPurpose.BANK, "Platform bank (EUR)", allow_negative=True, by=checker
    )
    client_money = _platform_account(
        AccountPurpose.CASH, "Client money (EUR)", allow_negative=False, by=checker
    )
    fees = _platform_account(
        AccountPurpose.FEE, "Fee income (EUR)", allow_negative=True, by=checker
    )
    legs = {
        OperationKind.DEPOSIT: (bank, client_money),
        OperationKind.FEE: (client_money, fees),
        OperationKind.WITHDRAWAL: (client_money, bank),
    }
    steps = [
        (OperationState.SUBMITTED, operation_submit, maker),
        (OperationState.APPROVED, operation_approve, checker),
        (OperationState.EXECUTED, operation_execute, checker),
    ]
    for key, kind, amount, description, target in DEMO_OPERATIONS:
        source, destination = legs[kind]
        operation = operation_create(
            kind=kind,
            legs=[Leg(source.pk, Money(-amount, "EUR")), Leg(destination.pk, Money(amount, "EUR"))],
            idempotency_key=key,
            description=description,
            by=maker,
        )
        for state, service, actor in steps:
            if Operation.State.values.index(operation.state) < Operation.State.values.index(state):
                operation = service(operation=operation, by=actor)
            if state == target:
                break
    return [
        "",
        "Demo books: /admin/ledger/operation/ holds an executed wire, a fee awaiting execution",
        "and a refund awaiting approval (sign in as finance to check them).",
    ]
