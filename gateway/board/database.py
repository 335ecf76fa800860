"""The board's own database, through SQLAlchemy Core: one engine per app, and
transactions that say whether they write.

SQLite is the default (`board.sqlite3` beside the site's database); a large
organisation can give a PostgreSQL URL instead, since no board query uses
SQLite's own SQL. On SQLite, a write begins with BEGIN IMMEDIATE so that
concurrent writers queue instead of failing half way, WAL lets readers go on
meanwhile, and synchronous=FULL keeps a stored record through a power cut.
On PostgreSQL (psycopg 3), several board processes may share the database: a
write is READ COMMITTED, and the store makes each change safe there with
unique keys, ON CONFLICT, row locks and, where order matters, an advisory
lock (store/portable.py); a read is one REPEATABLE READ, READ ONLY snapshot.
Opening the engine creates nothing: only `gateway init` and `gateway migrate`
make the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

BUSY_TIMEOUT_SECONDS = 30
WRITE = "board_write"  # the execution option a write transaction carries
# Each connection keeps up to this much of the file in memory (SQLite keeps 2 MB
# unless told). The inbox reads responses by id all over a large file, and at
# 200,000 responses a word search counted in half the time with 32 MB.
CACHE_KIB = 32_000
WRITES_SEE = "READ COMMITTED"  # PostgreSQL's isolation levels, for writes
READS_SEE = "REPEATABLE READ"  # and for reads: one snapshot of the whole read


def current_engine() -> Engine:
    """The app's board engine (made by create_app where the role has a board)."""
    return current_app.extensions["board_engine"]


def database_url(setting: str) -> URL:
    """GATEWAY_BOARD_DATABASE as a URL: a plain path is a SQLite file, and
    `postgresql://` with no driver named is PostgreSQL through psycopg 3."""
    if "://" not in setting:
        return make_url(f"sqlite:///{Path(setting).resolve()}")
    url = make_url(setting)
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    return url


def shown(setting: str) -> str:
    """Where the board's database is, to print: a URL without its password."""
    return database_url(setting).render_as_string(hide_password=True)


def make_engine(setting: str, create: bool = False) -> Engine:
    """The board's engine. Unless `create`, a missing SQLite file is an error
    when first used, never an empty new database. (PostgreSQL's database is
    made by its administrator: see docs/board.md.)"""
    url = database_url(setting)
    if url.get_backend_name() != "sqlite":
        # READ COMMITTED whatever the server's default: what the store's
        # writes are made safe for (a stricter level would fail them instead).
        engine = create_engine(url, pool_pre_ping=True, isolation_level=WRITES_SEE)
        # Many rows at once (a response's answers) as one INSERT ... VALUES,
        # as SQLAlchemy does for psycopg2, not a statement a row: one round
        # trip, where intake spent most of its time.
        engine.dialect.use_insertmanyvalues_wo_returning = True
        return engine
    path = Path(url.database)
    if create:
        _create_private(path)
    engine = create_engine(
        f"sqlite:///file:{path}?mode=rw&uri=true",
        connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
    )
    _use_project_pragmas(engine)
    return engine


def _use_project_pragmas(engine: Engine) -> None:
    """SQLAlchemy's documented recipe for SQLite transactions it controls
    itself: the driver's own BEGIN is turned off, and ours is emitted."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we say when to BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        writes = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: committed at the end, rolled back on error."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads: one consistent view, never a write lock.
    (On PostgreSQL every statement would otherwise see what was committed
    since the one before, and a write in it fails.)"""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execution_options(isolation_level=READS_SEE, postgresql_readonly=True)
        with conn.begin():
            yield conn


def _create_private(path: Path) -> None:
    """Readable by its owner only: it holds what people said."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
