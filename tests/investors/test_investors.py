"""Investors: validated identifiers, encrypted personal data, logged reveals, the KYC lifecycle."""

from datetime import date

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection

from apps.accounts.roles import Role
from apps.accounts.services import system_user
from apps.core.crypto import decrypt_text
from apps.core.exceptions import PermissionRefused, TransitionRefused
from apps.investors.models import BankAccount, Investor, KycState, SensitiveDataReveal
from apps.investors.services import (
    bank_account_add,
    beneficial_owner_add,
    investor_create,
    kyc_approve,
    kyc_expire_due,
    kyc_reject,
    kyc_submit,
    sensitive_value_reveal,
)
from apps.investors.tasks import kyc_expire_due_task
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

IBAN = "FR7630006000011234567890189"


@pytest.fixture
def clerk(db):
    return UserFactory(is_staff=True, roles=[Role.OPERATIONS])


@pytest.fixture
def officer(db):
    return UserFactory(is_staff=True, roles=[Role.COMPLIANCE])


@pytest.fixture
def investor(clerk) -> Investor:
    return investor_create(
        kind="person",
        legal_name="Élodie Marchand",
        date_of_birth=date(1980, 5, 17),
        country_of_residence="FR",
        tax_residence_country="DE",
        tax_id="36 574 261 809",
        identity_document_number="18AB12345",
        email="elodie@example.com",
        by=clerk,
    )


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_sensitive_columns_hold_no_plain_text_in_the_database(investor, clerk):
    account = bank_account_add(
        investor=investor,
        holder_name="Élodie Marchand",
        iban="FR76 3000 6000 0112 3456 7890 189",
        bic="BNPAFRPP",
        currency="EUR",
        by=clerk,
    )

    raw_tax_id = _raw("investors_investor", "tax_id", investor.pk)
    raw_document = _raw("investors_investor", "identity_document_number", investor.pk)
    raw_iban = _raw("investors_bankaccount", "iban", account.pk)

    assert "36574261809" not in raw_tax_id and "18AB12345" not in raw_document
    assert IBAN not in raw_iban and "0189" not in raw_iban
    assert decrypt_text(raw_tax_id) == "36574261809"
    assert Investor.objects.get(pk=investor.pk).tax_id == "36574261809"
    assert BankAccount.objects.get(pk=account.pk).iban == IBAN
    history = Investor.history.model.objects.filter(id=investor.pk).values_list(
        "history_id", flat=True
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tax_id FROM investors_historicalinvestor WHERE history_id = %s", [history[0]]
        )
        assert "36574261809" not in cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "iban"),
        ({"iban": IBAN, "bic": "NOTABIC!"}, "bic"),
        ({}, "iban"),
    ],
)
def test_an_invalid_bank_detail_is_refused_and_nothing_is_saved(investor, clerk, fields, field):
    with pytest.raises(ValidationError) as error:
        bank_account_add(investor=investor, holder_name="X", currency="EUR", by=clerk, **fields)

    assert field in error.value.message_dict
    assert not BankAccount.objects.exists()


def test_an_invalid_tax_number_is_refused_and_nothing_is_saved(clerk):
    with pytest.raises(ValidationError) as error:
        investor_create(
            kind="person",
            legal_name="Hans Weber",
            country_of_residence="DE",
            tax_residence_country="DE",
            tax_id="12345",
            by=clerk,
        )

    assert "tax_id" in error.value.message_dict
    assert not Investor.objects.exists()


def test_an_unknown_country_is_refused(clerk):
    with pytest.raises(ValidationError) as error:
        investor_create(
            kind="person",
            legal_name="Nobody",
            country_of_residence="QQ",
            tax_residence_country="FR",
            by=clerk,
        )

    assert "country_of_residence" in error.value.message_dict


def test_a_beneficial_owner_holds_at_least_a_quarter_or_controls(clerk, investor):
    holding = investor_create(
        kind="entity",
        legal_name="Marchand Holding SAS",
        country_of_residence="FR",
        tax_residence_country="FR",
        by=clerk,
    )

    beneficial_owner_add(
        entity=holding,
        by=clerk,
        name="Élodie Marchand",
        person=investor,
        ownership_percent=60,
        country_of_residence="FR",
    )
    with pytest.raises(ValidationError):
        beneficial_owner_add(
            entity=holding,
            by=clerk,
            name="Small Holder",
            ownership_percent=10,
            country_of_residence="FR",
        )
    beneficial_owner_add(
        entity=holding,
        by=clerk,
        name="Managing Director",
        ownership_percent=0,
        is_controlling_person=True,
        country_of_residence="FR",
    )

    assert holding.beneficial_owners.count() == 2


def test_a_reveal_is_allowed_to_compliance_and_logged(investor, officer, clerk):
    value = sensitive_value_reveal(investor=investor, field="tax_id", by=officer)

    assert value == "36574261809"
    assert SensitiveDataReveal.objects.get().user == officer
    with pytest.raises(PermissionRefused, match="may not reveal encrypted personal data"):
        sensitive_value_reveal(investor=investor, field="tax_id", by=clerk)
    assert SensitiveDataReveal.objects.count() == 1


def test_the_admin_shows_sensitive_data_masked_and_reveals_on_request(staff_client, investor):
    client = staff_client(StaffFactory(roles=[Role.COMPLIANCE]))

    page = client.get(f"/admin/investors/investor/{investor.pk}/change/")
    revealed = client.get(f"/admin/investors/investor/{investor.pk}/reveal/tax_id/")

    assert b"36574261809" not in page.content
    assert "•••••••1809".encode() in page.content
    assert b"36574261809" in revealed.content
    assert SensitiveDataReveal.objects.filter(field="tax_id").count() == 1


def test_kyc_goes_from_pending_to_approved_with_the_officer_and_reason_recorded(
    investor, clerk, officer
):
    investor = kyc_submit(investor=investor, by=clerk)
    investor = kyc_approve(
        investor=investor,
        by=officer,
        reason="Passport and proof of address checked",
        review_due=date(2027, 5, 1),
    )

    assert investor.kyc_state == KycState.APPROVED
    latest = investor.history.latest()
    assert latest.history_user == officer
    assert latest.history_change_reason == "Passport and proof of address checked"
    assert latest.kyc_review_due == date(2027, 5, 1)


def test_kyc_approval_needs_a_compliance_officer(investor, clerk):
    kyc_submit(investor=investor, by=clerk)

    with pytest.raises(PermissionRefused, match="may not move an investor's KYC through review"):
        kyc_approve(investor=investor, by=clerk, reason="self-service")


def test_kyc_cannot_be_approved_before_review(investor, officer):
    with pytest.raises(TransitionRefused, match="is pending: it cannot approve kyc"):
        kyc_approve(investor=investor, by=officer, reason="too early")


def test_a_rejection_needs_a_reason(investor, clerk, officer):
    kyc_submit(investor=investor, by=clerk)

    with pytest.raises(TransitionRefused, match="say why"):
        kyc_reject(investor=investor, by=officer, reason=" ")


def test_the_expiry_task_expires_approvals_whose_review_date_passed(investor, clerk, officer):
    kyc_submit(investor=investor, by=clerk)
    kyc_approve(investor=investor, by=officer, reason="ok", review_due=date(2026, 1, 31))

    assert kyc_expire_due(today=date(2026, 1, 31), by=system_user()) == 0
    assert kyc_expire_due(today=date(2026, 2, 1), by=system_user()) == 1

    investor.refresh_from_db()
    assert investor.kyc_state == KycState.EXPIRED
    assert "review date passed" in investor.kyc_reason
    assert investor.history.latest().history_user == system_user()


def test_the_beat_task_expires_through_the_service(investor, clerk, officer):
    kyc_submit(investor=investor, by=clerk)
    kyc_approve(investor=investor, by=officer, reason="ok", review_due=date(2020, 1, 1))

    assert kyc_expire_due_task.delay().get() == 1


def test_a_new_key_reads_old_data_and_the_command_re_encrypts_it(settings, investor):
    old = settings.FIELD_ENCRYPTION_KEYS
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    assert Investor.objects.get(pk=investor.pk).tax_id == "36574261809"  # the old key still reads

    call_command("reencrypt_sensitive_data")

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key retired
    assert Investor.objects.get(pk=investor.pk).tax_id == "36574261809"
    assert Fernet(new.encode()).decrypt(_raw("investors_investor", "tax_id", investor.pk).encode())


def test_a_company_number_is_checked_where_its_format_is_known(clerk):
    entity = investor_create(
        kind="entity",
        legal_name="Lumière Capital SAS",
        country_of_residence="FR",
        tax_residence_country="FR",
        company_number="732 829 320",
        by=clerk,
    )
    assert entity.company_number == "732829320"

    with pytest.raises(ValidationError) as error:
        investor_create(
            kind="entity",
            legal_name="Broken SAS",
            country_of_residence="FR",
            tax_residence_country="FR",
            company_number="732 829 321",
            by=clerk,
        )
    assert "company_number" in error.value.message_dict


def test_an_iban_is_masked_in_the_admin_and_revealed_on_request_with_a_log(
    staff_client, investor, clerk
):
    account = bank_account_add(
        investor=investor, holder_name="Élodie Marchand", iban=IBAN, currency="EUR", by=clerk
    )
    client = staff_client(StaffFactory(roles=[Role.COMPLIANCE]))

    page = client.get(f"/admin/investors/investor/{investor.pk}/change/")
    revealed = client.get(
        f"/admin/investors/investor/{investor.pk}/reveal/iban/", {"account": account.pk}
    )
    refused = client.get(f"/admin/investors/investor/{investor.pk}/reveal/iban/", {"account": "x"})

    assert IBAN.encode() not in page.content
    assert IBAN.encode() in revealed.content
    assert refused.status_code == 404
    log = SensitiveDataReveal.objects.get()
    assert (log.field, log.bank_account) == ("iban", account)
