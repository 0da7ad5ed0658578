"""Write the stored parameters of proposals as the API shows them: plain JSON, no wrappers.

A proposal kept each parameter in a wrapper saying what it was: an amount as
``{"money": [123456, "EUR"]}``, a date as ``{"date": "2026-03-31"}``, a decimal as
``{"decimal": "12.5"}``, a row as ``{"model": "investors.Investor", "pk": 7}``. It now keeps an
amount as ``Money.to_json`` writes it, ``{"amount": "1234.56", "currency": "EUR"}`` (a decimal
string in major units with exactly the currency's ISO 4217 decimals), a date as its ISO 8601
string, a decimal as its string and a row as its primary key; the service reads each one back
as the plan's signature annotates it. Flags, whole numbers, texts and nulls were and stay plain.

Forwards, each wrapper says what it holds, so every one is unwrapped whatever the action. The
reverse must know what a plain value is: :data:`KINDS`, frozen here from the plans' signatures
as they were when this was written, names the kind of every parameter that had a wrapper, and
the wrapper is written back. Amounts are converted by :mod:`apps.core.migrations_money`, which
never changes. Both ways are idempotent: a value already in the shape being written is left as
it is. A malformed wrapper stops the migration, which then writes nothing.
"""

from django.db import migrations

from apps.core.migrations_money import BATCH, NEW_KEYS, amount_minor_of, new_amount

# action -> {parameter: kind}; a kind is "money", "date", "decimal" or the label of the model
# whose primary key the parameter holds. Parameters not named here were kept plain both ways.
KINDS = {
    "closing": {"effective_date": "date"},
    "capital_call": {"amount": "money", "call_date": "date", "due_date": "date"},
    "call_payment": {"notice": "deals.CapitalCallNotice", "amount": "money", "paid_on": "date"},
    "distribution": {"proceeds": "money", "on": "date"},
    "interest": {"start": "date", "end": "date"},
    "management_fee": {"period_start": "date", "period_end": "date"},
    "secondary_transfer": {
        "seller": "investors.Investor",
        "buyer": "investors.Investor",
        "units": "decimal",
        "price": "money",
        "on": "date",
    },
}

MONEY_KEYS = frozenset({"money"})
TEXT_WRAPPERS = (frozenset({"date"}), frozenset({"decimal"}))
ROW_KEYS = frozenset({"model", "pk"})


def to_plain(action, name, value):
    """Return ``value`` unwrapped if it is in one of the old wrappers, else as it is."""
    keys = set(value) if isinstance(value, dict) else None
    if keys == MONEY_KEYS:
        stored = value["money"]
        if not isinstance(stored, list) or len(stored) != 2:
            raise ValueError(f"{value!r} is not a stored amount")
        return new_amount(*stored, stored=value)
    if keys in TEXT_WRAPPERS:
        (key,) = keys
        if not isinstance(value[key], str):
            raise ValueError(f"{value!r} is not a stored {key}")
        return value[key]
    if keys == ROW_KEYS:
        if type(value["pk"]) is not int or not isinstance(value["model"], str):
            raise ValueError(f"{value!r} is not a stored row")
        return value["pk"]
    return value


def to_wrapped(action, name, value):
    """Return ``value`` in the old wrapper of its kind if it is plain, else as it is."""
    kind = KINDS.get(action, {}).get(name)
    if kind == "money":
        if not isinstance(value, dict) or set(value) != NEW_KEYS:
            return value
        currency = value["currency"]
        return {"money": [amount_minor_of(value["amount"], currency), currency]}
    if kind in ("date", "decimal"):
        return {kind: value} if isinstance(value, str) else value
    if kind is not None and type(value) is int:
        return {"model": kind, "pk": value}
    return value


def params_rewritten(action, params, convert):
    return {name: convert(action, name, value) for name, value in params.items()}


def rewrite(apps, convert):
    """Store every proposal's parameters as ``convert`` writes them, in batches."""
    proposal = apps.get_model("deals", "Proposal")
    rows = proposal.objects.order_by("pk").only("pk", "action", "params")
    changed = []
    for row in rows.iterator(chunk_size=BATCH):
        if not isinstance(row.params, dict):
            continue
        params = params_rewritten(row.action, row.params, convert)
        if params != row.params:
            row.params = params
            changed.append(row)
    proposal.objects.bulk_update(changed, ["params"], batch_size=BATCH)


def forward(apps, schema_editor):
    rewrite(apps, to_plain)


def backward(apps, schema_editor):
    rewrite(apps, to_wrapped)


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_text_without_control_characters")]

    operations = [migrations.RunPython(forward, backward)]
