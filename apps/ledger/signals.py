"""Events of the books, for work that may happen in any order.

``operation_executed`` is sent with ``operation_id`` once an execution has committed; never for
a rolled-back one. Work outside the database belongs there.

What must happen inside a reversal's transaction, in a fixed order, is not an event: it is the
list of steps in :mod:`apps.ledger.reversals`.
"""

from django.dispatch import Signal

operation_executed = Signal()
