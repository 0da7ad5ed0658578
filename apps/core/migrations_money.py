"""Amounts in the JSON shape of ``Money.to_json``, for the data migrations that rewrite them.

Migrations that rewrote stored amounts from older shapes into ``{"amount": "1234.56",
"currency": "EUR"}`` depend on this module, so what it does never changes: it works in integer
arithmetic over the ``iso4217`` data that ``apps.core.money`` reads, whatever ``Money`` becomes.
A value already in the shape being written is left as it is, so every rewrite is idempotent.
"""

import re
from collections.abc import Callable
from typing import Any

from iso4217 import Currency

BATCH = 500
NEW_KEYS = frozenset({"amount", "currency"})
# The shape rule sets, assessment answers and convertible terms first kept amounts in.
MINOR_KEYS = frozenset({"amount_minor", "currency"})
AMOUNT = re.compile(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?")


def digits_of(currency: Any) -> int:
    """Return the ISO 4217 number of decimals of ``currency``; refuse anything but money."""
    try:
        exponent = Currency(currency).exponent
    except (TypeError, ValueError):
        exponent = None
    if exponent is None:
        raise ValueError(f"{currency!r} is not the ISO 4217 code of a currency")
    return exponent


def amount_text(amount_minor: int, currency: str) -> str:
    """Spell ``amount_minor`` in major units with exactly the currency's decimals."""
    digits = digits_of(currency)
    sign = "-" if amount_minor < 0 else ""
    units, decimals = divmod(abs(amount_minor), 10**digits)
    return f"{sign}{units}.{decimals:0{digits}d}" if digits else f"{sign}{units}"


def amount_minor_of(text: Any, currency: str) -> int:
    """Read an amount spelled by :func:`amount_text` back as a count of the minor unit."""
    digits = digits_of(currency)
    parts = AMOUNT.fullmatch(text) if isinstance(text, str) else None
    if parts is None or len(parts[3] or "") != digits:
        raise ValueError(f"{text!r} is not an amount of {currency}")
    magnitude = int(parts[2] + (parts[3] or ""))
    return -magnitude if parts[1] else magnitude


def new_amount(amount_minor: Any, currency: Any, *, stored: Any) -> dict[str, str]:
    """Return the new shape of an amount read from ``stored``, refusing what is not one."""
    if type(amount_minor) is not int or not isinstance(currency, str):
        raise ValueError(f"{stored!r} is not a stored amount")
    return {"amount": amount_text(amount_minor, currency), "currency": currency}


def minor_to_new(value: Any) -> Any:
    """Return ``value`` in the new shape if it is ``{"amount_minor", "currency"}``, else as is."""
    if not isinstance(value, dict) or set(value) != MINOR_KEYS:
        return value
    return new_amount(value["amount_minor"], value["currency"], stored=value)


def new_to_minor(value: Any) -> Any:
    """Return ``value`` as ``{"amount_minor", "currency"}`` if in the new shape, else as is."""
    if not isinstance(value, dict) or set(value) != NEW_KEYS:
        return value
    currency = value["currency"]
    return {"amount_minor": amount_minor_of(value["amount"], currency), "currency": currency}


def json_column_rewrite(
    model: Any, field: str, rewritten: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Store ``rewritten(value)`` in ``field`` of every row of ``model`` holding an object."""
    changed = []
    for row in model.objects.order_by("pk").only("pk", field).iterator(chunk_size=BATCH):
        stored = getattr(row, field)
        if not isinstance(stored, dict):
            continue
        value = rewritten(stored)
        if value != stored:
            setattr(row, field, value)
            changed.append(row)
    model.objects.bulk_update(changed, [field], batch_size=BATCH)
