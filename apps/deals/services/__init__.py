"""Writes on deals: subscriptions, closings, capital calls, distributions, fees, transfers and
their reversals. Each operation that moves money or units is one ledger operation."""

from apps.core.exceptions import TransitionRefused
from apps.deals.services.calls import (
    capital_call_issue,
    capital_call_payment_record,
    capital_calls_flag_defaults,
)
from apps.deals.services.charges import fee_bases, management_fee_charge
from apps.deals.services.closing import deal_close, units_for
from apps.deals.services.common import OperationRefused, SubscriptionRefused
from apps.deals.services.distributions import (
    clawback_settle,
    distribution_record,
    interest_distribute,
)
from apps.deals.services.proposals import (
    deal_operation_propose,
    deal_proposal_cancel,
    deal_proposal_execute,
)
from apps.deals.services.reversals import deal_operation_reverse
from apps.deals.services.subscriptions import (
    deal_cancel,
    deal_create,
    deal_open,
    deal_start_closing,
    deal_update,
    deal_wind_up,
    scaled_back,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscription_withdraw,
    subscriptions_scale_back,
)
from apps.deals.services.transfers import secondary_transfer

__all__ = [
    "OperationRefused",
    "SubscriptionRefused",
    "TransitionRefused",
    "capital_call_issue",
    "capital_call_payment_record",
    "capital_calls_flag_defaults",
    "clawback_settle",
    "deal_cancel",
    "deal_close",
    "deal_create",
    "deal_open",
    "deal_operation_propose",
    "deal_operation_reverse",
    "deal_proposal_cancel",
    "deal_proposal_execute",
    "deal_start_closing",
    "deal_update",
    "deal_wind_up",
    "distribution_record",
    "fee_bases",
    "interest_distribute",
    "management_fee_charge",
    "scaled_back",
    "secondary_transfer",
    "subscription_create",
    "subscription_fund",
    "subscription_sign",
    "subscription_submit",
    "subscription_withdraw",
    "subscriptions_scale_back",
    "units_for",
]
