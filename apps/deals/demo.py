"""Demo deals: an SPV that closed and awaits the approval of its exit distribution, a fund with
a capital call partly paid, a venture fund distributing deal by deal whose early winner paid
more carry than the fund's profit gives (its clawback awaits approval), and a deal open for
subscriptions."""

from datetime import date
from decimal import Decimal

from apps.accounts.demo import demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.captable.services import issuer_create, share_class_create
from apps.compliance.rules import Step
from apps.compliance.services import assessment_record
from apps.core.demo import demo_seeder
from apps.core.money import Money
from apps.deals.models import Deal, PortfolioInvestment
from apps.deals.services import (
    capital_call_issue,
    capital_call_payment_record,
    deal_close,
    deal_create,
    deal_open,
    deal_operation_propose,
    deal_start_closing,
    distribution_record,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscriptions_scale_back,
)
from apps.deals.services.common import accounts_of, platform_account
from apps.deals.services.portfolio import (
    portfolio_fee_income_record,
    portfolio_investment_record,
    portfolio_realise,
)
from apps.investors.models import Investor, SanctionsStatus
from apps.investors.services import investor_create, kyc_approve, kyc_submit
from apps.ledger.models import AccountPurpose
from apps.ledger.services import (
    Leg,
    operation_approve,
    operation_create,
    operation_execute,
    operation_submit,
)

SPV_DEAL = "Atlas Robotics co-investment"
FUND_DEAL = "Roundtable Growth Fund I"
VENTURE_DEAL = "Meridian Ventures Fund II"
OPEN_DEAL = "Lumen Series B co-investment"
INVESTORS = [
    ("Élodie Marchand", "FR", 250_000),
    ("Jonas Becker", "FR", 400_000),
    ("Sofia Ricci", "FR", 150_000),
    ("Pieter de Vries", "FR", 200_000),
]
TERMS = {
    "asset_class": "equity",
    "currency": "EUR",
    "unit_price_minor": 100,
    "target_minor": 50_000_000,
    "hard_cap_minor": 100_000_000,
    "min_ticket_minor": 10_000_000,
    "eligible_regimes": ["fr_min_ticket_100k"],
    "setup_fee_rate": Decimal("0.02"),
    "management_fee_rate": Decimal("0.015"),
    "carry_rate": Decimal("0.20"),
    "hurdle_rate": Decimal("0.08"),
    "catch_up_rate": Decimal("1"),
}


# The declaration every subscriber to a French restricted-access fund signs.
RESTRICTED_ACCESS_DECLARED = {
    "restricted_access_declaration": Step(
        date(2025, 1, 15), "the investor", "Declaration of restricted access, signed"
    )
}


def eur(major: int) -> Money:
    return Money(major * 100, "EUR")


def _investors(clerk: User, officer: User, finance: User) -> list[Investor]:
    people = []
    for name, country, _ in INVESTORS:
        person = investor_create(
            kind="person",
            legal_name=name,
            country_of_residence=country,
            tax_residence_country=country,
            by=clerk,
        )
        kyc_submit(investor=person, by=clerk)
        kyc_approve(investor=person, by=officer, reason="Identity and address checked")
        Investor.objects.filter(pk=person.pk).update(sanctions_status=SanctionsStatus.CLEAR)
        assessment_record(
            investor=person,
            regime="fr_min_ticket_100k",
            answers={"professional_client": False, **RESTRICTED_ACCESS_DECLARED},
            by=officer,
        )
        people.append(Investor.objects.get(pk=person.pk))
    cash = accounts_of(
        people, purpose=AccountPurpose.CASH, currency="EUR", by=finance, allow_negative=False
    )
    bank = platform_account(
        purpose=AccountPurpose.BANK, currency="EUR", name="Client bank (EUR)", by=finance
    )
    deposits = [
        Leg(cash[person.pk].pk, eur(amount * 2))
        for person, (*_, amount) in zip(people, INVESTORS, strict=True)
    ]
    total = sum((leg.amount for leg in deposits), eur(0))
    _post([Leg(bank.pk, -total), *deposits], "demo-investor-deposits", clerk, finance)
    return people


def _post(legs: list[Leg], key: str, maker: User, checker: User) -> None:
    operation = operation_create(
        kind="deposit", legs=legs, idempotency_key=key, description="Bank transfers in", by=maker
    )
    operation = operation_submit(operation=operation, by=maker)
    operation = operation_approve(operation=operation, by=checker)
    operation_execute(operation=operation, by=checker)


def _deal(name: str, vehicle: str, clerk: User, **terms) -> Deal:
    issuer = issuer_create(
        name=vehicle,
        kind=terms.pop("kind", "spv"),
        legal_form="SCSp",
        country="LU",
        currency="EUR",
        by=clerk,
    )
    units = share_class_create(issuer=issuer, name="Units", class_type="units", by=clerk)
    deal = deal_create(name=name, issuer=issuer, share_class=units, by=clerk, **{**TERMS, **terms})
    return deal_open(deal=deal, by=clerk)


def _subscribe(deal: Deal, people: list[Investor], clerk: User) -> None:
    for person, (*_, amount) in zip(people, INVESTORS, strict=False):
        subscription = subscription_create(deal=deal, investor=person, amount=eur(amount), by=clerk)
        subscription = subscription_submit(subscription=subscription, by=clerk)
        subscription = subscription_sign(subscription=subscription, by=clerk)
        subscription_fund(subscription=subscription, by=clerk)


def _bank_in(owner, amount: Money, key: str, clerk: User, finance: User) -> None:
    account = accounts_of([owner], purpose=AccountPurpose.CASH, currency="EUR", by=finance)
    bank = platform_account(
        purpose=AccountPurpose.BANK, currency="EUR", name="Client bank (EUR)", by=finance
    )
    _post([Leg(bank.pk, -amount), Leg(account[owner.pk].pk, amount)], key, clerk, finance)


def _venture_fund(people: list[Investor], clerk: User, finance: User) -> Deal:
    """A fund distributing deal by deal: its first investment sold at three times cost and paid
    carry; its second was sold at a loss, so the GP now holds carry above its due."""
    fund = _deal(
        VENTURE_DEAL,
        "Meridian Ventures Fund II SCSp",
        clerk,
        kind="fund",
        asset_class="fund_units",
        drawn_by_calls=True,
        waterfall_type="american",
        setup_fee_rate=Decimal(0),
        management_fee_rate=Decimal(0),
        fee_offset_rate=Decimal("0.8"),
        clawback_tax_rate=Decimal("0.25"),
    )
    _subscribe(fund, people[:3], clerk)
    subscriptions_scale_back(deal=fund, by=clerk)
    deal_start_closing(deal=fund, by=clerk)
    deal_close(deal=fund, by=clerk, approved_by=finance, effective_date=date(2021, 1, 29))
    portfolio: list[PortfolioInvestment] = []
    for company, cost in [("Nordlicht Energy GmbH", 300_000), ("Ostrava Mobility s.r.o.", 300_000)]:
        investment = portfolio_investment_record(
            deal=fund,
            invested_on=date(2021, 3, 1),
            cost=eur(cost),
            company=company,
            expenses=eur(6_000),
            by=clerk,
        )
        call = capital_call_issue(
            deal=fund,
            amount=eur(cost),
            call_date=date(2021, 2, 15),
            due_date=date(2021, 3, 1),
            purpose=f"Investment in {company}",
            investment=investment,
            by=clerk,
            approved_by=finance,
        )
        for notice in call.notices.select_related("investor"):
            owed = Money(notice.amount_minor, "EUR")
            _bank_in(notice.investor, owed, f"demo-meridian-{notice.pk}", clerk, finance)
            capital_call_payment_record(
                notice=notice, amount=owed, paid_on=date(2021, 3, 1), by=clerk, approved_by=finance
            )
        portfolio.append(investment)
    nordlicht, ostrava = portfolio
    portfolio_fee_income_record(
        investment=nordlicht,
        kind="monitoring",
        amount=eur(20_000),
        received_on=date(2022, 1, 15),
        by=clerk,
    )
    for investment, proceeds, on in [
        (nordlicht, 900_000, date(2023, 6, 30)),
        (ostrava, 60_000, date(2025, 12, 31)),
    ]:
        _bank_in(fund.issuer, eur(proceeds), f"demo-meridian-sale-{investment.pk}", clerk, finance)
        distribution_record(
            deal=fund,
            proceeds=eur(proceeds),
            on=on,
            investment=investment,
            by=clerk,
            approved_by=finance,
        )
        portfolio_realise(investment=investment, on=on, by=clerk, reason="Sold")
    deal_operation_propose(deal=fund, action="clawback", by=clerk, as_of=date(2026, 6, 30))
    return fund


@demo_seeder
def seed_demo_deals() -> list[str]:
    if Deal.objects.filter(name=SPV_DEAL).exists():
        return ["", "Demo deals: already there (/admin/deals/deal/)."]
    clerk = User.objects.get(email=demo_staff_email(Role.OPERATIONS))
    finance = User.objects.get(email=demo_staff_email(Role.FINANCE))
    officer = User.objects.get(email=demo_staff_email(Role.COMPLIANCE))
    people = _investors(clerk, officer, finance)

    spv = _deal(SPV_DEAL, "Roundtable Atlas SPV SCSp", clerk)
    _subscribe(spv, people[:3], clerk)
    subscriptions_scale_back(deal=spv, by=clerk)
    deal_start_closing(deal=spv, by=clerk)
    deal_close(deal=spv, by=clerk, approved_by=finance, effective_date=date(2023, 3, 31))
    vehicle_cash = accounts_of(
        [spv.issuer], purpose=AccountPurpose.CASH, currency="EUR", by=finance
    )
    bank = platform_account(
        purpose=AccountPurpose.BANK, currency="EUR", name="Client bank (EUR)", by=finance
    )
    exit_proceeds = eur(1_600_000)
    gain = exit_proceeds - eur(800_000)
    _post(
        [Leg(bank.pk, -gain), Leg(vehicle_cash[spv.issuer.pk].pk, gain)],
        "demo-atlas-exit-proceeds",
        clerk,
        finance,
    )
    deal_operation_propose(
        deal=spv,
        action="distribution",
        by=clerk,
        proceeds=exit_proceeds,
        on=date(2026, 9, 30),
        closes_deal=True,
    )

    fund = _deal(
        FUND_DEAL,
        "Roundtable Growth Fund I SCSp",
        clerk,
        kind="fund",
        asset_class="fund_units",
        drawn_by_calls=True,
    )
    _subscribe(fund, people, clerk)
    subscriptions_scale_back(deal=fund, by=clerk)
    deal_start_closing(deal=fund, by=clerk)
    deal_close(deal=fund, by=clerk, approved_by=finance, effective_date=date(2025, 1, 31))
    call = capital_call_issue(
        deal=fund,
        amount=eur(250_000),
        call_date=date(2025, 6, 1),
        due_date=date(2025, 6, 30),
        by=clerk,
        approved_by=finance,
        purpose="First investment",
    )
    paid = call.notices.earliest("pk")
    capital_call_payment_record(
        notice=paid,
        amount=Money(paid.amount_minor, "EUR"),
        paid_on=date(2025, 6, 20),
        by=clerk,
        approved_by=finance,
    )

    _venture_fund(people, clerk, finance)

    lumen = _deal(OPEN_DEAL, "Roundtable Lumen SPV SCSp", clerk)
    _subscribe(lumen, people[3:], clerk)
    return [
        "",
        f"Demo deals: {SPV_DEAL} (closed; its exit distribution awaits finance's approval",
        f"under Deals > Proposals), {FUND_DEAL} (a capital call, one notice paid),",
        f"{VENTURE_DEAL} (deal by deal: a winner, a loser, a clawback awaiting approval)",
        f"and {OPEN_DEAL} (open for subscriptions).",
    ]
