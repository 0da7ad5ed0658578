"""Writes on investors: onboarding, bank details, KYC transitions, reveals and key rotation.

Identifiers are checked (IBAN and BIC by schwifty, tax numbers by python-stdnum) and stored in
their compact form; a value that does not validate is refused with the field named and nothing
is saved. Every KYC transition is made under lock, names who made it and why, and is recorded in
the investor's history.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User, UserKind
from apps.core.dates import add_months
from apps.core.exceptions import DomainError, TransitionRefused
from apps.core.fields import EncryptedTextField
from apps.core.history import acting
from apps.core.services import model_update, use_case
from apps.core.transitions import fsm_transition
from apps.core.validators import texts_without_control_characters
from apps.investors.models import (
    BankAccount,
    BeneficialOwner,
    Investor,
    KycState,
    SensitiveDataReveal,
)
from apps.investors.validators import (
    bic_normalized,
    company_number_normalized,
    iban_normalized,
    tax_id_normalized,
)

INVESTOR_UPDATABLE_FIELDS = [
    "legal_name",
    "date_of_birth",
    "country_of_residence",
    "tax_residence_country",
    "email",
    "phone",
    "address",
    "reporting_currency",
    "language",
    "company_number",
    "tax_id",
    "identity_document_number",
]
# What an investor (or their partner) changes themselves; identity and tax data need the back
# office.
INVESTOR_SELF_UPDATABLE_FIELDS = ["email", "phone", "address", "language"]
SENSITIVE_FIELDS = ("tax_id", "identity_document_number")
BANK_SENSITIVE_FIELDS = ("iban", "account_number")
KYC_VALIDITY_MONTHS = 12


class RevealRefused(DomainError):
    code = "sensitive_reveal_refused"


def _checked_identifiers(investor: Investor) -> None:
    if investor.company_number:
        try:
            investor.company_number = company_number_normalized(
                investor.company_number, country=investor.country_of_residence
            )
        except ValidationError as error:
            raise ValidationError({"company_number": error.messages}) from error
    if investor.tax_id:
        try:
            investor.tax_id = tax_id_normalized(
                investor.tax_id, country=investor.tax_residence_country, kind=investor.kind
            )
        except ValidationError as error:
            raise ValidationError({"tax_id": error.messages}) from error


class PartnerIntroductionRefused(DomainError):
    code = "partner_introduction_refused"


@use_case(permission="investors.add_investor")
def investor_create(*, by: User, **fields: Any) -> Investor:
    """Onboard an investor (KYC pending); one a partner brings is introduced by that partner."""
    if by.kind == UserKind.PARTNER:
        introduced = fields.get("introduced_by")
        if introduced is not None and introduced != by.organisation:
            raise PartnerIntroductionRefused(
                f"{by.organisation} may bring only investors it introduces, not for {introduced}"
            )
        fields = {**fields, "introduced_by": by.organisation}
    investor = Investor(**fields)
    _checked_identifiers(investor)
    investor.full_clean(exclude=["kyc_state"])
    with acting(user=by):
        investor.save()
    return investor


@use_case(permission="investors.change_investor", on="investor")
def investor_update(*, investor: Investor, data: dict[str, Any], by: User) -> Investor:
    """Change an investor's details; an investor or partner changes only their contact details
    and language, the rest goes through the back office (it changes what KYC checked)."""
    if not by.is_staff and by.kind != UserKind.SYSTEM:
        outside = sorted(set(data) - set(INVESTOR_SELF_UPDATABLE_FIELDS))
        if outside:
            raise ValidationError(
                {name: "changes through the back office, with proof" for name in outside}
            )
    candidate = Investor.objects.get(pk=investor.pk)
    for name, value in data.items():
        if name in INVESTOR_UPDATABLE_FIELDS:
            setattr(candidate, name, value)
    _checked_identifiers(candidate)
    for name in ("tax_id", "company_number"):
        if name in data:
            data = {**data, name: getattr(candidate, name)}
    with acting(user=by):
        investor, _ = model_update(
            instance=investor, fields=INVESTOR_UPDATABLE_FIELDS, data=data, by=by
        )
    return investor


@use_case(permission="investors.add_beneficialowner", on="entity")
def beneficial_owner_add(*, entity: Investor, by: User, **fields: Any) -> BeneficialOwner:
    """Record who owns 25 % or more of ``entity``, or controls it."""
    if entity.kind != "entity":
        raise ValidationError("only a legal entity has beneficial owners")
    owner = BeneficialOwner(entity=entity, **fields)
    owner.full_clean()
    with acting(user=by):
        owner.save()
    return owner


@use_case(permission="investors.add_bankaccount", on="investor")
def bank_account_add(
    *,
    investor: Investor,
    holder_name: str,
    currency: str,
    by: User,
    iban: str = "",
    bic: str = "",
    account_number: str = "",
    is_primary: bool = False,
) -> BankAccount:
    """Record a bank account; the IBAN (or, without one, an account number) is required."""
    errors: dict[str, list[str]] = {}
    if not iban and not account_number:
        errors["iban"] = ["give an IBAN, or an account number where there is none"]
    for name, value, normalize in (("iban", iban, iban_normalized), ("bic", bic, bic_normalized)):
        if value:
            try:
                if name == "iban":
                    iban = normalize(value)
                else:
                    bic = normalize(value)
            except ValidationError as error:
                errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    account = BankAccount(
        investor=investor,
        holder_name=holder_name,
        iban=iban,
        bic=bic,
        account_number=account_number,
        currency=currency,
        is_primary=is_primary,
    )
    account.full_clean()
    with acting(user=by):
        if is_primary:
            for other in investor.bank_accounts.filter(is_primary=True):
                model_update(
                    instance=other, fields=["is_primary"], data={"is_primary": False}, by=by
                )
        account.save()
    return account


def _kyc_transition(
    investor: Investor, name: str, *, by: User, reason: str, **fields: Any
) -> Investor:
    texts_without_control_characters(reason=reason, multiline=True)
    return fsm_transition(
        instance=investor, name=name, by=by, reason=reason, fields={"kyc_reason": reason, **fields}
    )


@use_case(permission="investors.change_investor", on="investor")
def kyc_submit(*, investor: Investor, by: User, reason: str = "KYC file complete") -> Investor:
    name = "submit_kyc" if investor.kyc_state == KycState.PENDING else "resubmit_kyc"
    return _kyc_transition(investor, name, by=by, reason=reason)


@use_case(permission="investors.review_kyc", on="investor")
def kyc_approve(
    *, investor: Investor, by: User, reason: str, review_due: date | None = None
) -> Investor:
    """Approve a KYC file until ``review_due`` (12 months from today by default)."""
    due = review_due or add_months(timezone.localdate(), KYC_VALIDITY_MONTHS)
    return _kyc_transition(investor, "approve_kyc", by=by, reason=reason, kyc_review_due=due)


@use_case(permission="investors.review_kyc", on="investor")
def kyc_reject(*, investor: Investor, by: User, reason: str) -> Investor:
    if not reason.strip():
        raise TransitionRefused("say why the KYC file is rejected", investor=investor.pk)
    return _kyc_transition(investor, "reject_kyc", by=by, reason=reason)


@use_case(permission="investors.review_kyc")
def kyc_expire_due(*, today: date, by: User) -> int:
    """Expire every approved KYC whose review date is before ``today``; return how many."""
    due = Investor.objects.filter(kyc_state=KycState.APPROVED, kyc_review_due__lt=today)
    expired = 0
    for investor in due.order_by("pk").only("pk"):
        _kyc_transition(
            investor,
            "expire_kyc",
            by=by,
            reason=f"review date passed on {today.isoformat()}: a new review is needed",
        )
        expired += 1
    return expired


@use_case(permission="investors.reveal_sensitive", on="investor")
def sensitive_value_reveal(
    *,
    investor: Investor,
    field: str,
    by: User,
    bank_account: BankAccount | None = None,
    version: int | None = None,
) -> str:
    """Return an encrypted value in clear to someone allowed to see it, and log the look.

    ``field`` is one of the investor's sensitive fields or, with ``bank_account``, one of the
    account's; ``version`` (a history id) asks for the value as that past version held it.
    """
    allowed = BANK_SENSITIVE_FIELDS if bank_account is not None else SENSITIVE_FIELDS
    if field not in allowed or (bank_account and bank_account.investor_id != investor.pk):
        raise RevealRefused(f"{field} is not a sensitive field here", field=field)
    source: Any = bank_account if bank_account is not None else investor
    history = type(source).history
    found = (
        history.filter(id=source.pk, history_id=version)
        if version is not None
        else type(source).objects.filter(pk=source.pk)
    ).first()
    if found is None:
        raise RevealRefused(f"{source} has no version {version}", field=field, version=version)
    SensitiveDataReveal.objects.create(
        user=by, investor=investor, bank_account=bank_account, field=field, version=version
    )
    return getattr(found, field)


def sensitive_data_reencrypt(*, progress: Callable[[str, int], None] | None = None) -> int:
    """Re-encrypt every encrypted column under the newest key; return how many rows were written.

    Values are read with any configured key and written with the first, so a retired key can be
    removed once this has run.
    """
    written = 0
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if not fields:
            continue
        rows = model._default_manager.only(model._meta.pk.name, *fields).order_by("pk")
        batch = []
        for row in rows.iterator(chunk_size=500):
            batch.append(row)
            if len(batch) == 500:
                with transaction.atomic():
                    model._default_manager.bulk_update(batch, fields)
                written += len(batch)
                batch = []
        if batch:
            with transaction.atomic():
                model._default_manager.bulk_update(batch, fields)
            written += len(batch)
        if progress is not None:
            progress(model._meta.label, written)
    return written
