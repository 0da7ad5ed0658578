from datetime import date

import pytest

from apps.core.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 11, 30), 14, date(2026, 1, 30)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 3, 15), -3, date(2024, 12, 15)),
    ],
)
def test_add_months_clamps_the_day_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected
