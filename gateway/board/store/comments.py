"""Comments and notes on a response: a comment everyone who sees the response
can read, a note only staff can read (both rows of the `notes` table).

Each is written with its audit entry in the caller's transaction. Only its
writer may change one, and only for a short while; the audit log keeps what
it said before.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, insert, select, update

from flows.formats import parse_iso
from gateway.board.schema import notes, users
from gateway.board.store import audit

NOTE_EDIT_WINDOW = timedelta(minutes=15)


def add_note(conn, response_id, body, *, staff_only: bool, by, at) -> int:
    """An internal note (staff_only) or a comment everyone sees; its id."""
    note_id = conn.execute(
        insert(notes).values(
            response_id=response_id,
            user_id=by,
            body=body,
            staff_only=staff_only,
            created_at=at,
        )
    ).inserted_primary_key[0]
    action = "note_added" if staff_only else "comment_added"
    audit.change(conn, at, by, action, response_id, body, note_id=note_id)
    return note_id


def can_edit_note(note: dict, user_id: int, now: str) -> bool:
    """Only its writer, and only for a short while after writing it."""
    age = parse_iso(now) - parse_iso(note["created_at"])
    return note["user_id"] == user_id and age <= NOTE_EDIT_WINDOW


def edit_note(conn, response_id, note_id, body, *, by, at) -> bool:
    """False, changing nothing, unless `by` wrote it within the window. The
    audit log keeps what it said before."""
    found = conn.execute(  # FOR UPDATE: two edits at once keep both in the audit
        select(notes)
        .where(notes.c.id == note_id, notes.c.response_id == response_id)
        .with_for_update()
    ).mappings()
    note = found.first()
    if note is None or not can_edit_note(note, by, at):
        return False
    conn.execute(
        update(notes).where(notes.c.id == note_id).values(body=body, edited_at=at)
    )
    action = "note_edited" if note["staff_only"] else "comment_edited"
    audit.change(
        conn, at, by, action, response_id, body, note_id=note_id, before=note["body"]
    )
    return True


def notes_of(conn: Connection, response_id: str, staff_only_too: bool) -> list[dict]:
    """Oldest first, each with its writer's name."""
    query = (
        select(notes, users.c.name.label("user_name"))
        .select_from(notes.join(users, users.c.id == notes.c.user_id))
        .where(notes.c.response_id == response_id)
        .order_by(notes.c.id)
    )
    if not staff_only_too:
        query = query.where(notes.c.staff_only.is_(False))
    return [dict(row) for row in conn.execute(query).mappings()]
