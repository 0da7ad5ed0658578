"""Calendar arithmetic shared by the domains."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months, clamping the day to the month's end."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
