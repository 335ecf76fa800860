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
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from gateway.board.database import make_engine
from gateway.board.schema import WORD_INDEX

SCRIPTS = Path(__file__).with_name("alembic")


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
    """Revisions the database has not had, oldest first: a read. A database
    that does not exist yet is waiting for all of them."""
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except Exception:  # no file yet: nothing applied  # noqa: BLE001
        return revisions()
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
    """Create the database if need be and apply what is pending; what ran."""
    engine = make_engine(setting, create=True)
    try:
        waiting = pending(engine)
        if waiting:
            with engine.connect() as conn:
                command.upgrade(_config(conn), "head")
                conn.commit()
        return waiting
    finally:
        engine.dispose()


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
