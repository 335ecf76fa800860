"""SQL for duty contacts: who is texted when someone may be at risk.

Each duty contact is a participant (their number in participant_numbers,
read only to send). When an alert is raised, every contact in use gets a text
through the outbox, ahead of everything else and in quiet hours too; each
text is kept in alert_notices against its alert.
"""

from __future__ import annotations

import sqlite_utils

from gateway.ids import uuid7
from gateway.store import outbox

Database = sqlite_utils.Database
KIND = "duty_alert"  # the outbox's kind for these texts, worded as they go
PRIORITY = 2  # ahead of replies (1) and invitations (0)


def add_contact(db: Database, name: str, participant_id: str, now: str) -> str:
    contact_id = uuid7()
    db.execute(
        """INSERT INTO duty_contacts (id, name, participant_id, added_at)
           VALUES (?, ?, ?, ?)""",
        [contact_id, name, participant_id, now],
    )
    return contact_id


def contact_named(db: Database, name: str) -> dict | None:
    rows = list(
        db.query(
            "SELECT * FROM duty_contacts WHERE name = ? AND removed_at IS NULL",
            [name],
        )
    )
    return rows[0] if rows else None


def contacts(db: Database) -> list[dict]:
    """The contacts in use, in the order they were added, each with the last
    digits of their number and whether they have opted out of texts."""
    return list(
        db.query(
            """SELECT d.id, d.name, d.added_at, substr(n.phone, -3) AS ends_with,
                   p.opted_out_at
               FROM duty_contacts d
               JOIN participants p ON p.id = d.participant_id
               LEFT JOIN participant_numbers n ON n.participant_id = d.participant_id
               WHERE d.removed_at IS NULL ORDER BY d.added_at, d.id"""
        )
    )


def remove_contact(db: Database, name: str, now: str) -> bool:
    cursor = db.execute(
        """UPDATE duty_contacts SET removed_at = ?
           WHERE name = ? AND removed_at IS NULL""",
        [now, name],
    )
    return cursor.rowcount == 1


def notify(db: Database, alert_ids: list[str], now: str) -> int:
    """Queue a text to every contact in use for each alert; how many."""
    queued = 0
    for alert_id in alert_ids:
        for contact in db.query(
            "SELECT id, participant_id FROM duty_contacts WHERE removed_at IS NULL"
        ):
            message_id = outbox.enqueue(
                db,
                participant_id=contact["participant_id"],
                kind=KIND,
                now=now,
                priority=PRIORITY,
            )
            db.execute(
                """INSERT INTO alert_notices (alert_id, contact_id, message_id,
                       notified_at) VALUES (?, ?, ?, ?)""",
                [alert_id, contact["id"], message_id, now],
            )
            queued += 1
    return queued
