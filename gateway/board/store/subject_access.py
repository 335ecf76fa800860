"""What the board adds to a site's answers about one person, for their copy.

A site asks for one pseudonym and the ids of the responses it holds of theirs
(gateway subject-access): the ids find those sent under an older pseudonym.
The board answers for that site's own responses only, as everywhere in sync:
each one's answers (for any the site no longer holds), how it is being
reviewed, its tags, its comments and staff notes, which of the person's words
are hidden from board members, and what staff did about its alerts.
"""

from __future__ import annotations

from sqlalchemy import Connection, or_, select

from gateway.board.schema import (
    alerts,
    answers,
    notes,
    redactions,
    response_tags,
    responses,
)


def held_for(
    conn: Connection, site_id: str, participant: str, response_ids: list[str]
) -> list[dict]:
    found = _rows(
        conn,
        select(
            responses.c.id,
            responses.c.flow_id,
            responses.c.closed_at,
            responses.c.review_status,
            responses.c.flagged,
        )
        .where(
            responses.c.site_id == site_id,
            or_(
                responses.c.participant_id == participant,
                responses.c.id.in_(response_ids),
            ),
        )
        .order_by(responses.c.closed_at, responses.c.id),
    )
    for response in found:
        of_it = response["id"]
        response["flagged"] = bool(response["flagged"])
        response["tags"] = _values(
            conn,
            select(response_tags.c.tag)
            .where(response_tags.c.response_id == of_it)
            .order_by(response_tags.c.tag),
        )
        response["notes"] = _rows(
            conn,
            select(notes.c.body, notes.c.staff_only, notes.c.created_at)
            .where(notes.c.response_id == of_it)
            .order_by(notes.c.id),
        )
        response["hidden"] = _values(
            conn,
            select(redactions.c.passage)
            .where(redactions.c.response_id == of_it)
            .order_by(redactions.c.id),
        )
        response["answers"] = _rows(
            conn,
            select(answers.c.prompt, answers.c.raw, answers.c.state)
            .where(answers.c.response_id == of_it)
            .order_by(answers.c.position),
        )
        response["alerts"] = _rows(
            conn,
            select(
                alerts.c.id,
                alerts.c.status,
                alerts.c.acknowledged_at,
                alerts.c.what_was_done,
            )
            .where(alerts.c.site_id == site_id, alerts.c.response_id == of_it)
            .order_by(alerts.c.raised_at),
        )
    return found


def _rows(conn: Connection, query) -> list[dict]:
    return [dict(row) for row in conn.execute(query).mappings()]


def _values(conn: Connection, query) -> list:
    return list(conn.execute(query).scalars())
