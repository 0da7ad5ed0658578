"""Properties of any sequence of movements, against a model of the holdings kept by the test."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.captable.exceptions import InsufficientUnits, SecurityClosed
from apps.captable.models import Movement
from apps.captable.selectors import cap_table
from apps.captable.services import (
    security_cancel,
    security_transfer,
    shares_issue,
)
from tests.captable.conftest import D1, holder
from tests.rollback import rolled_back

pytestmark = pytest.mark.django_db

HOLDERS = ["Ana", "Ben", "Chloé", "Dev"]
actions = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.integers(0, 3), st.integers(0, 1), st.integers(1, 10**6)),
        st.tuples(
            st.just("transfer"), st.integers(0, 30), st.integers(0, 3), st.integers(1, 10**6)
        ),
        st.tuples(st.just("cancel"), st.integers(0, 30), st.integers(1, 10**6)),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=actions)
def test_any_sequence_of_movements_keeps_the_books_consistent(
    steps, issuer, common, preferred, maker, people
):
    with rolled_back():
        stakeholders = [holder(issuer, name, maker) for name in HOLDERS]
        classes = [common, preferred]
        model: dict[tuple[str, str], Decimal] = {}
        open_securities: list = []  # (security, quantity) the model believes outstanding
        issued = {c.name: Decimal(0) for c in classes}
        cancelled = {c.name: Decimal(0) for c in classes}
        states: list[tuple[int, dict]] = []

        for step in steps:
            if step[0] == "issue":
                _, who, which, quantity = step
                share_class = classes[which]
                if share_class.authorised_units is not None and (
                    sum(v for (_, c), v in model.items() if c == share_class.name) + quantity
                    > share_class.authorised_units
                ):
                    continue
                security = shares_issue(
                    share_class=share_class,
                    stakeholder=stakeholders[who],
                    quantity=quantity,
                    effective_date=D1,
                    **people,
                )
                key = (HOLDERS[who], share_class.name)
                model[key] = model.get(key, Decimal(0)) + quantity
                issued[share_class.name] += quantity
                open_securities.append([security, Decimal(quantity)])
            elif not open_securities:
                continue
            else:
                index = step[1] % len(open_securities)
                security, held = open_securities[index]
                quantity = step[-1]
                key = (security.stakeholder.name, security.share_class.name)
                if quantity > held:
                    expected = InsufficientUnits if held else SecurityClosed
                    with pytest.raises(expected):
                        if step[0] == "transfer":
                            security_transfer(
                                security=security,
                                to=stakeholders[step[2]],
                                quantity=quantity,
                                effective_date=D1,
                                **people,
                            )
                        else:
                            security_cancel(
                                security=security, quantity=quantity, effective_date=D1, **people
                            )
                    continue
                open_securities.pop(index)
                balance = held - quantity
                if step[0] == "transfer":
                    received = security_transfer(
                        security=security,
                        to=stakeholders[step[2]],
                        quantity=quantity,
                        effective_date=D1,
                        **people,
                    )
                    target = (HOLDERS[step[2]], security.share_class.name)
                    model[key] -= quantity
                    model[target] = model.get(target, Decimal(0)) + quantity
                    open_securities.append([received, Decimal(quantity)])
                else:
                    security_cancel(
                        security=security, quantity=quantity, effective_date=D1, **people
                    )
                    model[key] -= quantity
                    cancelled[security.share_class.name] += quantity
                if balance:
                    from apps.captable.models import Security

                    remainder = Security.objects.get(
                        issuer=issuer, security_id=f"{security.security_id}-B1"
                    )
                    open_securities.append([remainder, balance])
            last = Movement.objects.order_by("-operation_sequence").first().operation
            states.append((last, {k: v for k, v in model.items() if v}))

        table = cap_table(issuer)
        rows = {(row.holder, row.share_class): row.units for row in table.rows}
        assert rows == {k: v for k, v in model.items() if v}
        assert all(units >= 0 for units in rows.values())
        for share_class in classes:
            outstanding = table.by_class.get(share_class.name, (Decimal(0), Decimal(0)))[0]
            assert outstanding == issued[share_class.name] - cancelled[share_class.name]
        if table.rows:
            assert sum(row.percent for row in table.rows) == Decimal("100.00")
        for operation, expected in states:
            after = cap_table(issuer, after_operation=operation)
            assert {(r.holder, r.share_class): r.units for r in after.rows} == expected
