"""What the board adds to a site's answers about one person, for their copy.

A site asks for one pseudonym (gateway subject-access); the board answers for
that site's own responses only, as everywhere in sync: how each is being
reviewed, its tags, its comments and staff notes, and which of the person's
words are hidden from board members. The site already holds the answers.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from gateway.board.schema import notes, redactions, response_tags, responses


def held_for(conn: Connection, site_id: str, participant: str) -> list[dict]:
    found = [
        dict(row)
        for row in conn.execute(
            select(responses.c.id, responses.c.review_status, responses.c.flagged)
            .where(
                responses.c.site_id == site_id,
                responses.c.participant_id == participant,
            )
            .order_by(responses.c.closed_at, responses.c.id)
        ).mappings()
    ]
    for response in found:
        response_id = response["id"]
        response["tags"] = list(
            conn.execute(
                select(response_tags.c.tag)
                .where(response_tags.c.response_id == response_id)
                .order_by(response_tags.c.tag)
            ).scalars()
        )
        response["notes"] = [
            dict(row)
            for row in conn.execute(
                select(notes.c.body, notes.c.staff_only, notes.c.created_at)
                .where(notes.c.response_id == response_id)
                .order_by(notes.c.id)
            ).mappings()
        ]
        response["hidden"] = list(
            conn.execute(
                select(redactions.c.passage)
                .where(redactions.c.response_id == response_id)
                .order_by(redactions.c.id)
            ).scalars()
        )
        response["flagged"] = bool(response["flagged"])
    return found
