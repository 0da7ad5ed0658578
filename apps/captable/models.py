"""Who owns what: issuers, their classes and plans, the securities stakeholders hold, and the
append-only movements that change them.

A security's outstanding quantity is never stored: it is the sum of its movements, each tied to
an executed ledger operation, so the cap table right after any operation, or on any past date,
is rebuilt from the movements alone. Quantities are exact decimals (up to 10 places, as Open Cap
Format allows), never floats. On PostgreSQL the database refuses any update or delete of a
movement and any movement of an operation that is not executed (migration 0002). An
:class:`OcfImport` keeps an Open Cap Format package uploaded from the admin on its way to
becoming an issuer.
"""

from typing import ClassVar, TypedDict

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from apps.captable.exceptions import MovementAppendOnly
from apps.core.countries import country_choices
from apps.core.history import audited_history
from apps.core.validators import (
    multiline_text_without_control_characters,
    text_without_control_characters,
)


class Digits(TypedDict):
    """The precision of a decimal column."""

    max_digits: int
    decimal_places: int


# Units and prices: up to 28 digits before the point and the 10 decimals OCF allows.
QUANTITY: Digits = {"max_digits": 38, "decimal_places": 10}


class IssuerKind(models.TextChoices):
    SPV = "spv", "SPV"
    COMPANY = "company", "Portfolio company"
    FUND = "fund", "Fund"


class LegalForm(models.TextChoices):
    SAS = "SAS", "SAS (FR)"
    SA = "SA", "SA"
    SARL = "SARL", "SARL (FR/LU)"
    SCSP = "SCSp", "SCSp (LU)"
    SCS = "SCS", "SCS (LU)"
    SICAV = "SICAV", "SICAV"
    GMBH = "GmbH", "GmbH (DE/AT/CH)"
    AG = "AG", "AG (DE/CH)"
    KG = "KG", "GmbH & Co. KG (DE)"
    BV = "BV", "BV (NL)"
    LTD = "Ltd", "Ltd (UK/IE)"
    LLP = "LLP", "LLP (UK)"
    LP = "LP", "LP"
    LLC = "LLC", "LLC (US)"
    INC = "Inc", "Inc. (US)"
    OTHER = "other", "Other"


class Issuer(models.Model):
    """A vehicle whose shares or units are held: an SPV, a portfolio company or a fund."""

    name = models.CharField(
        max_length=200, unique=True, validators=[text_without_control_characters]
    )
    legal_name = models.CharField(
        max_length=300, blank=True, validators=[text_without_control_characters]
    )
    kind = models.CharField(max_length=16, choices=IssuerKind.choices)
    legal_form = models.CharField(max_length=16, choices=LegalForm.choices)
    country = models.CharField(max_length=2, choices=country_choices)
    currency = models.CharField(max_length=3)
    formation_date = models.DateField(null=True, blank=True)
    ocf_id = models.CharField("OCF id", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audited_history()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClassType(models.TextChoices):
    COMMON = "common", "Common / ordinary"
    PREFERRED = "preferred", "Preferred"
    UNITS = "units", "Fund units"


class ShareClass(models.Model):
    """A class of shares or units, with its economic rights."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="share_classes")
    name = models.CharField(max_length=200, validators=[text_without_control_characters])
    class_type = models.CharField(max_length=16, choices=ClassType.choices)
    authorised_units = models.DecimalField(
        **QUANTITY, null=True, blank=True, help_text="Empty: no limit."
    )
    price_per_unit_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Original issue price, in the issuer's currency."
    )
    liquidation_preference_multiple = models.DecimalField(
        max_digits=12, decimal_places=6, default=1
    )
    participating = models.BooleanField(default=False)
    participation_cap_multiple = models.DecimalField(
        max_digits=12, decimal_places=6, null=True, blank=True
    )
    seniority = models.PositiveIntegerField(
        default=1, help_text="Higher is paid first in a liquidation."
    )
    conversion_ratio = models.DecimalField(
        max_digits=20, decimal_places=10, default=1, help_text="Common units per unit."
    )
    votes_per_unit = models.DecimalField(max_digits=20, decimal_places=10, default=1)
    ocf_id = models.CharField("OCF id", max_length=200, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["issuer", "-seniority", "name"]
        verbose_name_plural = "share classes"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "name"], name="captable_class_name_unique"),
            models.CheckConstraint(
                condition=models.Q(authorised_units__isnull=True)
                | models.Q(authorised_units__gte=0),
                name="captable_class_authorised_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(conversion_ratio__gt=0), name="captable_class_ratio_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} · {self.name}"


class StakeholderKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    INSTITUTION = "institution", "Institution"


class StakeholderRole(models.TextChoices):
    INVESTOR = "investor", "Investor"
    FOUNDER = "founder", "Founder"
    EMPLOYEE = "employee", "Employee"
    ADVISOR = "advisor", "Advisor"
    VEHICLE = "vehicle", "Vehicle (SPV or fund)"
    OTHER = "other", "Other"


class Stakeholder(models.Model):
    """Someone who holds, or may hold, securities of an issuer."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="stakeholders")
    name = models.CharField(max_length=300, validators=[text_without_control_characters])
    kind = models.CharField(max_length=16, choices=StakeholderKind.choices)
    role = models.CharField(
        max_length=16, choices=StakeholderRole.choices, default=StakeholderRole.INVESTOR
    )
    holder_issuer = models.ForeignKey(
        Issuer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="positions_as_holder",
        help_text="When the holder is itself an issuer here (an SPV holding a company).",
    )
    party_key = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="The same person or entity across issuers (for look-through ownership).",
    )
    ocf_id = models.CharField("OCF id", max_length=200, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["issuer", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "ocf_id"],
                condition=~models.Q(ocf_id=""),
                name="captable_stakeholder_ocf_id_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(holder_issuer=models.F("issuer")),
                name="captable_stakeholder_not_self",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VestingTerms(models.Model):
    """A time-based schedule: nothing before the cliff, then equal instalments to the end."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="vesting_terms")
    name = models.CharField(max_length=200, validators=[text_without_control_characters])
    cliff_months = models.PositiveIntegerField(default=12)
    duration_months = models.PositiveIntegerField(default=48)
    frequency_months = models.PositiveIntegerField(default=1)
    ocf_id = models.CharField("OCF id", max_length=200, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["issuer", "name"]
        verbose_name_plural = "vesting terms"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_months__gte=models.F("cliff_months"))
                & models.Q(frequency_months__gte=1)
                & models.Q(duration_months__gte=1),
                name="captable_vesting_terms_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EquityPlan(models.Model):
    """An option or share plan; its pool is reserved by movements, so it has a past too."""

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=200, validators=[text_without_control_characters])
    share_class = models.ForeignKey(ShareClass, on_delete=models.PROTECT, related_name="plans")
    ocf_id = models.CharField("OCF id", max_length=200, blank=True)

    history = audited_history()

    class Meta:
        ordering = ["issuer", "name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "name"], name="captable_plan_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class SecurityKind(models.TextChoices):
    STOCK = "stock", "Shares / units"
    OPTION = "option", "Option (equity compensation)"
    WARRANT = "warrant", "Warrant"
    CONVERTIBLE = "convertible", "Convertible"


class ConvertibleType(models.TextChoices):
    SAFE = "safe", "SAFE"
    BSA_AIR = "bsa_air", "BSA AIR"
    NOTE = "note", "Convertible note"


class Security(models.Model):
    """One holding of one stakeholder, opened by an issuance and changed only by movements.

    Terms that never change after issuance are kept here: the class for shares, the exercise
    price and vesting for options and warrants, the conversion terms for convertibles
    (``terms``, read by :mod:`apps.captable.conversion`).
    """

    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="securities")
    security_id = models.CharField(max_length=200, help_text="The issuer's own reference.")
    kind = models.CharField(max_length=16, choices=SecurityKind.choices)
    stakeholder = models.ForeignKey(
        Stakeholder, on_delete=models.PROTECT, related_name="securities"
    )
    share_class = models.ForeignKey(
        ShareClass,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="securities",
        help_text="Shares: their class. Options and warrants: the class they exercise into.",
    )
    plan = models.ForeignKey(
        EquityPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="securities"
    )
    issue_date = models.DateField()
    exercise_price_minor = models.BigIntegerField(null=True, blank=True)
    expiration_date = models.DateField(null=True, blank=True)
    vesting_terms = models.ForeignKey(
        VestingTerms, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    vesting_start_date = models.DateField(null=True, blank=True)
    convertible_type = models.CharField(max_length=16, choices=ConvertibleType.choices, blank=True)
    terms = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["issuer", "security_id"]
        verbose_name_plural = "securities"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "security_id"], name="captable_security_id_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="convertible", share_class__isnull=True)
                | (~models.Q(kind="convertible") & models.Q(share_class__isnull=False)),
                name="captable_security_class_unless_convertible",
            ),
        ]

    def __str__(self) -> str:
        return self.security_id


class MovementKind(models.TextChoices):
    ISSUANCE = "issuance", "Issuance"
    TRANSFER = "transfer", "Transfer"
    CANCELLATION = "cancellation", "Cancellation"
    REPURCHASE = "repurchase", "Repurchase"
    CONVERSION = "conversion", "Conversion"
    EXERCISE = "exercise", "Exercise"
    SPLIT = "split", "Split or consolidation"
    POOL = "pool", "Pool reservation"


class MovementQuerySet(models.QuerySet):
    """Movements are written once: no update, no delete, through any path of the ORM."""

    def update(self, **kwargs):
        raise MovementAppendOnly("holding movements cannot be updated; record a new movement")

    def delete(self):
        raise MovementAppendOnly("holding movements cannot be deleted; record a new movement")

    def bulk_update(self, objs, fields, batch_size=None):
        raise MovementAppendOnly("holding movements cannot be updated; record a new movement")


class Movement(models.Model):
    """One signed change of a security's quantity (or of a plan's pool), in an operation."""

    operation = models.ForeignKey(
        "ledger.Operation", on_delete=models.PROTECT, related_name="movements"
    )
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="movements")
    security = models.ForeignKey(
        Security, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    plan = models.ForeignKey(
        EquityPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    quantity = models.DecimalField(**QUANTITY)
    amount_minor = models.BigIntegerField(
        null=True, blank=True, help_text="Convertibles: the principal moved, in minor units."
    )
    effective_date = models.DateField()
    # Copied from the security and the operation, which never change, so that a cap table
    # reads one index range of the issuer's movements.
    security_kind = models.CharField(max_length=16, choices=SecurityKind.choices, blank=True)
    stakeholder = models.ForeignKey(
        Stakeholder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    share_class = models.ForeignKey(
        ShareClass, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operation_sequence = models.PositiveBigIntegerField()
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The source transaction's id (OCF)."
    )

    objects = MovementQuerySet.as_manager()

    class Meta:
        ordering = ["operation_sequence", "pk"]
        indexes = [
            models.Index(
                fields=["issuer", "effective_date"],
                include=["security_kind", "stakeholder", "share_class", "quantity"],
                name="captable_mv_issuer_date_idx",
            ),
            models.Index(
                fields=["issuer", "operation_sequence"],
                include=["security_kind", "stakeholder", "share_class", "quantity"],
                name="captable_mv_issuer_seq_idx",
            ),
            models.Index(fields=["security", "operation_sequence"], name="captable_mv_sec_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(security__isnull=False, plan__isnull=True)
                | models.Q(security__isnull=True, plan__isnull=False, kind="pool"),
                name="captable_movement_security_or_pool",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} of {self.security_id or self.plan_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise MovementAppendOnly("holding movements cannot be updated; record a new movement")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise MovementAppendOnly("holding movements cannot be deleted; record a new movement")


class MovementSeal(models.Model):
    """The digest of one change's movements of one issuer, chained to the previous seal
    (:mod:`apps.captable.seals`). Written once, with the movements."""

    operation = models.ForeignKey("ledger.Operation", on_delete=models.PROTECT, related_name="+")
    issuer = models.ForeignKey(Issuer, on_delete=models.PROTECT, related_name="+")
    operation_sequence = models.PositiveBigIntegerField()
    count = models.PositiveIntegerField(help_text="How many movements it seals.")
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["operation_sequence", "issuer"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "issuer"], name="captable_one_seal"),
        ]
        indexes = [models.Index(fields=["operation_sequence", "issuer"], name="captable_seal_idx")]

    def __str__(self) -> str:
        return f"Seal of operation {self.operation_id} on issuer {self.issuer_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise MovementAppendOnly("a seal is written once")
        super().save(*args, **kwargs)


class OcfImportState(models.TextChoices):
    CHECKED = "checked", "Checked, to be confirmed"
    REFUSED = "refused", "Refused by the checks"
    PROPOSED = "proposed", "Waiting for approval"
    IMPORTED = "imported", "Imported"
    CANCELLED = "cancelled", "Cancelled"


class OcfImport(ConcurrentTransitionMixin, models.Model):
    """An Open Cap Format package uploaded from the admin, imported by two people.

    The upload is checked at once by a dry run whose report is kept: a package with errors is
    kept as refused, so the report can be read, and goes no further. Otherwise the person who
    uploaded it confirms it (accepting its warnings, if any), and another person approves it,
    which imports the package kept here as a new issuer.
    """

    State = OcfImportState

    filename = models.CharField(
        "file name", max_length=255, validators=[text_without_control_characters]
    )
    # The package itself, kept in the row so that the upload and its record commit together.
    package = models.BinaryField()
    report = models.JSONField(default=dict, help_text="The dry run's report.")
    state = FSMField(default=OcfImportState.CHECKED, choices=OcfImportState.choices, protected=True)
    accepted_warnings = models.BooleanField(
        default=False, help_text="The person who uploaded it accepted the report's warnings."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who approved or cancelled it.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    issuer = models.ForeignKey(
        Issuer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ocf_imports",
        help_text="The issuer the import created.",
    )
    operation = models.ForeignKey(
        "ledger.Operation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The operation that recorded the package's transactions.",
    )
    reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why it was cancelled.",
        validators=[multiline_text_without_control_characters],
    )

    history = audited_history(excluded_fields=["package"])

    # Django adds this manager; the stubs lose it behind django-fsm's mixin, so it is named.
    objects: ClassVar[models.Manager["OcfImport"]]

    class Meta:
        ordering = ["-pk"]
        verbose_name = "OCF import"
        permissions = [
            ("approve_ocfimport", "Can approve an OCF import"),
            ("cancel_ocfimport", "Can cancel an OCF import"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=OcfImportState.values),
                name="captable_ocfimport_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state=OcfImportState.IMPORTED, issuer__isnull=False)
                | (~models.Q(state=OcfImportState.IMPORTED) & models.Q(issuer__isnull=True)),
                name="captable_ocfimport_issuer_iff_imported",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=OcfImportState.IMPORTED)
                | ~models.Q(decided_by=models.F("created_by")),
                name="captable_ocfimport_approver_is_not_maker",
            ),
        ]

    def __str__(self) -> str:
        return f"Import of {self.filename}"

    @transition(
        field=state,
        source=OcfImportState.CHECKED,
        target=OcfImportState.PROPOSED,
        permission="captable.add_ocfimport",
    )
    def confirm(self) -> None:
        """Hand the checked package to an approver (who may not be its maker)."""

    @transition(
        field=state,
        source=OcfImportState.PROPOSED,
        target=OcfImportState.IMPORTED,
        permission="captable.approve_ocfimport",
    )
    def approve(self) -> None:
        """Mark the package as imported (the import is the service's to run)."""

    @transition(
        field=state,
        source=[OcfImportState.CHECKED, OcfImportState.PROPOSED],
        target=OcfImportState.CANCELLED,
        permission="captable.cancel_ocfimport",
    )
    def cancel(self) -> None:
        """Abandon the package before it is imported."""
