"""A fund with a portfolio of two investments, for the tests of deal-by-deal carry: 10,000,000.00
committed on 2021-01-01 (4,000,000.00 and 6,000,000.00), a 10 % hurdle compounding, 20 % carry,
full catch-up, 5,000,000.00 called on 2021-01-01 for each of Alpha and Beta."""

from datetime import date
from decimal import Decimal

from apps.core.money import Money
from apps.deals.models import PortfolioInvestment
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    distribution_record,
)
from apps.deals.services.portfolio import portfolio_investment_record, portfolio_realise
from tests.deals.conftest import eur

Y0, Y1, Y2 = date(2021, 1, 1), date(2022, 1, 1), date(2023, 1, 1)
TERMS = {
    "drawn_by_calls": True,
    "asset_class": "fund_units",
    "waterfall_type": "american",
    "hurdle_rate": Decimal("0.10"),
    "carry_rate": Decimal("0.20"),
    "catch_up_rate": Decimal(1),
}


class Fund:
    def __init__(self, books, **terms):
        self.books = books
        self.deal = books.deal("Orion Fund I", **(TERMS | terms))
        books.close(self.deal, [eur(4_000_000), eur(6_000_000)], on=Y0)
        self.deal.refresh_from_db()
        self.investors = sorted(books.investors_of(self.deal), key=lambda person: person.pk)
        self.alpha = self.invest("Alpha")
        self.beta = self.invest("Beta")

    def invest(self, company: str) -> PortfolioInvestment:
        investment = portfolio_investment_record(
            deal=self.deal, invested_on=Y0, cost=eur(5_000_000), company=company, by=self.books.ops
        )
        call = capital_call_issue(
            deal=self.deal,
            amount=eur(5_000_000),
            call_date=Y0,
            due_date=Y0,
            purpose=f"Investment in {company}",
            investment=investment,
            by=self.books.ops,
            approved_by=self.books.finance,
        )
        for notice in call.notices.all():
            owed = Money(notice.amount_minor, "EUR")
            self.books.deposit(notice.investor, owed)
            capital_call_payment_record(
                notice=notice,
                amount=owed,
                paid_on=Y0,
                by=self.books.ops,
                approved_by=self.books.finance,
            )
        return investment

    def sell(self, investment: PortfolioInvestment, proceeds: Money, on: date):
        self.books.deposit(self.deal.issuer, proceeds)
        distribution = distribution_record(
            deal=self.deal,
            proceeds=proceeds,
            on=on,
            investment=investment,
            by=self.books.ops,
            approved_by=self.books.finance,
        )
        portfolio_realise(investment=investment, on=on, by=self.books.ops, reason="sold")
        return distribution

    def cash(self) -> list[Money]:
        return [self.books.cash(person) for person in self.investors]
