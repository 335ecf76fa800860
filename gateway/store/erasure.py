"""SQL for erasure: the requests, and erasing one person at this site.

What is erased: their answers, conversations, alerts (with the texts that
told duty contacts of them), their words in every message kept, every record
body waiting for the board, and their number. What is kept: their pseudonym,
opted out and marked erased, so they are never invited again; the ids of
their messages, emptied, so a retried webhook is still recognised; and the
erasure record, naming the records the board was sent, so it erases them too.
"""

from __future__ import annotations

import json

import sqlite_utils

from gateway.ids import uuid7

Database = sqlite_utils.Database
# The most one erasure record names; the board takes no more (intake.MAX_ERASED).
RECORDS_AN_ERASURE_NAMES = 10_000


def request(
    db: Database,
    participant_id: str,
    when: str,
    channel: str,
    status: str,
    reason: str | None = None,
) -> str:
    """Record a request: 'asked' (waiting for their YES) or 'confirmed'."""
    request_id = uuid7()
    db.execute(
        """INSERT INTO erasure_requests
               (id, participant_id, requested_at, channel, status, reason,
                decided_at)
           VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? = 'confirmed' THEN ? END)""",
        [request_id, participant_id, when, channel, status, reason, status, when],
    )
    return request_id


def decide(db: Database, participant_id: str, when: str, confirmed: bool) -> int:
    """Their YES (or NO) to the requests they were asked about; how many."""
    cursor = db.execute(
        """UPDATE erasure_requests SET status = ?, decided_at = ?
           WHERE participant_id = ? AND status = 'asked'""",
        ["confirmed" if confirmed else "kept", when, participant_id],
    )
    return cursor.rowcount


def to_carry_out(db: Database, alerts_since: str, limit: int = 50) -> list[dict]:
    """Confirmed requests, oldest first, with whose they are; leaving out, for
    now, anyone with an alert raised since `alerts_since` that no one has
    dealt with: a duty contact may still need their number to reach them."""
    return list(
        db.query(
            """SELECT e.id, e.participant_id FROM erasure_requests e
               WHERE e.status = 'confirmed' AND NOT EXISTS (
                   SELECT 1 FROM alerts a JOIN responses r ON r.id = a.response_id
                   WHERE r.participant_id = e.participant_id
                     AND a.dealt_with_at IS NULL AND a.raised_at >= ?)
               ORDER BY e.requested_at, e.id LIMIT ?""",
            [alerts_since, limit],
        )
    )


def waiting_for_an_alert(db: Database, participant_id: str, alerts_since: str) -> bool:
    rows = db.query(
        """SELECT 1 FROM alerts a JOIN responses r ON r.id = a.response_id
           WHERE r.participant_id = ? AND a.dealt_with_at IS NULL
             AND a.raised_at >= ?""",
        [participant_id, alerts_since],
    )
    return bool(list(rows))


def erase_participant(db: Database, participant_id: str, now: str) -> list[str]:
    """Erase everything this site holds of one person but their pseudonym, in
    the caller's write transaction; the ids of the records the board was sent
    (and so must erase too). Safe to repeat."""
    db.execute(
        """CREATE TEMP TABLE IF NOT EXISTS erasing (id TEXT PRIMARY KEY, kind TEXT)"""
    )
    db.execute("DELETE FROM temp.erasing")
    db.execute(
        """INSERT INTO temp.erasing (id, kind)
           SELECT id, 'response' FROM responses WHERE participant_id = ?""",
        [participant_id],
    )
    db.execute(
        """INSERT INTO temp.erasing (id, kind)
           SELECT id, 'alert' FROM alerts
           WHERE response_id IN (SELECT id FROM temp.erasing)"""
    )
    sent = [
        row["record_id"]
        for row in db.query(
            """SELECT record_id FROM sync_queue
               WHERE record_id IN (SELECT id FROM temp.erasing)
                 AND sent_at IS NOT NULL ORDER BY record_id"""
        )
    ]
    db.execute(
        """UPDATE sync_queue SET body = NULL,
               set_aside_at = CASE WHEN synced_at IS NULL
                   THEN coalesce(set_aside_at, ?) END,
               set_aside_reason = CASE WHEN synced_at IS NULL
                   THEN 'erased at the person''s request' END
           WHERE record_id IN (SELECT id FROM temp.erasing)""",
        [now],
    )
    db.execute(  # the duty texts about their alerts, if still waiting
        """UPDATE outbox SET status = 'cancelled', last_error = 'erased',
               updated_at = ?
           WHERE status IN ('pending', 'claimed') AND id IN (
               SELECT message_id FROM alert_notices WHERE alert_id IN
                   (SELECT id FROM temp.erasing WHERE kind = 'alert'))""",
        [now],
    )
    for sql in (
        """DELETE FROM alert_notices WHERE alert_id IN
               (SELECT id FROM temp.erasing WHERE kind = 'alert')""",
        """DELETE FROM number_reveals WHERE alert_id IN
               (SELECT id FROM temp.erasing WHERE kind = 'alert')""",
        "DELETE FROM alerts WHERE id IN (SELECT id FROM temp.erasing)",
        "DELETE FROM answers WHERE response_id IN (SELECT id FROM temp.erasing)",
        "DELETE FROM sessions WHERE response_id IN (SELECT id FROM temp.erasing)",
        """UPDATE outbox SET response_id = NULL
           WHERE response_id IN (SELECT id FROM temp.erasing)""",
        """UPDATE inbound_messages SET body = '', media_count = 0,
               response_id = NULL
           WHERE response_id IN (SELECT id FROM temp.erasing)""",
    ):
        db.execute(sql)
    db.execute(
        """UPDATE inbound_messages SET body = '', media_count = 0,
               response_id = NULL, participant_id = NULL
           WHERE participant_id = ?""",
        [participant_id],
    )
    db.execute(  # their texts still waiting are never sent
        """UPDATE outbox SET body = NULL, updated_at = ?,
               status = CASE WHEN status IN ('pending', 'claimed')
                   THEN 'cancelled' ELSE status END,
               last_error = CASE WHEN status IN ('pending', 'claimed')
                   THEN 'erased' ELSE last_error END
           WHERE participant_id = ?""",
        [now, participant_id],
    )
    db.execute("DELETE FROM responses WHERE id IN (SELECT id FROM temp.erasing)")
    db.execute(
        "DELETE FROM participant_numbers WHERE participant_id = ?", [participant_id]
    )
    db.execute(  # made here, so the opt-out goes to the board (migrations.add_sync)
        """UPDATE participants SET erased_at = ?, opt_change_from_board = 0,
               opted_out_at = coalesce(opted_out_at, ?),
               opt_changed_at = CASE WHEN opted_out_at IS NULL THEN ?
                   ELSE opt_changed_at END
           WHERE id = ?""",
        [now, now, now, participant_id],
    )
    for start in range(0, len(sent), RECORDS_AN_ERASURE_NAMES):
        part = sent[start : start + RECORDS_AN_ERASURE_NAMES]
        db.execute(
            """INSERT INTO sync_queue (record_id, kind, body, queued_at)
               VALUES (?, 'erasure', ?, ?)""",
            [
                uuid7(),
                json.dumps(
                    {"participant": participant_id, "records": part, "at": now},
                    sort_keys=True,
                    separators=(",", ":"),
                ),
                now,
            ],
        )
    db.execute(
        """UPDATE erasure_requests SET status = 'done', done_at = ?
           WHERE participant_id = ? AND status IN ('confirmed', 'open', 'asked')""",
        [now, participant_id],
    )
    db.execute("DELETE FROM temp.erasing")
    return sent


def response_count(db: Database, participant_id: str) -> int:
    return db.execute(
        "SELECT count(*) FROM responses WHERE participant_id = ?", [participant_id]
    ).fetchone()[0]
