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
    found = [
        dict(row)
        for row in conn.execute(
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
        response["answers"] = [
            dict(row)
            for row in conn.execute(
                select(answers.c.prompt, answers.c.raw, answers.c.state)
                .where(answers.c.response_id == response_id)
                .order_by(answers.c.position)
            ).mappings()
        ]
        response["alerts"] = [
            dict(row)
            for row in conn.execute(
                select(
                    alerts.c.id,
                    alerts.c.status,
                    alerts.c.acknowledged_at,
                    alerts.c.what_was_done,
                )
                .where(alerts.c.site_id == site_id, alerts.c.response_id == response_id)
                .order_by(alerts.c.raised_at)
            ).mappings()
        ]
    return found
