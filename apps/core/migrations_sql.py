"""Run a migration's PostgreSQL from a file beside it, on PostgreSQL alone.

Triggers, their functions and the other invariants the database keeps itself are SQL, so
they live in ``<migration>.pg.sql`` files where they read, diff and review as SQL, not as strings
pasted into Python. A file holds the forward SQL, then a line ``--- reverse:``, then the SQL that
undoes it::

    CREATE FUNCTION ... $$ ... $$;
    CREATE TRIGGER ...;
    --- reverse:
    DROP TRIGGER ...;
    DROP FUNCTION ...;

Each part is sent to PostgreSQL whole, in one ``execute``: splitting it on ``;`` would cut the
PL/pgSQL bodies quoted in ``$$``, and PostgreSQL runs several statements sent at once in order,
inside the migration's transaction. Other databases (SQLite in development and tests) skip the
file: the ORM keeps the same rules there. A file without a reverse part makes its migration
irreversible, as ``RunSQL`` without ``reverse_sql`` does; a reverse part left empty undoes
nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

REVERSE_MARKER = "--- reverse:"
SUFFIX = ".pg.sql"


@dataclass(frozen=True)
class SqlFile:
    """The two parts of a SQL file: what a migration applies, and what undoes it (or None)."""

    forward: str
    reverse: str | None


def sql_file_parse(text: str) -> SqlFile:
    """Split ``text`` at its ``--- reverse:`` line; refuse a file with no forward SQL."""
    lines = text.splitlines(keepends=True)
    markers = [number for number, line in enumerate(lines) if line.strip() == REVERSE_MARKER]
    if len(markers) > 1:
        raise ValueError(f"a SQL file has one {REVERSE_MARKER!r} line at most, not {len(markers)}")
    if markers:
        forward = "".join(lines[: markers[0]])
        reverse = "".join(lines[markers[0] + 1 :])
    else:
        forward, reverse = text, None
    if _is_blank(forward):
        raise ValueError("a SQL file opens with the SQL it applies: this one has none")
    return SqlFile(
        forward=_trimmed(forward), reverse=None if reverse is None else _trimmed(reverse)
    )


def sql_file_read(path: str | Path) -> SqlFile:
    """Read and split the SQL file at ``path``."""
    try:
        return sql_file_parse(Path(path).read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


class RunPostgreSQLFile(migrations.RunSQL):
    """Apply a ``.pg.sql`` file forward, and its reverse part backward, on PostgreSQL only.

    ``path`` is the migration's ``__file__``, whose ``<name>.pg.sql`` sibling is read, or the
    path of a SQL file itself. The file is read when the migration is loaded, so a missing or
    malformed file fails at once, on every database.
    """

    def __init__(self, path: str | Path):
        path = Path(path)
        self.path = path.with_suffix(SUFFIX) if path.suffix == ".py" else path
        sql = sql_file_read(self.path)
        # RunSQL also takes (statement, parameters) pairs in its list; this file has none.
        reverse_sql: str | list[str | tuple[str, Any]] | None
        if sql.reverse is None:
            reverse_sql = None
        elif sql.reverse:
            reverse_sql = [sql.reverse]
        else:
            reverse_sql = migrations.RunSQL.noop
        # A list of one statement: RunSQL executes it as given rather than splitting it.
        super().__init__(sql=[sql.forward], reverse_sql=reverse_sql)

    def deconstruct(self) -> tuple[str, Sequence[Any], dict[str, Any]]:
        return Operation.deconstruct(self)

    def describe(self) -> str:
        return f"Run {self.path.name} on PostgreSQL"

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        if not self.reversible:
            raise NotImplementedError(f"{self.path.name} has no {REVERSE_MARKER!r} part")
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _trimmed(sql: str) -> str:
    # Blank lines go; the first line keeps its indent, so the part reads as the file does.
    return sql.strip("\n").rstrip()


def _is_blank(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())
