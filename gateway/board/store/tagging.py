"""Tags: the tags themselves (a name, what it means, whether only staff see
it) and which responses carry them.

Each change writes the change and its audit entry in the caller's
transaction; doing a thing twice changes nothing and logs nothing. A member
may never use a staff-only tag; the rest of who may do what is the views'.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, func, insert, select, update

from gateway.board.schema import response_tags, tags
from gateway.board.store import audit
from gateway.board.store.portable import insert_if_new, one_at_a_time


def all_tags(conn: Connection, staff_only_too: bool) -> list[dict]:
    """Every tag (with staff-only ones for staff), by name."""
    query = select(tags).order_by(tags.c.name)
    if not staff_only_too:
        query = query.where(tags.c.staff_only.is_(False))
    return [dict(row) for row in conn.execute(query).mappings()]


def tag_named(conn: Connection, name: str, for_update=False) -> dict | None:
    """The tag called `name`, in any case (`for_update`: locked, to change)."""
    query = select(tags).where(func.lower(tags.c.name) == name.strip().lower())
    row = conn.execute(query.with_for_update() if for_update else query).mappings()
    found = row.first()
    return dict(found) if found else None


def add_tag(conn, response_id, name, *, by, at, staff, bulk=False) -> str:
    """ "added", "had" (it had the tag already) or "staff_only" (a member may
    not use that tag: nothing changed). A new name makes a new tag."""
    name = " ".join(name.split())
    found = tag_named(conn, name) or _new_tag(conn, name, by=by, at=at)
    if found["staff_only"] and not staff:
        return "staff_only"
    # The primary key decides: two people adding it at once make one row,
    # and one audit entry.
    if not insert_if_new(
        conn, response_tags, {"response_id": response_id, "tag": found["name"]}
    ):
        return "had"
    action = "bulk_tag" if bulk else "tag_added"
    audit.change(conn, at, by, action, response_id, tag=found["name"])
    return "added"


def _new_tag(conn: Connection, name: str, *, by, at) -> dict:
    """The tag called `name` in any case, made now unless someone else just
    made it. Names are alike in any case, which no unique key says, so
    people making tags take turns (on PostgreSQL; SQLite writes one at a
    time) and each looks again once it is their turn."""
    one_at_a_time(conn, "making tags")
    found = tag_named(conn, name)
    if found is None:
        conn.execute(insert(tags).values(name=name, description="", created_at=at))
        audit.change(conn, at, by, "tag_created", tag=name)
        found = {"name": name, "staff_only": False}
    return found


def remove_tag(conn, response_id, name, *, by, at, staff) -> bool:
    found = tag_named(conn, name)
    if found is None or (found["staff_only"] and not staff):
        return False
    result = conn.execute(
        delete(response_tags).where(
            response_tags.c.response_id == response_id,
            response_tags.c.tag == found["name"],
        )
    )
    if result.rowcount:
        audit.change(conn, at, by, "tag_removed", response_id, tag=found["name"])
    return bool(result.rowcount)


def change_tag(conn, name, *, description, staff_only, by, at) -> bool:
    found = tag_named(conn, name, for_update=True)
    if found is None:
        return False
    if (found["description"], bool(found["staff_only"])) == (description, staff_only):
        return True
    conn.execute(
        update(tags)
        .where(tags.c.name == found["name"])
        .values(description=description, staff_only=staff_only)
    )
    audit.change(
        conn,
        at,
        by,
        "tag_changed",
        tag=found["name"],
        description=description,
        staff_only=staff_only,
        before={"description": found["description"], "staff_only": found["staff_only"]},
    )
    return True
