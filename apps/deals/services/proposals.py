"""Proposing a deal operation, and approving and executing it as somebody else.

Operations staff propose (a closing, a call, a payment, a distribution, a fee, an interest
payment, a transfer, a clawback): the operation is worked out and checked exactly as if it
were carried out, and its ledger operation is submitted with those legs; nothing else is
written but the accounts and cap table entries of the parties it needs, opened empty. A
finance officer,
never the proposer, approves and executes it: the operation is worked out again from the same
parameters and must come to the very legs that were proposed, or it is refused as outdated
(the books moved on: cancel and propose again). A proposal may be cancelled until it executes.

A proposal keeps its parameters as the API shows them: an amount as :meth:`Money.to_json`
writes it, a date as its ISO 8601 string, a decimal as a decimal string, a row as its primary
key, and a flag, a whole number, a text or nothing as itself. That JSON does not say what it
holds (``"2026-03-31"`` may be a date or a text), so each parameter is read back as the plan's
own signature annotates it, and one that does not read as its annotation says is refused,
named, whether it is being proposed or was stored.
"""

import inspect
import re
import typing
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models

from apps.accounts.models import User
from apps.core.money import Money
from apps.core.services import use_case
from apps.core.validators import texts_without_control_characters
from apps.deals.models import Deal, Proposal, ProposalAction
from apps.deals.services.calls import plan_call_payment, plan_capital_call
from apps.deals.services.charges import plan_management_fee
from apps.deals.services.closing import plan_closing
from apps.deals.services.common import OperationRefused, Plan, carry_out, start_of
from apps.deals.services.distributions import plan_clawback, plan_distribution, plan_interest
from apps.deals.services.transfers import plan_secondary_transfer
from apps.ledger.models import OperationState
from apps.ledger.services import operation_cancel, operation_create, operation_submit

PLANS: dict[str, Callable[..., Plan]] = {
    ProposalAction.CLOSING: plan_closing,
    ProposalAction.CAPITAL_CALL: plan_capital_call,
    ProposalAction.CALL_PAYMENT: plan_call_payment,
    ProposalAction.DISTRIBUTION: plan_distribution,
    ProposalAction.INTEREST: plan_interest,
    ProposalAction.MANAGEMENT_FEE: plan_management_fee,
    ProposalAction.SECONDARY_TRANSFER: plan_secondary_transfer,
    ProposalAction.CLAWBACK: plan_clawback,
}

# Every plan takes these; the proposal keeps them in its own columns, not among its parameters.
_GIVEN = frozenset({"deal", "by"})
_PLAIN_TYPES = (Money, date, Decimal, bool, int, str)
# A decimal as kept: optional minus, whole units without leading zeros, then any decimals.
# ASCII digits only (``\d`` would take other scripts' digits, which ``Decimal`` reads).
_JSON_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")


def parameter_type(plan: Callable[..., Plan], name: str) -> tuple[type, bool]:
    """Return the type ``plan`` annotates its parameter ``name`` with, and whether it may be None.

    A name the plan does not take is refused; a parameter that is not annotated with a type a
    proposal can keep (one of ``_PLAIN_TYPES`` or a model, or such a type ``| None``) is a
    coding error.
    """
    if name in _GIVEN or name not in inspect.signature(plan).parameters:
        raise OperationRefused(f"{plan.__name__} takes no parameter {name!r}", parameter=name)
    hint = typing.get_type_hints(plan).get(name)
    if hint is None:
        raise TypeError(f"{plan.__name__} does not annotate its parameter {name!r}")
    kind, optional = hint, False
    if typing.get_origin(hint) in (typing.Union, UnionType):
        members = [member for member in typing.get_args(hint) if member is not NoneType]
        kind = members[0] if len(members) == 1 else None
        optional = True
    if not (kind in _PLAIN_TYPES or (isinstance(kind, type) and issubclass(kind, models.Model))):
        raise TypeError(f"a proposal cannot keep {name!r} of {plan.__name__}, a {hint}")
    return kind, optional


def encode(plan: Callable[..., Plan], name: str, value: Any) -> Any:
    """Turn ``value``, the parameter ``name`` of ``plan``, into the JSON a proposal keeps.

    The value must be of the type the plan annotates the parameter with (a date, not a
    datetime; a saved row; a finite decimal), or it is refused. :func:`decode` reads what this
    writes back as the same value.
    """
    kind, optional = parameter_type(plan, name)
    if value is None and optional:
        return None
    if not _is_a(value, kind):
        raise OperationRefused(
            f"{name!r} must be {_described(kind)}, not {value!r}", parameter=name
        )
    if kind is Money:
        return value.to_json()
    if kind is date:
        return value.isoformat()
    if kind is Decimal:
        return format(value, "f")  # positional notation: never an exponent
    if issubclass(kind, models.Model):
        return value.pk
    return value


def decode(plan: Callable[..., Plan], name: str, stored: Any) -> Any:
    """Read ``stored``, the kept parameter ``name`` of ``plan``, as its annotation says.

    Refused when it does not read as that type, in the very spelling :func:`encode` writes, or
    when the row it names is gone.
    """
    kind, optional = parameter_type(plan, name)
    if stored is None and optional:
        return None
    if kind is Money:
        try:
            return Money.from_json(stored)
        except ValueError as error:
            raise _unreadable(name, stored, kind, reason=str(error)) from None
    if kind is date:
        read = _iso_date(stored)
        if read is None:
            raise _unreadable(name, stored, kind)
        return read
    if kind is Decimal:
        if not isinstance(stored, str) or not _JSON_DECIMAL.fullmatch(stored):
            raise _unreadable(name, stored, kind)
        return Decimal(stored)
    if issubclass(kind, models.Model):
        if type(stored) is not int:
            raise _unreadable(name, stored, kind)
        try:
            return kind._default_manager.get(pk=stored)
        except ObjectDoesNotExist:
            raise OperationRefused(
                f"{name!r}: no {kind._meta.verbose_name} has the id {stored}", parameter=name
            ) from None
    if not _is_a(stored, kind):
        raise _unreadable(name, stored, kind)
    return stored


def _is_a(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    if kind is Decimal:
        return isinstance(value, Decimal) and value.is_finite()
    if issubclass(kind, models.Model):
        return isinstance(value, kind) and type(value.pk) is int
    return isinstance(value, kind)


def _iso_date(stored: Any) -> date | None:
    """Read a date spelled exactly as ``date.isoformat`` spells it, or return None."""
    if not isinstance(stored, str):
        return None
    try:
        read = date.fromisoformat(stored)
    except ValueError:
        return None
    # ``fromisoformat`` also reads other ISO 8601 spellings (20260331, 2026-W14-2).
    return read if read.isoformat() == stored else None


def _described(kind: type) -> str:
    if issubclass(kind, models.Model):
        return f"a saved {kind._meta.verbose_name}"
    return {
        Money: "an amount (Money)",
        date: "a date",
        Decimal: "a finite Decimal",
        bool: "True or False",
        int: "a whole number",
        str: "a text",
    }[kind]


def _unreadable(name: str, stored: Any, kind: type, reason: str = "") -> OperationRefused:
    if issubclass(kind, models.Model):
        expected = f"the id of a {kind._meta.verbose_name}"
    else:
        expected = {
            Money: "an amount as Money.to_json writes it",
            date: "an ISO 8601 date (2026-03-31)",
            Decimal: "a decimal string (12.5)",
            bool: "true or false",
            int: "a whole number",
            str: "a text",
        }[kind]
    because = f": {reason}" if reason else ""
    return OperationRefused(
        f"{name!r} is stored as {stored!r}, which is not {expected}{because}", parameter=name
    )


def _plan_of(action: str, names: Iterable[str]) -> Callable[..., Plan]:
    """Return the plan of ``action``, refusing an action or a parameter it does not take."""
    if action not in PLANS:
        raise OperationRefused(f"{action!r} is not an operation that can be proposed")
    plan, label = PLANS[action], ProposalAction(action).label
    taken = set(inspect.signature(plan).parameters) - _GIVEN
    for name in names:
        if name not in taken:
            raise OperationRefused(f"{label}: got an unexpected keyword argument {name!r}")
    return plan


def _work_out(
    action: str, plan: Callable[..., Plan], deal: Deal, by: User, params: dict[str, Any]
) -> Plan:
    # Only the parameters are checked here: an error inside the plan is a coding error.
    try:
        inspect.signature(plan).bind(deal=deal, by=by, **params)
    except TypeError as error:  # a parameter missing
        raise OperationRefused(f"{ProposalAction(action).label}: {error}") from error
    return plan(deal=deal, by=by, **params)


@use_case(permission="deals.add_proposal")
def deal_operation_propose(*, deal: Deal, action: str, by: User, **params: Any) -> Proposal:
    """Work out and check an operation of ``deal`` and submit it for approval."""
    plan = _plan_of(action, params)
    stored = {name: encode(plan, name, value) for name, value in params.items()}
    worked_out = _work_out(action, plan, deal, by, params)
    operation = operation_create(
        kind=worked_out.kind,
        legs=worked_out.legs,
        idempotency_key=f"{worked_out.key}-proposed-{uuid.uuid4().hex}",
        description=worked_out.description,
        effective_at=start_of(worked_out.on),
        by=by,
    )
    operation = operation_submit.step(operation=operation, by=by)
    return Proposal.objects.create(
        deal=worked_out.deal, action=action, params=stored, operation=operation, created_by=by
    )


@use_case(permission="ledger.approve_operation")
def deal_proposal_execute(*, proposal: Proposal, by: User) -> Any:
    """Approve and execute ``proposal`` as ``by`` (not its proposer); return the deal's record."""
    proposal = Proposal.objects.select_related("operation", "created_by").get(pk=proposal.pk)
    if proposal.operation.state != OperationState.SUBMITTED:
        raise OperationRefused(
            f"{proposal} is {proposal.operation.state}: only a submitted proposal executes"
        )
    if not isinstance(proposal.params, dict):
        raise OperationRefused(f"{proposal} keeps {proposal.params!r}, not its parameters")
    plan = _plan_of(proposal.action, proposal.params)
    params = {name: decode(plan, name, value) for name, value in proposal.params.items()}
    worked_out = _work_out(proposal.action, plan, proposal.deal, proposal.created_by, params)
    return carry_out(
        worked_out, by=proposal.created_by, approved_by=by, proposed=proposal.operation
    )


@use_case(permission="ledger.cancel_operation")
def deal_proposal_cancel(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """Withdraw a proposal that has not executed."""
    texts_without_control_characters(reason=reason, multiline=True)
    operation_cancel.step(operation=proposal.operation, by=by, reason=reason)
    return proposal
