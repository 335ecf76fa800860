"""SQL for this install's identity (meta) and for participants."""

from __future__ import annotations

import sqlite_utils

Database = sqlite_utils.Database


# Meta: this install's identity -------------------------------------------------


def get_meta(db: Database, key: str) -> str | None:
    rows = list(db.query("SELECT value FROM meta WHERE key = ?", [key]))
    return rows[0]["value"] if rows else None


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def set_meta_once(db: Database, key: str, value: str) -> str:
    """Set `key` unless it is set already; return the value that holds."""
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [key, value])
    return get_meta(db, key)


# Participants -----------------------------------------------------------------


def ensure_participant(
    db: Database,
    participant_id: str,
    now: str,
    phone: str | None = None,
    is_test: bool = False,
) -> bool:
    """Make sure the participant exists; True if they are new."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO participants (id, created_at, is_test) VALUES (?, ?, ?)",
        [participant_id, now, int(is_test)],
    )
    if phone is not None:
        db.execute(
            "INSERT INTO participant_numbers (participant_id, phone) VALUES (?, ?) "
            "ON CONFLICT (participant_id) DO UPDATE SET phone = excluded.phone",
            [participant_id, phone],
        )
    return cursor.rowcount == 1
