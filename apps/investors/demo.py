"""Demo investors at each step of KYC, one of them an entity with its beneficial owners."""

from datetime import date

from apps.accounts.demo import demo_staff_email
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.services import organisation_create
from apps.core.demo import demo_seeder
from apps.investors.models import Investor
from apps.investors.services import (
    bank_account_add,
    beneficial_owner_add,
    investor_create,
    kyc_approve,
    kyc_submit,
)


@demo_seeder
def seed_demo_investors() -> list[str]:
    if Investor.objects.filter(legal_name="Camille Rousseau").exists():
        return ["", "Demo investors: already there (/admin/investors/investor/)."]
    clerk = User.objects.get(email=demo_staff_email(Role.OPERATIONS))
    officer = User.objects.get(email=demo_staff_email(Role.COMPLIANCE))
    camille = investor_create(
        kind="person",
        legal_name="Camille Rousseau",
        date_of_birth=date(1979, 2, 11),
        country_of_residence="FR",
        tax_residence_country="FR",
        email="camille@example.com",
        identity_document_number="19FR44021",
        by=clerk,
    )
    bank_account_add(
        investor=camille,
        holder_name="Camille Rousseau",
        iban="FR7630006000011234567890189",
        bic="BNPAFRPP",
        currency="EUR",
        is_primary=True,
        by=clerk,
    )
    kyc_submit(investor=camille, by=clerk)
    kyc_approve(investor=camille, by=officer, reason="Passport and proof of address checked")
    introducer = organisation_create(
        name="Alpenblick Introducers AG", kind="introducer", country="CH", scope="write", by=clerk
    )
    # The partner brings the holding itself, through its service user.
    holding = investor_create(
        kind="entity",
        legal_name="Weber Familienholding GmbH",
        country_of_residence="DE",
        tax_residence_country="DE",
        company_number="München HRB 123456",
        by=introducer.service_user,
    )
    beneficial_owner_add(
        entity=holding,
        name="Hans Weber",
        ownership_percent=70,
        country_of_residence="DE",
        date_of_birth=date(1958, 9, 30),
        by=clerk,
    )
    kyc_submit(investor=holding, by=clerk)
    investor_create(
        kind="person",
        legal_name="Volkonsky, Sergey",
        date_of_birth=date(1961, 4, 12),
        country_of_residence="CY",
        tax_residence_country="CY",
        by=clerk,
    )
    return [
        "",
        "Demo investors: an approved person, an entity in KYC review (brought by the partner",
        "Alpenblick Introducers AG) and a new applicant (sign in as compliance to review them",
        "and reveal, logged, their sensitive data).",
    ]
