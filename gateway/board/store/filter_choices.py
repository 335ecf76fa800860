"""What the inbox's filters offer to choose from: sites, flows, languages
and the answers given to a question, each found by index seeks."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from gateway.board.schema import answers, responses, sites
from gateway.board.store.inbox import Viewer


def site_choices(conn: Connection, viewer: Viewer) -> list[str]:
    """The enrolled sites this viewer may see, by name."""
    query = select(sites.c.name).where(sites.c.site_id.is_not(None))
    if viewer.sites is not None:
        query = query.where(sites.c.name.in_(viewer.sites))
    return list(conn.execute(query.order_by(sites.c.name)).scalars())


def flows_found(conn: Connection, limit: int = 200) -> list[str]:
    return distinct_values(conn, responses.c.flow_id, limit=limit)


def languages_found(conn: Connection, limit: int = 200) -> list[str]:
    return distinct_values(conn, responses.c.language, limit=limit)


def values_found(conn: Connection, step_id: str, limit: int = 50) -> list[str]:
    """The answers people gave to `step_id` (only ask this of a step with
    options: a free-text step's values are people's own words)."""
    return distinct_values(
        conn, answers.c.value, answers.c.step_id == step_id, limit=limit
    )


def distinct_values(conn: Connection, column, where=None, limit: int = 200):
    """The distinct values of an indexed column, smallest first, found by one
    index seek per value (a recursive "loose index scan", which SQLite and
    PostgreSQL both run) instead of reading every row."""
    narrowed = (lambda q: q.where(where)) if where is not None else (lambda q: q)
    found = narrowed(select(func.min(column).label("value"))).cte(
        "found", recursive=True
    )
    following = narrowed(select(func.min(column)).where(column > found.c.value))
    found = found.union_all(
        select(following.scalar_subquery()).where(found.c.value.is_not(None))
    )
    query = select(found.c.value).where(found.c.value.is_not(None)).limit(limit)
    return list(conn.execute(query).scalars())
