"""Exact sums of movement quantities.

PostgreSQL adds ``numeric`` values exactly; SQLite adds decimals as binary floats, so there the
rows are added here, in Python's exact ``Decimal``.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from django.db import connections, models
from django.db.models import Sum

# A quantity has at most this many digits before the point and 10 after: 28 significant digits,
# which Python's default decimal context computes exactly (the column, numeric(38,10), holds more).
QUANTITY_INTEGER_DIGITS = 18
# Units are exact to 10 decimals; units worked out from money or a ratio are rounded down, so
# nobody is ever given more than they paid for.
UNIT_SCALE = Decimal("1E-10")
UNIT_ROUNDING = ROUND_DOWN


def units_rounded(value: Decimal) -> Decimal:
    """Round worked-out units to the unit scale, down."""
    return value.quantize(UNIT_SCALE, rounding=UNIT_ROUNDING)


def grouped_sums(movements: models.QuerySet, keys: Iterable[str]) -> dict[tuple, Decimal]:
    """Sum ``quantity`` by ``keys``; leave out the groups that sum to zero."""
    keys = list(keys)
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    connection = connections[movements.db]
    if connection.vendor == "postgresql":
        grouped = movements.order_by().values(*keys).annotate(total=Sum("quantity"))
        query = grouped.values_list(*keys, "total").query
        sql, params = query.get_compiler(connection=connection).as_sql()
        # The keys (ids, codes) and the sums as psycopg reads them: no conversion per row.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                totals[row[:-1]] += row[-1]
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
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity_shown(value: Decimal | int) -> str:
    """Render a quantity for a person: exactly, with thousands separators, without trailing
    zeros (1,234,567.5)."""
    text = f"{Decimal(value):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
