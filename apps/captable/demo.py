"""A demo cap table: a company held by founders, an SPV of co-investors, a pool and a SAFE."""

from datetime import date
from fractions import Fraction

from apps.accounts.demo import demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.captable.conversion import ConvertibleTerms
from apps.captable.models import Issuer
from apps.captable.services import (
    Change,
    captable_change_record,
    issuer_create,
    plan_create,
    share_class_create,
    stakeholder_create,
)
from apps.core.demo import demo_seeder
from apps.core.money import Money

COMPANY = "Helio Batteries SAS"
SPV = "Roundtable Helio SPV SCSp"


@demo_seeder
def seed_demo_cap_tables() -> list[str]:
    if Issuer.objects.filter(name=COMPANY).exists():
        return ["", f"Demo cap tables: {COMPANY} and {SPV} (already there)."]
    maker = User.objects.get(email=demo_staff_email(Role.OPERATIONS))
    checker = User.objects.get(email=demo_staff_email(Role.FINANCE))
    company = issuer_create(
        name=COMPANY, kind="company", legal_form="SAS", country="FR", currency="EUR", by=maker
    )
    spv = issuer_create(
        name=SPV, kind="spv", legal_form="SCSp", country="LU", currency="EUR", by=maker
    )
    ordinary = share_class_create(issuer=company, name="Ordinary", class_type="common", by=maker)
    series_a = share_class_create(
        issuer=company,
        name="Series A",
        class_type="preferred",
        seniority=2,
        authorised_units=2_000_000,
        by=maker,
    )
    units = share_class_create(issuer=spv, name="Units", class_type="units", by=maker)
    plan = plan_create(issuer=company, name="BSPCE 2025", share_class=ordinary, by=maker)
    people = {
        name: stakeholder_create(
            issuer=company, name=name, kind="individual", role="founder", by=maker
        )
        for name in ("Inès Laurent", "Marc Dubois")
    }
    vehicle = stakeholder_create(
        issuer=company, name=SPV, kind="institution", role="vehicle", holder_issuer=spv, by=maker
    )
    angel = stakeholder_create(
        issuer=company, name="Nordlicht Angels", kind="institution", by=maker
    )
    investors = [
        stakeholder_create(
            issuer=spv, name=name, kind="individual", party_key=f"demo:{index}", by=maker
        )
        for index, name in enumerate(["Claire Fontaine", "Jonas Weber", "Sofia Romano"])
    ]

    def company_book(change: Change) -> None:
        day = date(2024, 3, 1)
        for person in people.values():
            change.issue(
                kind="stock",
                stakeholder=person,
                share_class=ordinary,
                quantity=4_000_000,
                effective_date=day,
            )
        change.reserve_pool(plan=plan, quantity=1_000_000, effective_date=day)
        change.issue(
            kind="stock",
            stakeholder=vehicle,
            share_class=series_a,
            quantity=1_250_000,
            effective_date=date(2025, 2, 1),
        )
        change.issue(
            kind="convertible",
            stakeholder=angel,
            quantity=1,
            effective_date=date(2025, 9, 15),
            amount_minor=50_000_000,
            convertible_type="bsa_air",
            terms=ConvertibleTerms(
                kind="bsa_air",
                principal=Money(50_000_000, "EUR"),
                valuation_cap=Money(2_500_000_000, "EUR"),
                discount=Fraction(15, 100),
            ).to_json(),
        )

    def spv_book(change: Change) -> None:
        for investor, quantity in zip(investors, [500_000, 300_000, 200_000], strict=True):
            change.issue(
                kind="stock",
                stakeholder=investor,
                share_class=units,
                quantity=quantity,
                effective_date=date(2025, 1, 20),
            )

    captable_change_record(
        issuer=company,
        description="Demo history",
        by=maker,
        approved_by=checker,
        build=company_book,
        idempotency_key="demo-captable-company",
    )
    captable_change_record(
        issuer=spv,
        description="Demo closing",
        by=maker,
        approved_by=checker,
        build=spv_book,
        idempotency_key="demo-captable-spv",
    )
    return ["", f"Demo cap tables: {COMPANY} (founders, pool, Series A via {SPV}, a BSA AIR)."]
