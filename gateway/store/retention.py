"""SQL for retention: what is old enough to go, and deleting it.

Nothing that has not reached the board is ever deleted: a response (or its
alert) still waiting in the sync queue, or set aside there, is kept whatever
its age, unless it is test data, which never syncs.
"""

from __future__ import annotations

import json

import sqlite_utils

Database = sqlite_utils.Database

# A response may go once it is on the board: its record, and every alert of it.
_ON_THE_BOARD = """
    (r.is_test = 1 OR (
        EXISTS (SELECT 1 FROM sync_queue q
                WHERE q.record_id = r.id AND q.synced_at IS NOT NULL)
        AND NOT EXISTS (
            SELECT 1 FROM alerts a LEFT JOIN sync_queue q ON q.record_id = a.id
            WHERE a.response_id = r.id AND a.is_test = 0
              AND (q.synced_at IS NULL))))"""


def old_responses(db: Database, closed_before: str) -> tuple[list[str], int]:
    """(ids of responses closed before `closed_before` that may go, how many
    as old must wait because they have not reached the board)."""
    may_go = [
        row["id"]
        for row in db.query(
            f"""SELECT r.id FROM responses r
                WHERE r.status != 'open' AND r.closed_at < ? AND {_ON_THE_BOARD}""",  # noqa: S608 - a fixed clause
            [closed_before],
        )
    ]
    waiting = db.execute(
        f"""SELECT count(*) FROM responses r
            WHERE r.status != 'open' AND r.closed_at < ? AND NOT {_ON_THE_BOARD}""",  # noqa: S608
        [closed_before],
    ).fetchone()[0]
    return may_go, waiting


def delete_responses(db: Database, response_ids: list[str]) -> None:
    """Delete responses with their answers, alerts (and the texts and number
    reveals of those), the messages that belong to them and their synced
    records; in the caller's write transaction."""
    ids = json.dumps(response_ids)
    chosen = "SELECT value FROM json_each(?)"
    alerts = f"SELECT id FROM alerts WHERE response_id IN ({chosen})"  # noqa: S608 - fixed clauses
    for sql in (
        f"DELETE FROM alert_notices WHERE alert_id IN ({alerts})",  # noqa: S608 - fixed clauses
        f"DELETE FROM number_reveals WHERE alert_id IN ({alerts})",  # noqa: S608 - fixed clauses
        f"DELETE FROM sync_queue WHERE record_id IN ({alerts})",  # noqa: S608 - fixed clauses
        f"DELETE FROM alerts WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM answers WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM sessions WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM kiosk_starts WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM inbound_messages WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"UPDATE outbox SET response_id = NULL WHERE response_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM sync_queue WHERE record_id IN ({chosen})",  # noqa: S608 - fixed clauses
        f"DELETE FROM responses WHERE id IN ({chosen})",  # noqa: S608 - fixed clauses
    ):
        db.execute(sql, [ids])


def old_messages(db: Database, before: str) -> dict[str, int]:
    """How many texts in and out, from before `before`, may go: every one in,
    and every one out that is done with (sent, failed or cancelled)."""
    inbound = db.execute(
        "SELECT count(*) FROM inbound_messages WHERE received_at < ?", [before]
    ).fetchone()[0]
    outbound = db.execute(
        """SELECT count(*) FROM outbox
           WHERE created_at < ? AND status NOT IN ('pending', 'claimed')""",
        [before],
    ).fetchone()[0]
    return {"in": inbound, "out": outbound}


def old_message_rows(db: Database, before: str, limit: int) -> dict[str, list]:
    """Up to `limit` rows of texts in and of texts out from before `before`.
    A read, to do before taking the write lock: texts in have no index by
    time (one would slow every text), but the oldest come first by rowid."""
    return {
        "inbound_messages": [
            row["rowid"]
            for row in db.query(
                """SELECT rowid FROM inbound_messages WHERE received_at < ?
                   ORDER BY rowid LIMIT ?""",
                [before, limit],
            )
        ],
        "outbox": [
            row["rowid"]
            for row in db.query(
                """SELECT rowid FROM outbox WHERE created_at < ?
                   AND status NOT IN ('pending', 'claimed') LIMIT ?""",
                [before, limit],
            )
        ],
    }


def delete_message_rows(db: Database, rows: dict[str, list], before: str) -> None:
    """Delete the rows old_message_rows found, if they are still as old (and,
    for a text out, still done with)."""
    db.execute(
        """DELETE FROM inbound_messages WHERE received_at < ?
           AND rowid IN (SELECT value FROM json_each(?))""",
        [before, json.dumps(rows["inbound_messages"])],
    )
    db.execute(
        """DELETE FROM outbox WHERE created_at < ?
           AND status NOT IN ('pending', 'claimed')
           AND rowid IN (SELECT value FROM json_each(?))""",
        [before, json.dumps(rows["outbox"])],
    )


def numbers_to_drop(
    db: Database, idle_before: str, consent_steps: list[str], alerts_since: str
) -> list[str]:
    """Participants whose number may go: their pseudonym is worked out (so a
    returning person is still known), nothing happened since `idle_before`, no
    conversation is open, nothing waits to be sent to them, they never said
    yes to being texted (`consent_steps`: "flow/step" of each consent step),
    they are not a duty contact, and no alert of theirs since `alerts_since`
    waits for someone to deal with it."""
    return [
        row["participant_id"]
        for row in db.query(
            """SELECT n.participant_id FROM participant_numbers n
               JOIN participants p ON p.id = n.participant_id
               WHERE n.keyed_with IS NOT NULL AND p.created_at < :idle
                 AND NOT EXISTS (SELECT 1 FROM inbound_messages m
                     WHERE m.participant_id = n.participant_id
                       AND m.received_at >= :idle)
                 AND NOT EXISTS (SELECT 1 FROM outbox o
                     WHERE o.participant_id = n.participant_id
                       AND (o.created_at >= :idle
                            OR o.status IN ('pending', 'claimed')))
                 AND NOT EXISTS (SELECT 1 FROM sessions s
                     WHERE s.participant_id = n.participant_id)
                 AND NOT EXISTS (SELECT 1 FROM duty_contacts d
                     WHERE d.participant_id = n.participant_id
                       AND d.removed_at IS NULL)
                 AND NOT EXISTS (SELECT 1 FROM responses r
                     JOIN answers a ON a.response_id = r.id
                     WHERE r.participant_id = n.participant_id
                       AND a.state = 'answered' AND a.value = 'yes'
                       AND r.flow_id || '/' || a.step_id IN
                           (SELECT value FROM json_each(:consent)))
                 AND NOT EXISTS (SELECT 1 FROM responses r
                     JOIN alerts a ON a.response_id = r.id
                     WHERE r.participant_id = n.participant_id
                       AND a.dealt_with_at IS NULL AND a.raised_at >= :alerts)
               ORDER BY n.participant_id""",
            {
                "idle": idle_before,
                "consent": json.dumps(consent_steps),
                "alerts": alerts_since,
            },
        )
    ]


def drop_numbers(db: Database, participant_ids: list[str]) -> None:
    db.execute(
        """DELETE FROM participant_numbers
           WHERE participant_id IN (SELECT value FROM json_each(?))""",
        [json.dumps(participant_ids)],
    )
