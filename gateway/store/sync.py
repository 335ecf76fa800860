"""SQL for a site's sync queue, and for the records it sends up.

The queue is filled by triggers (see `gateway.migrations.add_sync`); this
module reads it, freezes each record's body the first time it is sent, and
marks what the board acknowledged. Phone numbers are never read here.
"""

from __future__ import annotations

import json
from collections.abc import Collection

import sqlite_utils

Database = sqlite_utils.Database


def waiting(db: Database, limit: int, skip: Collection[str] = ()) -> list[dict]:
    """Records not yet acknowledged, leaving out `skip`: alerts first, then
    opt-outs and opt-ins, then responses; within each, a record the board found
    too large goes last, and otherwise the oldest goes first.

    A record never sent whose person's pseudonym is still to be worked out
    waits for it (see gateway.pseudonyms): the board only ever gets the
    pseudonym that person has at every site."""
    return list(
        db.query(
            """SELECT record_id, kind, body, queued_at, held_back FROM sync_queue q
               WHERE synced_at IS NULL AND set_aside_at IS NULL
                 AND record_id NOT IN (SELECT value FROM json_each(?))
                 AND (sent_at IS NOT NULL OR NOT EXISTS (
                     SELECT 1 FROM participant_numbers n
                     WHERE n.keyed_with IS NULL AND n.participant_id = CASE q.kind
                         WHEN 'response' THEN (
                             SELECT participant_id FROM responses
                             WHERE id = q.record_id)
                         WHEN 'alert' THEN (
                             SELECT r.participant_id FROM alerts a
                             JOIN responses r ON r.id = a.response_id
                             WHERE a.id = q.record_id)
                         ELSE json_extract(q.body, '$.participant') END))
               ORDER BY priority DESC, held_back, queued_at, record_id LIMIT ?""",
            [json.dumps(list(skip)), limit],
        )
    )


def mark_sent(db: Database, record_id: str, now: str) -> None:
    """From now on the board may hold this record as it is: never rewritten."""
    db.execute(
        "UPDATE sync_queue SET sent_at = ? WHERE record_id = ? AND sent_at IS NULL",
        [now, record_id],
    )


def freeze_body(db: Database, record_id: str, body: str) -> None:
    """A record's body is fixed the first time it is sent, never changed after."""
    db.execute(
        "UPDATE sync_queue SET body = ? WHERE record_id = ? AND body IS NULL",
        [body, record_id],
    )


def mark_synced(db: Database, record_id: str, now: str, board_time: str) -> None:
    db.execute(
        """UPDATE sync_queue SET synced_at = ?, board_received_at = ?
           WHERE record_id = ? AND synced_at IS NULL AND set_aside_at IS NULL""",
        [now, board_time, record_id],
    )


def set_aside(db: Database, record_id: str, reason: str, now: str) -> None:
    db.execute(
        """UPDATE sync_queue SET set_aside_at = ?, set_aside_reason = ?
           WHERE record_id = ? AND synced_at IS NULL""",
        [now, reason, record_id],
    )


def note_too_large(
    db: Database, record_ids: Collection[str], others_went: bool
) -> None:
    """The board refused these records as too large even alone in this pass:
    they wait behind the others of their kind from now on, and if the board
    took other records in the same pass, that pass counts towards setting
    them aside."""
    db.execute(
        """UPDATE sync_queue SET held_back = 1,
               too_large_passes = too_large_passes + ?
           WHERE record_id IN (SELECT value FROM json_each(?))
             AND synced_at IS NULL AND set_aside_at IS NULL""",
        [int(others_went), json.dumps(list(record_ids))],
    )


def set_aside_too_large(db: Database, passes: int, reason: str, now: str) -> int:
    """Set aside every record refused as too large in `passes` passes; how many."""
    cursor = db.execute(
        """UPDATE sync_queue SET set_aside_at = ?, set_aside_reason = ?
           WHERE too_large_passes >= ? AND synced_at IS NULL
             AND set_aside_at IS NULL""",
        [now, reason, passes],
    )
    return cursor.rowcount


def too_large_waiting(db: Database, limit: int = 20) -> list[dict]:
    """Records the board has refused as too large, still waiting to be tried."""
    return list(
        db.query(
            """SELECT record_id, kind, too_large_passes FROM sync_queue
               WHERE held_back = 1 AND synced_at IS NULL AND set_aside_at IS NULL
               ORDER BY queued_at, record_id LIMIT ?""",
            [limit],
        )
    )


def queue_summary(db: Database) -> dict:
    rows = list(
        db.query(
            """SELECT
                 sum(synced_at IS NULL AND set_aside_at IS NULL) AS waiting,
                 sum(synced_at IS NOT NULL) AS synced,
                 sum(set_aside_at IS NOT NULL) AS set_aside,
                 sum(held_back = 1 AND synced_at IS NULL AND set_aside_at IS NULL)
                     AS too_large,
                 min(CASE WHEN synced_at IS NULL AND set_aside_at IS NULL
                          THEN queued_at END) AS oldest_waiting
               FROM sync_queue"""
        )
    )
    row = rows[0]
    counts = ("waiting", "synced", "set_aside", "too_large")
    return {key: row[key] or 0 for key in counts} | {
        "oldest_waiting": row["oldest_waiting"]
    }


def set_aside_records(db: Database, limit: int = 20) -> list[dict]:
    return list(
        db.query(
            """SELECT record_id, kind, set_aside_at, set_aside_reason FROM sync_queue
               WHERE set_aside_at IS NOT NULL ORDER BY set_aside_at LIMIT ?""",
            [limit],
        )
    )


def synced_by_day(db: Database) -> dict[str, list[str]]:
    """Acknowledged record ids by the day they were queued, for `sync verify`."""
    days: dict[str, list[str]] = {}
    for row in db.query(
        """SELECT substr(queued_at, 1, 10) AS day, record_id FROM sync_queue
           WHERE synced_at IS NOT NULL ORDER BY record_id"""
    ):
        days.setdefault(row["day"], []).append(row["record_id"])
    return days


# The records --------------------------------------------------------------------


def response_record(db: Database, response_id: str) -> dict | None:
    """A closed response with its answers, as the board stores it."""
    rows = list(
        db.query(
            """SELECT id, site_id, participant_id AS participant, flow_id,
                   flow_version, channel, language, kiosk, helped, started_at,
                   closed_at, status, close_reason, opening_text
               FROM responses WHERE id = ? AND status != 'open'""",
            [response_id],
        )
    )
    if not rows:
        return None
    record = rows[0]
    record["answers"] = list(
        db.query(
            """SELECT step_id, position, value, raw, prompt, state, answered_at
               FROM answers WHERE response_id = ? ORDER BY position, step_id""",
            [response_id],
        )
    )
    return record


def alert_record(db: Database, alert_id: str) -> dict | None:
    rows = list(
        db.query(
            """SELECT a.id, r.site_id, a.response_id, a.step_id, a.category, a.rule,
                   a.raised_at
               FROM alerts a JOIN responses r ON r.id = a.response_id
               WHERE a.id = ?""",
            [alert_id],
        )
    )
    return rows[0] if rows else None


def apply_opt_change(db: Database, participant: str, opted_out: bool, at: str) -> int:
    """An opt-out or opt-in made at another site at `at`; 1 if it changed
    anything here. Taken only if newer than this site's own last change (a
    tie goes to opting out). Kept even for someone this site has not met, so
    that they are never invited. Not queued to go back up."""
    db.execute(
        """INSERT OR IGNORE INTO participants (id, created_at, opt_change_from_board)
           VALUES (?, ?, 1)""",
        [participant, at],
    )
    cursor = db.execute(
        """UPDATE participants SET opted_out_at = ?, opt_changed_at = ?,
               opt_change_from_board = 1
           WHERE id = ? AND (opted_out_at IS NULL) = ?
             AND (opt_changed_at IS NULL OR opt_changed_at < ?
                  OR (opt_changed_at = ? AND ?))""",
        [at if opted_out else None, at, participant, opted_out, at, at, opted_out],
    )
    return cursor.rowcount
