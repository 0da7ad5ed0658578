"""PostgreSQL-only SQL lives in ``.pg.sql`` files beside the migrations that run it.

The loader splits a file at its ``--- reverse:`` line, sends each part whole (PL/pgSQL bodies
quoted in ``$$`` keep their semicolons), refuses to reverse a file without a reverse part, and
runs nothing on other databases. No migration pastes trigger SQL into Python any more.
"""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations import Migration
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.state import ProjectState
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext

from apps.core.migrations_sql import RunPostgreSQLFile, sql_file_parse

APPS = Path(__file__).resolve().parents[2] / "apps"

FORWARD = """
CREATE FUNCTION core_sql_file_probe() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    said text := 'one; two';
BEGIN
    said := said || '; three';
    RETURN said;
END
$$;

COMMENT ON FUNCTION core_sql_file_probe() IS 'a second statement; after the body';
"""

REVERSE = """
DROP FUNCTION core_sql_file_probe();
"""

BOTH = f"{FORWARD}--- reverse:\n{REVERSE}"

# What a migration must not hold in Python: a helper of its own to run SQL on PostgreSQL, or the
# definition of a trigger or function.
PASTED = re.compile(
    r"\b_(run_)?on_postgresql\b"
    r"|CREATE\s+(OR\s+REPLACE\s+)?(CONSTRAINT\s+)?(TRIGGER|FUNCTION|PROCEDURE)\b",
    re.IGNORECASE,
)


def sql_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "0001_probe.pg.sql"
    path.write_text(text)
    return path


@pytest.fixture
def sqlite(django_db_blocker):
    """Return a connection to an in-memory SQLite database, whichever database the suite uses."""
    handler = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    )
    with django_db_blocker.unblock():
        yield handler["default"]
        handler.close_all()


def test_a_file_splits_at_its_reverse_line_with_dollar_quoted_bodies_whole():
    sql = sql_file_parse(BOTH)

    assert sql.forward == FORWARD.strip()
    assert sql.reverse == REVERSE.strip()


def test_a_migration_reads_the_pg_sql_file_beside_it(tmp_path):
    sql_file(tmp_path, BOTH)

    operation = RunPostgreSQLFile(tmp_path / "0001_probe.py")

    assert operation.path == tmp_path / "0001_probe.pg.sql"
    assert operation.sql == [FORWARD.strip()]
    assert operation.reverse_sql == [REVERSE.strip()]


def test_a_file_without_a_reverse_part_refuses_to_be_reversed(tmp_path, sqlite):
    operation = RunPostgreSQLFile(sql_file(tmp_path, FORWARD))
    migration = Migration("0001_probe", "core")
    migration.operations = [operation]

    assert not operation.reversible
    with sqlite.schema_editor(atomic=False) as editor:
        with pytest.raises(IrreversibleError):
            migration.unapply(ProjectState(), editor)
        with pytest.raises(NotImplementedError):
            operation.database_backwards("core", editor, ProjectState(), ProjectState())


def test_an_empty_reverse_part_undoes_nothing(tmp_path):
    operation = RunPostgreSQLFile(sql_file(tmp_path, f"{FORWARD}--- reverse:\n\n"))

    assert operation.reversible
    assert operation.reverse_sql == RunPostgreSQLFile.noop


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("-- only a comment\n--- reverse:\nDROP TABLE t;\n", id="comments only"),
        pytest.param(f"{BOTH}--- reverse:\n{REVERSE}", id="two reverse lines"),
    ],
)
def test_a_malformed_file_is_refused_when_its_migration_loads(tmp_path, text):
    with pytest.raises(ValueError, match=re.escape("0001_probe.pg.sql")):
        RunPostgreSQLFile(sql_file(tmp_path, text))


def test_sqlite_runs_nothing_either_way(tmp_path, sqlite):
    operation = RunPostgreSQLFile(sql_file(tmp_path, BOTH))

    with (
        sqlite.schema_editor(atomic=False) as editor,
        CaptureQueriesContext(sqlite) as queries,
    ):
        operation.database_forwards("core", editor, ProjectState(), ProjectState())
        operation.database_backwards("core", editor, ProjectState(), ProjectState())

    assert [query["sql"] for query in queries if "probe" in query["sql"]] == []


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="runs the SQL on PostgreSQL")
def test_postgresql_runs_the_forward_part_whole_then_the_reverse_part(tmp_path):
    operation = RunPostgreSQLFile(sql_file(tmp_path, BOTH))

    with connection.schema_editor() as editor:
        operation.database_forwards("core", editor, ProjectState(), ProjectState())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT core_sql_file_probe(), "
            "obj_description('core_sql_file_probe'::regproc, 'pg_proc')"
        )
        assert cursor.fetchone() == ("one; two; three", "a second statement; after the body")

    with connection.schema_editor() as editor:
        operation.database_backwards("core", editor, ProjectState(), ProjectState())
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc('core_sql_file_probe')")
        assert cursor.fetchone() == (None,)


def test_migrations_keep_their_postgresql_in_sql_files():
    pasted = [
        f"{path.relative_to(APPS)}: {match.group(0)}"
        for path in sorted(APPS.glob("*/migrations/*.py"))
        for match in PASTED.finditer(path.read_text())
    ]

    assert pasted == []


def test_every_sql_file_is_run_by_its_migration_and_can_be_reversed():
    files = sorted(APPS.glob("*/migrations/*.pg.sql"))

    assert files
    for path in files:
        migration = path.with_name(path.name.removesuffix(".pg.sql") + ".py")
        assert "RunPostgreSQLFile(__file__)" in migration.read_text(), path
        assert sql_file_parse(path.read_text()).reverse, path
