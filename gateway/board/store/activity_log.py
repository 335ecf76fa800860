"""The activity log as one viewer may see it: every entry, or for someone
limited to some sites, the entries about those sites' responses and about no
response at all."""

from __future__ import annotations

from sqlalchemy import Connection, literal, or_, select

from gateway.board.schema import audit, responses
from gateway.board.store import audit as audit_log
from gateway.board.store.inbox import Filters, Viewer, conditions


def activity(
    conn: Connection, viewer: Viewer, before_seq: int | None = None, limit: int = 50
) -> list[dict]:
    """The audit log, newest first, `limit` entries before `before_seq`, each
    with the name of who did it."""
    where = []
    if viewer.sites is not None:
        theirs = select(literal(1)).where(
            responses.c.id == audit.c.response_id, *conditions(conn, viewer, Filters())
        )
        where.append(or_(audit.c.response_id.is_(None), theirs.exists()))
    return audit_log.entries(conn, before_seq=before_seq, limit=limit, where=where)
