"""A transaction a test opens and always rolls back, such as a property test's example."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a transaction that is always rolled back.

    It is marked as a test case's own transaction (as Django's ``TestCase`` marks its), so the
    durable transactions of the use cases called inside run as they would at the top of a request.
    """
    atomic = transaction.atomic()
    atomic._from_testcase = True
    with atomic:
        try:
            yield
        finally:
            transaction.set_rollback(True)
