"""A small world of deals for the operation tests: people, investors with cash, vehicles."""

import importlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db.models import Sum
from django.test import Client

from apps.accounts.demo import current_totp_code
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import system_user
from apps.captable.models import Movement
from apps.captable.quantities import grouped_sums
from apps.captable.services import share_class_create
from apps.compliance.rules import Step
from apps.compliance.services import assessment_record
from apps.core.money import Money
from apps.deals.fees import setup_fee
from apps.deals.models import Closing, Deal, Subscription
from apps.deals.services import (
    deal_close,
    deal_create,
    deal_open,
    deal_start_closing,
    subscription_create,
    subscription_fund,
    subscription_sign,
    subscription_submit,
    subscriptions_scale_back,
)
from apps.investors.models import Investor, SanctionsStatus
from apps.investors.services import investor_create, kyc_approve, kyc_submit
from apps.ledger.models import Account, AccountPurpose, Entry
from apps.ledger.selectors import balance
from apps.ledger.services import AccountSpec, account_bulk_open, account_open
from tests.captable.conftest import make_issuer
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.ledger.conftest import post

CLOSING_DAY = date(2026, 1, 15)


def eur(major: int | str) -> Money:
    return Money.from_decimal(Decimal(str(major)), "EUR")


# The declaration every subscriber to a French restricted-access fund signs.
RESTRICTED_ACCESS_DECLARED = {
    "restricted_access_declaration": Step(
        date(2025, 1, 2), "the investor", "Declaration of restricted access, signed"
    )
}


def investor(ops, officer, name: str, *, qualified: bool = True) -> Investor:
    person = investor_create(
        kind="person",
        legal_name=name,
        country_of_residence="FR",
        tax_residence_country="FR",
        by=ops,
    )
    kyc_submit(investor=person, by=ops)
    kyc_approve(investor=person, by=officer, reason="checked")
    Investor.objects.filter(pk=person.pk).update(sanctions_status=SanctionsStatus.CLEAR)
    if qualified:
        assessment_record(
            investor=person,
            regime="fr_min_ticket_100k",
            answers={"professional_client": False, **RESTRICTED_ACCESS_DECLARED},
            by=system_user(),
        )
    return Investor.objects.get(pk=person.pk)


@dataclass
class Books:
    ops: User
    finance: User
    officer: User
    names: count = field(default_factory=lambda: count(1))
    _bank: Account | None = None

    @property
    def bank(self) -> Account:
        if self._bank is None:
            self._bank = account_open(
                purpose=AccountPurpose.BANK, currency="EUR", name="Client bank", by=self.finance
            )
        return self._bank

    def cash_account(self, owner) -> Account:
        found = Account.objects.filter(
            owner_id=owner.pk, purpose=AccountPurpose.CASH, currency="EUR"
        ).filter(owner_type__model=owner._meta.model_name)
        if found.exists():
            return found.get()
        return account_bulk_open(
            specs=[AccountSpec("cash", "EUR", owner=owner, allow_negative=False)], by=self.finance
        )[0]

    def cash(self, owner) -> Money:
        return balance(self.cash_account(owner))

    def deposit(self, owner, amount: Money) -> None:
        post(
            [(self.bank, -amount), (self.cash_account(owner), amount)],
            maker=self.ops,
            checker=self.finance,
        )

    def investor(self, *, cash: Money | None = None, name: str | None = None) -> Investor:
        person = investor(self.ops, self.officer, name or f"Investor {next(self.names)}")
        if cash is not None and cash.amount_minor:
            self.deposit(person, cash)
        return person

    def deal(self, name: str = "Atlas co-investment", **terms) -> Deal:
        spv = make_issuer(f"{name} vehicle", self.ops, kind="spv")
        units = share_class_create(issuer=spv, name="Units", class_type="units", by=self.ops)
        fields = {
            "asset_class": "equity",
            "currency": "EUR",
            "unit_price_minor": 100,
            "target_minor": eur(100_000).amount_minor,
            "hard_cap_minor": eur(10_000_000).amount_minor,
            "min_ticket_minor": eur(100_000).amount_minor,
            "eligible_regimes": ["fr_min_ticket_100k"],
        }
        fields.update(terms)
        deal = deal_create(name=name, issuer=spv, share_class=units, by=self.ops, **fields)
        return deal_open(deal=deal, by=self.ops)

    def subscribe(self, deal: Deal, amount: Money, *, person: Investor | None = None):
        """A funded subscription of a (new) investor, who holds the cash it will take."""
        if person is None:
            needed = amount if not deal.drawn_by_calls else Money.zero("EUR")
            fee = setup_fee(amount=amount, rate=deal.setup_fee_rate)
            person = self.investor(cash=needed + fee)
        subscription = subscription_create(deal=deal, investor=person, amount=amount, by=self.ops)
        subscription = subscription_submit(subscription=subscription, by=self.ops)
        subscription = subscription_sign(subscription=subscription, by=self.ops)
        return subscription_fund(subscription=subscription, by=self.ops)

    def close(
        self, deal: Deal, amounts=(), *, on: date = CLOSING_DAY, final: bool = True
    ) -> Closing:
        for amount in amounts:
            self.subscribe(deal, amount)
        subscriptions_scale_back(deal=deal, by=self.ops)
        deal.refresh_from_db()
        if final and deal.state == "open":
            deal_start_closing(deal=deal, by=self.ops)
        return deal_close(
            deal=deal, by=self.ops, approved_by=self.finance, effective_date=on, final=final
        )

    def investors_of(self, deal: Deal) -> list[Investor]:
        return [
            s.investor for s in Subscription.objects.filter(deal=deal).select_related("investor")
        ]


@pytest.fixture
def admin_as(db):
    """Return a function giving ``user`` an authenticator and a client signed in to the admin."""

    def _sign_in(user) -> Client:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        client = Client()
        response = sign_in(client, user, code=current_totp_code(secret))
        assert response.status_code == 302, response.content
        return client

    return _sign_in


@pytest.fixture
def published_rule_sets(db) -> None:
    """The rule sets the migrations publish, again: a transactional test's flush removed them."""
    from django.apps import apps

    first = importlib.import_module("apps.compliance.migrations.0002_first_rule_sets")
    first.publish(apps, None)


@pytest.fixture
def books(db) -> Books:
    return Books(
        ops=UserFactory(is_staff=True, roles=[Role.OPERATIONS]),
        finance=UserFactory(is_staff=True, roles=[Role.FINANCE]),
        officer=UserFactory(is_staff=True, roles=[Role.COMPLIANCE]),
    )


@pytest.fixture
def ready(books):
    """A deal in closing with two funded, scaled subscriptions."""
    deal = books.deal("Atlas", setup_fee_rate=Decimal("0.01"))
    for amount in (eur(100_000), eur(250_000)):
        books.subscribe(deal, amount)
    subscriptions_scale_back(deal=deal, by=books.ops)
    return deal_start_closing(deal=deal, by=books.ops)


def figures() -> tuple[dict, dict]:
    """Every non-zero account balance and every non-zero holding, as the books stand now."""
    balances = {
        (row["account"], row["currency"]): row["total"]
        for row in Entry.objects.values("account", "currency").annotate(total=Sum("amount_minor"))
        if row["total"]
    }
    holdings = grouped_sums(Movement.objects.all(), ["security", "plan"])
    return balances, holdings
