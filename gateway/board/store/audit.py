"""The board's audit log: every change anyone makes, appended, never changed.

Each row says who (None: the board itself), when, what (an action name such
as "status", "tag_added", "user_added"), on which response if any, what
changed (a small JSON object) and the note they wrote, if any. Nothing in
the board updates or deletes a row here.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, insert, select

from gateway.board.schema import audit, users


def record(
    conn: Connection,
    *,
    at: str,
    user_id: int | None,
    action: str,
    response_id: str | None = None,
    detail: dict | None = None,
    note: str | None = None,
) -> None:
    """Append one entry, in the same transaction as the change it records."""
    conn.execute(
        insert(audit).values(
            at=at,
            user_id=user_id,
            action=action,
            response_id=response_id,
            detail=json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
            note=note,
        )
    )


def change(conn, at, by, action, response_id=None, note=None, **detail) -> None:
    """record(), as the review functions say it: who (`by`) did `action` at
    `at`, with what changed as keyword arguments."""
    record(
        conn,
        at=at,
        user_id=by,
        action=action,
        response_id=response_id,
        detail=detail,
        note=note,
    )


def entries(
    conn: Connection,
    *,
    response_id: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
    where=(),
) -> list[dict]:
    """Newest first, each with the name of who did it; for one response, or
    all, or those meeting the further conditions `where`."""
    query = (
        select(audit, users.c.name.label("user_name"))
        .select_from(audit.outerjoin(users, users.c.id == audit.c.user_id))
        .order_by(audit.c.seq.desc())
        .limit(limit)
    )
    if response_id is not None:
        query = query.where(audit.c.response_id == response_id)
    if before_seq is not None:
        query = query.where(audit.c.seq < before_seq)
    query = query.where(*where)
    found = []
    for row in conn.execute(query).mappings():
        entry = dict(row)
        entry["detail"] = json.loads(entry["detail"])
        found.append(entry)
    return found
