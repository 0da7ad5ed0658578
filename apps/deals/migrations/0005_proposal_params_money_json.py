"""Write the amounts among the stored parameters of proposals in the one JSON shape of money.

A proposal kept an amount as ``{"money": [123456, "EUR"]}``; it now keeps it as
``Money.to_json`` writes it, ``{"amount": "1234.56", "currency": "EUR"}``: a decimal string in
major units with exactly the currency's ISO 4217 decimals. Dates (``{"date": ISO 8601}``),
decimals and rows are kept as they were. The reverse writes the old shape back.

The conversion is :mod:`apps.core.migrations_money`, which never changes. It is idempotent: a
value already in the shape it writes is left as it is.
"""

from django.db import migrations

from apps.core.migrations_money import (
    NEW_KEYS,
    amount_minor_of,
    json_column_rewrite,
    new_amount,
)

OLD_KEYS = frozenset({"money"})


def money_to_new(value):
    """Return ``value`` in the new shape if it is an amount in the old one, else as it is."""
    if not isinstance(value, dict) or set(value) != OLD_KEYS:
        return value
    stored = value["money"]
    if not isinstance(stored, list) or len(stored) != 2:
        raise ValueError(f"{value!r} is not a stored amount")
    return new_amount(*stored, stored=value)


def money_to_old(value):
    """Return ``value`` in the old shape if it is an amount in the new one, else as it is."""
    if not isinstance(value, dict) or set(value) != NEW_KEYS:
        return value
    currency = value["currency"]
    return {"money": [amount_minor_of(value["amount"], currency), currency]}


def params_rewritten(params, convert):
    return {name: convert(value) for name, value in params.items()}


def rewrite(apps, convert):
    proposal = apps.get_model("deals", "Proposal")
    json_column_rewrite(proposal, "params", lambda params: params_rewritten(params, convert))


def forward(apps, schema_editor):
    rewrite(apps, money_to_new)


def backward(apps, schema_editor):
    rewrite(apps, money_to_old)


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_text_without_control_characters")]

    operations = [migrations.RunPython(forward, backward)]
