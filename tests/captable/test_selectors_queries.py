"""A cap table is read in a fixed number of queries, however many holders, plans and grants."""

from decimal import Decimal

import pytest

from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import Movement
from apps.captable.selectors import cap_table, convertibles_round
from apps.captable.services import (
    convertible_issue,
    options_grant,
    plan_create,
    pool_reserve,
    shares_issue,
)
from apps.core.money import Money
from tests.captable.conftest import D1, D2, holder

pytestmark = pytest.mark.django_db

# Holdings by holder and class; the holders' names; the classes' names; the plans' pools.
QUERIES = 4
# With convertibles shown converted: their holdings, then their terms.
QUERIES_WITH_CONVERTIBLES = QUERIES + 2


def company_of(issuer, common, maker, people, *, holders: int) -> None:
    """Give ``issuer`` ``holders`` shareholders, a plan with a pool, a grant and a convertible."""
    for number in range(holders):
        shares_issue(
            share_class=common,
            stakeholder=holder(issuer, f"Holder {number:02d}", maker),
            quantity=100 + number,
            effective_date=D1,
            **people,
        )
    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=maker)
    pool_reserve(plan=plan, quantity=1_000, effective_date=D1, **people)
    options_grant(
        plan=plan,
        stakeholder=holder(issuer, "Grantee", maker),
        quantity=150,
        exercise_price_minor=100,
        effective_date=D1,
        **people,
    )
    convertible_issue(
        issuer=issuer,
        stakeholder=holder(issuer, "Lender", maker),
        convertible_type="safe",
        terms=ConvertibleTerms(
            kind="safe",
            principal=Money.from_decimal(Decimal(10_000), "EUR"),
            valuation_cap=Money.from_decimal(Decimal(1_000_000), "EUR"),
        ),
        effective_date=D1,
        **people,
    )


@pytest.mark.parametrize("holders", [2, 12])
def test_a_cap_table_reads_in_as_many_queries_whatever_the_number_of_holders(
    issuer, common, maker, people, django_assert_num_queries, holders
):
    company_of(issuer, common, maker, people, holders=holders)

    with django_assert_num_queries(QUERIES):
        table = cap_table(issuer)

    assert len(table.rows) == holders + 2  # the holders, the grantee and the pool


def test_a_past_cap_table_reads_in_as_many_queries(
    issuer, common, maker, people, django_assert_num_queries
):
    company_of(issuer, common, maker, people, holders=3)
    first = Movement.objects.filter(issuer=issuer).earliest("pk").operation

    with django_assert_num_queries(QUERIES):
        cap_table(issuer, as_of=D2, after_operation=first)


@pytest.mark.parametrize("holders", [2, 12])
def test_convertibles_shown_converted_add_two_queries_whatever_the_number_of_holders(
    issuer, common, maker, people, django_assert_num_queries, holders
):
    company_of(issuer, common, maker, people, holders=holders)
    round = convertibles_round(issuer, price=Decimal(100))

    with django_assert_num_queries(QUERIES_WITH_CONVERTIBLES):
        table = cap_table(issuer, convertibles_at=round)

    assert len(table.rows) == holders + 3  # and the lender, as converted
