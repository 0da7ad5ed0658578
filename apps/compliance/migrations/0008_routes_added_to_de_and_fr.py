"""The German semi-professional investor's 10,000,000 EUR route and the French restricted-access
fund's 30,000 EUR route, written into the rule sets already published: the law has not changed,
its encoding was incomplete, so every version gains the threshold it lacked."""

from django.db import migrations

ADDED = {
    "de_semi_professional": ("large_ticket_at_least", {"amount": "10000000.00", "currency": "EUR"}),
    "fr_min_ticket_100k": ("reduced_ticket_at_least", {"amount": "30000.00", "currency": "EUR"}),
}


def add(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, (key, amount) in ADDED.items():
        for version in rule_set.objects.filter(regime=regime):
            if key not in version.thresholds:
                version.thresholds = {**version.thresholds, key: amount}
                version.save(update_fields=["thresholds"])


def remove(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, (key, _) in ADDED.items():
        for version in rule_set.objects.filter(regime=regime):
            if key in version.thresholds:
                version.thresholds = {k: v for k, v in version.thresholds.items() if k != key}
                version.save(update_fields=["thresholds"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_rule_set_thresholds_help")]

    operations = [migrations.RunPython(add, remove)]
