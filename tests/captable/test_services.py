"""Holdings change only through recorded movements; bad changes are refused and write nothing."""

from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import IntegrityError, connection, transaction

from apps.captable.exceptions import (
    AuthorisedExceeded,
    InsufficientUnits,
    InvalidMovement,
    MovementAppendOnly,
    PoolExhausted,
    SecurityClosed,
)
from apps.captable.models import Movement, Security
from apps.captable.selectors import cap_table, security_outstanding
from apps.captable.services import (
    Change,
    captable_change_record,
    options_grant,
    plan_create,
    pool_reserve,
    security_cancel,
    security_exercise,
    security_transfer,
    share_class_split,
    shares_issue,
    stock_convert,
    warrant_issue,
)
from apps.ledger.exceptions import MakerCheckerViolation
from apps.ledger.models import Operation
from tests.captable.conftest import D1, D2, D3, holder

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        Operation.objects.count(),
        Security.objects.count(),
        list(Movement.objects.order_by("pk").values_list("pk", "quantity")),
    )


def units(issuer, **kwargs) -> dict[tuple[str, str], Decimal]:
    return {(row.holder, row.share_class): row.units for row in cap_table(issuer, **kwargs).rows}


def test_an_issuance_is_an_executed_operation_with_one_movement(issuer, common, alice, people):
    security = shares_issue(
        share_class=common, stakeholder=alice, quantity=10_000, effective_date=D1, **people
    )

    movement = Movement.objects.get(security=security)
    assert movement.operation.state == "executed"
    assert movement.operation.created_by == people["by"]
    assert movement.operation.approved_by == people["approved_by"]
    assert movement.operation_sequence == movement.operation.sequence
    assert units(issuer) == {("Alice Martin", "Ordinary"): Decimal(10_000)}


def test_a_change_made_and_approved_by_the_same_person_is_refused(common, alice, maker):
    before = snapshot()

    with pytest.raises(MakerCheckerViolation):
        shares_issue(
            share_class=common,
            stakeholder=alice,
            quantity=1,
            effective_date=D1,
            by=maker,
            approved_by=maker,
        )

    assert snapshot() == before


def test_a_partial_transfer_consumes_the_security_and_opens_a_balance(
    issuer, common, alice, bob, people
):
    source = shares_issue(
        share_class=common, stakeholder=alice, quantity=10_000, effective_date=D1, **people
    )

    received = security_transfer(
        security=source, to=bob, quantity=Decimal("2500.5"), effective_date=D2, **people
    )

    outstanding = security_outstanding(issuer)
    assert source.security_id not in outstanding
    assert outstanding[received.security_id] == Decimal("2500.5")
    assert outstanding[f"{source.security_id}-B1"] == Decimal("7499.5")
    assert units(issuer) == {
        ("Alice Martin", "Ordinary"): Decimal("7499.5"),
        ("Bob Keller", "Ordinary"): Decimal("2500.5"),
    }
    assert units(issuer, as_of=D1) == {("Alice Martin", "Ordinary"): Decimal(10_000)}


def test_transferring_more_than_is_held_is_refused_naming_the_security(common, alice, bob, people):
    source = shares_issue(
        share_class=common,
        stakeholder=alice,
        quantity=100,
        effective_date=D1,
        security_id="CS-1",
        **people,
    )
    before = snapshot()

    with pytest.raises(InsufficientUnits, match="security CS-1 holds 100 units; 101"):
        security_transfer(security=source, to=bob, quantity=101, effective_date=D2, **people)

    assert snapshot() == before


def test_cancelling_a_cancelled_security_is_refused(common, alice, people):
    security = shares_issue(
        share_class=common,
        stakeholder=alice,
        quantity=100,
        effective_date=D1,
        security_id="CS-9",
        **people,
    )
    security_cancel(security=security, effective_date=D2, **people)
    before = snapshot()

    with pytest.raises(SecurityClosed, match="security CS-9 has nothing outstanding"):
        security_cancel(security=security, effective_date=D3, **people)

    assert snapshot() == before


def test_two_objects_of_one_security_share_one_position_in_a_change(issuer, common, alice, people):
    security = shares_issue(
        share_class=common, stakeholder=alice, quantity=100, effective_date=D1, **people
    )
    first, second = Security.objects.get(pk=security.pk), Security.objects.get(pk=security.pk)
    before = snapshot()

    def cancel_twice(change: Change) -> None:
        for copy in (first, second):
            change.consume(security=copy, kind="cancellation", quantity=None, effective_date=D2)

    with pytest.raises(SecurityClosed, match="has nothing outstanding"):
        captable_change_record(
            issuer=issuer, description="Cancel twice", build=cancel_twice, **people
        )

    assert snapshot() == before
    assert security_outstanding(issuer)[security.security_id] == Decimal(100)


def test_issuing_beyond_the_authorised_units_is_refused_naming_the_class(
    preferred, alice, bob, people
):
    shares_issue(
        share_class=preferred, stakeholder=alice, quantity=900_000, effective_date=D1, **people
    )
    before = snapshot()

    with pytest.raises(AuthorisedExceeded, match="class Series A Preferred authorises 1000000"):
        shares_issue(
            share_class=preferred, stakeholder=bob, quantity=100_001, effective_date=D2, **people
        )

    assert snapshot() == before


@pytest.mark.parametrize("quantity", [Decimal(10) ** 18, Decimal(10) ** 40, Decimal("Infinity")])
def test_a_quantity_the_books_cannot_compute_exactly_is_refused_and_nothing_written(
    common, alice, people, quantity
):
    before = snapshot()

    with pytest.raises(InvalidMovement, match="at most 18 digits before the point"):
        shares_issue(
            share_class=common, stakeholder=alice, quantity=quantity, effective_date=D1, **people
        )

    assert snapshot() == before


def test_a_quantity_with_more_than_ten_decimals_is_refused(common, alice, people):
    with pytest.raises(InvalidMovement, match="more than 10 decimals"):
        shares_issue(
            share_class=common,
            stakeholder=alice,
            quantity=Decimal("1.00000000001"),
            effective_date=D1,
            **people,
        )


def test_a_split_multiplies_every_holding_and_the_authorised_units(
    issuer, preferred, alice, bob, people
):
    shares_issue(
        share_class=preferred, stakeholder=alice, quantity=300, effective_date=D1, **people
    )
    shares_issue(share_class=preferred, stakeholder=bob, quantity=100, effective_date=D1, **people)

    share_class_split(share_class=preferred, ratio=Fraction(10), effective_date=D2, **people)

    preferred.refresh_from_db()
    assert preferred.authorised_units == 10_000_000
    assert units(issuer) == {
        ("Alice Martin", "Series A Preferred"): Decimal(3000),
        ("Bob Keller", "Series A Preferred"): Decimal(1000),
    }
    assert units(issuer, as_of=D1)[("Alice Martin", "Series A Preferred")] == 300


def test_a_conversion_between_classes_follows_their_ratios(
    issuer, common, preferred, alice, people
):
    preferred.conversion_ratio = Decimal(2)
    preferred.save()
    security = shares_issue(
        share_class=preferred, stakeholder=alice, quantity=150, effective_date=D1, **people
    )

    stock_convert(security=security, to_class=common, effective_date=D2, **people)

    assert units(issuer) == {("Alice Martin", "Ordinary"): Decimal(300)}


def test_options_come_from_the_pool_and_exercise_into_shares(issuer, common, alice, people):
    plan = plan_create(issuer=issuer, name="ESOP 2025", share_class=common, by=people["by"])
    pool_reserve(plan=plan, quantity=1000, effective_date=D1, **people)
    grant = options_grant(
        plan=plan,
        stakeholder=alice,
        quantity=600,
        exercise_price_minor=50,
        effective_date=D1,
        **people,
    )

    with pytest.raises(PoolExhausted, match="plan ESOP 2025 has 400"):
        options_grant(
            plan=plan,
            stakeholder=alice,
            quantity=401,
            exercise_price_minor=50,
            effective_date=D2,
            **people,
        )
    security_exercise(security=grant, quantity=200, effective_date=D2, **people)

    table = cap_table(issuer)
    rows = {(row.holder, row.share_class): row for row in table.rows}
    assert rows[("Alice Martin", "Ordinary")].units == 200
    assert rows[("Alice Martin", "Ordinary")].fully_diluted_units == 600  # 200 shares + 400 options
    assert rows[("Pool: ESOP 2025", "Ordinary")].fully_diluted_units == 400
    assert table.total_fully_diluted_units == 1000
    assert table.by_holder["Alice Martin"] == (Decimal(200), Decimal(600))
    assert table.by_class["Ordinary"] == (Decimal(200), Decimal(1000))


def test_cancelled_options_return_to_the_pool(issuer, common, alice, people):
    plan = plan_create(issuer=issuer, name="ESOP", share_class=common, by=people["by"])
    pool_reserve(plan=plan, quantity=1000, effective_date=D1, **people)
    grant = options_grant(
        plan=plan,
        stakeholder=alice,
        quantity=600,
        exercise_price_minor=50,
        effective_date=D1,
        **people,
    )

    security_cancel(security=grant, quantity=100, effective_date=D2, **people)

    rows = {(row.holder, row.share_class): row for row in cap_table(issuer).rows}
    assert rows[("Alice Martin", "Ordinary")].fully_diluted_units == 500
    assert rows[("Pool: ESOP", "Ordinary")].fully_diluted_units == 500


def test_warrants_count_only_when_fully_diluted(issuer, common, alice, bob, people):
    shares_issue(share_class=common, stakeholder=alice, quantity=900, effective_date=D1, **people)
    warrant_issue(
        share_class=common,
        stakeholder=bob,
        quantity=100,
        exercise_price_minor=100,
        effective_date=D1,
        **people,
    )

    table = cap_table(issuer)

    rows = {row.holder: row for row in table.rows}
    assert (rows["Bob Keller"].units, rows["Bob Keller"].fully_diluted_units) == (0, 100)
    assert (rows["Bob Keller"].percent, rows["Bob Keller"].percent_fully_diluted) == (
        Decimal("0.00"),
        Decimal("10.00"),
    )


def test_movements_cannot_be_changed_through_the_orm(common, alice, people):
    security = shares_issue(
        share_class=common, stakeholder=alice, quantity=100, effective_date=D1, **people
    )
    movement = Movement.objects.get(security=security)

    with pytest.raises(MovementAppendOnly):
        Movement.objects.filter(pk=movement.pk).update(quantity=1)
    with pytest.raises(MovementAppendOnly):
        movement.delete()
    movement.quantity = 1
    with pytest.raises(MovementAppendOnly):
        movement.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="enforced by PostgreSQL itself")
def test_postgresql_refuses_a_raw_update_or_delete_of_a_movement(common, alice, people):
    security = shares_issue(
        share_class=common, stakeholder=alice, quantity=100, effective_date=D1, **people
    )

    for sql in ["UPDATE captable_movement SET quantity = 1", "DELETE FROM captable_movement"]:
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"{sql} WHERE security_id = %s", [security.pk])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="enforced by PostgreSQL itself")
def test_postgresql_refuses_a_raw_movement_leaving_a_security_below_nothing(common, alice, people):
    security = shares_issue(
        share_class=common, stakeholder=alice, quantity=100, effective_date=D1, **people
    )
    with (
        pytest.raises(IntegrityError, match="never holds less than nothing"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO captable_movement (operation_id, issuer_id, security_id, plan_id, kind, "
            "quantity, amount_minor, effective_date, security_kind, stakeholder_id, "
            "share_class_id, operation_sequence, external_id) "
            "SELECT operation_id, issuer_id, security_id, plan_id, kind, -101, amount_minor, "
            "effective_date, security_kind, stakeholder_id, share_class_id, operation_sequence, "
            "external_id FROM captable_movement WHERE security_id = %s",
            [security.pk],
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    assert security_outstanding(common.issuer)[security.security_id] == Decimal(100)


def test_a_stakeholder_of_another_issuer_is_refused(common, people, maker):
    from tests.captable.conftest import make_issuer

    stranger = holder(make_issuer("Other Co", maker), "Stranger", maker)

    with pytest.raises(InvalidMovement, match="is not a stakeholder of"):
        shares_issue(
            share_class=common, stakeholder=stranger, quantity=1, effective_date=D1, **people
        )


def test_convertibles_convert_into_shares_at_a_priced_round(issuer, common, alice, bob, people):
    from datetime import date

    from apps.captable.conversion import ConvertibleTerms, RoundTerms
    from apps.captable.services import convertible_issue, convertibles_convert, share_class_create
    from apps.core.money import Money

    seed = share_class_create(
        issuer=issuer, name="Seed Preferred", class_type="preferred", by=people["by"]
    )

    shares_issue(
        share_class=common, stakeholder=alice, quantity=9_000_000, effective_date=D1, **people
    )
    safe = convertible_issue(
        issuer=issuer,
        stakeholder=bob,
        convertible_type="safe",
        terms=ConvertibleTerms(
            kind="safe",
            principal=Money(100_000_000, "EUR"),
            valuation_cap=Money(1_000_000_000, "EUR"),
            post_money=True,
        ),
        effective_date=D1,
        **people,
    )
    note = convertible_issue(
        issuer=issuer,
        stakeholder=alice,
        convertible_type="note",
        terms=ConvertibleTerms(
            kind="note",
            principal=Money(50_000_000, "EUR"),
            discount=Fraction(20, 100),
            interest_rate=Fraction(8, 100),
            issue_date=date(2025, 1, 1),
        ),
        effective_date=D1,
        **people,
    )
    round_terms = RoundTerms(
        price_per_share=Fraction(2),
        pre_money_fully_diluted_shares=9_000_000,
        conversion_date=date(2026, 1, 1),
        currency="EUR",
    )

    issued = convertibles_convert(
        securities=[safe, note],
        into=seed,
        round_terms=round_terms,
        effective_date=D3,
        **people,
    )

    # The note: 500,000 + 8 % for 365 days = 540,000 at 2.00 x 0.8 = 1.60 -> 337,500 shares.
    # The post-money SAFE owns 10 % of 9,000,000 + 337,500 + its own shares: 1,037,500.
    assert [security.stakeholder.name for security in issued] == ["Bob Keller", "Alice Martin"]
    assert units(issuer)[("Bob Keller", "Seed Preferred")] == 1_037_500
    assert units(issuer)[("Alice Martin", "Seed Preferred")] == 337_500
    outstanding = security_outstanding(issuer)
    assert safe.security_id not in outstanding and note.security_id not in outstanding
    with pytest.raises(SecurityClosed):
        convertibles_convert(
            securities=[safe], into=seed, round_terms=round_terms, effective_date=D3, **people
        )
