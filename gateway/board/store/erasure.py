"""Erasing on the board: what a person asked their site to erase, and every
response past the retention period (gateway.retention).

An erasure record names the records (responses and alerts) a site had sent
for one person. Each is deleted with everything the board made of it: its
answers, tags, notes and comments, hidden passages, own words, viewings and
its alerts; the audit keeps that something happened, not what was hidden. The
records themselves stay as tombstones, their bodies emptied and their hash
kept, so a copy sent again is "already had" and never stored a second time.
A named record the board never got gets a tombstone too, so it never can be.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, or_, select, update

from gateway.board.schema import (
    alerts,
    answers,
    audit,
    notes,
    own_words,
    records,
    redactions,
    response_tags,
    responses,
    viewings,
)
from gateway.board.store.portable import insert_if_new

ERASED = "erased"  # a tombstone's kind and hash: no body can hash to it


def erase_records(conn: Connection, site_id: str, record_ids: list[str], now: str):
    """Erase what `site_id` sent under `record_ids`; how many responses went."""
    named = list(dict.fromkeys(record_ids))
    response_ids = list(
        conn.execute(
            select(responses.c.id).where(
                responses.c.site_id == site_id, responses.c.id.in_(named)
            )
        ).scalars()
    )
    if response_ids:
        _erase_responses(conn, response_ids)
    conn.execute(
        delete(alerts).where(
            alerts.c.site_id == site_id,
            or_(alerts.c.id.in_(named), alerts.c.response_id.in_(response_ids)),
        )
    )
    conn.execute(
        update(records)
        .where(
            records.c.site_id == site_id,
            records.c.record_id.in_(named),
            records.c.kind.in_(("response", "alert")),
        )
        .values(body="")
    )
    for record_id in named:
        insert_if_new(
            conn,
            records,
            {
                "record_id": record_id,
                "site_id": site_id,
                "kind": ERASED,
                "body": "",
                "body_hash": ERASED,
                "queued_at": now,
                "received_at": now,
            },
        )
    return len(response_ids)


def _erase_responses(conn: Connection, response_ids: list[str]) -> None:
    for table in (answers, response_tags, notes, redactions, own_words, viewings):
        conn.execute(delete(table).where(table.c.response_id.in_(response_ids)))
    conn.execute(
        update(audit)
        .where(audit.c.response_id.in_(response_ids))
        .values(detail="{}", note=None)
    )
    conn.execute(delete(responses).where(responses.c.id.in_(response_ids)))


def old_response_ids(conn: Connection, closed_before: str) -> list[str]:
    return list(
        conn.execute(
            select(responses.c.id)
            .where(responses.c.closed_at < closed_before)
            .order_by(responses.c.closed_at, responses.c.id)
        ).scalars()
    )


def erase_old(conn: Connection, response_ids: list[str]) -> None:
    """Erase responses past retention, with their alerts; their records stay as
    tombstones (body emptied, hash kept), so a site's copy sent again is
    never stored twice."""
    alert_ids = list(
        conn.execute(
            select(alerts.c.id).where(alerts.c.response_id.in_(response_ids))
        ).scalars()
    )
    _erase_responses(conn, response_ids)
    conn.execute(delete(alerts).where(alerts.c.response_id.in_(response_ids)))
    conn.execute(
        update(records)
        .where(
            records.c.record_id.in_(response_ids + alert_ids),
            records.c.kind.in_(("response", "alert")),
        )
        .values(body="")
    )
