"""Write the amounts in the conversion terms of securities in the one JSON shape of money.

A convertible's terms kept its principal and valuation cap as
``{"amount_minor": 123456, "currency": "EUR"}``; they now keep them as ``Money.to_json`` writes
them, ``{"amount": "1234.56", "currency": "EUR"}``: a decimal string in major units with exactly
the currency's ISO 4217 decimals. An absent cap stays ``None``, and every other term is kept as
it was. The reverse writes the old shape back.

No seal covers the terms (a movement's seal hashes its own columns, not its security's) and no
trigger freezes them, so rewriting them changes no recorded history.

The conversion is :mod:`apps.core.migrations_money`, which never changes. It is idempotent: a
value already in the shape it writes is left as it is.
"""

from django.db import migrations

from apps.core.migrations_money import json_column_rewrite, minor_to_new, new_to_minor

MONEY_TERMS = ("principal", "valuation_cap")
money_to_new, money_to_old = minor_to_new, new_to_minor


def terms_rewritten(terms, convert):
    """Return ``terms`` with its amounts converted; every other term as it is."""
    return {key: convert(value) if key in MONEY_TERMS else value for key, value in terms.items()}


def rewrite_all(apps, convert):
    security = apps.get_model("captable", "Security")
    json_column_rewrite(security, "terms", lambda terms: terms_rewritten(terms, convert))


def forward(apps, schema_editor):
    rewrite_all(apps, money_to_new)


def backward(apps, schema_editor):
    rewrite_all(apps, money_to_old)


class Migration(migrations.Migration):
    dependencies = [("captable", "0007_securities_never_below_nothing")]

    operations = [migrations.RunPython(forward, backward)]
