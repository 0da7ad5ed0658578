"""Locks that have no row to take: a name locked for the rest of the transaction.

``FOR UPDATE`` on an aggregate locks nothing, and there is no row to lock before the first of a
series exists; a use case that numbers a series (the versions of a rule set) serialises on the
series' name instead. On PostgreSQL that is a transaction-level advisory lock; SQLite lets one
writer at a time anyway.
"""

from django.db import connection


def name_lock(name: str) -> None:
    """Hold the lock on ``name`` until the current transaction ends; wait for it if taken."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
