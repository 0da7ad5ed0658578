"""A cap table rendered as a CSV, XLSX or JSON file, numbers as exact decimal strings."""

import csv
import io
import json
from decimal import Decimal

from openpyxl import Workbook

from apps.captable.quantities import quantity_text
from apps.captable.selectors import CapTable

FORMATS = ("csv", "xlsx", "json")
COLUMNS = ["holder", "class", "units", "fully_diluted_units", "percent", "percent_fully_diluted"]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def cap_table_export(table: CapTable, *, fmt: str, convertibles_at: Decimal | None = None) -> bytes:
    """Render ``table`` in ``fmt`` (one of :data:`FORMATS`); ``convertibles_at`` is the price
    per share its convertibles were converted at, if they were, which the JSON and the XLSX
    state beside the date."""
    data = table.as_json()
    price = None if convertibles_at is None else quantity_text(convertibles_at)
    if fmt == "json":
        data["convertibles_at"] = price
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    lines = [[row[column] for column in COLUMNS] for row in data["rows"]]
    totals = ["Total", "", data["totals"]["units"], data["totals"]["fully_diluted_units"]]
    totals += ["100.00" if lines else "0", "100.00" if lines else "0"]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows([*lines, totals])
        return buffer.getvalue().encode()
    if fmt == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Cap table"
        title = f"{data['issuer']}, as of {data['as_of'] or 'today'}"
        if price is not None:
            title += f", convertibles converted at {price} {table.issuer.currency} per share"
        sheet.append([title])
        sheet.append(COLUMNS)
        # Quantities stay text: a spreadsheet number is a binary float.
        for line in [*lines, totals]:
            sheet.append(line)
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()
    raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
