"""Exact sums of movement quantities.

PostgreSQL adds ``numeric`` values exactly; SQLite adds decimals as binary floats, so there the
rows are added here, in Python's exact ``Decimal``.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connections, models
from django.db.models import Sum


def grouped_sums(movements: models.QuerySet, keys: Iterable[str]) -> dict[tuple, Decimal]:
    """Sum ``quantity`` by ``keys``; leave out the groups that sum to zero."""
    keys = list(keys)
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    if connections[movements.db].vendor == "postgresql":
        grouped = movements.order_by().values(*keys).annotate(total=Sum("quantity"))
        for *key, total in grouped.values_list(*keys, "total"):
            totals[tuple(key)] += total
    else:
        rows = movements.order_by().values_list(*keys, "quantity")
        for *key, quantity in rows.iterator(chunk_size=5000):
            totals[tuple(key)] += quantity
    return {key: total for key, total in totals.items() if total}


def exact_sum(movements: models.QuerySet) -> Decimal:
    """Sum ``quantity`` over ``movements``."""
    return grouped_sums(movements, []).get((), Decimal(0))


def quantity_text(value: Decimal | int) -> str:
    """Render a quantity exactly, without exponent or trailing zeros."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")
