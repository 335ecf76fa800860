"""SQL for a person's own copy: everything this site holds about one person."""

from __future__ import annotations

import sqlite_utils

Database = sqlite_utils.Database


def everything_about(db: Database, participant_id: str) -> dict:
    """One person's rows from every table that holds them, oldest first."""

    def rows(sql: str) -> list[dict]:
        return list(db.query(sql, [participant_id]))

    person = rows(
        """SELECT p.id, p.created_at, p.opted_out_at, p.privacy_notice_at,
               p.erased_at, n.phone
           FROM participants p
           LEFT JOIN participant_numbers n ON n.participant_id = p.id
           WHERE p.id = ?"""
    )
    responses = rows(
        """SELECT id, flow_id, channel, language, started_at, closed_at, status,
               opening_text
           FROM responses WHERE participant_id = ? ORDER BY started_at, id"""
    )
    for response in responses:
        response["answers"] = list(
            db.query(
                """SELECT prompt, raw, value, state, answered_at FROM answers
                   WHERE response_id = ? ORDER BY position, step_id""",
                [response["id"]],
            )
        )
    return {
        "person": person[0] if person else None,
        "responses": responses,
        "alerts": rows(
            """SELECT a.id, a.category, a.raised_at, a.status, a.dealt_with_at
               FROM alerts a JOIN responses r ON r.id = a.response_id
               WHERE r.participant_id = ? ORDER BY a.raised_at, a.id"""
        ),
        "number_shown": rows(
            """SELECT v.revealed_at, v.reason FROM number_reveals v
               JOIN duty_contacts d ON d.id = v.contact_id
               JOIN alerts a ON a.id = v.alert_id
               JOIN responses r ON r.id = a.response_id
               WHERE r.participant_id = ? ORDER BY v.revealed_at"""
        ),
        "messages_in": rows(
            """SELECT received_at, body, reply FROM inbound_messages
               WHERE participant_id = ? ORDER BY received_at, rowid"""
        ),
        "messages_out": rows(
            """SELECT created_at, kind, status, body FROM outbox
               WHERE participant_id = ? ORDER BY created_at, id"""
        ),
        "erasure_requests": rows(
            """SELECT requested_at, channel, status, done_at FROM erasure_requests
               WHERE participant_id = ? ORDER BY requested_at"""
        ),
        "duty": rows(
            """SELECT name, added_at, removed_at FROM duty_contacts
               WHERE participant_id = ? ORDER BY added_at"""
        ),
    }


def response_ids(db: Database, participant_id: str) -> list[str]:
    return [
        row["id"]
        for row in db.query(
            "SELECT id FROM responses WHERE participant_id = ? ORDER BY id",
            [participant_id],
        )
    ]
