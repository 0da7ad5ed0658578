"""Write the amounts in rule set thresholds and assessment answers in the one JSON shape of money.

Both kept an amount as ``{"amount_minor": 123456, "currency": "EUR"}``; they now keep it as
``Money.to_json`` writes it, ``{"amount": "1234.56", "currency": "EUR"}``: a decimal string in
major units with exactly the currency's ISO 4217 decimals. A threshold is an amount at the top
level; an answer is one at the top level or inside a list, at any depth. Everything else is
kept as it was. The reverse writes the old shape back.

The conversion is :mod:`apps.core.migrations_money`, which never changes. It is idempotent: a
value already in the shape it writes is left as it is, such as the thresholds migration 0002
publishes through the live code.
"""

from django.db import migrations

from apps.core.migrations_money import json_column_rewrite, minor_to_new, new_to_minor

money_to_new, money_to_old = minor_to_new, new_to_minor


def thresholds_rewritten(thresholds, convert):
    return {key: convert(value) for key, value in thresholds.items()}


def answers_rewritten(answers, convert):
    def answer(value):
        if isinstance(value, list):
            return [answer(item) for item in value]
        return convert(value)

    return {key: answer(value) for key, value in answers.items()}


def rewrite_all(apps, convert):
    rule_set = apps.get_model("compliance", "RuleSet")
    assessment = apps.get_model("compliance", "Assessment")
    json_column_rewrite(rule_set, "thresholds", lambda value: thresholds_rewritten(value, convert))
    json_column_rewrite(assessment, "answers", lambda value: answers_rewritten(value, convert))


def forward(apps, schema_editor):
    rewrite_all(apps, money_to_new)


def backward(apps, schema_editor):
    rewrite_all(apps, money_to_old)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_assessment_recorded_by")]

    operations = [migrations.RunPython(forward, backward)]
