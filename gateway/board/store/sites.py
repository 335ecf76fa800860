"""Enrolled sites, and the nonces that make each signed request count once.

A nonce is kept by inserting it under its primary key (site, nonce), so the
same request sent to two board processes at once counts once: the second
insert waits for the first, then finds it there.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update

from gateway.board.schema import nonces, records, sites
from gateway.board.store.portable import insert_if_new


def add_site(conn: Connection, name: str, code_hash: str, expires_at: str, now: str):
    conn.execute(
        insert(sites).values(
            name=name,
            enrol_code_hash=code_hash,
            enrol_expires_at=expires_at,
            created_at=now,
        )
    )


def site(conn: Connection, *, name: str | None = None, site_id: str | None = None):
    """One site by its name or its id, as a dict; None if there is none."""
    column = sites.c.name if name is not None else sites.c.site_id
    row = conn.execute(select(sites).where(column == (name or site_id))).first()
    return row._asdict() if row else None


def add_site_if_new(
    conn: Connection, name: str, code_hash: str, expires_at: str, now: str
) -> bool:
    """add_site, unless a site has this name already (then False)."""
    return insert_if_new(
        conn,
        sites,
        {
            "name": name,
            "enrol_code_hash": code_hash,
            "enrol_expires_at": expires_at,
            "created_at": now,
        },
    )


def site_by_code(conn: Connection, code_hash: str) -> dict | None:
    """The site waiting to enrol with this code, locked until the transaction
    ends: the same code sent to two board processes at once enrols once."""
    row = conn.execute(
        select(sites).where(sites.c.enrol_code_hash == code_hash).with_for_update()
    )
    found = row.first()
    return found._asdict() if found else None


def enrol_site(conn: Connection, name: str, site_id: str, secret: str, now: str):
    """The code stays until the site's first signed request, so that a site
    whose answer was lost on the way can ask again (and only that site)."""
    conn.execute(
        update(sites)
        .where(sites.c.name == name)
        .values(site_id=site_id, secret=secret, enrolled_at=now, last_contact_at=now)
    )


def new_enrol_code(conn: Connection, name: str, code_hash: str, expires_at: str):
    conn.execute(
        update(sites)
        .where(sites.c.name == name)
        .values(enrol_code_hash=code_hash, enrol_expires_at=expires_at)
    )


def revoke_site(conn: Connection, name: str, now: str) -> bool:
    result = conn.execute(
        update(sites)
        .where(sites.c.name == name, sites.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


def list_sites(conn: Connection) -> list[dict]:
    held = (
        select(func.count())
        .where(records.c.site_id == sites.c.site_id)
        .scalar_subquery()
    )
    rows = conn.execute(select(sites, held.label("records")).order_by(sites.c.name))
    return [row._asdict() for row in rows]


def site_names(conn: Connection) -> dict[str, str]:
    """Each enrolled site's id and the name the board gave it."""
    rows = conn.execute(
        select(sites.c.site_id, sites.c.name).where(sites.c.site_id.is_not(None))
    )
    return {row.site_id: row.name for row in rows}


def touch_site(conn: Connection, site_id: str, now: str, offset: float | None):
    values = {"last_contact_at": now, "enrol_code_hash": None, "enrol_expires_at": None}
    if offset is not None:
        values["clock_offset_seconds"] = offset
    conn.execute(update(sites).where(sites.c.site_id == site_id).values(**values))


def use_nonce(conn: Connection, site_id: str, nonce: str, now: str, forget_before: str):
    """False if this nonce was seen already (a replayed request)."""
    conn.execute(delete(nonces).where(nonces.c.seen_at < forget_before))
    return insert_if_new(
        conn,
        nonces,
        {"site_id": site_id, "nonce": nonce, "seen_at": now},
    )


def ensure_local_site(conn: Connection, name: str, site_id: str, now: str) -> None:
    """In role `both`, the install's own site, so its responses come in by the
    same intake as any other site's (nothing signs them: they never travel)."""
    if site(conn, site_id=site_id) is not None:
        return
    # Never check-then-insert: `gateway migrate` and the worker may both
    # get here at once.
    add_site_if_new(conn, name, "", now, now)
    conn.execute(
        update(sites)
        .where(sites.c.name == name)
        .values(site_id=site_id, enrolled_at=now, enrol_code_hash=None)
    )
