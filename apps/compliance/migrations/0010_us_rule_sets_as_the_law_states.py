"""The US accredited investor's rule sets as the law states them: in force from the amended
definition (2020-12-08); a 506(c) verification dated within the prior three calendar months
(not 90 days); a written re-confirmation within five years of an earlier verification; the
investments route of Rule 2a51-1(b)."""

import datetime

from django.db import migrations

REGIME = "us_reg_d_accredited"
LAW_IN_FORCE = datetime.date(2020, 12, 8)
PLACEHOLDER = datetime.date(2000, 1, 1)
ADDED = {
    "verification_valid_months": 3,
    "reconfirmation_valid_years": 5,
    "investments_over": {"amount": "5000000.00", "currency": "USD"},
}
REMOVED = {"verification_valid_days": 90}


def restate(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for version in rule_set.objects.filter(regime=REGIME):
        kept = {key: value for key, value in version.thresholds.items() if key not in REMOVED}
        version.thresholds = {**ADDED, **kept}
        fields = ["thresholds"]
        if version.version == 1 and version.effective_from == PLACEHOLDER:
            version.effective_from = LAW_IN_FORCE
            version.notes = "17 CFR 230.501(a) as amended, in force from 2020-12-08."
            fields += ["effective_from", "notes"]
        version.save(update_fields=fields)


def restore(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for version in rule_set.objects.filter(regime=REGIME):
        kept = {key: value for key, value in version.thresholds.items() if key not in ADDED}
        version.thresholds = {**REMOVED, **kept}
        if version.version == 1 and version.effective_from == LAW_IN_FORCE:
            version.effective_from = PLACEHOLDER
        version.save(update_fields=["thresholds", "effective_from"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0009_uk_rule_sets_by_the_laws_dates")]

    operations = [migrations.RunPython(restate, restore)]
