"""SQL for the SMS channel: inbound messages by MessageSid, and opt-outs.

The raw phone number is read here (`phone_for`) and nowhere else.
"""

from __future__ import annotations

import sqlite_utils

Database = sqlite_utils.Database


def inbound_reply(db: Database, message_sid: str) -> dict | None:
    """The message already recorded under this MessageSid, with the reply it got."""
    rows = list(
        db.query(
            "SELECT handling, reply FROM inbound_messages WHERE message_sid = ?",
            [message_sid],
        )
    )
    return rows[0] if rows else None


def record_inbound(
    db: Database,
    *,
    message_sid: str,
    participant_id: str | None,
    received_at: str,
    body: str,
    media_count: int,
    handling: str,
    response_id: str | None,
    reply: str,
) -> None:
    db.execute(
        """INSERT INTO inbound_messages (message_sid, participant_id, received_at,
               body, media_count, handling, response_id, reply)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            message_sid,
            participant_id,
            received_at,
            body,
            media_count,
            handling,
            response_id,
            reply,
        ],
    )


def sms_participant(
    db: Database,
    phone: str,
    since: str,
    handled_since: str,
    day_since: str = "",
    day_limit: int = 0,
) -> dict | None:
    """What an inbound message needs to know of its sender, found by their
    number, in one read: their id, opt-out,
    whether they have had the privacy line, whether they are a duty contact,
    how many messages since `since`, and
    how their last message since `handled_since` was handled (were they just
    asked whether to stop?), and how many since `day_since`, counted up to
    `day_limit` only. Every count seeks the (participant, time) index."""
    rows = list(
        db.query(
            """SELECT p.id, p.opted_out_at, p.privacy_notice_at,
                   EXISTS (SELECT 1 FROM duty_contacts d
                    WHERE d.participant_id = p.id AND d.removed_at IS NULL)
                    AS on_duty,
                   (SELECT count(*) FROM inbound_messages m
                    WHERE m.participant_id = p.id AND m.received_at >= ?) AS recent,
                   (SELECT count(*) FROM (SELECT 1 FROM inbound_messages m
                    WHERE m.participant_id = p.id AND m.received_at >= ?
                    LIMIT ?)) AS today,
                   (SELECT m.handling FROM inbound_messages m
                    WHERE m.participant_id = p.id AND m.received_at >= ?
                    ORDER BY m.received_at DESC, m.rowid DESC LIMIT 1)
                    AS recent_handling
               FROM participant_numbers n JOIN participants p ON p.id = n.participant_id
               WHERE n.phone = ?""",
            [since, day_since, day_limit, handled_since, phone],
        )
    )
    return rows[0] if rows else None


def participant(db: Database, participant_id: str) -> dict | None:
    rows = list(
        db.query(
            """SELECT id, created_at, opted_out_at, privacy_notice_at, is_test
               FROM participants WHERE id = ?""",
            [participant_id],
        )
    )
    return rows[0] if rows else None


def set_opted_out(db: Database, participant_id: str, when: str | None) -> None:
    """Record an opt-out at `when`, or an opt-in again with None."""
    db.execute(
        # Made here, so it goes up to the board (see migrations.add_sync).
        """UPDATE participants SET opted_out_at = ?, opt_change_from_board = 0,
               opt_changed_at = coalesce(?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
           WHERE id = ?""",
        [when, when, participant_id],
    )


def mark_privacy_notice(db: Database, participant_id: str, when: str) -> None:
    db.execute(
        "UPDATE participants SET privacy_notice_at = ? WHERE id = ?",
        [when, participant_id],
    )


def phone_for(db: Database, participant_id: str) -> str | None:
    """The number to text this participant on: only read to send a message."""
    rows = list(
        db.query(
            "SELECT phone FROM participant_numbers WHERE participant_id = ?",
            [participant_id],
        )
    )
    return rows[0]["phone"] if rows else None
