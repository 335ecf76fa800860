"""The board's responses as an export reads them: the inbox's filters, as one
viewer may see them, in one view of the database.

First a `Plan` (how many, which step columns, and for members which sites
small numbers leave out), then the rows, CHUNK at a time in (closed_at, id)
order, each chunk's answers, tags and hidden passages in one query each. So
an export of a million responses runs a few thousand queries, not a million,
and holds one chunk at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, case, func, select, tuple_

from flows.model import OPENING
from gateway.board.database import reading
from gateway.board.schema import (
    answers,
    redactions,
    response_tags,
    responses,
    sites,
    tags,
)
from gateway.board.store import own_words
from gateway.board.store.hidden_words import hidden_parts
from gateway.board.store.inbox import FEW, Filters, Viewer, conditions, in_folder
from gateway.board.suppression import among_siblings

CHUNK = 1000
EXPORT_CACHE_KIB = 2000  # SQLite's own default page cache
r = responses.c
COLUMNS = (
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


@dataclass(frozen=True)
class Plan:
    """What one export holds, worked out before its first row."""

    where: tuple  # the conditions every chunk is read with
    count: int  # responses it holds
    steps: list[tuple[str, str]]  # each (flow id, step id) they answered
    exact: bool  # staff: everything; members: the suppressed view
    left_out_sites: tuple[str, ...] = ()  # members: sites with too few
    left_out: int = 0  # the responses of those sites


@contextmanager
def one_view(engine: Engine) -> Iterator[Connection]:
    """A read that sees one moment from the plan to the last chunk (reading()),
    with SQLite's page cache at its own small default while it lasts: an
    export reads each page about once, in order, so the board's 32 MB cache
    would only hold memory (a third of what a million-row export uses)."""
    with reading(engine) as conn:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        kept = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        conn.exec_driver_sql(f"PRAGMA cache_size=-{EXPORT_CACHE_KIB}")
        try:
            yield conn
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(kept)}")


def plan_export(
    conn: Connection,
    viewer: Viewer,
    filters: Filters,
    *,
    folder: str = "all",
    include_test: bool = True,
    small_below: int = 5,
) -> Plan:
    """The plan for these filters and folder, as `viewer` may see them.

    Staff get the exact export. For anyone else the responses of a site
    whose count in this export small numbers would hide (suppression.py's
    rules, threshold `small_below`) are left out whole."""
    where = matching(conn, viewer, filters, folder, include_test)
    exact = viewer.sees_staff_only
    left_out_sites: tuple[str, ...] = ()
    left_out = 0
    if exact:
        count = _count(conn, where)
    else:
        by_site = _counts_by_site(conn, where)
        totals = {name: total for name, (_site_id, total) in by_site.items()}
        hidden = among_siblings(totals, small_below)
        left_out_sites = tuple(sorted(n for n, h in hidden.items() if h.counts))
        left_out = sum(totals[name] for name in left_out_sites)
        count = sum(totals.values()) - left_out
        if left_out_sites:
            ids = [by_site[name][0] for name in left_out_sites]
            where = (*where, r.site_id.not_in(ids))
    return Plan(
        where=tuple(where),
        count=count,
        steps=_steps_answered(conn, where),
        exact=exact,
        left_out_sites=left_out_sites,
        left_out=left_out,
    )


def how_many(
    conn: Connection,
    viewer: Viewer,
    filters: Filters,
    *,
    folder: str = "all",
    include_test: bool = True,
) -> int:
    """How many responses these filters match, as the viewer may see them."""
    return _count(conn, matching(conn, viewer, filters, folder, include_test))


def matching(conn, viewer, filters, folder="all", include_test=True) -> tuple:
    """The inbox's own conditions for these filters and folder.

    A word search is checked response by response when many texts hold the
    words, and looked up once per chunk when few do (as the inbox chooses
    for answers and tags), so no chunk reads every match."""
    many_say_it = bool(filters.words) and not _few_say(conn, viewer, filters.words)
    where = [in_folder(folder), *conditions(conn, viewer, filters, many_say_it)]
    if not include_test:
        where.append(r.is_test.is_(False))
    return tuple(where)


def _count(conn: Connection, where) -> int:
    query = select(func.count()).select_from(responses).where(*where)
    return conn.execute(query).scalar_one()


def _few_say(conn: Connection, viewer: Viewer, words: str) -> bool:
    found = own_words.holding(conn, words, viewer.sees_staff_only).limit(FEW + 1)
    counted = select(func.count()).select_from(found.subquery())
    return conn.execute(counted).scalar_one() <= FEW


def _counts_by_site(conn: Connection, where) -> dict[str, tuple[str, int]]:
    """{site name: (its id, responses)} among those matching."""
    found = conn.execute(
        select(r.site_id, func.count())
        .select_from(responses)
        .where(*where)
        .group_by(r.site_id)
    ).all()
    ids = [site_id for site_id, _ in found]
    query = select(sites.c.site_id, sites.c.name).where(sites.c.site_id.in_(ids))
    names = dict(conn.execute(query).all()) if ids else {}
    return {names.get(site_id, site_id): (site_id, total) for site_id, total in found}


def _steps_answered(conn: Connection, where) -> list[tuple[str, str]]:
    """Each (flow id, step id) answered among the responses that match, in
    one query. The answers are an alias, so a filter's own subquery on
    answers stays its own."""
    answered = answers.alias("answered")
    query = (
        select(r.flow_id, answered.c.step_id)
        .distinct()
        .select_from(responses.join(answered, answered.c.response_id == r.id))
        .where(*where)
    )
    return [(flow_id, step_id) for flow_id, step_id in conn.execute(query)]


def rows(
    conn: Connection,
    plan: Plan,
    hidden: str = "[hidden]",
    csv_steps: list[str] | None = None,
) -> Iterator[dict]:
    """The plan's responses, oldest first, in the shape a site's own export
    has (answers by step id), with their tags; for staff the person's
    pseudonym too. For members every hidden passage reads `hidden`.

    With `csv_steps` (a CSV's step columns), each row has `step_cells`
    instead of answers: each step's value and state, side by side, as SQL
    lays them out, which is all a CSV writes and much less to read."""
    columns = COLUMNS if not plan.exact else (*COLUMNS, r.participant_id)
    source = responses.outerjoin(sites, sites.c.site_id == r.site_id)
    query = (
        select(*columns)
        .select_from(source)
        .where(*plan.where)
        .order_by(r.closed_at, r.id)
        .limit(CHUNK)
    )
    key = tuple_(r.closed_at, r.id)
    after = after_closed = None
    while True:
        if after is not None:
            page = query.where(r.closed_at >= after_closed, key > after)
        result = conn.execute(query if after is None else page)
        names = list(result.keys())
        found = [dict(zip(names, row, strict=True)) for row in result.all()]
        if not found:
            return
        # The chunk again, by its first and last keys: no query holds a
        # thousand ids, and each reads only the chunk's part of the index.
        # The plain bounds on closed_at are there for PostgreSQL, which
        # cannot tell how few rows a pair of row bounds leaves and, without
        # them, reads every answer for every chunk.
        first_closed, last_closed = found[0]["closed_at"], found[-1]["closed_at"]
        first = tuple_(first_closed, found[0]["id"])
        last = tuple_(last_closed, found[-1]["id"])
        within = (r.closed_at >= first_closed, r.closed_at <= last_closed)
        chunk = [*plan.where, *within, key >= first, key <= last]
        if csv_steps is None:
            by_id, empty = _answers_of(conn, chunk), {}
        else:
            by_id, empty = _step_cells(conn, chunk, csv_steps), None
        tagged = _tags_of(conn, chunk, plan.exact)
        passages = {} if plan.exact else _passages_of(conn, chunk)
        for row in found:
            row["is_test"] = bool(row["is_test"])
            if csv_steps is None:
                row["answers"] = by_id.get(row["id"], empty)
            else:
                row["step_cells"] = by_id.get(row["id"]) or [None] * len(csv_steps) * 2
            row["tags"] = tagged.get(row["id"], [])
            if row["id"] in passages:
                _take_out(row, passages[row["id"]], hidden, csv_steps)
            yield row
        after, after_closed = last, last_closed


def _answers_of(conn: Connection, chunk: list) -> dict[str, dict]:
    """The answers of the responses meeting `chunk`, by response and step id,
    in the order they were asked. (Answers here are an alias, so a filter's
    own subquery on answers stays its own.)"""
    chunk_answers = answers.alias("chunk_answers")
    a = chunk_answers.c
    query = (
        select(a.response_id, a.step_id, a.value, a.raw, a.prompt, a.state)
        .add_columns(a.answered_at)
        .select_from(responses.join(chunk_answers, a.response_id == r.id))
        .where(*chunk)
        .order_by(a.response_id, a.position)
    )
    found: dict[str, dict] = {}
    for response_id, step_id, value, raw, prompt, state, at in conn.execute(
        query
    ).all():
        found.setdefault(response_id, {})[step_id] = {
            "value": value,
            "raw": raw,
            "prompt": prompt,
            "state": state,
            "answered_at": at,
        }
    return found


def _step_cells(conn: Connection, chunk: list, steps: list[str]) -> dict[str, list]:
    """{response id: [value, state, value, state, ...]} for `steps`, one row
    a response (a step not answered is None, None)."""
    if not steps:
        return {}
    chunk_answers = answers.alias("chunk_answers")
    a = chunk_answers.c
    cells = []
    for step in steps:
        cells += [
            func.max(case((a.step_id == step, a.value))),
            func.max(case((a.step_id == step, a.state))),
        ]
    query = (
        select(a.response_id, *cells)
        .select_from(responses.join(chunk_answers, a.response_id == r.id))
        .where(*chunk)
        .group_by(a.response_id)
    )
    return {row[0]: list(row[1:]) for row in conn.execute(query).all()}


def _tags_of(conn: Connection, chunk: list, staff_only_too: bool):
    """The tag names of the responses meeting `chunk`, alphabetically
    (staff-only ones for staff). Staff-only tags are left out here, not in
    SQL, so the query starts from the chunk, not from every tagged response."""
    chunk_tags = response_tags.alias("chunk_tags")
    t = chunk_tags.c
    query = (
        select(t.response_id, t.tag, tags.c.staff_only)
        .select_from(
            responses.join(chunk_tags, t.response_id == r.id).join(
                tags, tags.c.name == t.tag
            )
        )
        .where(*chunk)
        .order_by(t.response_id, t.tag)
    )
    found: dict[str, list[str]] = {}
    for response_id, tag, staff_only in conn.execute(query).all():
        if staff_only_too or not staff_only:
            found.setdefault(response_id, []).append(tag)
    return found


def _passages_of(conn: Connection, chunk: list) -> dict[str, dict[str, list]]:
    """The hidden passages of the responses meeting `chunk`:
    {response id: {step id or OPENING: [passage, ...]}}."""
    chunk_hidden = redactions.alias("chunk_hidden")
    h = chunk_hidden.c
    query = (
        select(h.response_id, h.step_id, h.passage)
        .select_from(responses.join(chunk_hidden, h.response_id == r.id))
        .where(*chunk)
    )
    found: dict[str, dict[str, list]] = {}
    for response_id, step_id, passage in conn.execute(query).all():
        found.setdefault(response_id, {}).setdefault(step_id, []).append(passage)
    return found


def _take_out(row: dict, passages: dict[str, list[str]], hidden: str, steps) -> None:
    """Each hidden passage of the opening message and of the answers, as a
    member's page shows it: `hidden` in its place."""
    if OPENING in passages:
        row["opening_text"] = _without(row["opening_text"], passages[OPENING], hidden)
    if steps is not None:
        cells = row["step_cells"]
        for position, step_id in enumerate(steps):
            if step_id in passages:
                value = cells[2 * position]
                cells[2 * position] = _without(value, passages[step_id], hidden)
        return
    for step_id, answer in row["answers"].items():
        if step_id in passages:
            for key in ("value", "raw"):
                answer[key] = _without(answer[key], passages[step_id], hidden)


def _without(text: str | None, passages: list[str], hidden: str) -> str | None:
    """`text` with each passage as `hidden`. An answer's value may be its
    words cut at the question's length, through a passage: the start of a
    passage left at the very end is hidden too."""
    if not text:
        return text
    parts = hidden_parts(text, passages)
    shown = "".join(hidden if is_hidden else words for words, is_hidden in parts)
    for passage in passages:
        for length in range(min(len(passage), len(shown)) - 1, 0, -1):
            if shown.endswith(passage[:length]):
                return shown[:-length] + hidden
    return shown
