"""SQL for duty contacts: who is texted when someone may be at risk.

Each duty contact is a participant (their number in participant_numbers,
read only to send). When an alert is raised, every contact in use gets a text
through the outbox, ahead of everything else and in quiet hours too; each
text is kept in alert_notices against its alert. An alert the board has not
said was dealt with is texted again (a reminder), and then to the escalation
contacts too (gateway/duty.py decides when). Showing a contact the number
behind an alert is kept in number_reveals.
"""

from __future__ import annotations

import sqlite_utils

from gateway.ids import uuid7
from gateway.store import outbox

Database = sqlite_utils.Database
KIND = "duty_alert"  # the outbox's kind for these texts, worded as they go
PRIORITY = 2  # ahead of replies (1) and invitations (0)


def add_contact(
    db: Database, name: str, participant_id: str, now: str, escalation: bool = False
) -> str:
    contact_id = uuid7()
    db.execute(
        """INSERT INTO duty_contacts (id, name, participant_id, escalation, added_at)
           VALUES (?, ?, ?, ?, ?)""",
        [contact_id, name, participant_id, int(escalation), now],
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


def is_on_duty(db: Database, participant_id: str) -> bool:
    rows = db.query(
        """SELECT 1 FROM duty_contacts
           WHERE participant_id = ? AND removed_at IS NULL""",
        [participant_id],
    )
    return bool(list(rows))


def contacts(db: Database) -> list[dict]:
    """The contacts in use, in the order they were added, each with the last
    digits of their number and whether they have opted out of texts."""
    return list(
        db.query(
            """SELECT d.id, d.name, d.escalation, d.added_at,
                   substr(n.phone, -3) AS ends_with, p.opted_out_at
               FROM duty_contacts d
               JOIN participants p ON p.id = d.participant_id
               LEFT JOIN participant_numbers n ON n.participant_id = d.participant_id
               WHERE d.removed_at IS NULL ORDER BY d.added_at, d.id"""
        )
    )


def remove_contact(db: Database, name: str, now: str) -> bool:
    """Stop texting them, including the texts still waiting to go."""
    contact = contact_named(db, name)
    if contact is None:
        return False
    db.execute(
        "UPDATE duty_contacts SET removed_at = ? WHERE id = ?", [now, contact["id"]]
    )
    db.execute(
        """UPDATE outbox SET status = 'cancelled', last_error = 'duty contact removed',
               updated_at = ?
           WHERE status IN ('pending', 'claimed') AND id IN (
               SELECT message_id FROM alert_notices WHERE contact_id = ?)""",
        [now, contact["id"]],
    )
    return True


def notify(
    db: Database, alert_ids: list[str], now: str, escalating: bool = False
) -> int:
    """Queue a text to every contact in use for each alert (with the
    escalation contacts too if `escalating`, or if there is no one else);
    how many."""
    in_use = list(  # who can be texted: not removed, and not opted out
        db.query(
            """SELECT d.id, d.participant_id, d.escalation FROM duty_contacts d
               JOIN participants p ON p.id = d.participant_id
               WHERE d.removed_at IS NULL AND p.opted_out_at IS NULL
               ORDER BY d.added_at, d.id"""
        )
    )
    first = [c for c in in_use if not c["escalation"]]
    chosen = in_use if escalating or not first else first
    queued = 0
    for alert_id in alert_ids:
        db.execute(
            """UPDATE alerts SET text_rounds = text_rounds + 1,
                   last_text_round_at = ? WHERE id = ?""",
            [now, alert_id],
        )
        for contact in chosen:
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


def not_dealt_with(db: Database, texted_before: str, rounds: int) -> list[dict]:
    """Alerts still open whose last round of texts was before `texted_before`,
    with fewer than `rounds` rounds: each with how many it has had."""
    return list(
        db.query(
            """SELECT id, text_rounds AS rounds FROM alerts
               WHERE status = 'open' AND is_test = 0
                 AND text_rounds BETWEEN 1 AND ? - 1 AND last_text_round_at < ?
               ORDER BY id""",
            [rounds, texted_before],
        )
    )


def open_synced_alerts(db: Database, after: str, limit: int) -> list[str]:
    """Alerts not yet dealt with that the board has, by id after `after`:
    whose news to ask for."""
    return [
        row["id"]
        for row in db.query(
            """SELECT a.id FROM alerts a
               JOIN sync_queue q ON q.record_id = a.id AND q.kind = 'alert'
               WHERE a.status = 'open' AND q.synced_at IS NOT NULL AND a.id > ?
               ORDER BY a.id LIMIT ?""",
            [after, limit],
        )
    ]


def mark_dealt_with(db: Database, alert_id: str, at: str, now: str) -> bool:
    """The board said someone dealt with it at `at`: no texts about it still
    waiting go."""
    cursor = db.execute(
        """UPDATE alerts SET status = 'dealt_with', dealt_with_at = ?
           WHERE id = ? AND status = 'open'""",
        [at, alert_id],
    )
    db.execute(
        """UPDATE outbox SET status = 'cancelled', last_error = 'dealt with',
               updated_at = ?
           WHERE status IN ('pending', 'claimed') AND id IN (
               SELECT message_id FROM alert_notices WHERE alert_id = ?)""",
        [now, alert_id],
    )
    return cursor.rowcount == 1


def alert_for_reveal(db: Database, alert_or_response_id: str) -> dict | None:
    """An alert, found by its own id or its response's (the board shows the
    response), with its response's participant; None if there is none."""
    rows = list(
        db.query(
            """SELECT a.id, a.status, a.category, a.raised_at, r.participant_id
               FROM alerts a JOIN responses r ON r.id = a.response_id
               WHERE a.id = ? OR a.response_id = ?
               ORDER BY a.raised_at DESC, a.id DESC LIMIT 1""",
            [alert_or_response_id, alert_or_response_id],
        )
    )
    return rows[0] if rows else None


def record_reveal(
    db: Database, alert_id: str, contact_id: str, reason: str, now: str
) -> None:
    db.execute(
        """INSERT INTO number_reveals (id, alert_id, contact_id, reason, revealed_at)
           VALUES (?, ?, ?, ?, ?)""",
        [uuid7(), alert_id, contact_id, reason, now],
    )


def reveals(db: Database) -> list[dict]:
    """Every number ever revealed: when, for which alert, by whom and why."""
    return list(
        db.query(
            """SELECT v.revealed_at, v.alert_id, d.name, v.reason
               FROM number_reveals v JOIN duty_contacts d ON d.id = v.contact_id
               ORDER BY v.revealed_at, v.id"""
        )
    )
