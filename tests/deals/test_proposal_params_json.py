"""A proposal keeps its parameters as the API shows them, and the migration moves old ones.

Before, each parameter was kept in a wrapper saying what it was (``{"money": [minor units,
currency]}``, ``{"date": ...}``, ``{"decimal": ...}``, ``{"model": label, "pk": ...}``); now an
amount is kept as ``Money.to_json`` writes it, a date as its ISO 8601 string, a decimal as its
string and a row as its primary key, and each is read back as the plan's signature annotates
it. The migration must unwrap every old parameter of every action, write the wrappers back when
reversed, and do nothing the second time either way. A value that does not read as its
annotation says is refused, naming the parameter.
"""

import importlib
import inspect
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from hypothesis import given
from hypothesis import strategies as st
from iso4217 import Currency

from apps.core.money import Money
from apps.deals.admin.proposals import proposal_summary
from apps.deals.models import CapitalCall, Proposal
from apps.deals.services import OperationRefused, deal_operation_propose, deal_proposal_execute
from apps.deals.services.portfolio import portfolio_investment_record
from apps.deals.services.proposals import PLANS, decode, encode
from apps.investors.models import Investor
from apps.ledger.models import Operation, OperationState
from apps.ledger.verification import ledger_verify_report
from tests.deals.conftest import eur

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.deals.migrations.0005_proposal_params_money_json")

MONEY_CURRENCIES = sorted(code.value for code in Currency if code.exponent is not None)
CALL_DAY = date(2026, 3, 31)
SOLD_ON = date(2026, 6, 1)

# The parameters of each action as they were kept, and as they are kept now.
OLD = {
    "closing": {"effective_date": {"date": "2026-03-31"}, "final": True},
    "capital_call": {
        "amount": {"money": [4_000_000, "EUR"]},
        "call_date": {"date": "2026-03-31"},
        "due_date": {"date": "2026-04-30"},
        "purpose": "first investment",
    },
    "call_payment": {
        "notice": {"model": "deals.CapitalCallNotice", "pk": 3},
        "amount": {"money": [-5, "EUR"]},
        "paid_on": {"date": "2026-04-02"},
    },
    "distribution": {
        "proceeds": {"money": [1234, "JPY"]},
        "on": {"date": "2026-12-31"},
        "kind": "exit",
        "closes_deal": False,
    },
    "interest": {"start": {"date": "2026-01-01"}, "end": {"date": "2026-06-30"}},
    "management_fee": {
        "period_start": {"date": "2026-01-01"},
        "period_end": {"date": "2027-01-01"},
    },
    "secondary_transfer": {
        "seller": {"model": "investors.Investor", "pk": 7},
        "buyer": {"model": "investors.Investor", "pk": 8},
        "units": {"decimal": "60000.5"},
        "price": {"money": [16_500_000, "EUR"]},
        "on": {"date": "2026-06-01"},
    },
}
NEW = {
    "closing": {"effective_date": "2026-03-31", "final": True},
    "capital_call": {
        "amount": {"amount": "40000.00", "currency": "EUR"},
        "call_date": "2026-03-31",
        "due_date": "2026-04-30",
        "purpose": "first investment",
    },
    "call_payment": {
        "notice": 3,
        "amount": {"amount": "-0.05", "currency": "EUR"},
        "paid_on": "2026-04-02",
    },
    "distribution": {
        "proceeds": {"amount": "1234", "currency": "JPY"},
        "on": "2026-12-31",
        "kind": "exit",
        "closes_deal": False,
    },
    "interest": {"start": "2026-01-01", "end": "2026-06-30"},
    "management_fee": {"period_start": "2026-01-01", "period_end": "2027-01-01"},
    "secondary_transfer": {
        "seller": 7,
        "buyer": 8,
        "units": "60000.5",
        "price": {"amount": "165000.00", "currency": "EUR"},
        "on": "2026-06-01",
    },
}
ACTIONS = sorted(OLD)
# What the plans took after the migration was written: only ever kept in the new shape.
ADDED_SINCE = {
    "capital_call": {"investment"},
    "distribution": {"investment"},
    "clawback": {"as_of"},
}


@pytest.fixture
def fund(books):
    fund = books.deal("Orion", drawn_by_calls=True)
    books.close(fund, [eur(100_000), eur(300_000)])
    return fund


def _propose_call(books, fund) -> Proposal:
    return deal_operation_propose(
        deal=fund,
        action="capital_call",
        by=books.ops,
        amount=eur(40_000),
        call_date=CALL_DAY,
        due_date=CALL_DAY,
        purpose="first investment",
    )


@pytest.fixture
def proposal(books, fund) -> Proposal:
    """A proposal whose action and parameters each test stores as it needs."""
    return _propose_call(books, fund)


def _store(proposal: Proposal, action: str, params) -> None:
    Proposal.objects.filter(pk=proposal.pk).update(action=action, params=params)


def _params(proposal: Proposal):
    return Proposal.objects.get(pk=proposal.pk).params


def _written() -> tuple[int, int, int]:
    return Proposal.objects.count(), Operation.objects.count(), CapitalCall.objects.count()


# --- the migration ------------------------------------------------------------------------------


def test_the_tables_cover_every_parameter_of_every_action():
    for action, plan in PLANS.items():
        taken = set(inspect.signature(plan).parameters) - {"deal", "by"}
        added = ADDED_SINCE.get(action, set())
        assert set(OLD.get(action, {})) == set(NEW.get(action, {})) == taken - added, action


@pytest.mark.parametrize("action", ACTIONS)
def test_every_old_wrapper_is_unwrapped(proposal, action):
    _store(proposal, action, OLD[action])

    migration.forward(apps, None)

    assert _params(proposal) == NEW[action]


@pytest.mark.parametrize("action", ACTIONS)
def test_the_reverse_writes_the_old_wrappers_back(proposal, action):
    _store(proposal, action, NEW[action])

    migration.backward(apps, None)

    assert _params(proposal) == OLD[action]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_second_forward_run_changes_nothing(proposal, action):
    _store(proposal, action, OLD[action])
    migration.forward(apps, None)

    migration.forward(apps, None)

    assert _params(proposal) == NEW[action]


@pytest.mark.parametrize("action", ACTIONS)
def test_a_second_reverse_run_changes_nothing(proposal, action):
    _store(proposal, action, NEW[action])
    migration.backward(apps, None)

    migration.backward(apps, None)

    assert _params(proposal) == OLD[action]


def test_the_reverse_wraps_only_the_parameters_that_had_a_wrapper(proposal):
    # A text kept plain even when it reads as a date; flags, whole numbers and nulls likewise.
    _store(proposal, "capital_call", NEW["capital_call"] | {"purpose": "2026-03-31"})

    migration.backward(apps, None)

    assert _params(proposal) == OLD["capital_call"] | {"purpose": "2026-03-31"}
    others = {"final": True, "closes_deal": False, "kind": None}
    assert migration.params_rewritten("distribution", others, migration.to_wrapped) == others


def test_an_action_the_reverse_does_not_know_is_left_alone(proposal):
    _store(proposal, "retired_action", NEW["secondary_transfer"])

    migration.backward(apps, None)

    assert _params(proposal) == NEW["secondary_transfer"]


@pytest.mark.parametrize(
    "stored",
    [
        {"money": ["4000000", "EUR"]},
        {"money": [40000.0, "EUR"]},
        {"money": [True, "EUR"]},
        {"money": [4_000_000]},
        {"money": [4_000_000, "ZZZ"]},
        {"money": [4_000_000, "XAU"]},
        {"date": 20260331},
        {"decimal": 12.5},
        {"model": "investors.Investor", "pk": "7"},
        {"model": "investors.Investor", "pk": True},
    ],
)
def test_a_malformed_old_wrapper_stops_the_migration_and_writes_nothing(proposal, stored):
    _store(proposal, "capital_call", {"amount": stored})

    with pytest.raises(ValueError):
        migration.forward(apps, None)

    assert _params(proposal) == {"amount": stored}


@given(
    amount_minor=st.integers(min_value=-(2**70), max_value=2**70),
    currency=st.sampled_from(MONEY_CURRENCIES),
)
def test_the_migrations_arithmetic_agrees_with_money(amount_minor, currency):
    money = Money(amount_minor, currency)
    old = {"money": [amount_minor, currency]}

    assert migration.to_plain("capital_call", "amount", old) == money.to_json()
    assert migration.to_wrapped("capital_call", "amount", money.to_json()) == old


def test_a_migrated_proposal_executes(books, proposal):
    _store(proposal, "capital_call", OLD["capital_call"] | {"due_date": {"date": "2026-03-31"}})
    migration.forward(apps, None)

    call = deal_proposal_execute(proposal=Proposal.objects.get(pk=proposal.pk), by=books.finance)

    assert call.operation == proposal.operation
    assert sum(call.notices.values_list("amount_minor", flat=True)) == eur(40_000).amount_minor
    assert ledger_verify_report().passed


# --- what the service keeps -----------------------------------------------------------------


def test_a_proposed_capital_call_keeps_plain_json_and_executes(books, fund):
    proposal = _propose_call(books, fund)

    assert _params(proposal) == {
        "amount": {"amount": "40000.00", "currency": "EUR"},
        "call_date": "2026-03-31",
        "due_date": "2026-03-31",
        "purpose": "first investment",
    }
    call = deal_proposal_execute(proposal=proposal, by=books.finance)
    assert call.operation.state == OperationState.EXECUTED
    assert call.purpose == "first investment"
    assert ledger_verify_report().passed


def test_a_proposed_secondary_transfer_keeps_plain_json_and_executes(books):
    spv = books.deal("Atlas")
    books.close(spv, [eur(100_000), eur(150_000)])
    seller = books.investors_of(spv)[0]
    buyer = books.investor(cash=eur(170_000), name="Buyer")

    proposal = deal_operation_propose(
        deal=spv,
        action="secondary_transfer",
        by=books.ops,
        seller=seller,
        buyer=buyer,
        units=Decimal("60000.5"),
        price=eur(165_000),
        on=SOLD_ON,
    )

    assert _params(proposal) == {
        "seller": seller.pk,
        "buyer": buyer.pk,
        "units": "60000.5",
        "price": {"amount": "165000.00", "currency": "EUR"},
        "on": "2026-06-01",
    }
    transfer = deal_proposal_execute(proposal=proposal, by=books.finance)
    assert (transfer.seller, transfer.buyer) == (seller, buyer)
    assert transfer.units == Decimal("60000.5")
    assert books.cash(buyer) == eur(5_000) and books.cash(seller) == eur(165_000)
    assert ledger_verify_report().passed


def test_every_parameter_of_every_plan_reads_back_exactly(books, fund):
    call = deal_proposal_execute(proposal=_propose_call(books, fund), by=books.finance)
    notice = call.notices.order_by("pk").first()
    seller, buyer = books.investors_of(fund)
    investment = portfolio_investment_record(
        deal=fund, invested_on=CALL_DAY, cost=eur(100_000), company="Acme", by=books.ops
    )
    values = {
        "closing": {"effective_date": CALL_DAY, "final": False},
        "capital_call": {
            "amount": Money(-5, "EUR"),
            "call_date": CALL_DAY,
            "due_date": date(2026, 12, 31),
            "purpose": "2026-03-31",
            "investment": investment,
        },
        "call_payment": {"notice": notice, "amount": Money(1234, "JPY"), "paid_on": CALL_DAY},
        "distribution": {
            "proceeds": Money(1, "BHD"),
            "on": CALL_DAY,
            "kind": "exit",
            "closes_deal": True,
            "investment": investment,
        },
        "interest": {"start": date(1, 1, 1), "end": date(9999, 12, 31)},
        "management_fee": {"period_start": CALL_DAY, "period_end": CALL_DAY},
        "secondary_transfer": {
            "seller": seller,
            "buyer": buyer,
            "units": Decimal("0.0000000001"),
            "price": Money(10**20, "EUR"),
            "on": CALL_DAY,
        },
        "clawback": {"as_of": date(2030, 12, 31)},
    }

    for action, plan in PLANS.items():
        assert set(values[action]) == set(inspect.signature(plan).parameters) - {"deal", "by"}
        for name, value in values[action].items():
            assert decode(plan, name, encode(plan, name, value)) == value, (action, name)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (Decimal("1E+2"), "100"),
        (Decimal("1E-7"), "0.0000001"),
        (Decimal("1.50"), "1.50"),
        (Decimal("-3"), "-3"),
    ],
)
def test_a_decimal_is_kept_in_positional_notation(value, stored):
    plan = PLANS["secondary_transfer"]

    assert encode(plan, "units", value) == stored
    assert decode(plan, "units", stored) == value


def test_an_optional_parameter_keeps_nothing_as_null(books):
    def plan_with_options(*, deal, by, on: date | None = None, seller: Investor | None = None):
        raise AssertionError("never worked out here")

    for name in ("on", "seller"):
        assert encode(plan_with_options, name, None) is None
        assert decode(plan_with_options, name, None) is None
    assert decode(plan_with_options, "on", encode(plan_with_options, "on", CALL_DAY)) == CALL_DAY


def test_a_parameter_of_a_type_a_proposal_cannot_keep_is_a_coding_error():
    def plan_with_a_float(*, deal, by, rate: float):
        raise AssertionError("never worked out here")

    with pytest.raises(TypeError, match="cannot keep 'rate'"):
        encode(plan_with_a_float, "rate", 0.5)


@pytest.mark.parametrize(
    ("action", "name", "stored"),
    [
        ("capital_call", "call_date", "31/03/2026"),
        ("capital_call", "call_date", "20260331"),
        ("capital_call", "call_date", "2026-02-30"),
        ("capital_call", "call_date", {"date": "2026-03-31"}),
        ("capital_call", "amount", {"amount": "40000.0", "currency": "EUR"}),
        ("capital_call", "amount", {"amount": 40000, "currency": "EUR"}),
        ("capital_call", "amount", {"money": [4_000_000, "EUR"]}),
        ("capital_call", "purpose", 5),
        ("capital_call", "purpose", None),
        ("closing", "final", "yes"),
        ("closing", "final", 1),
        ("secondary_transfer", "units", "6e4"),
        ("secondary_transfer", "units", 60000.5),
        ("secondary_transfer", "units", "NaN"),
        ("secondary_transfer", "units", " 1"),
        ("secondary_transfer", "seller", "7"),
        ("secondary_transfer", "seller", True),
        ("secondary_transfer", "seller", {"model": "investors.Investor", "pk": 7}),
    ],
)
def test_a_stored_value_that_does_not_read_as_its_annotation_is_refused(action, name, stored):
    with pytest.raises(OperationRefused, match=f"'{name}' is stored as ") as refused:
        decode(PLANS[action], name, stored)

    assert refused.value.data == {"parameter": name}


def test_a_stored_row_that_is_gone_is_refused(books):
    with pytest.raises(OperationRefused, match="'seller': no investor has the id 999999999"):
        decode(PLANS["secondary_transfer"], "seller", 999_999_999)


def test_a_proposal_stored_with_a_bad_date_is_refused_at_execution_and_nothing_is_written(
    books, proposal
):
    _store(proposal, "capital_call", NEW["capital_call"] | {"due_date": "30/04/2026"})
    written = _written()

    with pytest.raises(OperationRefused, match="'due_date' is stored as '30/04/2026'"):
        deal_proposal_execute(proposal=proposal, by=books.finance)

    assert _written() == written
    assert Operation.objects.get(pk=proposal.operation.pk).state == OperationState.SUBMITTED


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("amount", Decimal("40000")),
        ("amount", 0.1),
        ("call_date", "2026-03-31"),
        ("call_date", datetime(2026, 3, 31, 12, 0)),
        ("purpose", None),
    ],
)
def test_an_incoming_value_of_another_type_is_refused_and_nothing_is_written(
    books, fund, name, value
):
    params = {"amount": eur(40_000), "call_date": CALL_DAY, "due_date": CALL_DAY} | {name: value}
    written = _written()

    with pytest.raises(OperationRefused, match=f"'{name}' must be ") as refused:
        deal_operation_propose(deal=fund, action="capital_call", by=books.ops, **params)

    assert refused.value.data == {"parameter": name}
    assert _written() == written


def test_an_unsaved_row_is_refused(books):
    with pytest.raises(OperationRefused, match="'seller' must be a saved investor"):
        encode(PLANS["secondary_transfer"], "seller", Investor(legal_name="Nobody"))


def test_the_admin_summary_reads_plain_parameters_without_reading_rows(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        summary = proposal_summary("secondary_transfer", NEW["secondary_transfer"])

    assert summary == "60000.5 units from investor #7 to investor #8 for €165,000.00 on 2026-06-01"
