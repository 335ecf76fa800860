"""SQL for the outbox: messages waiting to be sent, their tries and delivery status.

Our own states are `pending` (waiting its turn) and `claimed` (being sent; if
the sender dies the claim lapses and it is tried again). After that the row
follows Twilio's lifecycle, and a status only ever moves forward.
"""

from __future__ import annotations

import sqlite_utils

from gateway.ids import uuid7

Database = sqlite_utils.Database

# Twilio's message statuses in the order they happen; the last ones are final.
STATUS_RANK = {
    "pending": 0,
    "claimed": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 3,
    "sending": 4,
    "sent": 5,
    "delivered": 6,
    "undelivered": 6,
    "failed": 6,
    "canceled": 6,
    "cancelled": 6,
    "read": 7,
}


def enqueue(
    db: Database,
    *,
    participant_id: str,
    kind: str,
    now: str,
    body: str | None = None,
    flow_id: str | None = None,
    priority: int = 0,
    is_test: bool = False,
) -> str:
    message_id = uuid7()
    db.execute(
        """INSERT INTO outbox (id, participant_id, kind, priority, flow_id, body,
               status, created_at, next_attempt_at, updated_at, is_test)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)""",
        [
            message_id,
            participant_id,
            kind,
            priority,
            flow_id,
            body,
            now,
            now,
            now,
            int(is_test),
        ],
    )
    return message_id


def next_due(db: Database, now: str, include_ordinary: bool) -> dict | None:
    """What to send next: priority first, then oldest; never to opted-out people."""
    ordinary = "" if include_ordinary else "AND o.priority > 0"
    rows = list(
        db.query(
            f"""SELECT o.* FROM outbox o JOIN participants p ON p.id = o.participant_id
                WHERE o.status IN ('pending', 'claimed') AND o.next_attempt_at <= ?
                  AND p.opted_out_at IS NULL {ordinary}
                ORDER BY o.priority DESC, o.id LIMIT 1""",  # noqa: S608 - fixed text
            [now],
        )
    )
    return rows[0] if rows else None


def claim(db: Database, message_id: str, now: str, lease_until: str) -> None:
    db.execute(
        """UPDATE outbox SET status = 'claimed', attempts = attempts + 1,
               next_attempt_at = ?, updated_at = ? WHERE id = ?""",
        [lease_until, now, message_id],
    )


def set_body(db: Database, message_id: str, body: str, response_id: str | None) -> None:
    db.execute(
        "UPDATE outbox SET body = ?, response_id = ? WHERE id = ?",
        [body, response_id, message_id],
    )


def mark_sent(
    db: Database, message_id: str, provider_sid: str, status: str, now: str
) -> tuple[str, str | None] | None:
    """Record the sid Twilio gave; a report that came before it is applied now,
    and returned as (participant, error code) for the caller to act on."""
    status = status if status in STATUS_RANK and STATUS_RANK[status] > 1 else "queued"
    db.execute(
        """UPDATE outbox SET status = ?, provider_sid = ?, sent_at = ?, updated_at = ?,
               last_error = NULL WHERE id = ?""",
        [status, provider_sid, now, now, message_id],
    )
    early = list(
        db.query(
            "SELECT status, error_code FROM early_statuses WHERE provider_sid = ?",
            [provider_sid],
        )
    )
    if not early:
        return None
    # Twilio's report came before we had written down the sid.
    db.execute("DELETE FROM early_statuses WHERE provider_sid = ?", [provider_sid])
    error_code = early[0]["error_code"]
    participant = record_delivery_status(
        db, provider_sid, early[0]["status"], error_code, now
    )
    return (participant, error_code) if participant else None


def schedule_retry(
    db: Database,
    message_id: str,
    when: str,
    error: str,
    now: str,
    failed: bool = True,
) -> None:
    """Back to pending until `when`; a failure starts the give-up clock."""
    db.execute(
        """UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ?,
               updated_at = ?,
               first_failed_at = CASE WHEN ? THEN coalesce(first_failed_at, ?)
                                      ELSE first_failed_at END
           WHERE id = ?""",
        [when, error, now, int(failed), now, message_id],
    )


def mark_failed(db: Database, message_id: str, error: str, now: str) -> None:
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ? "
        "WHERE id = ?",
        [error, now, message_id],
    )


def cancel_for_participant(
    db: Database, participant_id: str, reason: str, now: str
) -> int:
    cursor = db.execute(
        """UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ?
           WHERE participant_id = ? AND status IN ('pending', 'claimed')""",
        [reason, now, participant_id],
    )
    return cursor.rowcount


def record_delivery_status(
    db: Database, provider_sid: str, status: str, error_code: str | None, now: str
) -> str | None:
    """A delivery report from Twilio; the participant it is about, once the
    message is known. It can arrive before the worker has recorded the
    message's sid; then it waits in early_statuses for mark_sent (None). A
    status never moves backwards. What an error code means is the SMS
    channel's to decide (gateway.sms.outbox.act_on_report)."""
    if status not in STATUS_RANK:
        return None
    rows = list(
        db.query(
            "SELECT id, participant_id, status FROM outbox WHERE provider_sid = ?",
            [provider_sid],
        )
    )
    if not rows:
        _keep_early_status(db, provider_sid, status, error_code, now)
        return None
    message = rows[0]
    if STATUS_RANK[status] > STATUS_RANK.get(message["status"], 0):
        db.execute(
            """UPDATE outbox SET status = ?, last_error = coalesce(?, last_error),
                   updated_at = ? WHERE id = ?""",
            [
                status,
                f"Twilio error {error_code}" if error_code else None,
                now,
                message["id"],
            ],
        )
    return message["participant_id"]


def _keep_early_status(db, provider_sid, status, error_code, now) -> None:
    known = list(
        db.query(
            "SELECT status, error_code FROM early_statuses WHERE provider_sid = ?",
            [provider_sid],
        )
    )
    if known and STATUS_RANK[status] <= STATUS_RANK.get(known[0]["status"], 0):
        if error_code and not known[0]["error_code"]:  # never lose an error code
            db.execute(
                "UPDATE early_statuses SET error_code = ? WHERE provider_sid = ?",
                [error_code, provider_sid],
            )
        return
    db.execute(
        """INSERT INTO early_statuses (provider_sid, status, error_code, received_at)
           VALUES (?, ?, ?, ?)
           ON CONFLICT (provider_sid) DO UPDATE SET status = excluded.status,
               error_code = coalesce(excluded.error_code, early_statuses.error_code),
               received_at = excluded.received_at""",
        [provider_sid, status, error_code, now],
    )


def list_outbox(db: Database, status: str | None = None, limit: int = 200) -> list:
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    return list(
        db.query(
            f"""SELECT id, substr(participant_id, 1, 12) AS participant, kind, priority,
                    status, attempts, next_attempt_at, sent_at, last_error,
                    coalesce(body, '(the first question of ' || flow_id || ')') AS body
                FROM outbox {where} ORDER BY priority DESC, id LIMIT ?""",  # noqa: S608
            [*params, limit],
        )
    )


def outbox_counts(db: Database) -> dict:
    return {
        row["status"]: row["n"]
        for row in db.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    }


def has_pending_invitation(db: Database, participant_id: str, flow_id: str) -> bool:
    rows = list(
        db.query(
            """SELECT 1 FROM outbox WHERE participant_id = ? AND flow_id = ?
               AND kind = 'invite' AND status IN ('pending', 'claimed') LIMIT 1""",
            [participant_id, flow_id],
        )
    )
    return bool(rows)
