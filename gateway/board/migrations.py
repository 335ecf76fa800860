"""The board's schema history, kept by Alembic in gateway/board/alembic/.

The board's database is its own (GATEWAY_BOARD_DATABASE), so its history is
apart from every site's: the board can move to PostgreSQL with the same
revisions, and no site ever runs one. A new revision is made from a change
to gateway/board/schema.py with

    .venv/bin/python -m gateway.board.migrations new "what it changes"

and then read and tidied by hand. Never edit a revision that has shipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from gateway.board.database import make_engine
from gateway.board.schema import WORD_INDEX
from gateway.board.store.portable import lock_key

SCRIPTS = Path(__file__).with_name("alembic")
UPGRADE_LOCK = lock_key("upgrading the board's schema")  # held on PostgreSQL


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def described_by_schema(_object, name, type_, reflected, _compare_to) -> bool:
    """Alembic's include_object: what a comparison with schema.py looks at.
    It leaves out SQLite's word index (FTS5) and the tables FTS5 keeps for
    it, which revision 0002 makes by hand."""
    return not (type_ == "table" and reflected and name.startswith(WORD_INDEX))


def revisions() -> list[str]:
    """Every revision, oldest first."""
    scripts = ScriptDirectory.from_config(_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def pending(engine: Engine) -> list[str]:
    """Revisions the database has not had, oldest first: a read. A SQLite
    file that does not exist yet is waiting for all of them; a PostgreSQL
    database that cannot be reached is an error (OperationalError), not a
    database to upgrade."""
    try:
        with engine.connect() as conn:
            return _pending_in(conn)
    except Exception:  # noqa: BLE001 - on SQLite: no file yet, nothing applied
        if engine.dialect.name != "sqlite":
            raise
        return revisions()


def _pending_in(conn: Connection) -> list[str]:
    current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        return revisions()
    scripts = ScriptDirectory.from_config(_config())
    applied = {
        script.revision
        for head in current
        for script in scripts.iterate_revisions(head, "base")
    }
    return [revision for revision in revisions() if revision not in applied]


def upgrade(setting: str) -> list[str]:
    """Create the database if need be and apply what is pending; what ran.
    On PostgreSQL, `gateway migrate` run on two servers at once takes turns:
    the second finds nothing left to do."""
    engine = make_engine(setting, create=True)
    try:
        if not pending(engine):  # a read: no lock just to find nothing
            return []
        with engine.connect() as conn, _one_upgrade_at_a_time(conn):
            waiting = _pending_in(conn)
            conn.commit()  # Alembic begins its own transactions
            if waiting:
                command.upgrade(_config(conn), "head")
                conn.commit()
        return waiting
    finally:
        engine.dispose()


@contextmanager
def _one_upgrade_at_a_time(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, hold a session advisory lock while upgrading. (SQLite
    lets one writer in at a time already.)"""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK})
        conn.commit()


def _new_revision(message: str) -> None:
    """For maintainers: a revision from the difference between schema.py and
    an empty database brought up to date, in a scratch folder."""
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        setting = str(Path(scratch) / "board.sqlite3")
        upgrade(setting)
        engine = make_engine(setting)
        with engine.connect() as conn:
            command.revision(_config(conn), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":  # python -m gateway.board.migrations new "message"
    if len(sys.argv) != 3 or sys.argv[1] != "new":
        raise SystemExit('usage: python -m gateway.board.migrations new "message"')
    _new_revision(sys.argv[2])
