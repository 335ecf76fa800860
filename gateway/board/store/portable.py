"""The few statements SQL engines spell differently, written once."""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, Table, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite


def insert_if_new(conn: Connection, table: Table, values: dict) -> bool:
    """Insert a row unless it would break one of the table's unique keys; True
    if it was inserted. Never check-then-insert: the database's keys decide
    (ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak). On
    PostgreSQL, a row another transaction is inserting under the same key
    waits for it to end: then this inserts nothing if that one committed."""
    dialects = {"sqlite": sqlite, "postgresql": postgresql}
    statement = dialects[conn.dialect.name].insert(table).values(**values)
    # RETURNING says whether a row went in on both engines (PostgreSQL's
    # rowcount for such an insert is not to be relied on).
    inserted = statement.on_conflict_do_nothing().returning(literal_column("1"))
    return conn.execute(inserted).first() is not None


def one_at_a_time(conn: Connection, what: str) -> None:
    """Wait until no other transaction is doing `what`, and hold it until this
    one ends (PostgreSQL: a transaction-level advisory lock, per database).
    On SQLite there is nothing to wait for: BEGIN IMMEDIATE lets one writer
    in at a time already."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(lock_key(what))))


def lock_key(what: str) -> int:
    """The advisory lock's number for `what`: 64 bits of its hash, the same
    in every process (two names sharing one would only wait for each other)."""
    digest = hashlib.blake2b(what.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
