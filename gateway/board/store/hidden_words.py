"""Hidden words: passages of what a person wrote that staff hide from board
members (`redactions`), and what members may search of that text
(own_words.py), kept in step in the same transaction.

Hiding or showing a passage writes its audit entry in the caller's
transaction. Staff still see the hidden words, marked; members never do.
Changes to one response's hidden passages take turns (its row is locked
first, on PostgreSQL): each works out what members may search from every
passage hidden by then, so two people hiding two passages at once in two
board processes never leave one of them searchable.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import Connection, delete, func, insert, select

from flows.model import OPENING
from gateway.board.schema import answers, redactions, responses
from gateway.board.store import audit, own_words

HIDDEN_MARK = own_words.HIDDEN_MARK  # where hidden words were, for members


def hidden_parts(text: str, passages) -> list[tuple[str, bool]]:
    """`text` in pieces, each True where it is inside a hidden passage (every
    place each passage occurs; overlapping passages join up)."""
    covered = [False] * len(text)
    for passage in passages:
        start = text.find(passage) if passage else -1
        while start >= 0:
            covered[start : start + len(passage)] = [True] * len(passage)
            start = text.find(passage, start + 1)
    parts, at = [], 0
    for hidden, run in groupby(covered):
        length = len(list(run))
        parts.append((text[at : at + length], hidden))
        at += length
    return parts


def text_of(conn: Connection, response_id: str, step_id: str) -> str | None:
    """The words a passage can be hidden in: the opening message, or what the
    person wrote as an answer."""
    if step_id == OPENING:
        column, where = responses.c.opening_text, responses.c.id == response_id
    else:
        column = func.coalesce(answers.c.raw, answers.c.value)
        where = (answers.c.response_id == response_id) & (answers.c.step_id == step_id)
    return conn.execute(select(column).where(where)).scalar()


def hide_passage(conn, response_id, step_id, passage, *, by, at) -> int | None:
    """Hide `passage` of a text from members; None (nothing changed) if the
    text does not hold it."""
    _take_turns(conn, response_id)
    text = text_of(conn, response_id, step_id)
    if not passage or not text or passage not in text:
        return None
    redaction_id = conn.execute(
        insert(redactions).values(
            response_id=response_id,
            step_id=step_id,
            passage=passage,
            user_id=by,
            created_at=at,
        )
    ).inserted_primary_key[0]
    _refresh_text_for_members(conn, response_id, step_id, text)
    audit.change(
        conn, at, by, "redacted", response_id, step_id=step_id, passage=passage
    )
    return redaction_id


def show_passage(conn, response_id, redaction_id, *, by, at) -> bool:
    """Undo a hidden passage: members see those words again."""
    _take_turns(conn, response_id)
    found = conn.execute(
        select(redactions).where(
            redactions.c.id == redaction_id, redactions.c.response_id == response_id
        )
    ).mappings()
    row = found.first()
    if row is None:
        return False
    conn.execute(delete(redactions).where(redactions.c.id == redaction_id))
    text = text_of(conn, response_id, row["step_id"]) or ""
    _refresh_text_for_members(conn, response_id, row["step_id"], text)
    step_id, passage = row["step_id"], row["passage"]
    audit.change(
        conn, at, by, "redaction_undone", response_id, step_id=step_id, passage=passage
    )
    return True


def _take_turns(conn: Connection, response_id: str) -> None:
    """Wait for, and hold until commit, the response's row (FOR UPDATE)."""
    conn.execute(
        select(responses.c.id).where(responses.c.id == response_id).with_for_update()
    )


def _refresh_text_for_members(conn, response_id, step_id, text) -> None:
    """Keep what members search in step with the passages hidden now."""
    passages = conn.execute(
        select(redactions.c.passage).where(
            redactions.c.response_id == response_id, redactions.c.step_id == step_id
        )
    ).scalars()
    parts = hidden_parts(text, list(passages))
    shown = "".join(HIDDEN_MARK if hidden else words for words, hidden in parts)
    own_words.show_members(conn, response_id, step_id, shown)
