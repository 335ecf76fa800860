"""SQL for finding people by their number, and for their pseudonyms.

A number is kept only in participant_numbers, with `keyed_with`: the
fingerprint of the key the person's id was made with, or NULL while their slow
pseudonym is not worked out yet (a first-come id, see gateway.pseudonyms).
Nothing a person with a NULL `keyed_with` did is sent to the board.
"""

from __future__ import annotations

import sqlite_utils

Database = sqlite_utils.Database


def id_for_number(db: Database, phone: str) -> str | None:
    rows = list(
        db.query(
            "SELECT participant_id FROM participant_numbers WHERE phone = ?", [phone]
        )
    )
    return rows[0]["participant_id"] if rows else None


def exists(db: Database, participant_id: str) -> bool:
    rows = db.query("SELECT 1 FROM participants WHERE id = ?", [participant_id])
    return bool(list(rows))


def add_number(
    db: Database, participant_id: str, phone: str, keyed_with: str | None
) -> None:
    db.execute(
        """INSERT INTO participant_numbers (participant_id, phone, keyed_with)
           VALUES (?, ?, ?)""",
        [participant_id, phone, keyed_with],
    )


def unkeyed(db: Database, limit: int) -> list[dict]:
    """Up to `limit` people whose pseudonym is still to be worked out: first
    those with an alert waiting for the board, then whoever texted last (after
    an upgrade or an enrolment everyone waits, and someone texting now matters
    more than the backlog)."""
    return list(
        db.query(
            """SELECT n.participant_id, n.phone FROM participant_numbers n
               JOIN participants p ON p.id = n.participant_id
               WHERE n.keyed_with IS NULL
               ORDER BY EXISTS (
                   SELECT 1 FROM responses r
                   JOIN alerts a ON a.response_id = r.id
                   JOIN sync_queue q ON q.record_id = a.id
                   WHERE r.participant_id = n.participant_id
                     AND q.synced_at IS NULL AND q.set_aside_at IS NULL) DESC,
                 (SELECT max(m.received_at) FROM inbound_messages m
                  WHERE m.participant_id = n.participant_id) DESC,
                 p.created_at DESC, n.participant_id
               LIMIT ?""",
            [limit],
        )
    )


def unkeyed_count(db: Database) -> int:
    return db.execute(
        "SELECT count(*) FROM participant_numbers WHERE keyed_with IS NULL"
    ).fetchone()[0]


def is_unkeyed(db: Database, participant_id: str) -> bool:
    return bool(
        list(
            db.query(
                """SELECT 1 FROM participant_numbers
                   WHERE participant_id = ? AND keyed_with IS NULL""",
                [participant_id],
            )
        )
    )


def still_unkeyed(db: Database, participant_id: str, phone: str) -> bool:
    """Is this the same person, with the same number, still to be worked out?"""
    return bool(
        list(
            db.query(
                """SELECT 1 FROM participant_numbers WHERE participant_id = ?
                   AND phone = ? AND keyed_with IS NULL""",
                [participant_id, phone],
            )
        )
    )


def mark_keyed(db: Database, participant_id: str, keyed_with: str) -> None:
    db.execute(
        "UPDATE participant_numbers SET keyed_with = ? WHERE participant_id = ?",
        [keyed_with, participant_id],
    )


def not_keyed_with(db: Database, keyed_with: str) -> int:
    """How many people were keyed with a key other than this one (a key file
    replaced by hand, or a backup put back)."""
    return db.execute(
        "SELECT count(*) FROM participant_numbers WHERE keyed_with != ?",
        [keyed_with],
    ).fetchone()[0]


def unkey_all_but(db: Database, keyed_with: str | None) -> int:
    """Everyone not keyed with `keyed_with` (None: everyone) is to be worked out
    again; how many. Quick: the work itself is done in the background."""
    cursor = db.execute(
        """UPDATE participant_numbers SET keyed_with = NULL
           WHERE keyed_with IS NOT NULL AND (? IS NULL OR keyed_with != ?)""",
        [keyed_with, keyed_with],
    )
    return cursor.rowcount


def rekey(db: Database, old: str, new: str) -> None:
    """Give a participant a new id everywhere the old one is used. Records
    already sent are not touched; waiting opt changes never sent are. If the
    new id is already a participant (another site's opt-out, an erased
    person, or the same number under an old key), the two become one: the
    newer opt change holds (a tie goes to opting out), and a conversation open
    under both is kept from the one moving in.

    An opt change made here goes up again under the new id when none is
    waiting for it, so the board and other sites know the person by it."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    moving = _person(db, old)
    staying = _person(db, new)
    if staying is not None:
        db.execute("DELETE FROM participant_numbers WHERE participant_id = ?", [new])
        # One open conversation per person and channel: the one already under
        # the new id (the older) is saved as partial.
        db.execute(
            """UPDATE responses SET status = 'partial', close_reason = 'merged',
                   closed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
               WHERE id IN (
                   SELECT s.response_id FROM sessions s
                   WHERE s.participant_id = ? AND s.channel IN (
                       SELECT channel FROM sessions WHERE participant_id = ?))""",
            [new, old],
        )
        db.execute(
            """DELETE FROM sessions WHERE participant_id = ? AND channel IN (
                   SELECT channel FROM sessions WHERE participant_id = ?)""",
            [new, old],
        )
    for table in (
        "responses",
        "sessions",
        "inbound_messages",
        "outbox",
        "erasure_requests",
        "duty_contacts",
        "participant_numbers",
    ):
        db.execute(
            f"UPDATE {table} SET participant_id = ? WHERE participant_id = ?",  # noqa: S608 - fixed names
            [new, old],
        )
    if staying is None:
        db.execute("UPDATE participants SET id = ? WHERE id = ?", [new, old])
        holds = moving
    else:
        holds = moving if _changed_later(moving, staying) else staying
        # opt_change_from_board = 1 first, so the sync trigger stays quiet: the
        # change is queued below, once, if it was made here.
        db.execute(
            """UPDATE participants SET opted_out_at = ?, opt_changed_at = ?,
                   opt_change_from_board = 1,
                   privacy_notice_at = coalesce(privacy_notice_at, ?),
                   created_at = min(created_at, ?)
               WHERE id = ?""",
            [
                holds["opted_out_at"],
                holds["opt_changed_at"],
                moving["privacy_notice_at"],
                moving["created_at"],
                new,
            ],
        )
        db.execute(
            "UPDATE participants SET opt_change_from_board = ? WHERE id = ?",
            [holds["opt_change_from_board"], new],
        )
        db.execute("DELETE FROM participants WHERE id = ?", [old])
    db.execute(
        """UPDATE sync_queue SET body = json_set(body, '$.participant', ?)
           WHERE kind IN ('opt_out', 'opt_in') AND sent_at IS NULL
             AND synced_at IS NULL
             AND json_extract(body, '$.participant') = ?""",
        [new, old],
    )
    if holds["opt_changed_at"] and not holds["opt_change_from_board"]:
        _send_opt_change_again(db, new)


def _person(db: Database, participant_id: str) -> dict | None:
    rows = list(db.query("SELECT * FROM participants WHERE id = ?", [participant_id]))
    return rows[0] if rows else None


def _changed_later(one: dict, other: dict) -> bool:
    """Did `one` opt out or in after `other` (a tie goes to opting out)?"""
    if one["opt_changed_at"] is None:
        return False
    if (
        other["opt_changed_at"] is None
        or one["opt_changed_at"] > other["opt_changed_at"]
    ):
        return True
    return (
        one["opt_changed_at"] == other["opt_changed_at"]
        and one["opted_out_at"] is not None
    )


def _send_opt_change_again(db: Database, participant_id: str) -> None:
    db.execute(
        """INSERT INTO sync_queue (record_id, kind, body, queued_at)
           SELECT lower(hex(randomblob(16))),
               CASE WHEN opted_out_at IS NULL THEN 'opt_in' ELSE 'opt_out' END,
               json_object('participant', id, 'at', opt_changed_at),
               strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
           FROM participants p WHERE id = ? AND is_test = 0
             AND NOT EXISTS (
                 SELECT 1 FROM sync_queue q
                 WHERE q.kind IN ('opt_out', 'opt_in') AND q.sent_at IS NULL
                   AND q.synced_at IS NULL
                   AND json_extract(q.body, '$.participant') = p.id)""",
        [participant_id],
    )
