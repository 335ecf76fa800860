"""The Figures page: what people said, as charts drawn on the server (inline
SVG, no script), each with a table of the same numbers.

It reads the inbox's filters from the address (inbox_filters.py), so its
figures count exactly what the inbox lists for them; the counting is in
gateway.board.store.figures and the words of each chart in
templates/board/_charts.html. Members see small numbers hidden (fewer than
GATEWAY_SMALL_NUMBERS_BELOW); staff see them exact.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request, url_for
from flask_babel import format_date, format_percent, gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from gateway.board.access import needs
from gateway.board.database import current_engine, reading
from gateway.board.store import figures as counting
from gateway.board.suppression import SHOWN, for_one
from gateway.board.views import pages_bp
from gateway.board.views.activity import (
    CHANNEL_WORDS,
    IDENTIFIER,
    channel_words,
    day_words,
    language_words,
    start_of_day,
    viewer,
)
from gateway.board.views.inbox import errors_of
from gateway.board.views.inbox_filters import (
    FILTER_NAMES,
    OneFromList,
    as_choices,
    chosen_filters,
    chosen_tags,
    filter_form,
    inbox_url,
)
from gateway.runtime import current_runtime

DEFAULT_MONTHS = 3  # with no first day chosen: this month and the two before
MOST_WEEKS, MOST_MONTHS, MOST_TAG_MONTHS = 26, 24, 12  # drawn in a chart
LABEL_LETTERS = 16  # the longest line of a name written in a chart
# The line chart's frame, in the SVG's own units: its labels are placed here.
LINE = {"width": 720, "left": 64, "right": 200, "top": 24, "height": 240}
LABEL_HEIGHT = 20  # one line of a name at a line's end


class QuestionForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form: it changes nothing

    question = OneFromList(
        _l("Question to show"), _l("Choose a question from the list.")
    )


@pages_bp.get("/figures")
@needs("read")
def figures():
    who = viewer()
    small = None if who.sees_staff_only else current_app.config["SMALL_NUMBERS_BELOW"]
    with reading(current_engine()) as conn:
        form = filter_form(conn, who)
        filters = replace(
            chosen_filters(form, who),
            real_only=not current_app.config["SAMPLES_IN_FIGURES"],
        )
        questions = counting.questions(conn, current_runtime().flows)
        asked = QuestionForm(request.args)
        asked.question.choices = as_choices((k, q.words) for k, q in questions.items())
        asked.validate()
        key = None if asked.question.errors else asked.question.data
        key = key or next(iter(questions), None)
        days = _chosen_days(form)
        found = _count(conn, who, filters, days, questions.get(key))
    wrong = {field.name for field in [*form, *asked] if field.errors}
    pairs = [
        (k, v)
        for k, v in request.args.items(multi=True)
        if k in FILTER_NAMES and k not in wrong
    ]
    kept = [("question", key)] if "question" in request.args and key else []
    first, last = _window(days)
    dated = [(k, v) for k, v in pairs if k not in ("date_from", "date_to")]
    dated += [("date_from", first.isoformat()), ("date_to", last.isoformat())]
    ways = found["ways"]
    whole = sum(n for *_, n in ways)
    return render_template(
        "board/figures.html",
        form=form,
        asked=asked,
        errors=errors_of(form) + errors_of(asked),
        small=small,
        kept=kept,
        pairs=pairs,
        inbox_link=inbox_url(dated, folder="all"),
        window={"first": day_words(first), "last": day_words(last)},
        chosen_days=days[0] is not None,
        chosen=[(words, _here(url, kept)) for words, url in chosen_tags(form, pairs)],
        clear_url=_here("", kept),
        total=_shown(counting.Figure(whole, None, _alone(whole, small)), small),
        samples=any(test and n for _, _, test, n in ways),
        line=_line_chart(found, filters.sites or who.sites, small),
        spread=_spread_chart(questions.get(key), found["spread"], small),
        channels=_ways_chart(ways, 0, small),
        languages=_ways_chart(ways, 1, small),
        tags=_tag_chart(found["tags"], found["months"], found["days"], small),
    )


def _count(conn, who, filters, days, question) -> dict:
    """Every count the page shows: a query for each chart (the line's also
    gives the Friends and Family Test's answers, when it counts them all)."""
    small = None if who.sees_staff_only else current_app.config["SMALL_NUMBERS_BELOW"]
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    (first, last), chosen = _window(days), days[0] is not None
    filters = _within(filters, first, last)
    weeks = counting.periods(first, last, "week", 0, MOST_WEEKS)
    if weeks.cut:  # too many weeks to draw: months instead
        weeks = counting.periods(first, last, "month", 0, MOST_MONTHS)
    months = counting.periods(first, last, "month", 0, MOST_TAG_MONTHS)
    fft = counting.fft_steps(current_runtime().flows)
    rows = counting.answers_by_period(conn, who, filters, fft, weeks.bounds(zone))
    lines = counting.positive_lines(rows, len(weeks.starts), small)
    if not chosen:  # not the weeks before anyone answered, unless chosen
        lines, weeks = _from_first_answer(lines, weeks)
    if question and question.steps == fft and not weeks.cut:
        spread: dict = {}
        for *_, value, count in rows:
            spread[value] = spread.get(value, 0) + count
    elif question:
        spread = counting.answer_counts(conn, who, filters, question.steps)
    tags = counting.tags_by_period(conn, who, filters, months.bounds(zone))
    return {
        "days": (first, last),
        "weeks": weeks,
        "lines": lines,
        "more_sites": len({row[0] for row in rows}) > counting.MOST_SITES,
        "names": counting.site_names(conn, {line.site_id for line in lines}),
        "spread": spread if question else {},
        "ways": counting.responses_by_way(conn, who, filters),
        "months": months,
        "tags": counting.tag_rows(tags, len(months.starts), small),
    }


def _within(filters, first: date, last: date):
    """The filters, from the first day to the end of the last."""
    return replace(
        filters,
        closed_from=filters.closed_from or start_of_day(first),
        closed_before=filters.closed_before or start_of_day(last + timedelta(days=1)),
    )


def _from_first_answer(lines, weeks):
    """Without the periods before the first with any answers."""
    counts = [figure.count for figure in lines[0].figures] if lines else []
    skip = next((p for p, count in enumerate(counts) if count), 0)
    lines = [replace(line, figures=line.figures[skip:]) for line in lines]
    return lines, replace(weeks, starts=weeks.starts[skip:])


def _here(inbox_address: str, kept) -> str:
    """This page's address with the filters of an inbox address."""
    pairs = parse_qsl(inbox_address.partition("?")[2]) + list(kept)
    query = urlencode([(k, v) for k, v in pairs if k != "folder"])
    return url_for("board_pages.figures") + (f"?{query}" if query else "")


def _chosen_days(form) -> tuple[date | None, date]:
    """The first and last days chosen, as chosen_filters reads them: with no
    last day, today; with no first day, None (the page counts from the first
    day of the month DEFAULT_MONTHS - 1 before the last's)."""
    ok = {field.name: field.data for field in form if not field.errors}
    first = ok.get("date_from") if "date_to" in ok else None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    last = ok.get("date_to") or current_runtime().clock().astimezone(zone).date()
    return first, last


def _window(days) -> tuple[date, date]:
    first, last = days
    if first is None:
        first = counting.periods(
            None, last, "month", DEFAULT_MONTHS, DEFAULT_MONTHS
        ).starts[0]
    return first, max(first, last)


# Numbers and days in words ----------------------------------------------------------


def _alone(count: int, small: int | None):
    return for_one(count, small) if small else SHOWN


def _shown(figure: counting.Figure, small: int | None) -> dict:
    """A bar's or a point's numbers as the page writes them. A hidden count
    is 'fewer than 5', or 'not shown' when it is hidden so that a smaller
    one cannot be worked out from it."""
    share = None if figure.hidden.percentages else figure.share
    if not figure.hidden.counts:
        words = str(figure.count)
    elif figure.count < small:  # nought too, when all of them are too few
        words = gettext("fewer than %(num)d", num=small)
    else:
        words = gettext("not shown")
    return {  # a hidden count never reaches the page, not even unwritten
        "count": None if figure.hidden.counts else figure.count,
        "answered": figure.count > 0,
        "words": words,
        "word_lines": _in_lines(words, 7),  # under a point, or in a small bar
        "share": share,
        "percent": format_percent(share, "#,##0%") if share is not None else "",
        "hidden": figure.hidden.anything,
        "count_hidden": figure.hidden.counts,
        "small": figure.hidden.counts and figure.count < small,
    }


def _in_lines(text: str, letters: int = LABEL_LETTERS, most: int = 2) -> list[str]:
    """Words as a chart writes them: in short lines, the last cut with '…'."""
    lines = [""]
    for word in text.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > letters:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: letters - 1].rstrip() + "…"
    return [
        line if len(line) <= letters + 3 else line[:letters] + "…" for line in lines
    ]


def _period_words(periods: counting.Periods, index: int) -> str:
    """'the week of 23 November 2026', or 'November 2026'."""
    day = periods.starts[index]
    if periods.unit == "week":
        return gettext("the week of %(day)s", day=day_words(day))
    return format_date(day, "MMMM y")


def _last_day(periods: counting.Periods, index: int) -> date:
    following = index + 1 < len(periods.starts)
    return (periods.starts[index + 1] if following else periods.end) - timedelta(1)


def _timeline(periods: counting.Periods, days) -> dict:
    """The periods as a chart and its table name them: under the chart a
    week's day and, when it changes, its month (a month's name, and its
    year); in the table, in full. `days`: the first and last days counted."""
    axis = []
    for index, day in enumerate(periods.starts):
        before = periods.starts[index - 1] if index else None
        if periods.unit == "week":
            top = format_date(day, "d")
            new = before is None or before.month != day.month
            under = format_date(day, "MMM") if new else ""
        else:
            top = format_date(day, "MMM")
            under = format_date(day, "y") if before is None or day.month == 1 else ""
        words = _period_words(periods, index)
        axis.append({"top": top, "under": under, "words": words[0].upper() + words[1:]})
    return {
        "axis": axis,
        "unit": periods.unit,
        "first": day_words(max(periods.starts[0], days[0])),
        "last": day_words(min(periods.end - timedelta(days=1), days[1])),
        "cut": periods.cut,
    }


# The charts -------------------------------------------------------------------------


def _line_chart(found: dict, some_sites, small) -> dict:
    """The Friends and Family Test's positive share, a line a site."""
    periods, series = found["weeks"], []
    for line in found["lines"]:
        name = found["names"].get(line.site_id, "") if line.site_id else ""
        if line.site_id is None:
            name = gettext("All these sites") if some_sites else gettext("All sites")
        points = [_shown(figure, small) for figure in line.figures]
        series.append({"name": name, "lines": _in_lines(name), "points": points})
    _place_labels(series)
    points = series[0]["points"] if series else []
    drawn = [p for p, point in enumerate(points) if point["share"] is not None]
    whole = [p for p in drawn if _last_day(periods, p) <= found["days"][1]]
    drawn = whole or drawn  # a week not over yet says less than one that is
    latest = [  # the last two periods drawn, for the summary
        dict(
            points[p],
            when=_period_words(periods, p),
            whole=round(points[p]["share"] * 100),
        )
        for p in drawn[-2:]
    ]
    ticks = [(tick / 100, format_percent(tick / 100)) for tick in (0, 25, 50, 75, 100)]
    return {
        "frame": LINE,
        "ticks": ticks,
        "series": series,
        "answered": any(point["answered"] for point in points),
        "latest": latest[::-1],
        "more_sites": found["more_sites"],
        **_timeline(periods, found["days"]),
    }


def _place_labels(series: list[dict]) -> None:
    """Where each line's name goes at its end: beside its last point, moved
    down (then all up) where it would overlap another."""
    top, height = LINE["top"], LINE["height"]
    placed = []
    for one in series:
        drawn = [p["share"] for p in one["points"] if p["share"] is not None]
        if drawn:
            one["label_y"] = top + (1 - drawn[-1]) * height
            placed.append(one)
    placed.sort(key=lambda one: one["label_y"])
    free = top
    for one in placed:
        one["label_y"] = max(one["label_y"], free)
        free = one["label_y"] + len(one["lines"]) * LABEL_HEIGHT
    over = free - (top + height + LABEL_HEIGHT)
    for one in placed if over > 0 else ():
        one["label_y"] -= over


def _bar_chart(keys_and_words, counts: dict, small) -> dict:
    """A bar for each key: its words, count and share of all of them."""
    keys = [key for key, _ in keys_and_words]
    whole, each = counting.bars(counts, keys, small)
    rows = [dict(_shown(each[k], small), label=words) for k, words in keys_and_words]
    shown = [row for row in rows if not row["hidden"]]
    most = max((row["count"] for row in shown), default=0)
    for row in rows:
        row["fraction"] = row["count"] / most if most and not row["hidden"] else 0
    top = max(shown, key=lambda row: row["count"], default=None)
    return {"rows": rows, "whole": _shown(whole, small), "top": top}


def _spread_chart(question: counting.Question | None, counts: dict, small):
    if question is None:
        return None
    options = [(value, gettext(words)) for value, words in question.options]
    known = {value for value, _ in options}
    options += [
        (value, value.replace("_", " ").capitalize())
        for value in sorted(counts)
        if value not in known and IDENTIFIER.fullmatch(value)
    ]
    return dict(_bar_chart(options, counts, small), question=question.words)


def _ways_chart(ways, which: int, small) -> dict:
    """Responses by channel (which=0) or by language (which=1)."""
    counts: dict[str, int] = {}
    for row in ways:
        counts[row[which]] = counts.get(row[which], 0) + row[3]
    if which == 0:
        keys = list(CHANNEL_WORDS) + sorted(set(counts) - set(CHANNEL_WORDS))
        return _bar_chart([(k, channel_words(k)) for k in keys], counts, small)
    keys = sorted(counts, key=lambda key: (-counts[key], key))
    return _bar_chart([(k, language_words(k)) for k in keys], counts, small)


def _tag_chart(tagged, periods, days, small) -> dict:
    """The tags used most, each with a small bar a month."""
    rows = [
        {
            "tag": tag,
            "lines": _in_lines(tag),
            "total": _shown(whole, small),
            "cells": [_shown(figure, small) for figure in figures],
        }
        for tag, whole, figures in tagged
    ]
    cells = [cell for row in rows for cell in row["cells"]]
    most = max((cell["count"] for cell in cells if not cell["hidden"]), default=0)
    for cell in cells:
        cell["fraction"] = cell["count"] / most if most and not cell["hidden"] else 0
    return {"rows": rows, **_timeline(periods, days)}
