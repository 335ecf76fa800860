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
    """Up to `limit` people whose pseudonym is still to be worked out, newest
    first: someone texting now matters more than a backlog."""
    return list(
        db.query(
            """SELECT n.participant_id, n.phone FROM participant_numbers n
               JOIN participants p ON p.id = n.participant_id
               WHERE n.keyed_with IS NULL
               ORDER BY p.created_at DESC, n.participant_id LIMIT ?""",
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
    new id is already a participant (the same number came in under both, or
    another site's opt-out or an erasure came first), the two become one."""
    db.execute("PRAGMA defer_foreign_keys = ON")
    merged = exists(db, new)
    if merged:
        db.execute("DELETE FROM participant_numbers WHERE participant_id = ?", [new])
        # One open conversation per person and channel: the older one is
        # saved as partial where the person has one under both.
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
    if merged:
        # The newer opt change holds (a tie goes to opting out). Made quietly:
        # a change of the old id's still waiting goes up under the new id.
        db.execute(
            """UPDATE participants SET
                   opted_out_at = CASE WHEN old.opt_changed_at > coalesce(
                       participants.opt_changed_at, '') OR (old.opt_changed_at =
                       participants.opt_changed_at AND old.opted_out_at IS NOT NULL)
                       THEN old.opted_out_at ELSE participants.opted_out_at END,
                   opt_changed_at = nullif(max(
                       coalesce(participants.opt_changed_at, ''),
                       coalesce(old.opt_changed_at, '')), ''),
                   opt_change_from_board = 1,
                   privacy_notice_at =
                       coalesce(participants.privacy_notice_at, old.privacy_notice_at),
                   created_at = min(participants.created_at, old.created_at)
               FROM (SELECT * FROM participants WHERE id = ?) AS old
               WHERE participants.id = ?""",
            [old, new],
        )
        db.execute("DELETE FROM participants WHERE id = ?", [old])
    else:
        db.execute("UPDATE participants SET id = ? WHERE id = ?", [new, old])
    db.execute(
        """UPDATE sync_queue SET body = json_set(body, '$.participant', ?)
           WHERE kind IN ('opt_out', 'opt_in') AND sent_at IS NULL
             AND synced_at IS NULL
             AND json_extract(body, '$.participant') = ?""",
        [new, old],
    )
