"""Responses the board makes itself rather than receives from a site: paper
cards that staff type in, and the sample data of `gateway demo`.

They are stored in the same shape as a site's (records.apply_response), so
the inbox, exports and figures read them like any other.
"""

from __future__ import annotations

from sqlalchemy import Connection, exc, func, literal, select, update

from gateway.board.schema import alerts, responses, sites
from gateway.board.store import records


def add_response_once(
    conn: Connection,
    record: dict,
    received_at: str,
    own_steps: set[str],
    *,
    is_test: bool = False,
) -> bool:
    """Store the response unless its id is taken (the same form sent twice):
    then False, and nothing changes. The primary key decides, never a look
    first, so two sends at once store one. `is_test`: sample data."""
    try:
        with conn.begin_nested():
            records.apply_response(conn, record, received_at, own_steps)
    except exc.IntegrityError:
        if _response_exists(conn, record["id"]):
            return False
        raise
    if is_test:
        conn.execute(
            update(responses).where(responses.c.id == record["id"]).values(is_test=True)
        )
    return True


def _response_exists(conn: Connection, response_id: str) -> bool:
    found = conn.execute(select(literal(1)).where(responses.c.id == response_id))
    return found.first() is not None


def paper_card(conn: Connection, response_id: str) -> dict | None:
    """A typed-in card with its site's name and how many alerts it raised;
    None if there is no paper card with this id."""
    raised = (
        select(func.count())
        .where(
            alerts.c.response_id == responses.c.id,
            alerts.c.site_id == responses.c.site_id,
        )
        .scalar_subquery()
    )
    row = conn.execute(
        select(
            responses.c.id,
            responses.c.flow_id,
            responses.c.status,
            responses.c.closed_at,
            responses.c.helped,
            responses.c.entered_by,
            sites.c.name.label("site_name"),
            raised.label("alerts"),
        )
        .select_from(responses.join(sites, sites.c.site_id == responses.c.site_id))
        .where(responses.c.id == response_id, responses.c.channel == "paper")
    ).first()
    return row._asdict() if row else None
