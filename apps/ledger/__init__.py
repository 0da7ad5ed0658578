"""The books: accounts, operations as audited state machines, balanced append-only entries."""
