"""Every site's closed responses as `gateway export` writes them on a board."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Connection, select

from gateway.board.schema import answers, responses, sites


def closed_responses(
    conn: Connection,
    *,
    since: str | None = None,
    include_test: bool = False,
    flow_id: str | None = None,
) -> Iterator[dict]:
    """Oldest first, each named by its site, with its answers by step id: the
    shape a site's own export has."""
    r = responses.c
    query = (
        select(
            r.id,
            r.flow_id,
            r.flow_version,
            r.channel,
            r.language,
            r.kiosk,
            r.site_id,
            sites.c.name.label("site"),
            r.started_at,
            r.closed_at,
            r.status,
            r.close_reason,
            r.is_test,
            r.opening_text,
            r.helped,
        )
        .select_from(responses.outerjoin(sites, sites.c.site_id == r.site_id))
        .order_by(r.id)
    )
    if since:
        query = query.where(r.closed_at >= since)
    if not include_test:
        query = query.where(r.is_test.is_(False))
    if flow_id:
        query = query.where(r.flow_id == flow_id)
    for row in conn.execute(query).mappings().all():
        found = dict(row)
        found["is_test"] = bool(found["is_test"])
        found["answers"] = {
            answer["step_id"]: {k: v for k, v in answer.items() if k != "step_id"}
            for answer in conn.execute(
                select(
                    answers.c.step_id,
                    answers.c.value,
                    answers.c.raw,
                    answers.c.prompt,
                    answers.c.state,
                    answers.c.answered_at,
                )
                .where(answers.c.response_id == found["id"])
                .order_by(answers.c.position)
            ).mappings()
        }
        yield found
