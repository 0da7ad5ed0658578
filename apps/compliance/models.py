"""Qualification rule sets and assessments, sanctions lists and screening hits.

A rule set is one version of a regime's thresholds, in force from its effective date; a new
version changes outcomes from that date on and never touches an assessment already made, which
keeps pointing at the version it was made under. Assessments and imported list entries are
written once.
"""

from django.conf import settings
from django.db import models

from apps.core.validators import (
    multiline_text_without_control_characters,
    text_without_control_characters,
)


class Outcome(models.TextChoices):
    QUALIFIED = "qualified", "Qualified"
    NOT_QUALIFIED = "not_qualified", "Not qualified"
    NEEDS_EVIDENCE = "needs_evidence", "Needs evidence"


class RuleSet(models.Model):
    regime = models.CharField(max_length=40)
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    thresholds = models.JSONField(
        help_text='Amounts as {"amount": "1234.56", "currency": "EUR"}: major units, with '
        "exactly the currency's ISO 4217 decimals."
    )
    notes = models.TextField(blank=True, validators=[multiline_text_without_control_characters])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["regime", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "version"], name="compliance_ruleset_version"
            ),
            models.UniqueConstraint(
                fields=["regime", "effective_from"], name="compliance_ruleset_effective_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.regime} v{self.version} (from {self.effective_from})"


class Assessment(models.Model):
    """One decision on whether an investor qualifies under a regime, with its reasons."""

    investor = models.ForeignKey(
        "investors.Investor", on_delete=models.PROTECT, related_name="assessments"
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="assessments")
    regime = models.CharField(max_length=40)
    answers = models.JSONField(default=dict, blank=True)
    evidence = models.TextField(
        blank=True,
        help_text="What was seen: documents, references.",
        validators=[multiline_text_without_control_characters],
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reasons = models.JSONField(default=list, validators=[multiline_text_without_control_characters])
    assessed_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the rules decided.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who entered the answers and asked for the assessment.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        permissions = [("decide_assessment", "Can decide qualifications")]
        indexes = [
            models.Index(
                fields=["investor", "regime", "-assessed_on"], name="compliance_assessment_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.investor} · {self.regime}: {self.get_outcome_display()}"


class SanctionsList(models.Model):
    name = models.CharField(max_length=200, validators=[text_without_control_characters])
    source_name = models.CharField(
        max_length=300, blank=True, validators=[text_without_control_characters]
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    entry_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.imported_at:%Y-%m-%d}, {self.entry_count} entries)"


class SanctionsEntry(models.Model):
    sanctions_list = models.ForeignKey(
        SanctionsList, on_delete=models.CASCADE, related_name="entries"
    )
    entry_id = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    aliases = models.JSONField(default=list, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    birth_year = models.PositiveIntegerField(null=True, blank=True)
    countries = models.JSONField(default=list, blank=True)
    list_name = models.CharField(max_length=60, blank=True)
    listed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["sanctions_list", "entry_id"]
        verbose_name_plural = "sanctions entries"
        constraints = [
            models.UniqueConstraint(
                fields=["sanctions_list", "entry_id"], name="compliance_entry_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.name}"


class HitState(models.TextChoices):
    OPEN = "open", "Open: to review"
    CLEARED = "cleared", "Cleared: not the same person"
    CONFIRMED = "confirmed", "Confirmed match"


class ScreeningHit(models.Model):
    """A possible match of an investor (or one of its beneficial owners) on a sanctions list."""

    investor = models.ForeignKey(
        "investors.Investor", on_delete=models.PROTECT, related_name="screening_hits"
    )
    beneficial_owner = models.ForeignKey(
        "investors.BeneficialOwner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="screening_hits",
    )
    entry = models.ForeignKey(SanctionsEntry, on_delete=models.PROTECT, related_name="hits")
    screened_name = models.CharField(max_length=300)
    score = models.PositiveSmallIntegerField()
    name_score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    state = models.CharField(max_length=16, choices=HitState.choices, default=HitState.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(
        blank=True, validators=[multiline_text_without_control_characters]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["state", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["investor", "entry"],
                condition=models.Q(beneficial_owner__isnull=True),
                name="compliance_hit_once_per_investor",
            ),
            models.UniqueConstraint(
                fields=["beneficial_owner", "entry"],
                condition=models.Q(beneficial_owner__isnull=False),
                name="compliance_hit_once_per_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.screened_name} ~ {self.entry.name} ({self.score})"
