"""Publish version 1 of every regime's rule set, with the thresholds of the domain primer."""

import datetime

from django.db import migrations

FIRST_EFFECTIVE_DATE = datetime.date(2000, 1, 1)


def publish(apps, schema_editor):
    from apps.compliance.rules import REGIMES, thresholds_to_json

    rule_set = apps.get_model("compliance", "RuleSet")
    for code, regime in REGIMES.items():
        rule_set.objects.get_or_create(
            regime=code,
            version=1,
            defaults={
                "effective_from": FIRST_EFFECTIVE_DATE,
                "thresholds": thresholds_to_json(regime.default_thresholds),
                "notes": "First version, from the published thresholds of the regime.",
            },
        )


def withdraw(apps, schema_editor):
    apps.get_model("compliance", "RuleSet").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(publish, withdraw)]
