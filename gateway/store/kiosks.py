"""SQL for kiosk devices and kiosk conversations: names, keys, starts and screens."""

from __future__ import annotations

import sqlite_utils

from gateway.ids import uuid7
from gateway.store.conversations import OpenSession, _open_session

Database = sqlite_utils.Database


# Devices -------------------------------------------------------------------------


def add_kiosk(
    db: Database,
    *,
    name: str,
    key: str,
    flow_id: str | None,
    now: str,
    base_url: str | None = None,
) -> str:
    """A new kiosk; `base_url` is how its tablet reaches this gateway, if given."""
    kiosk_id = uuid7()
    db.execute(
        """INSERT INTO kiosks (id, name, key, flow_id, created_at, base_url)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [kiosk_id, name, key, flow_id, now, base_url],
    )
    return kiosk_id


def kiosk_by_key(db: Database, key: str) -> dict | None:
    """The kiosk this URL key belongs to, if it is in use (not retired)."""
    rows = list(
        db.query(
            """SELECT id, name, key, flow_id, created_at FROM kiosks
               WHERE key = ? AND retired_at IS NULL""",
            [key],
        )
    )
    return rows[0] if rows else None


def kiosk_by_name(db: Database, name: str) -> dict | None:
    rows = list(db.query("SELECT * FROM kiosks WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_kiosks(db: Database) -> list[dict]:
    return list(
        db.query(
            """SELECT k.name, k.key, k.flow_id, k.created_at, k.retired_at,
                   k.base_url,
                   (SELECT count(*) FROM responses r
                    WHERE r.kiosk = k.name AND r.status != 'open') AS responses
               FROM kiosks k ORDER BY k.name"""
        )
    )


def retire_kiosk(db: Database, name: str, now: str) -> bool:
    cursor = db.execute(
        "UPDATE kiosks SET retired_at = ? WHERE name = ? AND retired_at IS NULL",
        [now, name],
    )
    return cursor.rowcount == 1


# Conversations on a kiosk ----------------------------------------------------------


def started_by(db: Database, start_key: str) -> str | None:
    """The response a Start tap with this key already began, if any."""
    rows = list(
        db.query(
            "SELECT response_id FROM kiosk_starts WHERE start_key = ?", [start_key]
        )
    )
    return rows[0]["response_id"] if rows else None


def starts_since(db: Database, kiosk_name: str, since: str) -> int:
    """How many conversations this kiosk started after `since`."""
    return db.execute(
        """SELECT count(*) FROM responses
           WHERE kiosk = ? AND started_at > ? AND channel = 'kiosk'""",
        [kiosk_name, since],
    ).fetchone()[0]


def record_start(db: Database, start_key: str, response_id: str) -> None:
    db.execute(
        "INSERT INTO kiosk_starts (start_key, response_id) VALUES (?, ?)",
        [start_key, response_id],
    )


def kiosk_session(
    db: Database, response_id: str, kiosk_name: str
) -> tuple[OpenSession, int] | None:
    """This kiosk's open conversation with its screen number, if it is still open."""
    rows = list(
        db.query(
            """SELECT s.response_id, s.participant_id, s.state, s.screen, r.is_test
               FROM sessions s JOIN responses r ON r.id = s.response_id
               WHERE s.response_id = ? AND r.kiosk = ? AND r.channel = 'kiosk'""",
            [response_id, kiosk_name],
        )
    )
    return (_open_session(rows[0]), rows[0]["screen"]) if rows else None


def kiosk_response(db: Database, response_id: str, kiosk_name: str) -> dict | None:
    """How a conversation on this kiosk stands: open, complete or partial."""
    rows = list(
        db.query(
            """SELECT id, flow_id, status, close_reason, language, closed_at
               FROM responses
               WHERE id = ? AND kiosk = ? AND channel = 'kiosk'""",
            [response_id, kiosk_name],
        )
    )
    return rows[0] if rows else None


def open_on_kiosk(db: Database, kiosk_name: str) -> list[OpenSession]:
    rows = db.query(
        """SELECT s.response_id, s.participant_id, s.state, r.is_test
           FROM sessions s JOIN responses r ON r.id = s.response_id
           WHERE r.kiosk = ? AND r.channel = 'kiosk'""",
        [kiosk_name],
    )
    return [_open_session(row) for row in rows]


def next_screen(db: Database, response_id: str) -> None:
    db.execute(
        "UPDATE sessions SET screen = screen + 1 WHERE response_id = ?", [response_id]
    )


def mark_helped(db: Database, response_id: str, helped: bool) -> None:
    """Whether someone (a carer, a relative) helped the person answer."""
    db.execute(
        "UPDATE responses SET helped = ? WHERE id = ?", [int(helped), response_id]
    )
