"""A fund's carry in a browser: an operator writes an investment down, finance reads the
waterfall of a distribution and the clawback exposure the write-down opens."""

from decimal import Decimal

import pytest

from apps.accounts.roles import Role
from apps.deals.models import Distribution
from tests.deals.conftest import (
    Books,
    eur,
    published_rule_sets,  # noqa: F401  (a fixture)
)
from tests.deals.portfolio import Y1, Fund
from tests.factories import StaffFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("published_rule_sets"),
]


@pytest.fixture
def fund() -> Fund:
    """Beta sold in 2022 for 15,000,000.00 (2,000,000.00 of carry); Alpha still held."""
    books = Books(
        ops=StaffFactory(roles=[Role.OPERATIONS]),
        finance=StaffFactory(roles=[Role.FINANCE]),
        officer=StaffFactory(roles=[Role.COMPLIANCE]),
    )
    fund = Fund(books, clawback_tax_rate=Decimal("0.25"))
    fund.sell(fund.beta, eur(15_000_000), Y1)
    return fund


def test_a_write_down_shows_as_clawback_exposure_beside_the_waterfall(staff_tab, fund):
    operator = staff_tab(fund.books.ops)
    operator.open(
        f"/admin/deals/portfolioinvestment/{fund.alpha.pk}/write-down/", shot="fund-write-down"
    )
    operator.page.fill("input[name=amount]", "4000000")
    operator.page.fill("input[name=on]", "2023-01-01")
    operator.page.fill("textarea[name=reason]", "The last round priced it at a fifth of cost")
    operator.page.click("input[type=submit]")
    message = operator.page.locator("ul.messagelist").inner_text()
    assert message == "Alpha written down by €4,000,000.00 on 2023-01-01."

    finance = staff_tab(fund.books.finance)
    sale = Distribution.objects.get(investment=fund.beta)
    finance.open(f"/admin/deals/distribution/{sale.pk}/change/", shot="fund-distribution")
    waterfall = finance.page.locator("table.waterfall")
    assert waterfall.locator("tr", has_text="Catch-up").inner_text().split("\t") == [
        "Catch-up",
        "€0.00",
        "€125,000.00",
        "€125,000.00",
    ]
    finance.open(f"/admin/deals/deal/{fund.deal.pk}/change/", shot="fund-deal")
    exposure = finance.page.locator("tr", has_text="Held above that (clawback exposure)")
    # Profit 15,000,000.00 + 1,000,000.00 still held at cost - 10,000,000.00 = 6,000,000.00:
    # 1,200,000.00 of carry due against 2,000,000.00 received.
    assert exposure.inner_text().split("\t") == [
        "Held above that (clawback exposure)",
        "€800,000.00",
    ]
    assert operator.violations == finance.violations == []
