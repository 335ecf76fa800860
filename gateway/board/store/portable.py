"""The few statements SQL engines spell differently, written once."""

from __future__ import annotations

from sqlalchemy import Connection, Table, literal_column
from sqlalchemy.dialects import postgresql, sqlite


def insert_if_new(conn: Connection, table: Table, values: dict) -> bool:
    """Insert a row unless it would break one of the table's unique keys; True
    if it was inserted. Never check-then-insert: the database's keys decide
    (ON CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak)."""
    dialects = {"sqlite": sqlite, "postgresql": postgresql}
    statement = dialects[conn.dialect.name].insert(table).values(**values)
    # RETURNING says whether a row went in on both engines (PostgreSQL's
    # rowcount for such an insert is not to be relied on).
    inserted = statement.on_conflict_do_nothing().returning(literal_column("1"))
    return conn.execute(inserted).first() is not None
