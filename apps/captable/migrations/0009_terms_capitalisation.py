"""Record in each convertible's terms the capitalisation it divides its cap by.

Until now every pre-money cap was divided by the fully diluted capitalisation before the round,
and a post-money SAFE's by the one that counts the conversions. The terms now say it, as the
instrument's standard form defines it (see :mod:`apps.captable.conversion`), and may carry a
BSA AIR's valuation floor and nominal value: the stored terms gain ``capitalisation`` (the
standard form's, from their kind and ``post_money``), ``valuation_floor`` and ``nominal_value``
(``None``). A pre-money SAFE's standard capitalisation counts the pool increase made in the
round, so its pro-forma conversions now follow its form.

The standard definitions are copied here, frozen, so that this migration never changes. It is
idempotent; the reverse removes the three terms again, and refuses to drop a floor, a nominal
value or a capitalisation other than the standard one.
"""

from django.db import migrations
from django.db.migrations.exceptions import IrreversibleError

from apps.core.migrations_money import json_column_rewrite

ADDED = ("capitalisation", "valuation_floor", "nominal_value")
PRE_MONEY_SAFE = {"unallocated_pool": True, "pool_top_up": True, "converting_instruments": False}
POST_MONEY_SAFE = {"unallocated_pool": True, "pool_top_up": False, "converting_instruments": True}
OTHERS = {"unallocated_pool": True, "pool_top_up": False, "converting_instruments": False}


def standard(terms):
    if terms.get("kind") == "safe":
        return POST_MONEY_SAFE if terms.get("post_money", True) else PRE_MONEY_SAFE
    return OTHERS


def completed(terms):
    """Return ``terms`` with the three terms added where missing; nothing else changes."""
    if "kind" not in terms or "principal" not in terms:
        return terms
    return {
        **terms,
        "capitalisation": terms.get("capitalisation", standard(terms)),
        "valuation_floor": terms.get("valuation_floor"),
        "nominal_value": terms.get("nominal_value"),
    }


def reduced(terms):
    """Return ``terms`` without the three terms; refuse to lose one that says something."""
    if not any(key in terms for key in ADDED):
        return terms
    if (
        terms.get("capitalisation", standard(terms)) != standard(terms)
        or terms.get("valuation_floor") is not None
        or terms.get("nominal_value") is not None
    ):
        raise IrreversibleError(
            "a convertible's terms carry a capitalisation, floor or nominal value the earlier "
            "shape cannot hold"
        )
    return {key: value for key, value in terms.items() if key not in ADDED}


def forward(apps, schema_editor):
    json_column_rewrite(apps.get_model("captable", "Security"), "terms", completed)


def backward(apps, schema_editor):
    json_column_rewrite(apps.get_model("captable", "Security"), "terms", reduced)


class Migration(migrations.Migration):
    dependencies = [("captable", "0008_terms_money_json")]

    operations = [migrations.RunPython(forward, backward)]
