"""SQL for conversations in progress: responses, their answers, sessions and alerts."""

from __future__ import annotations

import json
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


# Conversations ------------------------------------------------------------------


def create_response(
    db: Database,
    *,
    site_id: str,
    participant_id: str | None,
    state: SessionState,
    kiosk: str | None = None,
    is_test: bool = False,
    opening_text: str | None = None,
) -> str:
    response_id = uuid7()
    db.execute(
        """INSERT INTO responses (id, site_id, participant_id, flow_id, flow_version,
               channel, language, kiosk, started_at, status, is_test, opening_text)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)""",
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
            opening_text,
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


def save_session(
    db: Database,
    session: OpenSession,
    before: SessionState | None = None,
    is_new: bool = False,
) -> None:
    """Store the conversation's state and answers; close the response if it ended.

    `before` is the state as it was loaded: only answers that changed since are
    written, which on an SMS turn is one row rather than every row. A response
    `is_new` has no stored answers to replace.
    """
    state = session.state
    old = (
        {a.step_id: (position, a) for position, a in enumerate(before.answers)}
        if before
        else None
    )
    if old is None:
        if not is_new:
            db.execute(
                "DELETE FROM answers WHERE response_id = ?", [session.response_id]
            )
        old = {}
    kept = {answer.step_id for answer in state.answers}
    for step_id in old.keys() - kept:  # "back" forgets an answer
        db.execute(
            "DELETE FROM answers WHERE response_id = ? AND step_id = ?",
            [session.response_id, step_id],
        )
    for position, answer in enumerate(state.answers):
        if old.get(answer.step_id) == (position, answer):
            continue
        db.execute(
            """INSERT INTO answers (response_id, step_id, position, value, raw, prompt,
                   state, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (response_id, step_id) DO UPDATE SET
                   position = excluded.position, value = excluded.value,
                   raw = excluded.raw, prompt = excluded.prompt,
                   state = excluded.state, answered_at = excluded.answered_at""",
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
) -> list[str]:
    """Store the alerts; their ids."""
    ids = []
    for alert in alerts:
        ids.append(uuid7())
        db.execute(
            """INSERT INTO alerts (id, response_id, step_id, category, rule, raised_at,
                   is_test) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                ids[-1],
                response_id,
                alert.step_id,
                alert.category,
                alert.rule,
                now,
                int(is_test),
            ],
        )
    return ids


def _open_session(row: dict) -> OpenSession:
    return OpenSession(
        response_id=row["response_id"],
        participant_id=row["participant_id"],
        state=SessionState.from_dict(json.loads(row["state"])),
        is_test=bool(row["is_test"]),
    )
