"""What the board sends down to its sites: one stream, whatever the kind.

Each record has its own id (a site applies it once, by that id) and a `seq`
(a site pulls "after the last seq I had"). A record goes to every site, or
to the sites named for it, and never back to the site it came from (an
opt-out made at one site goes to all the others).

A site that pulled seq 11 never asks for 10 again, so records must become
visible in seq order. PostgreSQL hands out seqs before commit; so records
are published one transaction at a time there (portable.one_at_a_time, the
same lock records.py takes for the opt changes it stores), which makes seq
order commit order.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from sqlalchemy import Connection, insert, or_, select

from gateway.board.schema import stream, stream_sites
from gateway.board.store.portable import one_at_a_time
from gateway.board.store.records import STORING_PULLED
from gateway.ids import uuid7

s = stream.c


def publish(
    conn: Connection,
    kind: str,
    body: dict,
    published_at: str,
    *,
    sites: Collection[str] | None = None,
    from_site: str | None = None,
    record_id: str | None = None,
) -> int:
    """Add a record of `kind` to the stream, for every site (`sites` None)
    or those site ids; its seq. Call inside the transaction that makes what
    it announces, so both are kept or neither is."""
    one_at_a_time(conn, STORING_PULLED)  # until commit: seq order is commit order
    values = {
        "record_id": record_id or uuid7(),
        "kind": kind,
        "body": json.dumps(body, sort_keys=True, separators=(",", ":")),
        "every_site": sites is None,
        "from_site": from_site,
        "published_at": published_at,
    }
    seq = conn.execute(insert(stream).values(**values).returning(s.seq)).scalar_one()
    if sites:
        conn.execute(
            insert(stream_sites),
            [{"seq": seq, "site_id": site_id} for site_id in sorted(set(sites))],
        )
    return seq


def since(
    conn: Connection, cursor: int, site_id: str, limit: int
) -> tuple[list[dict], int]:
    """The records for `site_id` after `cursor`, oldest first, at most
    `limit` (each {"seq", "id", "kind", "body"}, its body as data), and the
    cursor to ask from next: past the records for other sites too, so a site
    never reads them again.

    The newest seq is read first and the records up to it after, so a record
    committed in between is left for the next pull, never passed over. That
    a record below the newest seq is never committed after it is publish()'s
    lock: every write to the stream must go through publish()."""
    newest = conn.execute(select(s.seq).order_by(s.seq.desc()).limit(1)).scalar()
    if not newest or newest <= cursor:
        return [], cursor
    named = select(stream_sites.c.seq).where(
        stream_sites.c.site_id == site_id, stream_sites.c.seq > cursor
    )
    rows = conn.execute(
        select(s.seq, s.record_id, s.kind, s.body)
        .where(
            s.seq > cursor,
            s.seq <= newest,
            or_(s.from_site.is_(None), s.from_site != site_id),
            or_(s.every_site, s.seq.in_(named)),
        )
        .order_by(s.seq)
        .limit(limit)
    )
    found = [
        {"seq": seq, "id": record_id, "kind": kind, "body": json.loads(body)}
        for seq, record_id, kind, body in rows
    ]
    if len(found) == limit:
        return found, found[-1]["seq"]
    return found, newest
