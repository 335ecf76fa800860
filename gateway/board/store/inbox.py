"""Finding responses for the inbox: folders, filters, counts and pages.

What someone asks of the inbox is a `Filters`; who is asking is a `Viewer`
(the sites they may see, and whether they see what only staff see). Each
function runs a fixed number of queries, whatever a page holds: one for the
counts of every folder, one for a page, and one each for that page's
answers, tags, hidden passages and alerts. Every filter is served by an
index in schema.py; only the word search reads every free-text response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from flows.model import OPENING
from gateway.board.schema import (
    alerts,
    answers,
    audit,
    redactions,
    response_tags,
    responses,
    sites,
    tags,
    texts_for_members,
    users,
)
from gateway.board.store import audit as audit_log

PER_PAGE = 25
FOLDERS = ("new", "flagged", "done", "all")
CHANNELS = ("sms", "kiosk", "paper")
DONE = ("actioned", "closed")  # the Done folder
FEW = 2000  # a filter's matches few enough to start a page from (conditions)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: what they may see decides every query here."""

    user_id: int
    sites: tuple[str, ...] | None = None  # site names; None: every site
    sees_staff_only: bool = False  # staff-only tags, hidden passages, alerts


@dataclass(frozen=True)
class Filters:
    """What someone chose to see. Empty means "any". Times are ISO UTC."""

    sites: tuple[str, ...] = ()
    flow: str | None = None
    channels: tuple[str, ...] = ()
    language: str | None = None
    closed_from: str | None = None  # closed at or after
    closed_before: str | None = None  # closed before
    step: str | None = None  # with `values`: an answer to this step is one of them
    values: tuple[str, ...] = ()
    free_text: bool = False
    status: str | None = None
    tag: str | None = None
    assigned_to: int | None = None
    no_one_assigned: bool = False
    words: str | None = None  # in free text, any case


def conditions(
    conn: Connection, viewer: Viewer, filters: Filters, counting: bool = False
) -> list:
    """The WHERE clauses for these filters, as this viewer may see them.

    A filter on answers or tags is written one of two ways with one meaning:
    IN, which finds the matches through that table's own index (for counts,
    and for a page when that filter alone matches few), or EXISTS, which
    checks the newest responses one by one and stops at a page's worth."""
    r = responses.c
    found = []
    site_ids = _site_ids(conn, viewer, filters)
    if site_ids is not None:
        found.append(r.site_id.in_(site_ids) if site_ids else false())
    if filters.flow:
        found.append(r.flow_id == filters.flow)
    if filters.channels:
        found.append(r.channel.in_(filters.channels))
    if filters.language:
        found.append(r.language == filters.language)
    if filters.closed_from:
        found.append(r.closed_at >= filters.closed_from)
    if filters.closed_before:
        found.append(r.closed_at < filters.closed_before)
    if filters.step and filters.values:
        answered = [
            answers.c.step_id == filters.step,
            answers.c.value.in_(filters.values),
        ]
        found.append(_matching(conn, answers.c.response_id, counting, *answered))
    if filters.free_text:
        found.append(r.has_free_text.is_(True))
    if filters.status:
        found.append(r.review_status == filters.status)
    if filters.tag:
        shown = [] if viewer.sees_staff_only else [_not_staff_only()]
        tagged = response_tags.c.tag == filters.tag
        tag_id = response_tags.c.response_id
        found.append(_matching(conn, tag_id, counting, tagged, *shown))
    if filters.assigned_to is not None:
        found.append(r.assigned_to == filters.assigned_to)
    if filters.no_one_assigned:
        found.append(r.assigned_to.is_(None))
    if filters.words:
        found.append(_says(filters.words, viewer.sees_staff_only))
    return found


def _site_ids(conn: Connection, viewer: Viewer, filters: Filters):
    """The ids of the sites to look in (None: every site), as values, so the
    planner sees exactly which."""
    names = set(filters.sites) if filters.sites else None
    if viewer.sites is not None:
        names = set(viewer.sites) if names is None else names & set(viewer.sites)
    if names is None:
        return None
    if not names:
        return []
    query = select(sites.c.site_id).where(
        sites.c.name.in_(sorted(names)), sites.c.site_id.is_not(None)
    )
    return sorted(conn.execute(query).scalars())


def visible_site_ids(conn: Connection, viewer: Viewer) -> list[str] | None:
    """The ids of the sites this viewer may see; None for every site."""
    return _site_ids(conn, viewer, Filters())


def _matching(conn: Connection, response_id_column, counting: bool, *where):
    """Responses with a matching row in another table (answers, tags)."""
    rows = select(response_id_column).where(*where)
    few = select(func.count()).select_from(rows.limit(FEW + 1).subquery())
    if counting or conn.execute(few).scalar_one() <= FEW:
        return responses.c.id.in_(rows)
    return (
        select(literal(1)).where(response_id_column == responses.c.id, *where).exists()
    )


def _not_staff_only():
    return response_tags.c.tag.in_(
        select(tags.c.name).where(tags.c.staff_only.is_(False))
    )


def _says(words: str, original: bool):
    """Free text holding `words`, in any case. Members search the text as they
    see it, so a hidden passage never matches for them."""
    pattern = "%" + escape_like(words) + "%"
    opening = responses.c.opening_text
    answer_text = answers.c.raw
    in_answers = select(literal(1)).where(answers.c.response_id == responses.c.id)
    if not original:
        for_members = texts_for_members.c
        opening = func.coalesce(
            select(for_members.text)
            .where(
                for_members.response_id == responses.c.id,
                for_members.step_id == OPENING,
            )
            .scalar_subquery(),
            opening,
        )
        in_answers = select(literal(1)).select_from(
            answers.outerjoin(
                texts_for_members,
                and_(
                    for_members.response_id == answers.c.response_id,
                    for_members.step_id == answers.c.step_id,
                ),
            )
        )
        in_answers = in_answers.where(answers.c.response_id == responses.c.id)
        answer_text = func.coalesce(for_members.text, answers.c.raw)
    return and_(
        responses.c.has_free_text.is_(True),
        or_(
            opening.ilike(pattern, escape="\\"),
            in_answers.where(answer_text.ilike(pattern, escape="\\")).exists(),
        ),
    )


def escape_like(text: str) -> str:
    """`text` to match as itself inside a LIKE pattern (escape character \\)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def in_folder(folder: str):
    r = responses.c
    return {
        "new": r.review_status == "new",
        "flagged": r.flagged.is_(True),
        "done": r.review_status.in_(DONE),
        "all": true(),
    }[folder]


def folder_counts(conn: Connection, viewer: Viewer, filters: Filters) -> dict:
    """How many responses each folder holds with these filters, in one pass
    (with no filters, over the (review_status, flagged) index alone)."""
    row = conn.execute(counts_query(conn, viewer, filters)).one()
    return {folder: int(getattr(row, folder)) for folder in FOLDERS}


def counts_query(conn: Connection, viewer: Viewer, filters: Filters):
    """The statement folder_counts runs (for a benchmark's query plan too)."""
    r = responses.c

    def how_many(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return select(
        func.count().label("all"),
        how_many(r.review_status == "new").label("new"),
        how_many(r.flagged.is_(True)).label("flagged"),
        how_many(r.review_status.in_(DONE)).label("done"),
    ).where(*conditions(conn, viewer, filters, counting=True))


def page_query(conn, viewer, filters, folder="all", page=1, per_page=PER_PAGE):
    """The statement that finds a page's responses (page_of_responses)."""
    return (
        select(responses)
        .where(in_folder(folder), *conditions(conn, viewer, filters))
        .order_by(responses.c.closed_at.desc(), responses.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def page_of_responses(
    conn: Connection,
    viewer: Viewer,
    filters: Filters,
    folder: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> list[dict]:
    """One page of a folder, newest first (closed_at, then id), each with its
    site's name, the name of who has it, its answers, tags (staff-only ones for
    staff only), hidden passages and, for staff, whether an alert is open."""
    query = page_query(conn, viewer, filters, folder, page, per_page)
    rows = [dict(row) for row in conn.execute(query).mappings()]
    ids = [row["id"] for row in rows]
    site_names = _names(conn, sites.c.site_id, sites.c.name, rows, "site_id")
    people = _names(conn, users.c.id, users.c.name, rows, "assigned_to")
    by_id = {
        "answers": answers_of(conn, ids),
        "tags": tags_of(conn, ids, viewer.sees_staff_only),
        "passages": passages_of(conn, ids),
    }
    alerted = open_alert_ids(conn, ids) if viewer.sees_staff_only else set()
    for row in rows:
        row["site_name"] = site_names.get(row["site_id"])
        row["assigned_name"] = people.get(row["assigned_to"])
        for key, found in by_id.items():
            row[key] = found.get(row["id"], [] if key != "passages" else {})
        row["alert_open"] = row["id"] in alerted
    return rows


def _names(conn: Connection, key_column, name_column, rows, key: str) -> dict:
    """The names of what `rows` point to by `key` (sites, people), at once."""
    keys = sorted({row[key] for row in rows if row[key] is not None})
    if not keys:
        return {}
    query = select(key_column, name_column).where(key_column.in_(keys))
    return dict(conn.execute(query).all())


def answers_of(conn: Connection, response_ids: list[str]) -> dict[str, list[dict]]:
    """Every answer of these responses, in the order they were asked."""
    found: dict[str, list[dict]] = {}
    if response_ids:
        rows = conn.execute(
            select(answers)
            .where(answers.c.response_id.in_(response_ids))
            .order_by(answers.c.response_id, answers.c.position)
        ).mappings()
        for row in rows:
            found.setdefault(row["response_id"], []).append(dict(row))
    return found


def tags_of(conn: Connection, response_ids: list[str], staff_only_too: bool):
    """Each response's tags (name, description, staff_only), by name."""
    found: dict[str, list[dict]] = {}
    if not response_ids:
        return found
    query = (
        select(response_tags.c.response_id, tags)
        .select_from(response_tags.join(tags, tags.c.name == response_tags.c.tag))
        .where(response_tags.c.response_id.in_(response_ids))
        .order_by(response_tags.c.response_id, tags.c.name)
    )
    if not staff_only_too:
        query = query.where(tags.c.staff_only.is_(False))
    for row in conn.execute(query).mappings():
        found.setdefault(row["response_id"], []).append(dict(row))
    return found


def passages_of(conn: Connection, response_ids: list[str]) -> dict:
    """Hidden passages: {response id: {step id or OPENING: [redaction rows]}}."""
    found: dict[str, dict[str, list[dict]]] = {}
    if response_ids:
        rows = conn.execute(
            select(redactions)
            .where(redactions.c.response_id.in_(response_ids))
            .order_by(redactions.c.id)
        ).mappings()
        for row in rows:
            steps = found.setdefault(row["response_id"], {})
            steps.setdefault(row["step_id"], []).append(dict(row))
    return found


def open_alert_ids(conn: Connection, response_ids: list[str]) -> set[str]:
    """Which of these responses have an alert no one has dealt with yet."""
    if not response_ids:
        return set()
    return set(
        conn.execute(
            select(alerts.c.response_id).where(
                alerts.c.response_id.in_(response_ids), alerts.c.status == "open"
            )
        ).scalars()
    )


def visible_ids(conn: Connection, viewer: Viewer, response_ids) -> set[str]:
    """Which of these ids are responses this viewer may see."""
    if not response_ids:
        return set()
    where = conditions(conn, viewer, Filters())
    return set(
        conn.execute(
            select(responses.c.id).where(responses.c.id.in_(response_ids), *where)
        ).scalars()
    )


# The activity log -----------------------------------------------------------


def activity(
    conn: Connection, viewer: Viewer, before_seq: int | None = None, limit: int = 50
) -> list[dict]:
    """The audit log, newest first, `limit` entries before `before_seq`, each
    with the name of who did it. A viewer limited to some sites sees entries
    about no response, or about a response at one of their sites."""
    where = []
    if viewer.sites is not None:
        theirs = select(literal(1)).where(
            responses.c.id == audit.c.response_id, *conditions(conn, viewer, Filters())
        )
        where.append(or_(audit.c.response_id.is_(None), theirs.exists()))
    return audit_log.entries(conn, before_seq=before_seq, limit=limit, where=where)
