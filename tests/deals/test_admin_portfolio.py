"""The portfolio's admin pages: investments listed with their capital in and out as money,
recorded, written down and realised through their services, and fee income recorded the same
way; a refusal is shown on the form and writes nothing, a view-only role writes nothing.

The fund: 10,000,000.00 committed on 2021-01-01 (4,000,000.00 and 6,000,000.00), deal by deal,
each investment paid in by a call of its cost on the day it is made.
"""

import re
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages

from apps.accounts.roles import Role
from apps.core.money import Money
from apps.deals.models import (
    Deal,
    Distribution,
    FeeIncomeKind,
    PortfolioFeeIncome,
    PortfolioInvestment,
)
from apps.deals.selectors import investment_contributions, investment_proceeds
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    distribution_record,
)
from apps.deals.services.portfolio import (
    portfolio_fee_income_record,
    portfolio_investment_record,
    portfolio_realise,
    portfolio_write_down,
)
from apps.investors.models import Investor
from tests.captable.conftest import make_issuer
from tests.deals.conftest import Books, eur
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/deals"
INVESTMENTS = f"{ADMIN}/portfolioinvestment/"
FEE_INCOME = f"{ADMIN}/portfoliofeeincome/"
Y0, Y1 = date(2021, 1, 1), date(2022, 1, 1)
DEAL_BY_DEAL = {
    "drawn_by_calls": True,
    "asset_class": "fund_units",
    "waterfall_type": "american",
    "hurdle_rate": Decimal("0.10"),
    "carry_rate": Decimal("0.20"),
    "catch_up_rate": Decimal(1),
}


class Fund:
    """A closed fund drawn by calls, whose investments are paid in by calls made for them."""

    def __init__(self, books: Books, name: str = "Orion Fund I", gp: Investor | None = None):
        self.books = books
        terms = DEAL_BY_DEAL | ({"gp_investor": gp} if gp is not None else {})
        self.deal = books.deal(name, **terms)
        if gp is not None:
            books.subscribe(self.deal, eur(1_000_000), person=gp)
        books.close(self.deal, [eur(4_000_000), eur(6_000_000)], on=Y0)
        self.deal.refresh_from_db()

    def invest(
        self, company: str, cost: Money | None = None, *, called: bool = True
    ) -> PortfolioInvestment:
        cost = cost or eur(5_000_000)
        investment = portfolio_investment_record(
            deal=self.deal, invested_on=Y0, cost=cost, company=company, by=self.books.ops
        )
        if called:
            self.call(investment, cost)
        return investment

    def call(self, investment: PortfolioInvestment, amount: Money) -> None:
        call = capital_call_issue(
            deal=self.deal,
            amount=amount,
            call_date=Y0,
            due_date=Y0,
            purpose=f"Investment in {investment}",
            investment=investment,
            by=self.books.ops,
            approved_by=self.books.finance,
        )
        for notice in call.notices.order_by("pk"):
            owed = Money(notice.amount_minor, "EUR")
            self.books.deposit(notice.investor, owed)
            capital_call_payment_record(
                notice=notice,
                amount=owed,
                paid_on=Y0,
                by=self.books.ops,
                approved_by=self.books.finance,
            )

    def sell(self, investment: PortfolioInvestment, proceeds: Money, on: date) -> Distribution:
        self.books.deposit(self.deal.issuer, proceeds)
        return distribution_record(
            deal=self.deal,
            proceeds=proceeds,
            on=on,
            investment=investment,
            by=self.books.ops,
            approved_by=self.books.finance,
        )


def vehicle(books: Books, name: str, gp: Investor | None = None) -> Deal:
    """A closed SPV paid at closing: 100,000.00 from each of two investors, and 100,000.00 from
    the GP's own commitment when there is a GP."""
    deal = books.deal(name, **({"gp_investor": gp} if gp is not None else {}))
    if gp is not None:
        books.subscribe(deal, eur(100_000), person=gp)
    books.close(deal, [eur(100_000), eur(100_000)], on=Y0)
    deal.refresh_from_db()
    return deal


def record(books: Books, deal: Deal, company: str, cost: Money) -> PortfolioInvestment:
    return portfolio_investment_record(
        deal=deal, invested_on=Y0, cost=cost, company=company, by=books.ops
    )


@pytest.fixture
def ops_client(staff_client):
    """Operations staff signed in to the admin: may record, write down and realise."""
    return staff_client(StaffFactory(roles=[Role.OPERATIONS]))


@pytest.fixture
def auditor_client(staff_client):
    """An auditor signed in to the admin: may view everything, change nothing."""
    return staff_client(StaffFactory(roles=[Role.AUDITOR]))


def _rows(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def _column(response, name: str) -> list[str]:
    """The text of the list's column ``name``, row by row."""
    cells = re.findall(
        rf'<t[dh] class="field-{name}[^"]*">(.*?)</t[dh]>', response.content.decode(), re.S
    )
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells]


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _history(investment: PortfolioInvestment) -> list[tuple[str, str]]:
    return list(
        investment.history.order_by("history_id").values_list(
            "history_type", "history_change_reason"
        )
    )


# --- the list ----------------------------------------------------------------------------------


def test_the_list_shows_each_investment_with_its_amounts_as_money(books, ops_client):
    fund = Fund(books)
    alpha, beta = fund.invest("Alpha"), fund.invest("Beta")
    portfolio_write_down(
        investment=alpha, amount=eur(3_000_000), on=Y1, by=books.ops, reason="a down round"
    )
    fund.sell(beta, eur(15_000_000), Y1)
    portfolio_realise(investment=beta, on=Y1, by=books.ops, reason="sold")

    response = ops_client.get(INVESTMENTS)

    assert _rows(response) == [alpha, beta]
    assert _column(response, "deal") == ["Orion Fund I", "Orion Fund I"]
    assert _column(response, "company_name") == ["Alpha", "Beta"]
    assert _column(response, "cost") == ["€5,000,000.00", "€5,000,000.00"]
    assert _column(response, "expenses") == ["€0.00", "€0.00"]
    empty = admin.site.empty_value_display
    assert _column(response, "written_down") == ["€3,000,000.00", "not written down"]
    assert _column(response, "realised_on") == [empty, "Jan. 1, 2022"]
    assert _column(response, "contributed") == ["€5,000,000.00", "€5,000,000.00"]
    assert _column(response, "proceeds") == ["€0.00", "€15,000,000.00"]


def test_the_list_counts_capital_in_and_out_as_the_selectors_do(books, ops_client):
    # A fund with a GP commitment (its payments on calls are not carried capital), a vehicle
    # paid at closing whose 200,000.00 is shared in thirds (a cent left to place), and one
    # whose GP commitment is left out of what the closing brought in.
    fund = Fund(books, gp=books.investor(name="Orion Partners GP"))
    alpha, beta = fund.invest("Alpha"), fund.invest("Beta", eur(3_000_000))
    fund.sell(beta, eur(6_000_000), Y1)
    spv = vehicle(books, "Atlas co-investment")
    thirds = [record(books, spv, name, eur(1_000)) for name in ("Kappa", "Lambda", "Mu")]
    shared = vehicle(
        books, "Vega co-investment", gp=books.investor(name="Vega Partners GP", cash=eur(100_000))
    )
    halves = [record(books, shared, name, eur(2_000)) for name in ("Nu", "Xi")]

    rows = _rows(ops_client.get(INVESTMENTS))

    assert len(rows) == 7
    for row in rows:
        contributed = sum(money.amount_minor for _, money in investment_contributions(row))
        assert row.contributed_minor == contributed, row
        assert row.proceeds_net_minor == investment_proceeds(row).amount_minor, row
    shown = {row: row.contributed_minor for row in rows}
    assert 0 < shown[alpha] < alpha.cost_minor  # the GP paid its share of the call too
    assert [shown[third] for third in thirds] == [6_666_667, 6_666_667, 6_666_666]
    assert [shown[half] for half in halves] == [10_000_000, 10_000_000]
    assert 0 < investment_proceeds(beta).amount_minor < 600_000_000  # less the GP's share


def test_the_list_filters_by_deal_realisation_and_kind_of_company_and_searches(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha", called=False)
    lumen = portfolio_investment_record(
        deal=fund.deal,
        invested_on=Y0,
        cost=eur(2_000_000),
        issuer=make_issuer("Lumen Robotics SAS", books.ops),
        by=books.ops,
    )
    portfolio_realise(investment=alpha, on=Y1, by=books.ops, reason="written off")
    spv = vehicle(books, "Atlas co-investment")
    gamma = record(books, spv, "Gamma", eur(200_000))

    def listed(**query) -> set[PortfolioInvestment]:
        return set(_rows(ops_client.get(INVESTMENTS, query)))

    assert listed() == {alpha, lumen, gamma}
    assert listed(deal__id__exact=fund.deal.pk) == {alpha, lumen}
    assert listed(realised="yes") == {alpha}
    assert listed(realised="no") == {lumen, gamma}
    assert listed(company_kind="platform") == {lumen}
    assert listed(company_kind="external") == {alpha, gamma}
    assert listed(q="Lumen") == {lumen}
    assert listed(q="Atlas") == {gamma}
    assert listed(q="alpha") == {alpha}


def test_listing_twenty_investments_takes_a_bounded_number_of_queries(
    books, ops_client, django_assert_max_num_queries
):
    fund = Fund(books)
    for number in range(18):
        fund.invest(f"Company {number}", eur(100_000), called=number < 3)
    spv = vehicle(books, "Atlas co-investment")
    for name, cost in (("Kappa", eur(1_000)), ("Lambda", eur(3_000))):
        record(books, spv, name, cost)
    ops_client.get(INVESTMENTS)  # warm the session and the content types

    with django_assert_max_num_queries(12):
        response = ops_client.get(INVESTMENTS)

    assert len(_rows(response)) == 20
    assert Counter(_column(response, "contributed")) == {
        "€100,000.00": 3,  # called
        "€0.00": 15,  # not called yet
        "€50,000.00": 1,  # a quarter of the vehicle's closing
        "€150,000.00": 1,
    }


# --- adding an investment ----------------------------------------------------------------------


def test_adding_an_investment_through_the_form_records_it(books, ops_client):
    fund = Fund(books)

    response = ops_client.post(
        f"{INVESTMENTS}add/",
        {
            "deal": fund.deal.pk,
            "company": "Gamma Labs",
            "invested_on": "2021-03-01",
            "cost": "1250000.50",
            "expenses": "10000",
        },
    )

    investment = PortfolioInvestment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{INVESTMENTS}{investment.pk}/change/"
    assert (investment.deal, investment.company, investment.issuer) == (
        fund.deal,
        "Gamma Labs",
        None,
    )
    assert (investment.invested_on, investment.cost_minor, investment.expenses_minor) == (
        date(2021, 3, 1),
        125_000_050,
        1_000_000,
    )
    assert "Investment of Orion Fund I in Gamma Labs recorded at a cost of €1,250,000.50." in (
        _messages(response)
    )
    page = ops_client.get(response["Location"]).content.decode()
    assert "€1,250,000.50" in page and "€10,000.00" in page


def test_an_investment_in_a_company_on_the_platform_names_the_issuer(books, ops_client):
    fund = Fund(books)
    lumen = make_issuer("Lumen Robotics SAS", books.ops)

    response = ops_client.post(
        f"{INVESTMENTS}add/",
        {"deal": fund.deal.pk, "issuer": lumen.pk, "invested_on": "2021-03-01", "cost": "500000"},
    )

    found = ops_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "deals",
            "model_name": "portfolioinvestment",
            "field_name": "issuer",
            "term": "Lumen",
        },
    )

    assert [row["text"] for row in found.json()["results"]] == ["Lumen Robotics SAS"]
    assert response.status_code == 302
    investment = PortfolioInvestment.objects.get()
    assert (investment.issuer, investment.company, str(investment)) == (
        lumen,
        "",
        "Lumen Robotics SAS",
    )


BAD_INVESTMENTS = {
    "nothing": ({"cost": "0"}, "An investment costs a positive amount."),
    "both companies": (
        {"issuer": "LUMEN"},
        "Name either a company on the platform&#x27;s cap tables or an external one.",
    ),
    "no company": ({"company": ""}, "Name either a company on the platform"),
    "an open deal": ({"deal": "OPEN"}, "Select a valid choice."),
}


@pytest.mark.parametrize("case", BAD_INVESTMENTS, ids=str)
def test_a_bad_investment_is_refused_on_the_form_and_writes_nothing(books, ops_client, case):
    fund = Fund(books)
    changed, error = BAD_INVESTMENTS[case]
    data = {
        "deal": fund.deal.pk,
        "company": "Gamma Labs",
        "invested_on": "2021-03-01",
        "cost": "1000000",
    } | changed
    if data.get("issuer") == "LUMEN":
        data["issuer"] = make_issuer("Lumen Robotics SAS", books.ops).pk
    if data["deal"] == "OPEN":
        data["deal"] = books.deal("Vega co-investment").pk

    response = ops_client.post(f"{INVESTMENTS}add/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not PortfolioInvestment.objects.exists()


# --- writing down and realising ----------------------------------------------------------------


def test_the_write_down_page_sums_the_investment_up(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    page = ops_client.get(f"{INVESTMENTS}{alpha.pk}/write-down/").content.decode()

    assert (
        "Alpha, an investment of Orion Fund I made on 2021-01-01: cost €5,000,000.00, capital "
        "contributed €5,000,000.00, proceeds €0.00."
    ) in page


def test_a_write_down_through_its_page_changes_the_investment_with_the_reason(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    response = ops_client.post(
        f"{INVESTMENTS}{alpha.pk}/write-down/",
        {"amount": "3000000", "on": "2021-06-30", "reason": "the last round priced it at 40 %"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{INVESTMENTS}{alpha.pk}/change/"
    alpha.refresh_from_db()
    assert (alpha.written_down_minor, alpha.written_down_on) == (300_000_000, date(2021, 6, 30))
    assert _history(alpha)[-1] == ("~", "the last round priced it at 40 %")
    assert "Alpha written down by €3,000,000.00 on 2021-06-30." in _messages(response)


def test_a_write_down_above_the_cost_is_refused_on_the_form_and_writes_nothing(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")
    before = _history(alpha)

    response = ops_client.post(
        f"{INVESTMENTS}{alpha.pk}/write-down/",
        {"amount": "5000000.01", "on": "2021-06-30", "reason": "lost"},
    )

    assert response.status_code == 200
    assert "at most its cost, €5,000,000.00" in response.content.decode()
    alpha.refresh_from_db()
    assert (alpha.written_down_minor, alpha.written_down_on) == (0, None)
    assert _history(alpha) == before


def test_a_write_down_in_fractions_of_a_cent_is_refused_on_its_field(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    response = ops_client.post(
        f"{INVESTMENTS}{alpha.pk}/write-down/",
        {"amount": "1000.001", "on": "2021-06-30", "reason": "a down round"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "amount": ["1000.001 has more decimals than EUR allows (2)."]
    }
    alpha.refresh_from_db()
    assert alpha.written_down_minor == 0


def test_realising_through_its_page_records_the_date_with_the_reason(books, ops_client):
    fund = Fund(books)
    beta = fund.invest("Beta")
    fund.sell(beta, eur(15_000_000), Y1)

    page = ops_client.get(f"{INVESTMENTS}{beta.pk}/realise/").content.decode()
    response = ops_client.post(
        f"{INVESTMENTS}{beta.pk}/realise/", {"on": "2022-01-01", "reason": "sold to a trade buyer"}
    )

    assert "proceeds €15,000,000.00" in page
    assert response.status_code == 302
    beta.refresh_from_db()
    assert beta.realised_on == Y1
    assert _history(beta)[-1] == ("~", "sold to a trade buyer")
    assert "Beta realised on 2022-01-01." in _messages(response)


def test_a_realised_investment_offers_no_changes_and_is_not_realised_twice(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")
    portfolio_realise(investment=alpha, on=Y1, by=books.ops, reason="written off")
    before = _history(alpha)

    page = ops_client.get(f"{INVESTMENTS}{alpha.pk}/change/").content.decode()
    response = ops_client.post(
        f"{INVESTMENTS}{alpha.pk}/realise/", {"on": "2022-06-30", "reason": "again"}
    )

    assert "/write-down/" not in page and "/realise/" not in page
    assert response.status_code == 200
    assert "was realised on 2022-01-01" in response.content.decode()
    alpha.refresh_from_db()
    assert alpha.realised_on == Y1
    assert _history(alpha) == before


def test_the_investment_page_shows_its_amounts_fee_income_and_the_pages_that_change_it(
    books, ops_client
):
    fund = Fund(books)
    alpha = fund.invest("Alpha")
    portfolio_fee_income_record(
        investment=alpha,
        kind=FeeIncomeKind.MONITORING,
        amount=eur(25_000),
        received_on=date(2021, 6, 1),
        by=books.ops,
    )

    page = ops_client.get(f"{INVESTMENTS}{alpha.pk}/change/").content.decode()

    assert "€5,000,000.00" in page  # cost and capital contributed
    assert "Monitoring fee" in page and "€25,000.00" in page
    assert f'href="{INVESTMENTS}{alpha.pk}/write-down/">Write down</a>' in page
    assert f'href="{INVESTMENTS}{alpha.pk}/realise/">Record realisation</a>' in page
    assert f'href="{FEE_INCOME}add/?investment={alpha.pk}">Record fee income</a>' in page
    assert f'<a href="{FEE_INCOME}?investment__id__exact={alpha.pk}">All 1 fees received</a>' in (
        page
    )


def test_the_change_form_saves_nothing_and_nothing_is_deleted(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")
    before = _history(alpha)

    changed = ops_client.post(
        f"{INVESTMENTS}{alpha.pk}/change/", {"company": "Renamed", "cost_minor": "1"}
    )
    deleted = ops_client.post(f"{INVESTMENTS}{alpha.pk}/delete/", {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    alpha.refresh_from_db()
    assert (alpha.company, alpha.cost_minor) == ("Alpha", 500_000_000)
    assert _history(alpha) == before


# --- fee income --------------------------------------------------------------------------------


def test_recording_fee_income_through_the_form_lists_it_as_money(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    form = ops_client.get(f"{FEE_INCOME}add/", {"investment": alpha.pk}).content.decode()
    response = ops_client.post(
        f"{FEE_INCOME}add/",
        {
            "investment": alpha.pk,
            "kind": "transaction",
            "received_on": "2021-03-01",
            "amount": "100000",
        },
    )

    assert f'<option value="{alpha.pk}" selected>Alpha (Orion Fund I, 2021-01-01)' in form
    assert response.status_code == 302
    income = PortfolioFeeIncome.objects.get()
    assert (income.investment, income.kind, income.amount_minor) == (
        alpha,
        FeeIncomeKind.TRANSACTION,
        10_000_000,
    )
    assert income.created_by == response.wsgi_request.user
    listed = ops_client.get(FEE_INCOME)
    assert _rows(listed) == [income]
    assert _column(listed, "amount") == ["€100,000.00"]
    assert _column(listed, "deal") == ["Orion Fund I"]


def test_fee_income_received_before_the_investment_is_refused_and_writes_nothing(books, ops_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    response = ops_client.post(
        f"{FEE_INCOME}add/",
        {
            "investment": alpha.pk,
            "kind": "monitoring",
            "received_on": "2020-12-31",
            "amount": "100000",
        },
    )

    assert response.status_code == 200
    assert "Alpha was made on 2021-01-01, after 2020-12-31" in response.content.decode()
    assert not PortfolioFeeIncome.objects.exists()


# --- who may change the portfolio --------------------------------------------------------------

AUDITED_PAGES = {
    "add an investment": (
        "portfolioinvestment/add/",
        {"company": "Gamma Labs", "invested_on": "2021-03-01", "cost": "1000000"},
    ),
    "write down": (
        "portfolioinvestment/ALPHA/write-down/",
        {"amount": "1000000", "on": "2021-06-30", "reason": "a down round"},
    ),
    "realise": ("portfolioinvestment/ALPHA/realise/", {"on": "2021-06-30", "reason": "sold"}),
    "add fee income": (
        "portfoliofeeincome/add/",
        {"kind": "transaction", "received_on": "2021-03-01", "amount": "100000"},
    ),
}


@pytest.mark.parametrize("page", AUDITED_PAGES, ids=str)
def test_an_auditor_may_not_change_the_portfolio_and_writes_nothing(books, auditor_client, page):
    fund = Fund(books)
    alpha = fund.invest("Alpha")
    path, data = AUDITED_PAGES[page]
    url = f"{ADMIN}/{path.replace('ALPHA', str(alpha.pk))}"
    data = data | {"deal": fund.deal.pk, "investment": alpha.pk}
    before = (list(PortfolioInvestment.objects.values()), _history(alpha))

    shown = auditor_client.get(url)
    posted = auditor_client.post(url, data)

    assert (shown.status_code, posted.status_code) == (403, 403)
    assert (list(PortfolioInvestment.objects.values()), _history(alpha)) == before
    assert not PortfolioFeeIncome.objects.exists()


def test_an_auditor_reads_the_portfolio_without_the_links_to_change_it(books, auditor_client):
    fund = Fund(books)
    alpha = fund.invest("Alpha")

    listed = auditor_client.get(INVESTMENTS)
    page = auditor_client.get(f"{INVESTMENTS}{alpha.pk}/change/").content.decode()

    assert _rows(listed) == [alpha]
    assert f"{INVESTMENTS}add/" not in listed.content.decode()
    assert "€5,000,000.00" in page
    assert "/write-down/" not in page and "/realise/" not in page
    assert f"{FEE_INCOME}add/" not in page
