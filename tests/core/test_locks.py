"""Row locks are taken in one place per app, so their order can be read and kept."""

import re
from pathlib import Path

APPS = Path(__file__).resolve().parents[2] / "apps"
ALLOWED = {"locks.py", "transitions.py"}


def test_rows_are_locked_only_through_each_apps_lock_helpers():
    inline = [
        f"{path.relative_to(APPS)}:{number}"
        for path in APPS.rglob("*.py")
        if "migrations" not in path.parts and path.name not in ALLOWED
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\.select_for_update\(", line)
    ]

    assert inline == []
