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
    _empty_records(conn, site_id, named)
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


def old_responses(conn: Connection, closed_before: str) -> list[tuple[str, str]]:
    """(site id, response id) of every response closed before `closed_before`."""
    rows = conn.execute(
        select(responses.c.site_id, responses.c.id)
        .where(responses.c.closed_at < closed_before)
        .order_by(responses.c.closed_at, responses.c.id)
    )
    return [(row.site_id, row.id) for row in rows]


def erase_old(conn: Connection, old: list[tuple[str, str]]) -> None:
    """Erase responses past retention, with their alerts; their records stay as
    tombstones (body emptied, hash kept), so a site's copy sent again is
    never stored twice."""
    response_ids = [response_id for _, response_id in old]
    named: dict[str, list[str]] = {}
    for site_id, response_id in old:
        named.setdefault(site_id, []).append(response_id)
    for row in conn.execute(
        select(alerts.c.site_id, alerts.c.id).where(
            alerts.c.response_id.in_(response_ids)
        )
    ):
        named.setdefault(row.site_id, []).append(row.id)
    _erase_responses(conn, response_ids)
    conn.execute(delete(alerts).where(alerts.c.response_id.in_(response_ids)))
    for site_id, record_ids in named.items():
        _empty_records(conn, site_id, record_ids)


def erase_old_alerts(conn: Connection, raised_before: str) -> int:
    """Alerts raised before `raised_before` whose response never came (a site
    that stopped before sending it): erased too, with their records."""
    orphans = list(
        conn.execute(
            select(alerts.c.site_id, alerts.c.id).where(
                alerts.c.raised_at < raised_before,
                ~alerts.c.response_id.in_(select(responses.c.id)),
            )
        )
    )
    for row in orphans:
        conn.execute(
            delete(alerts).where(alerts.c.site_id == row.site_id, alerts.c.id == row.id)
        )
        _empty_records(conn, row.site_id, [row.id])
    return len(orphans)


def _empty_records(conn: Connection, site_id: str, record_ids: list[str]) -> None:
    conn.execute(
        update(records)
        .where(
            records.c.site_id == site_id,
            records.c.record_id.in_(record_ids),
            records.c.kind.in_(("response", "alert")),
        )
        .values(body="")
    )
