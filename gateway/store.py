"""All SQL the gateway runs: participants, conversations, responses, answers, alerts.

Functions take a sqlite-utils Database and return plain data. Writers expect
to run inside `db.write_txn`; the caller owns the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import sqlite_utils

from flows.model import Alert, ResponseStatus, SessionState
from gateway.ids import uuid7

Database = sqlite_utils.Database


@dataclass(frozen=True)
class OpenSession:
    response_id: str
    participant_id: str | None
    state: SessionState
    is_test: bool


# Meta: this install's identity -------------------------------------------------


def get_meta(db: Database, key: str) -> str | None:
    rows = list(db.query("SELECT value FROM meta WHERE key = ?", [key]))
    return rows[0]["value"] if rows else None


def set_meta(db: Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def set_meta_once(db: Database, key: str, value: str) -> str:
    """Set `key` unless it is set already; return the value that holds."""
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", [key, value])
    return get_meta(db, key)


# Participants -----------------------------------------------------------------


def ensure_participant(
    db: Database,
    participant_id: str,
    now: str,
    phone: str | None = None,
    is_test: bool = False,
) -> None:
    db.execute(
        "INSERT OR IGNORE INTO participants (id, created_at, is_test) VALUES (?, ?, ?)",
        [participant_id, now, int(is_test)],
    )
    if phone is not None:
        db.execute(
            "INSERT INTO participant_numbers (participant_id, phone) VALUES (?, ?) "
            "ON CONFLICT (participant_id) DO UPDATE SET phone = excluded.phone",
            [participant_id, phone],
        )


# Conversations ------------------------------------------------------------------


def create_response(
    db: Database,
    *,
    site_id: str,
    participant_id: str | None,
    state: SessionState,
    kiosk: str | None = None,
    is_test: bool = False,
) -> str:
    response_id = uuid7()
    db.execute(
        """INSERT INTO responses (id, site_id, participant_id, flow_id, flow_version,
               channel, language, kiosk, started_at, status, is_test)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)""",
        [
            response_id,
            site_id,
            participant_id,
            state.flow_id,
            state.flow_version,
            state.channel,
            state.language,
            kiosk,
            state.started_at,
            int(is_test),
        ],
    )
    return response_id


def find_open_session(
    db: Database, participant_id: str, channel: str
) -> OpenSession | None:
    rows = list(
        db.query(
            """SELECT s.response_id, s.participant_id, s.state, r.is_test
           FROM sessions s JOIN responses r ON r.id = s.response_id
           WHERE s.participant_id = ? AND s.channel = ?""",
            [participant_id, channel],
        )
    )
    return _open_session(rows[0]) if rows else None


def load_session(db: Database, response_id: str) -> OpenSession | None:
    rows = list(
        db.query(
            """SELECT s.response_id, s.participant_id, s.state, r.is_test
           FROM sessions s JOIN responses r ON r.id = s.response_id
           WHERE s.response_id = ?""",
            [response_id],
        )
    )
    return _open_session(rows[0]) if rows else None


def idle_sessions(db: Database, channels: list[str], before: str) -> list[OpenSession]:
    """Open conversations on these channels with no activity since `before`."""
    marks = ", ".join("?" for _ in channels)
    rows = db.query(
        f"""SELECT s.response_id, s.participant_id, s.state, r.is_test
            FROM sessions s JOIN responses r ON r.id = s.response_id
            WHERE s.channel IN ({marks}) AND s.last_activity_at < ?""",  # noqa: S608
        [*channels, before],
    )
    return [_open_session(row) for row in rows]


def save_session(db: Database, session: OpenSession) -> None:
    """Store the conversation's state and answers; close the response if it ended."""
    state = session.state
    db.execute("DELETE FROM answers WHERE response_id = ?", [session.response_id])
    for position, answer in enumerate(state.answers):
        db.execute(
            """INSERT INTO answers (response_id, step_id, position, value, raw, prompt,
                   state, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                session.response_id,
                answer.step_id,
                position,
                answer.value,
                answer.raw,
                answer.prompt,
                str(answer.state),
                answer.at,
            ],
        )
    if state.status is ResponseStatus.OPEN:
        db.execute(
            """INSERT INTO sessions (response_id, participant_id, channel, state,
                   last_activity_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (response_id) DO UPDATE SET
                   state = excluded.state,
                   last_activity_at = excluded.last_activity_at""",
            [
                session.response_id,
                session.participant_id,
                state.channel,
                json.dumps(state.to_dict()),
                state.last_activity_at,
            ],
        )
        return
    db.execute("DELETE FROM sessions WHERE response_id = ?", [session.response_id])
    db.execute(
        "UPDATE responses SET status = ?, close_reason = ?, closed_at = ? WHERE id = ?",
        [
            str(state.status),
            state.close_reason,
            state.last_activity_at,
            session.response_id,
        ],
    )


def add_alerts(
    db: Database, response_id: str, alerts: tuple[Alert, ...], now: str, is_test: bool
) -> None:
    for alert in alerts:
        db.execute(
            """INSERT INTO alerts (id, response_id, step_id, category, rule, raised_at,
                   is_test) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                uuid7(),
                response_id,
                alert.step_id,
                alert.category,
                alert.rule,
                now,
                int(is_test),
            ],
        )


def _open_session(row: dict) -> OpenSession:
    return OpenSession(
        response_id=row["response_id"],
        participant_id=row["participant_id"],
        state=SessionState.from_dict(json.loads(row["state"])),
        is_test=bool(row["is_test"]),
    )


# Reading responses ----------------------------------------------------------------


def closed_responses(
    db: Database,
    *,
    since: str | None = None,
    include_test: bool = False,
    flow_id: str | None = None,
) -> Iterator[dict]:
    """Closed responses, oldest first, each with its answers keyed by step id."""
    clauses, params = ["r.status != 'open'"], []
    if since:
        clauses.append("r.closed_at >= ?")
        params.append(since)
    if not include_test:
        clauses.append("r.is_test = 0")
    if flow_id:
        clauses.append("r.flow_id = ?")
        params.append(flow_id)
    where = " AND ".join(clauses)
    rows = db.query(
        f"""SELECT r.id, r.flow_id, r.flow_version, r.channel, r.language, r.kiosk,
                r.site_id, m.value AS site, r.started_at, r.closed_at, r.status,
                r.close_reason, r.is_test
            FROM responses r LEFT JOIN meta m ON m.key = 'site_name'
            WHERE {where} ORDER BY r.id""",  # noqa: S608 - clauses are fixed text
        params,
    )
    for row in rows:
        row["is_test"] = bool(row["is_test"])
        row["answers"] = {
            answer.pop("step_id"): answer
            for answer in db.query(
                """SELECT step_id, value, raw, prompt, state, answered_at
                   FROM answers WHERE response_id = ? ORDER BY position""",
                [row["id"]],
            )
        }
        yield row


def alerts_for(db: Database, response_id: str) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM alerts WHERE response_id = ? ORDER BY id", [response_id]
        )
    )


def queue_counts(db: Database) -> dict:
    """What is waiting: open conversations, closed responses and open alerts."""
    row = next(
        db.query("""
        SELECT
          (SELECT count(*) FROM sessions) AS open_conversations,
          (SELECT count(*) FROM responses WHERE status != 'open' AND is_test = 0)
              AS closed_responses,
          (SELECT count(*) FROM alerts WHERE status = 'open' AND is_test = 0)
              AS open_alerts
    """)
    )
    return dict(row)
