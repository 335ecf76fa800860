"""Finding responses for the inbox: folders, filters, counts and pages.

What someone asks of the inbox is a `Filters`; who is asking is a `Viewer`
(the sites they may see, and whether they see what only staff see). Each
function runs a fixed number of queries, whatever a page holds: the folder
counts (one, or four small ones when someone who sees every site chose
nothing), one for a page, and one each for that page's answers, tags, hidden
passages and alerts. Every filter is served by an index in schema.py; the
word search reads `own_words` (what people wrote, and nothing else), on
SQLite through its trigram index.
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
    select,
    true,
)

from gateway.board.schema import (
    alerts,
    answers,
    redactions,
    response_tags,
    responses,
    sites,
    tags,
    users,
)
from gateway.board.store import own_words
from gateway.board.store.review import STATUSES

PER_PAGE = 25
FOLDERS = ("new", "flagged", "done", "all")
CHANNELS = ("sms", "kiosk", "paper")
DONE = ("actioned", "closed")  # the Done folder
FEW = 2000  # a filter's matches few enough to start a page from (conditions)
READ_COST = 3  # reading and sorting a match, against checking one response


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
    real_only: bool = False  # leave out sample (test) feedback, as figures do


def conditions(
    conn: Connection, viewer: Viewer, filters: Filters, newest_first: bool = False
) -> list:
    """The WHERE clauses for these filters, as this viewer may see them, for
    a page of responses.

    A filter on answers, tags or words is written one of two ways with one
    meaning: IN, which finds every match first (through that table's own
    index, or one read of own_words), or EXISTS, which checks the newest
    responses one by one and stops at a page's worth. Answers and tags use IN
    when that filter alone matches few; words when `newest_first` is False."""
    found = _on_responses(conn, viewer, filters, newest_first)
    for table, where in _on_other_tables(viewer, filters):
        found.append(_matching(conn, table.c.response_id, *where))
    return found


def _on_responses(
    conn: Connection, viewer: Viewer, filters: Filters, newest_first: bool = False
) -> list:
    """The conditions on a response's own columns, and on its own words."""
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
    if filters.free_text:
        found.append(r.has_free_text.is_(True))
    if filters.status:
        found.append(r.review_status == filters.status)
    if filters.assigned_to is not None:
        found.append(r.assigned_to == filters.assigned_to)
    if filters.no_one_assigned:
        found.append(r.assigned_to.is_(None))
    if filters.real_only:
        found.append(r.is_test.is_(False))
    if filters.words:
        as_staff = viewer.sees_staff_only
        if newest_first:
            found.append(own_words.says(filters.words, as_staff))
        else:
            found.append(r.id.in_(own_words.holding(conn, filters.words, as_staff)))
    return found


def _on_other_tables(viewer: Viewer, filters: Filters) -> list:
    """The filters on answers and tags: (table, its conditions). Each matches
    at most one row of its table per response (a step's answer; a tag), so a
    count may join them without counting a response twice."""
    found = []
    if filters.step and filters.values:
        answered = [
            answers.c.step_id == filters.step,
            answers.c.value.in_(filters.values),
        ]
        found.append((answers, answered))
    if filters.tag:
        shown = [] if viewer.sees_staff_only else [_not_staff_only()]
        found.append((response_tags, [response_tags.c.tag == filters.tag, *shown]))
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


def _matching(conn: Connection, response_id_column, *where):
    """Responses with a matching row in another table (answers, tags)."""
    rows = select(response_id_column).where(*where)
    few = select(func.count()).select_from(rows.limit(FEW + 1).subquery())
    if conn.execute(few).scalar_one() <= FEW:
        return responses.c.id.in_(rows)
    return (
        select(literal(1)).where(response_id_column == responses.c.id, *where).exists()
    )


def _not_staff_only():
    return response_tags.c.tag.in_(
        select(tags.c.name).where(tags.c.staff_only.is_(False))
    )


def in_folder(folder: str):
    r = responses.c
    return {
        "new": r.review_status == "new",
        "flagged": r.flagged.is_(True),
        "done": r.review_status.in_(DONE),
        "all": true(),
    }[folder]


def folder_counts(conn: Connection, viewer: Viewer, filters: Filters) -> dict:
    """How many responses each folder holds with these filters.

    With nothing chosen and every site to see, four small counts over
    indexes: all (SQLite keeps this cheap), new, in review and flagged; Done is
    what is left. Otherwise one pass over the responses that match, joined to
    the answers and tags that do, so the planner starts from the narrower."""
    if viewer.sites is None and filters == Filters():
        return _counts_of_everything(conn)
    row = conn.execute(counts_query(conn, viewer, filters)).one()
    return {folder: int(getattr(row, folder)) for folder in FOLDERS}


def _counts_of_everything(conn: Connection) -> dict:
    r = responses.c

    def how_many(*where) -> int:
        return conn.execute(select(func.count()).where(*where)).scalar_one()

    everything = conn.execute(select(func.count()).select_from(responses))
    total = everything.scalar_one()
    still_open = {s: how_many(r.review_status == s) for s in STATUSES if s not in DONE}
    return {
        "new": still_open["new"],
        "flagged": how_many(r.flagged.is_(True)),
        "done": total - sum(still_open.values()),
        "all": total,
    }


def counts_query(conn: Connection, viewer: Viewer, filters: Filters):
    """The statement folder_counts runs when something is chosen (for a
    benchmark's query plan too)."""
    r = responses.c

    def how_many(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    source = responses
    for table, where in _on_other_tables(viewer, filters):
        source = source.join(table, and_(table.c.response_id == r.id, *where))
    return (
        select(
            func.count().label("all"),
            how_many(r.review_status == "new").label("new"),
            how_many(r.flagged.is_(True)).label("flagged"),
            how_many(r.review_status.in_(DONE)).label("done"),
        )
        .select_from(source)
        .where(*_on_responses(conn, viewer, filters))
    )


def page_query(
    conn, viewer, filters, folder="all", page=1, per_page=PER_PAGE, matches=None
):
    """The statement that finds a page's responses (page_of_responses)."""
    newest_first = bool(filters.words) and _many_say_it(conn, matches, page, per_page)
    return (
        select(responses)
        .where(in_folder(folder), *conditions(conn, viewer, filters, newest_first))
        .order_by(responses.c.closed_at.desc(), responses.c.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


def _many_say_it(conn: Connection, matches: int | None, page: int, per_page: int):
    """Whether a word search finds its page sooner by checking the newest
    responses one by one than by reading every match first and sorting them.

    Checking goes through about page x per_page x (responses / matches)
    responses, each far cheaper than a match read and sorted (READ_COST)."""
    if not matches:
        return False
    total = conn.execute(select(func.count()).select_from(responses)).scalar_one()
    return page * per_page * total < READ_COST * matches * matches


def page_of_responses(
    conn: Connection,
    viewer: Viewer,
    filters: Filters,
    folder: str = "all",
    page: int = 1,
    per_page: int = PER_PAGE,
    matches: int | None = None,
) -> list[dict]:
    """One page of a folder, newest first (closed_at, then id), each with its
    site's name, the name of who has it, its answers, tags (staff-only ones for
    staff only), hidden passages and, for staff, whether an alert is open.
    `matches`: how many the folder holds (folder_counts), if known; it helps
    a word search choose how to find its page."""
    query = page_query(conn, viewer, filters, folder, page, per_page, matches)
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
