"""What people do to a response: its status, flag and who has it, its alerts,
and who has it open. Its tags, comments and hidden words have their own
modules (tagging.py, comments.py, hidden_words.py), which work the same way.

Each change is one function that writes the change and its audit entry in
the caller's transaction, and says whether anything changed (doing a thing
twice changes nothing and logs nothing). What a change reads first it reads
FOR UPDATE, so two people doing it at once in two board processes (on
PostgreSQL) take turns, and the second sees the first's change, as on
SQLite. Who may do what is the views' to check (gateway.board.access); these
functions only refuse what is never allowed.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, or_, select, update

from flows.formats import iso, parse_iso
from gateway.board.schema import alerts, responses, sites, user_sites, users, viewings
from gateway.board.store import audit
from gateway.board.store.portable import insert_if_new

STATUSES = ("new", "in_review", "actioned", "closed")
REVIEWERS = ("staff", "admin")  # who can be given a response to look at
ALSO_LOOKING_WINDOW = timedelta(minutes=5)


def response(conn: Connection, response_id: str) -> dict | None:
    """One response with its site's name and the names of who has it and who
    typed it in from paper; None if there is none."""
    r = responses.c
    assignee, typist = users.alias("assignee"), users.alias("typist")
    row = (
        conn.execute(
            select(
                responses,
                sites.c.name.label("site_name"),
                assignee.c.name.label("assigned_name"),
                typist.c.name.label("entered_by_name"),
            )
            .select_from(
                responses.join(sites, sites.c.site_id == r.site_id)
                .outerjoin(assignee, assignee.c.id == r.assigned_to)
                .outerjoin(typist, typist.c.id == r.entered_by)
            )
            .where(r.id == response_id)
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _change(conn: Connection, response_id: str, **values) -> None:
    conn.execute(update(responses).where(responses.c.id == response_id).values(values))


# Status, flag and who has it ---------------------------------------------------


def set_status(conn, response_id, status, *, by, at, note=None, bulk=False) -> bool:
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    was = conn.execute(
        select(responses.c.review_status)
        .where(responses.c.id == response_id)
        .with_for_update()
    ).scalar_one()
    if was == status and not note:
        return False
    _change(conn, response_id, review_status=status)
    extra = {"bulk": True} if bulk else {}
    audit.change(
        conn, at, by, "status", response_id, note, to=status, **{"from": was}, **extra
    )
    return True


def set_flag(conn, response_id, flagged: bool, *, by, at, bulk=False) -> bool:
    result = conn.execute(
        update(responses)
        .where(responses.c.id == response_id, responses.c.flagged.is_not(flagged))
        .values(flagged=flagged)
    )
    if result.rowcount == 0:
        return False
    extra = {"bulk": True} if bulk else {}
    audit.change(conn, at, by, "flagged", response_id, flagged=flagged, **extra)
    return True


def restore_to_new(conn, response_id, *, by, at) -> bool:
    """Back to New and not flagged: one change, however many parts it has."""
    status = set_status(conn, response_id, "new", by=by, at=at, bulk=True)
    flag = set_flag(conn, response_id, False, by=by, at=at, bulk=True)
    return status or flag


def reviewers(conn: Connection, site_name: str | None = None) -> list[dict]:
    """Staff and admins with an account in use (who can see `site_name`, if
    given): the people a response can be given to."""
    query = (
        select(users.c.id, users.c.name)
        .where(users.c.role.in_(REVIEWERS), users.c.disabled_at.is_(None))
        .order_by(users.c.name, users.c.id)
    )
    if site_name is not None:
        limited = select(user_sites.c.user_id).where(user_sites.c.user_id == users.c.id)
        here = limited.where(user_sites.c.site_name == site_name)
        query = query.where(or_(~limited.exists(), here.exists()))
    return [dict(row) for row in conn.execute(query).mappings()]


def assign(conn, response_id, person_id: int | None, *, by, at) -> bool:
    """Give the response to `person_id` (None: to no one)."""
    was = conn.execute(
        select(responses.c.assigned_to)
        .where(responses.c.id == response_id)
        .with_for_update()
    ).scalar_one()
    if was == person_id:
        return False
    _change(conn, response_id, assigned_to=person_id)
    name = None
    if person_id is not None:
        name = conn.execute(select(users.c.name).where(users.c.id == person_id))
        name = name.scalar_one()
    audit.change(conn, at, by, "assigned", response_id, to=person_id, to_name=name)
    return True


# Alerts --------------------------------------------------------------------------


def alerts_of(conn: Connection, response_id: str, site_ids=None) -> list[dict]:
    """The response's alerts, oldest first, each with who dealt with it. With
    `site_ids`, only alerts that those sites raised."""
    query = (
        select(alerts, users.c.name.label("acknowledged_name"))
        .select_from(alerts.outerjoin(users, users.c.id == alerts.c.acknowledged_by))
        .where(alerts.c.response_id == response_id)
        .order_by(alerts.c.raised_at, alerts.c.id)
    )
    if site_ids is not None:
        query = query.where(alerts.c.site_id.in_(site_ids))
    return [dict(row) for row in conn.execute(query).mappings()]


def acknowledge_alert(conn, response_id, alert_id, what_was_done, *, by, at) -> bool:
    """Mark an open alert dealt with, and what was done; False if it was not
    open (or is not this response's)."""
    found = conn.execute(
        select(alerts.c.site_id, alerts.c.category)
        .where(
            alerts.c.id == alert_id,
            alerts.c.response_id == response_id,
            alerts.c.status == "open",
        )
        .with_for_update()
    ).first()
    if found is None:
        return False
    conn.execute(
        update(alerts)
        .where(alerts.c.site_id == found.site_id, alerts.c.id == alert_id)
        .values(
            status="acknowledged",
            acknowledged_by=by,
            acknowledged_at=at,
            what_was_done=what_was_done,
        )
    )
    audit.change(
        conn,
        at,
        by,
        "alert_acknowledged",
        response_id,
        what_was_done,
        alert_id=alert_id,
        category=found.category,
    )
    return True


# Who has it open -----------------------------------------------------------------


def saw(conn: Connection, response_id: str, user_id: int, at: str) -> None:
    """`user_id` has the response open now."""
    key = (viewings.c.response_id == response_id) & (viewings.c.user_id == user_id)
    if conn.execute(update(viewings).where(key).values(seen_at=at)).rowcount == 0:
        insert_if_new(
            conn,
            viewings,
            {"response_id": response_id, "user_id": user_id, "seen_at": at},
        )


def also_looking(conn: Connection, response_id: str, user_id: int, now: str):
    """Names of the others who opened the response in the last few minutes."""
    since = iso(parse_iso(now) - ALSO_LOOKING_WINDOW)
    return list(
        conn.execute(
            select(users.c.name)
            .select_from(viewings.join(users, users.c.id == viewings.c.user_id))
            .where(
                viewings.c.response_id == response_id,
                viewings.c.user_id != user_id,
                viewings.c.seen_at >= since,
            )
            .order_by(users.c.name)
        ).scalars()
    )
