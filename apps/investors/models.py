"""Investors: natural persons and legal entities, their beneficial owners and bank accounts.

Tax identification numbers, identity document numbers, IBANs and account numbers are encrypted
at rest (:class:`~apps.core.fields.EncryptedTextField`); the admin shows them masked, and each
reveal is logged. An investor's KYC is a state machine (pending → in review → approved or
rejected; approved → expired when its review date passes), driven by the services only.
"""

from django.conf import settings
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.countries import country_choices
from apps.core.fields import EncryptedTextField
from apps.core.history import audited_history
from apps.core.validators import (
    multiline_text_without_control_characters,
    text_without_control_characters,
)


class InvestorKind(models.TextChoices):
    PERSON = "person", "Natural person"
    ENTITY = "entity", "Legal entity"


class KycState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"


class SanctionsStatus(models.TextChoices):
    NOT_SCREENED = "not_screened", "Not screened"
    CLEAR = "clear", "Clear"
    ON_HOLD = "on_hold", "On hold: possible match"
    CONFIRMED = "confirmed", "Confirmed match"


class Language(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    DE = "de", "Deutsch"
    IT = "it", "Italiano"
    ES = "es", "Español"
    NL = "nl", "Nederlands"


class Investor(FSMModelMixin, models.Model):
    kind = models.CharField(max_length=8, choices=InvestorKind.choices)
    legal_name = models.CharField(max_length=300, validators=[text_without_control_characters])
    date_of_birth = models.DateField(null=True, blank=True, help_text="Natural persons.")
    country_of_residence = models.CharField(max_length=2, choices=country_choices)
    tax_residence_country = models.CharField(max_length=2, choices=country_choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True, validators=[multiline_text_without_control_characters])
    reporting_currency = models.CharField(max_length=3, default="EUR")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    company_number = models.CharField(
        max_length=60, blank=True, help_text="Legal entities: the registry number (public)."
    )
    tax_id = EncryptedTextField("tax identification number", blank=True)
    identity_document_number = EncryptedTextField(blank=True)
    kyc_state = FSMField(default=KycState.PENDING, choices=KycState.choices, protected=True)
    kyc_review_due = models.DateField(
        null=True, blank=True, help_text="When an approved KYC must be reviewed again."
    )
    kyc_reason = models.TextField(
        blank=True,
        help_text="Why the KYC last changed state.",
        validators=[multiline_text_without_control_characters],
    )
    sanctions_status = models.CharField(
        max_length=16, choices=SanctionsStatus.choices, default=SanctionsStatus.NOT_SCREENED
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investor",
        help_text="The portal login of this investor, if any.",
    )
    introduced_by = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investors",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audited_history()

    class Meta:
        ordering = ["legal_name"]
        indexes = [
            models.Index(fields=["kyc_state", "kyc_review_due"], name="investors_kyc_due_idx"),
            models.Index(fields=["sanctions_status"], name="investors_sanctions_idx"),
        ]
        permissions = [
            ("reveal_sensitive", "Can reveal encrypted personal data (each reveal is logged)"),
            ("review_kyc", "Can move an investor's KYC through review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=InvestorKind.values), name="investors_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind=InvestorKind.PERSON) | models.Q(date_of_birth__isnull=True),
                name="investors_birth_date_only_for_persons",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def party_key(self) -> str:
        """The key that names this investor on every cap table it appears in."""
        return f"investor:{self.pk}"

    @transition(
        field=kyc_state,
        source=KycState.PENDING,
        target=KycState.IN_REVIEW,
        permission="investors.change_investor",
    )
    def submit_kyc(self) -> None:
        """Hand the KYC file to compliance."""

    @transition(
        field=kyc_state,
        source=[KycState.REJECTED, KycState.EXPIRED],
        target=KycState.IN_REVIEW,
        permission="investors.change_investor",
    )
    def resubmit_kyc(self) -> None:
        """Review again after a rejection or an expiry."""

    @transition(
        field=kyc_state,
        source=KycState.IN_REVIEW,
        target=KycState.APPROVED,
        permission="investors.review_kyc",
    )
    def approve_kyc(self) -> None:
        """Accept the KYC file until its review date."""

    @transition(
        field=kyc_state,
        source=KycState.IN_REVIEW,
        target=KycState.REJECTED,
        permission="investors.review_kyc",
    )
    def reject_kyc(self) -> None:
        """Refuse the KYC file."""

    @transition(
        field=kyc_state,
        source=KycState.APPROVED,
        target=KycState.EXPIRED,
        permission="investors.review_kyc",
    )
    def expire_kyc(self) -> None:
        """Mark an approved KYC whose review date has passed."""


class BeneficialOwner(models.Model):
    """A person owning 25 % or more of an entity investor, or controlling it."""

    entity = models.ForeignKey(Investor, on_delete=models.CASCADE, related_name="beneficial_owners")
    person = models.ForeignKey(
        Investor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_entities",
        help_text="When the owner is an investor too.",
    )
    name = models.CharField(max_length=300, validators=[text_without_control_characters])
    date_of_birth = models.DateField(null=True, blank=True)
    country_of_residence = models.CharField(max_length=2, choices=country_choices)
    ownership_percent = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    is_controlling_person = models.BooleanField(default=False)

    history = audited_history()

    class Meta:
        ordering = ["entity", "-ownership_percent", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ownership_percent__gte=0, ownership_percent__lte=100),
                name="investors_owner_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(ownership_percent__gte=25)
                | models.Q(is_controlling_person=True),
                name="investors_owner_is_beneficial",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ownership_percent} % of {self.entity})"


class BankAccount(models.Model):
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="bank_accounts")
    holder_name = models.CharField(max_length=300, validators=[text_without_control_characters])
    iban = EncryptedTextField("IBAN", blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    account_number = EncryptedTextField(blank=True, help_text="Where there is no IBAN.")
    currency = models.CharField(max_length=3, default="EUR")
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["investor", "-is_primary", "pk"]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.currency})"


class SensitiveDataReveal(models.Model):
    """One look at an encrypted value by a member of staff: written, never changed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    investor = models.ForeignKey(Investor, on_delete=models.PROTECT, related_name="reveals")
    bank_account = models.ForeignKey(
        BankAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="reveals"
    )
    field = models.CharField(max_length=60)
    version = models.BigIntegerField(
        null=True, blank=True, help_text="The past version looked at (its history id), if any."
    )
    revealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revealed_at"]

    def __str__(self) -> str:
        return f"{self.user} saw {self.field} of {self.investor}"
