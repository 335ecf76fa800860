"""Bringing a database up to date: each area's schema history, and what follows
the settings and keys (the site's name, participants' pseudonyms).

Only `gateway init` and `gateway migrate` write here. The app and the other
commands only ask what is waiting, so starting the gateway never changes its
database. The histories themselves are gateway/store/migrations.py (the
site's database, every role) and, where the role has a board, the board's own
database's Alembic revisions (gateway/board/migrations.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.db import write_txn
from gateway.privacy import key_fingerprint, read_key

Database = sqlite_utils.Database
Migration = Callable[[Database], None]

ROLES_WITH_A_BOARD = {"board", "both"}


@dataclass(frozen=True)
class History:
    """One area's schema changes, applied in order, each recorded by its name.

    Names are unique across histories, as all share the `migrations` table.
    """

    name: str
    migrations: tuple[Migration, ...]
    # A part of a migration from the single list kept before the split, and the
    # name that list recorded: a database with that name has had the part.
    split_from: Mapping[str, str] = field(default_factory=dict)

    def is_done(self, migration: Migration, done: set[str]) -> bool:
        name = migration.__name__
        return name in done or self.split_from.get(name) in done


def histories() -> tuple[History, ...]:
    """The histories of the site's database (every role has one)."""
    from gateway.store import migrations as site

    return (History("site", site.MIGRATIONS, site.SPLIT_FROM),)


def board_pending(config: Mapping) -> list[str]:
    """The board database's revisions not yet applied, as "board NNNN"; none
    for a role without a board. Reads only (a missing file waits for all)."""
    if config["ROLE"] not in ROLES_WITH_A_BOARD:
        return []
    # Imported only here: a site never imports the board.
    from gateway.board import migrations as board
    from gateway.board.database import make_engine

    engine = make_engine(config["BOARD_DATABASE"])
    try:
        return [f"board {revision}" for revision in board.pending(engine)]
    finally:
        engine.dispose()


def applied(db: Database) -> set[str]:
    if "migrations" not in db.table_names():
        return set()
    return {row["name"] for row in db.query("SELECT name FROM migrations")}


def pending(db: Database) -> list[str]:
    """Names of the migrations the site's database is waiting for: a read."""
    done = applied(db)
    return [
        migration.__name__
        for history in histories()
        for migration in history.migrations
        if not history.is_done(migration, done)
    ]


def migrate(db: Database) -> list[str]:
    """Apply what has not been applied, each in its own transaction."""
    if not pending(db):  # a read: no write lock just to find nothing
        return []
    with write_txn(db):
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT)"
        )
    ran = []
    for history in histories():
        for migration in history.migrations:
            with write_txn(db):
                if history.is_done(migration, applied(db)):
                    continue
                migration(db)
                db.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    [migration.__name__, datetime.now(UTC).isoformat()],
                )
            ran.append(migration.__name__)
    return ran


# Everything `gateway migrate` does --------------------------------------------


@dataclass(frozen=True)
class Upgrade:
    """What `gateway migrate` has to do (or did) to a database."""

    migrations: list[str] = field(default_factory=list)
    site_name: str | None = None  # the name to record, if it changed
    stale_pseudonyms: int = 0  # people keyed with a pseudonym key since replaced

    def __bool__(self) -> bool:
        return bool(self.migrations or self.site_name or self.stale_pseudonyms)

    def done_line(self) -> str:
        """One plain line on what was done, for `gateway migrate`."""
        if not self:
            return "Nothing to do: the database is up to date."
        done = []
        if self.migrations:
            changes = _count(len(self.migrations), "change")
            done.append(f"upgraded the database ({changes})")
        if self.site_name is not None:
            done.append(f"recorded the site's name as '{self.site_name}'")
        if self.stale_pseudonyms:
            people = _count(self.stale_pseudonyms, "person", "people")
            done.append(f"set {people} to move to the current pseudonym key")
        *first, last = done
        return f"Done: {', '.join(first)} and {last}." if first else f"Done: {last}."

    def why_not_start(self, then: str) -> str:
        """Why a command will not run on this database yet, and what to do."""
        if self.migrations:
            reason = "The database needs upgrading."
        elif self.stale_pseudonyms:
            reason = "Some people here are still under an old pseudonym key."
        else:
            reason = f"The site's name has changed to '{self.site_name}'."
        return f"{reason} Run `gateway migrate`, then {then}."


def what_needs_doing(db: Database, config: Mapping) -> Upgrade:
    """What `gateway migrate` would do here. Reads only."""
    tables = set(db.table_names())
    site_name = None
    if "meta" in tables and store.core.get_meta(db, "site_name") != config["SITE"]:
        site_name = config["SITE"]
    stale = 0
    key = _pseudonym_key(config)
    if key and "participant_numbers" in tables and not pending(db):
        stale = store.participants.not_keyed_with(db, key_fingerprint(key))
    return Upgrade(pending(db) + board_pending(config), site_name, stale)


def bring_up_to_date(db: Database, config: Mapping) -> Upgrade:
    """Apply pending migrations, record the site's name and re-key anyone keyed
    with a replaced pseudonym key; return what was done. Safe to run again."""
    ran = migrate(db) + _upgrade_board(db, config)
    waiting = what_needs_doing(db, config)  # reads: nothing else may be left
    rekeyed = 0
    if waiting.site_name is not None:
        with write_txn(db):
            store.core.set_meta(db, "site_name", config["SITE"])
    if waiting.stale_pseudonyms:  # the worker works them out again
        with write_txn(db):
            key = key_fingerprint(_pseudonym_key(config))
            rekeyed = store.participants.unkey_all_but(db, key)
    return Upgrade(ran, waiting.site_name, rekeyed)


def _upgrade_board(db: Database, config: Mapping) -> list[str]:
    if config["ROLE"] not in ROLES_WITH_A_BOARD:
        return []
    from gateway.board import migrations as board

    ran = board.upgrade(config["BOARD_DATABASE"])
    put_own_site_on_board(db, config)
    return [f"board {revision}" for revision in ran]


def put_own_site_on_board(db: Database, config: Mapping) -> None:
    """In `both`, the install's own site on its board, so staff can choose it
    (for a paper card) before its first sync. Safe to repeat."""
    site_id = store.core.get_meta(db, "site_id")
    if config["ROLE"] != "both" or not site_id:
        return
    from gateway.board.database import make_engine, writing
    from gateway.board.store import sites

    engine = make_engine(config["BOARD_DATABASE"])
    try:
        with writing(engine) as conn:
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            sites.ensure_local_site(conn, config["SITE"], site_id, now)
    finally:
        engine.dispose()


def _pseudonym_key(config: Mapping) -> bytes | None:
    return read_key(pseudonym_key_file(Path(config["INSTANCE_PATH"])))


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"
