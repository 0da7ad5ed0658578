"""Proposing a deal operation, and approving and executing it as somebody else.

Operations staff propose (a closing, a call, a payment, a distribution, a fee, an interest
payment, a transfer): the operation is worked out and checked exactly as if it were carried out,
and its ledger operation is submitted with those legs; nothing else is written but the accounts
and cap table entries of the parties it needs, opened empty. A finance officer,
never the proposer, approves and executes it: the operation is worked out again from the same
parameters and must come to the very legs that were proposed, or it is refused as outdated
(the books moved on: cancel and propose again). A proposal may be cancelled until it executes.
"""

import inspect
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models

from apps.accounts.models import User
from apps.core.money import MONEY_JSON_KEYS, Money
from apps.core.services import use_case
from apps.core.validators import texts_without_control_characters
from apps.deals.models import Deal, Proposal, ProposalAction
from apps.deals.services.calls import plan_call_payment, plan_capital_call
from apps.deals.services.charges import plan_management_fee
from apps.deals.services.closing import plan_closing
from apps.deals.services.common import OperationRefused, Plan, carry_out, start_of
from apps.deals.services.distributions import plan_distribution, plan_interest
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
}


def encode(value: Any) -> Any:
    """Turn a parameter into JSON that :func:`decode` turns back into the same value.

    An amount is written as :meth:`Money.to_json` writes it, a date as ``{"date": ISO 8601}``
    (a bare string is a text parameter), a decimal as ``{"decimal": str}`` and a row as its
    model's label and primary key.
    """
    if isinstance(value, Money):
        return value.to_json()
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, models.Model):
        return {"model": value._meta.label, "pk": value.pk}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"a proposal cannot keep a {type(value).__name__}")


def decode(value: Any) -> Any:
    """Return the parameter that :func:`encode` turned into ``value``."""
    if not isinstance(value, dict):
        return value
    if set(value) == MONEY_JSON_KEYS:
        return Money.from_json(value)
    if "date" in value:
        return date.fromisoformat(value["date"])
    if "decimal" in value:
        return Decimal(value["decimal"])
    return apps.get_model(value["model"]).objects.get(pk=value["pk"])


def _plan(action: str, deal: Deal, by: User, params: dict[str, Any]) -> Plan:
    if action not in PLANS:
        raise OperationRefused(f"{action!r} is not an operation that can be proposed")
    plan, label = PLANS[action], ProposalAction(action).label
    # Only the parameters are checked here: an error inside the plan is a coding error.
    signature = inspect.signature(plan)
    for name in params:
        if name not in signature.parameters:
            raise OperationRefused(f"{label}: got an unexpected keyword argument {name!r}")
    try:
        signature.bind(deal=deal, by=by, **params)
    except TypeError as error:  # a parameter missing
        raise OperationRefused(f"{label}: {error}") from error
    return plan(deal=deal, by=by, **params)


@use_case(permission="deals.add_proposal")
def deal_operation_propose(*, deal: Deal, action: str, by: User, **params: Any) -> Proposal:
    """Work out and check an operation of ``deal`` and submit it for approval."""
    stored = {name: encode(value) for name, value in params.items()}
    plan = _plan(action, deal, by, params)
    operation = operation_create(
        kind=plan.kind,
        legs=plan.legs,
        idempotency_key=f"{plan.key}-proposed-{uuid.uuid4().hex}",
        description=plan.description,
        effective_at=start_of(plan.on),
        by=by,
    )
    operation = operation_submit.step(operation=operation, by=by)
    return Proposal.objects.create(
        deal=plan.deal, action=action, params=stored, operation=operation, created_by=by
    )


@use_case(permission="ledger.approve_operation")
def deal_proposal_execute(*, proposal: Proposal, by: User) -> Any:
    """Approve and execute ``proposal`` as ``by`` (not its proposer); return the deal's record."""
    proposal = Proposal.objects.select_related("operation", "created_by").get(pk=proposal.pk)
    if proposal.operation.state != OperationState.SUBMITTED:
        raise OperationRefused(
            f"{proposal} is {proposal.operation.state}: only a submitted proposal executes"
        )
    params = {name: decode(value) for name, value in proposal.params.items()}
    plan = _plan(proposal.action, proposal.deal, proposal.created_by, params)
    return carry_out(plan, by=proposal.created_by, approved_by=by, proposed=proposal.operation)


@use_case(permission="ledger.cancel_operation")
def deal_proposal_cancel(*, proposal: Proposal, by: User, reason: str) -> Proposal:
    """Withdraw a proposal that has not executed."""
    texts_without_control_characters(reason=reason, multiline=True)
    operation_cancel.step(operation=proposal.operation, by=by, reason=reason)
    return proposal
