"""The Figures page's counts, and which of them members may see.

Each chart is one GROUP BY query over the responses the inbox lists for the
same filters (inbox.conditions), so a viewer limited to some sites counts
only theirs, by any address. Periods (weeks, months) are given as their
first moments in ISO UTC and counted with a CASE, so a week is the board's
own week on every engine. The rest is pure: shares, the sites with most
answers, and small numbers hidden by gateway.board.suppression.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, case, false, func, or_, select

from flows.formats import iso
from flows.model import Flow, StepKind
from flows.scales import SCALES
from gateway.board.fft import ANSWERS as FFT_VALUES
from gateway.board.fft import FFT_SCALE, POSITIVE, fft_steps
from gateway.board.schema import answers, response_tags, responses, sites, tags
from gateway.board.store.filter_choices import distinct_values
from gateway.board.store.inbox import Filters, Viewer, conditions
from gateway.board.suppression import (
    ALL_HIDDEN,
    SHOWN,
    Hidden,
    among_siblings,
    either,
    too_few,
)

MOST_SITES = 6  # lines drawn for single sites, beside all of them together
MOST_TAGS = 6
OTHERS = "_others"  # the sites not drawn, as one sibling of those drawn
# The answers and tags counted, by other names: a filter on answers or tags
# (inbox.conditions) may check its own table with EXISTS, which must not
# take the rows counted here for its own.
COUNTED = answers.alias("counted_answers")
TAGGED = response_tags.alias("counted_tags")

FFT = "fft"  # the question that stands for every Friends and Family Test step
ASKED_KINDS = (StepKind.SCALE, StepKind.CHOICE, StepKind.YESNO)

Steps = tuple[tuple[str, str], ...]  # (flow id, step id) pairs


@dataclass(frozen=True)
class Figure:
    """One number a chart shows: how many, its share (0 to 1), what to hide."""

    count: int
    share: float | None = None
    hidden: Hidden = SHOWN


@dataclass(frozen=True)
class Series:
    """One line: a site (None for all of them together) and a Figure per
    period, whose count is how many answered and share how many were positive."""

    site_id: str | None
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Question:
    """A question whose answers are counted: its words, the steps that ask it
    and its answers, as (value, words) in the flow's order (msgids)."""

    words: str
    steps: Steps
    options: tuple[tuple[str, str], ...]


def questions(conn: Connection, flows: dict[str, Flow]) -> dict[str, Question]:
    """The questions to count answers to, by a key for the address: the
    Friends and Family Test first (FFT, all its steps as one), then each
    other question answered by picking that someone has answered."""
    found = {}
    fft = fft_steps(flows)
    if fft:
        words = flows[fft[0][0]].step(fft[0][1]).text
        options = tuple((o.value, o.words) for o in SCALES[FFT_SCALE])
        found[FFT] = Question(words, fft, options)
    answered = set(distinct_values(conn, answers.c.step_id, limit=500))
    for flow in sorted(flows.values(), key=lambda flow: flow.title):
        for step in flow.steps:
            asked = step.kind in ASKED_KINDS and step.id in answered
            if asked and (flow.id, step.id) not in fft:
                found[f"{flow.id}:{step.id}"] = Question(
                    f"{flow.title}: {step.text}",
                    ((flow.id, step.id),),
                    tuple((o.value, o.words) for o in step.options),
                )
    return found


@dataclass(frozen=True)
class Periods:
    """Weeks (from Monday) or months, in the board's own time zone."""

    starts: tuple[date, ...]  # each period's first day
    end: date  # the day after the last
    unit: str  # "week" or "month"
    cut: bool  # more were asked for than are drawn: these are the last

    def bounds(self, zone: ZoneInfo) -> list[str]:
        """Where each begins, and the last ends, as ISO UTC."""
        return [
            iso(datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC))
            for day in (*self.starts, self.end)
        ]


def start_of(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)


def after(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(first, last: date, unit: str, shown: int, most: int) -> Periods:
    """The weeks or months from `first` to `last`, at most `most` (the last
    ones); with no first day, the `shown` ones up to `last`."""
    if first is None:
        first = start_of(last, unit)
        for _ in range(shown - 1):
            first = start_of(first - timedelta(days=1), unit)
    starts = [start_of(max(first, last), unit)]
    while len(starts) <= most and starts[0] > start_of(first, unit):
        starts.insert(0, start_of(starts[0] - timedelta(days=1), unit))
    cut = len(starts) > most
    starts = starts[-most:]
    return Periods(tuple(starts), after(starts[-1], unit), unit, cut)


# The queries --------------------------------------------------------------------


def _asked(steps: Steps):
    """Answers to any of these steps of these flows."""
    if not steps:
        return false()
    return or_(
        *(and_(responses.c.flow_id == f, COUNTED.c.step_id == s) for f, s in steps)
    )


def _in_periods(bounds: list[str]) -> tuple[list, object]:
    """The conditions for a response closed in these periods, and the number
    of its period: i where bounds[i] <= closed_at < bounds[i + 1]."""
    closed = responses.c.closed_at
    period = case(*((closed < bound, i) for i, bound in enumerate(bounds[1:])))
    return [closed >= bounds[0], closed < bounds[-1]], period


def answers_by_period(
    conn: Connection, viewer: Viewer, filters: Filters, steps: Steps, bounds
) -> list[tuple[str, int, str, int]]:
    """(site id, period, value, how many) of the answers to `steps` (any
    value: each is checked in Python, so the engine can find each response's
    answer by its primary key rather than one look-up a value)."""
    within, period = _in_periods(bounds)
    found = (
        select(responses.c.site_id, period.label("period"), COUNTED.c.value)
        .select_from(responses.join(COUNTED, COUNTED.c.response_id == responses.c.id))
        .where(_asked(steps), COUNTED.c.value.is_not(None), *within)
        .where(*conditions(conn, viewer, filters))
        .subquery()
    )
    # Grouped outside, by the subquery's columns: PostgreSQL would not match
    # a CASE of bound parameters in GROUP BY to the one in the select list.
    query = select(found.c.site_id, found.c.period, found.c.value, func.count())
    query = query.group_by(found.c.site_id, found.c.period, found.c.value)
    return [tuple(row) for row in conn.execute(query)]


def answer_counts(
    conn: Connection, viewer: Viewer, filters: Filters, steps: Steps
) -> dict[str, int]:
    """How many gave each answer to `steps`."""
    query = (
        select(COUNTED.c.value, func.count())
        .select_from(responses.join(COUNTED, COUNTED.c.response_id == responses.c.id))
        .where(_asked(steps), COUNTED.c.value.is_not(None))
        .where(*conditions(conn, viewer, filters))
        .group_by(COUNTED.c.value)
    )
    return dict(conn.execute(query).all())


def responses_by_way(
    conn: Connection, viewer: Viewer, filters: Filters
) -> list[tuple[str, str, bool, int]]:
    """(channel, language, sample or not, how many) of the responses."""
    r = responses.c
    query = (
        select(r.channel, r.language, r.is_test, func.count())
        .where(*conditions(conn, viewer, filters))
        .group_by(r.channel, r.language, r.is_test)
    )
    return [(c, lang, bool(test), n) for c, lang, test, n in conn.execute(query)]


def tags_by_period(
    conn: Connection, viewer: Viewer, filters: Filters, bounds
) -> list[tuple[str, int, int]]:
    """(tag, period, how many) of the tags on the responses; staff-only tags
    for staff only."""
    within, period = _in_periods(bounds)
    found = (
        select(TAGGED.c.tag, period.label("period"))
        .select_from(responses.join(TAGGED, TAGGED.c.response_id == responses.c.id))
        .where(*within, *conditions(conn, viewer, filters))
    )
    if not viewer.sees_staff_only:
        shown = select(tags.c.name).where(tags.c.staff_only.is_(False))
        found = found.where(TAGGED.c.tag.in_(shown))
    found = found.subquery()
    query = select(found.c.tag, found.c.period, func.count())
    query = query.group_by(found.c.tag, found.c.period)
    return [tuple(row) for row in conn.execute(query)]


def site_names(conn: Connection, site_ids) -> dict[str, str]:
    ids = sorted(set(site_ids) - {None})
    if not ids:
        return {}
    query = select(sites.c.site_id, sites.c.name).where(sites.c.site_id.in_(ids))
    return dict(conn.execute(query).all())


# What the counts show ---------------------------------------------------------------


def bars(counts: dict[str, int], keys, threshold: int | None):
    """A Figure for all of them and one for each key (a bar), share of all.

    `threshold` None: exact (staff). Otherwise a bar with too few is hidden,
    and by rule 2 the next smallest too. A bar's share is of the whole, so it
    would give away a hidden count: whatever hides a count hides the share
    and the bar. When the whole is too few, every bar is hidden, noughts too
    (five noughts would say what the others said)."""
    total = sum(counts.get(key, 0) for key in keys)
    hidden = dict.fromkeys(keys, SHOWN)
    whole = SHOWN
    if threshold is not None:
        whole = ALL_HIDDEN if too_few(total, threshold) else SHOWN
        found = among_siblings({key: counts.get(key, 0) for key in keys}, threshold)
        hidden = {
            key: ALL_HIDDEN if whole.anything or found[key].anything else SHOWN
            for key in keys
        }
    shares = {key: counts.get(key, 0) / total if total else None for key in keys}
    return Figure(total, 1.0 if total else None, whole), {
        key: Figure(counts.get(key, 0), shares[key], hidden[key]) for key in keys
    }


def positive_lines(rows, periods: int, threshold: int | None) -> list[Series]:
    """From answers_by_period's rows: all sites together, then each of the
    MOST_SITES sites with most answers (when there are two or more sites).

    For members, a point with too few answers is hidden (rule 1), and rule
    2 is followed among the sites of each period."""
    answered: dict[str | None, list[Counter]] = {}
    for site_id, period, value, count in rows:
        for key in (None, site_id) if value in FFT_VALUES else ():
            answered.setdefault(key, [Counter() for _ in range(periods)])
            answered[key][period][value] += count
    if not answered:
        return []
    by_size = sorted(
        (key for key in answered if key is not None),
        key=lambda key: (-sum(sum(c.values()) for c in answered[key]), key),
    )
    drawn = [None, *by_size[:MOST_SITES]] if len(by_size) > 1 else by_size
    totals = {key: [sum(c.values()) for c in answered[key]] for key in answered}
    hidden = {key: [SHOWN] * periods for key in drawn}
    if threshold is not None:
        hidden = _hide_small_points(totals, drawn, by_size, periods, threshold)
    return [
        Series(
            key,
            tuple(
                Figure(
                    totals[key][p],
                    sum(answered[key][p][v] for v in POSITIVE) / totals[key][p]
                    if totals[key][p]
                    else None,
                    hidden[key][p],
                )
                for p in range(periods)
            ),
        )
        for key in drawn
    ]


def _hide_small_points(totals, drawn, sites, periods, threshold):
    """Rule 1 for each point; rule 2 among the sites of one period, whose
    parent (all of them that period) is drawn too, and among the periods of
    one line, whose parent is the line's total (the page says it). Those
    not drawn count as one more sibling, so that all of them less those
    drawn cannot give away a small number."""
    hidden = {key: [SHOWN] * periods for key in drawn}
    for key in drawn:
        line = among_siblings(
            {str(p): totals[key][p] for p in range(periods)},
            threshold,
            parent_hidden=too_few(sum(totals[key]), threshold),
        )
        hidden[key] = [line[str(p)] for p in range(periods)]
    for p in range(periods):
        counts = {key: totals[key][p] for key in drawn if key is not None}
        counts[OTHERS] = sum(totals[key][p] for key in sites if key not in drawn)
        whole = too_few(totals[None][p], threshold)
        among = among_siblings(counts, threshold, parent_hidden=whole)
        for key in drawn:
            if key is not None:
                hidden[key][p] = either(hidden[key][p], among[key])
            elif whole:
                hidden[key][p] = ALL_HIDDEN
    return hidden


def tag_rows(rows, periods: int, threshold: int | None):
    """From tags_by_period's rows: the MOST_TAGS tags used most, each as
    (tag, its Figure over every period, a Figure per period). For members,
    the periods of one tag are siblings under its total."""
    counts: dict[str, list[int]] = {}
    for tag, period, count in rows:
        counts.setdefault(tag, [0] * periods)[period] += count
    most = sorted(counts, key=lambda tag: (-sum(counts[tag]), tag.casefold()))
    found = []
    for tag in most[:MOST_TAGS]:
        total = sum(counts[tag])
        whole = SHOWN
        hidden = dict.fromkeys(range(periods), SHOWN)
        if threshold is not None:
            whole = ALL_HIDDEN if too_few(total, threshold) else SHOWN
            hidden = among_siblings(
                dict(enumerate(counts[tag])), threshold, whole.anything
            )
        figures = tuple(Figure(counts[tag][p], None, hidden[p]) for p in range(periods))
        found.append((tag, Figure(total, None, whole), figures))
    return found
