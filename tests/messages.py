"""Error messages are what staff and partners read: tests pin them whole."""

import re


def exactly(message: str) -> str:
    """Return a ``pytest.raises(match=...)`` pattern that matches ``message`` and nothing else."""
    return f"^{re.escape(message)}$"
