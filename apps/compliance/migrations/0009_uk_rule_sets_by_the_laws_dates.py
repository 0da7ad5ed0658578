"""The UK statements' rule sets as the law dated them: version 1 from the Financial Promotion
Order's coming into force (2005-07-01); the interim version of the 2023 amendment order from
2024-01-31 (170,000/430,000 GBP, no unlisted-investment criterion, a 1,600,000 GBP turnover);
and from 2024-03-27 the earlier thresholds again (SI 2024/301)."""

import datetime

from django.db import migrations

LAW_IN_FORCE = datetime.date(2005, 7, 1)
PLACEHOLDER = datetime.date(2000, 1, 1)
INTERIM = datetime.date(2024, 1, 31)
RESTORED = datetime.date(2024, 3, 27)


def _gbp(major: int) -> dict:
    return {"amount": f"{major}.00", "currency": "GBP"}


INTERIM_CHANGES = {
    "uk_certified_hnw": {
        "annual_income_at_least": _gbp(170_000),
        "net_assets_at_least": _gbp(430_000),
    },
    "uk_self_certified_sophisticated": {
        "director_turnover_at_least": _gbp(1_600_000),
        "routes": ["angel_network", "private_equity_work", "director"],
    },
}
NOTES = {
    INTERIM: "The Financial Services and Markets Act 2000 (Financial Promotion) (Amendment) "
    "Order 2023, in force from 2024-01-31.",
    RESTORED: "SI 2024/301: the thresholds and criteria before 2024-01-31 again; statements "
    "made in the interim form usable until 2025-01-30.",
}


def publish(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime, changes in INTERIM_CHANGES.items():
        first = rule_set.objects.filter(regime=regime, version=1).first()
        if first is None:
            continue
        if first.effective_from == PLACEHOLDER:
            first.effective_from = LAW_IN_FORCE
            first.notes = "Financial Promotion Order 2005, in force from 2005-07-01."
            first.save(update_fields=["effective_from", "notes"])
        latest = rule_set.objects.filter(regime=regime).order_by("-version").first()
        for effective_from, thresholds in (
            (INTERIM, {**first.thresholds, **changes}),
            (RESTORED, first.thresholds),
        ):
            if rule_set.objects.filter(regime=regime, effective_from=effective_from).exists():
                continue
            latest = rule_set.objects.create(
                regime=regime,
                version=latest.version + 1,
                effective_from=effective_from,
                thresholds=thresholds,
                notes=NOTES[effective_from],
            )


def withdraw(apps, schema_editor):
    rule_set = apps.get_model("compliance", "RuleSet")
    for regime in INTERIM_CHANGES:
        rule_set.objects.filter(regime=regime, effective_from__in=[INTERIM, RESTORED]).delete()
        rule_set.objects.filter(regime=regime, version=1, effective_from=LAW_IN_FORCE).update(
            effective_from=PLACEHOLDER
        )


class Migration(migrations.Migration):
    dependencies = [("compliance", "0008_routes_added")]

    operations = [migrations.RunPython(publish, withdraw)]
