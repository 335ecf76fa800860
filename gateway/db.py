"""Opening the SQLite database safely for many threads, and writing to it.

WAL so readers never wait for writers; synchronous=FULL because an answer
that got a reply must survive a power cut; BEGIN IMMEDIATE for every
read-modify-write so concurrent writers queue instead of failing.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlite_utils
from flask import current_app, g

BUSY_TIMEOUT_SECONDS = 30
_savepoints = itertools.count()


class GatewayDatabase(sqlite_utils.Database):
    """sqlite-utils, with reads that cost one statement instead of three.

    sqlite-utils wraps every query() in a savepoint so that it can refuse
    statements that return no rows. The store only queries with SELECT and
    PRAGMA, and an SMS reply runs a dozen reads, so the savepoints were a
    large share of its time.
    """

    def query(self, sql: str, params=None):
        cursor = self.conn.execute(sql, params or ())
        names = [column[0] for column in cursor.description]
        return iter([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])


def connect(path: str | Path) -> GatewayDatabase:
    """A new connection to the gateway's database with the project's pragmas."""
    _create_private(Path(path))
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS)
    db = GatewayDatabase(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _create_private(path: Path) -> None:
    """Make the file readable by its owner only: it holds phone numbers.

    SQLite gives the -wal and -shm files the same permissions as the database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


@contextmanager
def write_txn(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One atomic read-modify-write: takes the write lock before the first read.

    Inside another write_txn it simply joins that transaction: the outermost
    one commits or rolls back the lot.
    """
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException:
        # Also when COMMIT itself fails (a full disk): a transaction left open
        # would be joined, silently, by every later write on this connection.
        db.rollback()
        raise


@contextmanager
def savepoint(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Inside a write_txn: a part that, if it fails, is undone alone. If the
    failure took the whole transaction with it (SQLite may, on a full disk),
    there is no part left to undo: the failure itself is raised, and the
    caller must not carry on as if only the part were gone."""
    name = f"part_{next(_savepoints)}"
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute(f"ROLLBACK TO {name}")
            db.conn.execute(f"RELEASE {name}")
        raise
    db.conn.execute(f"RELEASE {name}")


def get_db() -> sqlite_utils.Database:
    """This thread's connection to the app's database, opened once and kept.

    Opening a connection and closing it again (SQLite checkpoints the WAL when
    the last one closes) cost more than a kiosk tap's own work, so each
    server thread keeps its own. A request never leaves a transaction open on it.
    """
    if "db" not in g:
        g.db = _thread_connection(current_app.config["DATABASE"])
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    """At the end of a request: roll back anything left open, keep the connection."""
    db = g.pop("db", None)
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


_threads = threading.local()
KEPT_PER_THREAD = 4  # databases a thread keeps connections to (tests use many)


def _thread_connection(path: str) -> GatewayDatabase:
    kept: dict[str, GatewayDatabase] = _threads.__dict__.setdefault("kept", {})
    db = kept.pop(path, None) or connect(path)
    kept[path] = db  # the most recently used last
    while len(kept) > KEPT_PER_THREAD:
        kept.pop(next(iter(kept))).close()
    return db


def backup_database(source: str | Path, destination: str | Path) -> None:
    """A consistent copy while the service runs, using SQLite's online backup."""
    with sqlite3.connect(str(source), timeout=BUSY_TIMEOUT_SECONDS) as src:
        dest = sqlite3.connect(str(destination))
        try:
            src.backup(dest)
        finally:
            dest.close()
    src.close()
