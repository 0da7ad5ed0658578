"""Events of the books.

``reversal_posting`` is sent inside the transaction that executes a reversal, after its entries
are written and before it commits, with ``reversal`` and ``original`` (both locked). Higher
layers undo what they recorded with the original (holding movements, deal records) there, so
the whole reversal commits or nothing does; a receiver refuses by raising.

``operation_executed`` is sent with ``operation_id`` once an execution has committed; never for
a rolled-back one. Work outside the database belongs there.
"""

from django.dispatch import Signal

reversal_posting = Signal()
operation_executed = Signal()
