"""Events of the books, sent after the transaction that caused them has committed."""

from django.dispatch import Signal

# Sent with ``operation_id`` once an execution has committed; never for a rolled-back one.
operation_executed = Signal()
