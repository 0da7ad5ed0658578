"""Routes the published rule sets lacked, with the thresholds they read: the German
semi-professional investor's 10,000,000 EUR route, the French restricted-access fund's
30,000 EUR route, the Swiss per se large company, and the UK sophisticated investor's
criteria (which a later version of the law changed). The law has not changed, its encoding
was incomplete, so every version gains the thresholds it lacked."""

from django.db import migrations

ADDED = {
    "de_semi_professional": {
        "large_ticket_at_least": {"amount": "10000000.00", "currency": "EUR"},
    },
    "fr_min_ticket_100k": {
        "reduced_ticket_at_least": {"amount": "30000.00", "currency": "EUR"},
    },
    "uk_self_certified_sophisticated": {
        "routes": ["angel_network", "unlisted_investments", "private_equity_work", "director"],
    },
    "ch_finsa_opting_out": {
        "balance_sheet_total_over": {"amount": "20000000.00", "currency": "CHF"},
        "net_turnover_over": {"amount": "40000000.00", "currency": "CHF"},
        "own_funds_over": {"amount": "2000000.00", "currency": "CHF"},
    },
}


def add(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, thresholds in ADDED.items():
        for version in rule_set.objects.filter(regime=regime):
            version.thresholds = {**thresholds, **version.thresholds}
            version.save(update_fields=["thresholds"])


def remove(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, thresholds in ADDED.items():
        for version in rule_set.objects.filter(regime=regime):
            kept = {
                key: value for key, value in version.thresholds.items() if key not in thresholds
            }
            version.thresholds = kept
            version.save(update_fields=["thresholds"])


class Migration(migrations.Migration):
    dependencies = [("compliance", "0007_rule_set_thresholds_help")]

    operations = [migrations.RunPython(add, remove)]
