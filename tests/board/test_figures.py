"""The Figures page: its counts against a board of known responses, the
weeks and months it counts in, small numbers hidden from members (and exact
for staff), a site-limited member who never sees another site's figures,
bad filters answered kindly, and a fixed few queries however much there is."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import event

from gateway.board.database import reading
from gateway.board.store import figures as counting
from gateway.board.store.inbox import Filters, Viewer
from gateway.board.suppression import ALL_HIDDEN, COUNTS_HIDDEN, SHOWN
from tests.board.pages import folder_counts, set_clock

FFT = "friends-and-family"  # flows/library/friends-and-family.yaml
STEPS = ((FFT, "overall"),)
STAFF = Viewer(user_id=1, sees_staff_only=True)
NOW = "2026-12-02T10:00:00Z"  # a Wednesday
SEPTEMBER = "2026-09-15T10:00:00Z"  # before the page's first day, unless chosen
# The weeks (Monday on, UTC in November: London's winter) from 2 November.
WEEKS = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"]


def fft(value: str) -> list[dict]:
    return [{"step_id": "overall", "value": value, "raw": value}]


def fill(board, rows) -> None:
    """(how many, site, day of November, answer, channel) for each kind."""
    for how_many, site, day, value, channel in rows:
        for _ in range(how_many):
            board.add_response(
                site,
                fft(value),
                flow_id=FFT,
                channel=channel,
                closed_at=f"2026-11-{day:02d}T10:00:00Z",
            )


KNOWN = [  # 20 at Oak House, 9 at Elm Court
    (6, "Oak House", 3, "very_good", "sms"),
    (2, "Oak House", 3, "good", "kiosk"),
    (2, "Oak House", 4, "dont_know", "kiosk"),
    (5, "Oak House", 10, "poor", "paper"),
    (5, "Oak House", 24, "good", "sms"),
    (3, "Elm Court", 11, "very_poor", "sms"),
    (6, "Elm Court", 17, "very_good", "kiosk"),
]


def bounds(board) -> list[str]:
    return [f"{day}T00:00:00Z" for day in WEEKS] + ["2026-12-07T00:00:00Z"]


def text_of(page) -> str:
    return unescape(page.get_data(as_text=True))


def table_rows(text: str, caption: str) -> list[list[str]]:
    """The rows of the table with this caption, each as its cells' words."""
    table = re.search(
        rf"<table[^>]*>\s*<caption>{re.escape(caption)}</caption>(.*?)</table>",
        text,
        re.S,
    )
    assert table, f"no table called {caption}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [[" ".join(c.split()) for c in cell.findall(row)] for row in rows]


# The counts -------------------------------------------------------------------------


def test_each_week_counts_answers_and_the_share_of_good_with_dont_know_in(board):
    fill(board, KNOWN)
    with reading(board.engine) as conn:
        rows = counting.answers_by_period(conn, STAFF, Filters(), STEPS, bounds(board))
        lines = counting.positive_lines(rows, len(WEEKS), None)
        names = counting.site_names(conn, {line.site_id for line in lines})
    assert [names.get(line.site_id) for line in lines] == [
        None,
        "Oak House",
        "Elm Court",
    ]
    together = lines[0].figures
    assert [f.count for f in together] == [10, 8, 6, 5, 0]
    # (6 + 2) of 10: Don't know counts in the whole, as NHS England counts it.
    assert [f.share for f in together] == [0.8, 0.0, 1.0, 1.0, None]
    assert [f.count for f in lines[2].figures] == [0, 3, 6, 0, 0]
    assert all(f.hidden == SHOWN for line in lines for f in line.figures)


def test_answers_to_other_flows_and_other_steps_are_not_counted(board):
    fill(board, KNOWN[:1])
    board.add_response("Oak House", fft("poor"), flow_id="ffq", closed_at=NOW)
    board.add_response(
        "Oak House",
        [{"step_id": "meals", "value": "good"}],
        flow_id=FFT,
        closed_at=NOW,
    )
    with reading(board.engine) as conn:
        spread = counting.answer_counts(conn, STAFF, Filters(), STEPS)
    assert spread == {"very_good": 6}


def test_the_other_charts_count_answers_ways_languages_and_tags(board):
    fill(board, KNOWN)
    board.add_response("Oak House", fft("good"), flow_id=FFT, language="cy")
    tagged = board.browser("staff")
    ids = [r["id"] for r in _responses(board)][:3]
    for response_id, tag in zip(ids, ["food", "food", "secret"], strict=True):
        tagged.post(
            f"/board/responses/{response_id}/tags",
            {"tag_name": tag},
            form_page="/board/tags",
        )
    tagged.post(
        "/board/tags", {"name": "secret", "staff_only": "y"}, form_page="/board/tags"
    )
    member = Viewer(user_id=2)
    months = ["2026-10-01T00:00:00Z", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z"]
    with reading(board.engine) as conn:
        spread = counting.answer_counts(conn, STAFF, Filters(), STEPS)
        ways = counting.responses_by_way(conn, STAFF, Filters())
        for_staff = counting.tags_by_period(conn, STAFF, Filters(), months)
        for_members = counting.tags_by_period(conn, member, Filters(), months)
    assert spread == {
        "very_good": 12,
        "good": 8,
        "dont_know": 2,
        "poor": 5,
        "very_poor": 3,
    }
    by_channel: dict[str, int] = {}
    for channel, _, _, n in ways:
        by_channel[channel] = by_channel.get(channel, 0) + n
    assert by_channel == {"sms": 14, "kiosk": 11, "paper": 5}
    assert {(lang, n) for _, lang, _, n in ways if lang == "cy"} == {("cy", 1)}
    assert sorted(for_staff) == [("food", 1, 2), ("secret", 1, 1)]
    assert for_members == [("food", 1, 2)]  # staff-only tags for staff only


def _responses(board) -> list[dict]:
    from tests.board.pages import rows_of

    return sorted(rows_of(board, "responses"), key=lambda row: row["closed_at"])


@pytest.mark.parametrize(
    ("first", "last", "unit", "starts", "cut"),
    [
        (
            None,
            date(2026, 12, 2),
            "week",
            ["2026-11-16", "2026-11-23", "2026-11-30"],
            0,
        ),
        (date(2026, 11, 4), date(2026, 11, 17), "week", WEEKS[:3], 0),
        (
            None,
            date(2026, 12, 2),
            "month",
            ["2026-10-01", "2026-11-01", "2026-12-01"],
            0,
        ),
        (date(2025, 1, 1), date(2026, 12, 2), "month", None, 1),
        (date(1, 1, 1), date(2026, 12, 2), "month", None, 1),  # no long loops
    ],
)
def test_weeks_begin_on_monday_and_only_so_many_are_drawn(
    first, last, unit, starts, cut
):
    found = counting.periods(first, last, unit, shown=3, most=3)
    if starts is not None:
        assert [day.isoformat() for day in found.starts] == starts
    assert len(found.starts) <= 3
    assert found.starts[-1] <= last < found.end
    assert found.cut == bool(cut)


# Small numbers ------------------------------------------------------------------------


def test_bars_with_too_few_are_hidden_and_the_next_smallest_too():
    counts = {"very_good": 40, "good": 9, "poor": 3, "very_poor": 0}
    keys = list(counts)
    whole, each = counting.bars(counts, keys, 5)
    assert whole.count == 52 and whole.hidden == SHOWN
    assert each["poor"].hidden == ALL_HIDDEN  # rule 1
    assert each["good"].hidden == ALL_HIDDEN  # rule 2: its share would tell
    assert each["very_good"].hidden == SHOWN and each["very_poor"].hidden == SHOWN
    exact_whole, exact = counting.bars(counts, keys, None)  # staff
    assert {k: f.count for k, f in exact.items()} == counts
    assert all(f.hidden == SHOWN for f in [exact_whole, *exact.values()])
    small_whole, small = counting.bars({"good": 3}, ["good", "poor"], 5)
    assert small_whole.hidden == ALL_HIDDEN
    assert all(f.hidden == ALL_HIDDEN for f in small.values())  # the 0 too


def test_a_point_with_too_few_is_hidden_and_its_siblings_follow_rule_two():
    rows = [  # week 0: Oak 10, Elm 3, Ash 6; week 1: Oak 7
        ("oak", 0, "good", 10),
        ("elm", 0, "poor", 3),
        ("ash", 0, "good", 6),
        ("oak", 1, "good", 7),
    ]
    lines = {line.site_id: line for line in counting.positive_lines(rows, 2, 5)}
    assert lines["elm"].figures[0].hidden == ALL_HIDDEN
    assert lines["ash"].figures[0].hidden == COUNTS_HIDDEN  # share stays
    assert lines["oak"].figures[0].hidden == SHOWN
    assert lines[None].figures[0].hidden == SHOWN
    # Along Elm's line its total is too few: week 0 is hidden anyway.
    exact = counting.positive_lines(rows, 2, None)
    assert all(f.hidden == SHOWN for line in exact for f in line.figures)


def test_a_small_week_cannot_be_worked_out_from_the_lines_total():
    # Weeks of 10, 2 and 10: the page says there are 22, so a week of 10
    # is hidden too, or 22 - 10 - 10 would give the hidden one.
    rows = [("oak", 0, "good", 10), ("oak", 1, "good", 2), ("oak", 2, "good", 10)]
    (line,) = counting.positive_lines(rows, 3, 5)
    assert [f.hidden for f in line.figures] == [COUNTS_HIDDEN, ALL_HIDDEN, SHOWN]


def test_only_the_six_sites_with_most_answers_have_lines():
    rows = [(f"site-{n}", 0, "good", 10 + n) for n in range(8)]
    lines = counting.positive_lines(rows, 1, None)
    assert [line.site_id for line in lines] == [None] + [
        f"site-{n}" for n in range(7, 1, -1)
    ]
    assert lines[0].figures[0].count == sum(10 + n for n in range(8))


# The page ---------------------------------------------------------------------------


def test_staff_see_every_chart_with_exact_numbers(board):
    fill(board, KNOWN)
    set_clock(board, NOW)
    text = text_of(board.browser("staff").get("/board/figures"))
    assert "They count 29 pieces of feedback." in text
    assert text.count('role="img"') == 4  # no tags yet: no tag chart
    for heading in (
        "Good or very good, week by week",
        "The answers to one question",
        "How people gave feedback",
        "The language people used",
        "Tags, month by month",
    ):
        assert f">{heading}</h2>" in text
    assert (
        "Most people said good or very good: 100% in the week of 23 November 2026. "
        "That is the same as in the week of 16 November 2026." in text
    )
    weeks = table_rows(text, "Good or very good, and how many answered")
    assert weeks[0] == ["Week", "All sites", "Oak House", "Elm Court"]
    assert weeks[2] == [
        "The week of 9 November 2026",
        "0% of 8 answers",
        "0% of 5 answers",
        "0% of 3 answers",
    ]
    answers = table_rows(text, "The answers, and how many gave each")
    assert ["Very poor", "3", "10%"] in answers  # exact, small as it is
    assert answers[-1] == ["All of them", "29", "100%"]
    ways = table_rows(text, "How people gave feedback, and how many")
    assert ways[1:4] == [
        ["Text message", "14", "48%"],
        ["Kiosk", "10", "34%"],
        ["Paper card", "5", "17%"],
    ]
    assert "fewer than 5" not in text.lower()


def test_members_see_fewer_than_5_instead_of_small_numbers(board):
    fill(board, KNOWN)
    board.add_response("Oak House", fft("good"), flow_id=FFT, language="cy")
    set_clock(board, NOW)
    text = text_of(board.browser("member").get("/board/figures"))
    assert "We do not show numbers from 1 to 4." in text
    answers = table_rows(text, _answers_caption())
    assert ["Very poor", "fewer than 5", "not shown"] in answers
    assert ["Don't know", "fewer than 5", "not shown"] in answers
    assert ["Poor", "5", "17%"] in answers  # two are hidden already: rule 2 kept
    assert ["Very good", "12", "40%"] in answers
    languages = table_rows(text, "The language people used, and how many")
    assert ["Welsh", "fewer than 5", "not shown"] in languages  # rule 1
    assert ["English", "not shown", "not shown"] in languages  # rule 2
    weeks = table_rows(text, "Good or very good, and how many answered")
    assert weeks[2] == [  # Elm's 3 hidden; then Oak's 5, else 8 less 5 says 3
        "The week of 9 November 2026",
        "0% of 8 answers",
        "0%. How many answered is not shown.",
        "Fewer than 5 answered",
    ]
    chart = re.search(r"<svg[^>]*board-chart--bars.*?</svg>", text, re.S).group(0)
    assert "fewer than 5" in chart
    assert ">3 (" not in chart and "10%" not in chart  # not drawn, no percent
    staff = text_of(board.browser("staff").get("/board/figures"))
    assert ["Welsh", "1", "3%"] in table_rows(
        staff, "The language people used, and how many"
    )


def test_when_fewer_than_5_answered_members_see_no_numbers_at_all(board):
    fill(board, [(3, "Oak House", 24, "good", "sms")])
    set_clock(board, NOW)
    text = text_of(board.browser("member").get("/board/figures"))
    assert "They count fewer than 5 pieces of feedback." in text
    assert text.count("Fewer than 5 answered. So we do not show the numbers.") == 3
    assert "There are too few answers to show." in text
    assert 'role="img"' in text  # the line, with no point drawn
    assert "board-chart--bars" not in text
    answers = table_rows(text, _answers_caption())
    # Every answer alike, noughts too: else the one with "fewer than 5" is
    # what all of them said.
    assert all(row[1:] == ["fewer than 5", "not shown"] for row in answers[1:-1])
    assert answers[-1] == ["All of them", "fewer than 5", ""]
    assert ">3<" not in text and "of 3 answers" not in text


def test_tags_by_month_and_staff_only_tags_for_staff_only(board):
    fill(board, KNOWN)
    set_clock(board, NOW)
    staff = board.browser("staff")
    for row in _responses(board)[:6]:
        for tag in ("food", "secret"):
            staff.post(
                f"/board/responses/{row['id']}/tags",
                {"tag_name": tag},
                form_page="/board/tags",
            )
    staff.post(
        "/board/tags", {"name": "secret", "staff_only": "y"}, form_page="/board/tags"
    )
    caption = "How many pieces of feedback had each tag, each month"
    for_staff = table_rows(text_of(staff.get("/board/figures")), caption)
    assert for_staff[0] == [
        "Tag",
        "October 2026",
        "November 2026",
        "December 2026",
        "All these months",
    ]
    assert for_staff[1:] == [
        ["food", "0", "6", "0", "6"],
        ["secret", "0", "6", "0", "6"],
    ]
    member = board.browser("member")
    for query in ("", "?tag=secret"):
        text = text_of(member.get(f"/board/figures{query}"))
        assert "secret" not in text, query
    assert table_rows(text_of(member.get("/board/figures")), caption)[1:] == [
        ["food", "0", "6", "0", "6"]
    ]
    assert "The tag used most is “food”." in text


def test_a_member_of_one_site_never_sees_another_sites_figures(board):
    fill(board, KNOWN)
    set_clock(board, NOW)
    oak = board.browser("member", sites=("Oak House",))
    for query in (
        "",
        "?site=Elm+Court",
        "?site=Oak+House&site=Elm+Court",
        "?date_from=2026-11-11&date_to=2026-11-17",  # Elm's days only
        "?channel=sms&question=fft",
        "?step=overall&value=very_poor",
    ):
        page = oak.get(f"/board/figures{query}")
        text = text_of(page)
        assert page.status_code == 200, query
        assert "Elm Court" not in text, query
        very_poor = [
            r for r in table_rows(text, _answers_caption()) if r[0] == "Very poor"
        ]
        assert very_poor[0][1] == "0", query  # only Elm Court's people said it
        assert "All sites" not in text, query
    everything = text_of(oak.get("/board/figures"))
    assert "They count 20 pieces of feedback." in everything
    assert "Choose sites from the list." in text_of(
        oak.get("/board/figures?site=Elm+Court")
    )
    nothing = text_of(oak.get("/board/figures?step=overall&value=very_poor"))
    assert "They count 0 pieces of feedback." in nothing


def _answers_caption() -> str:
    return "The answers, and how many gave each"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "site=Elm+Court",
        "channel=sms&channel=paper",
        "date_from=2026-11-04&date_to=2026-11-17",
        "step=overall&value=poor&value=very_poor",
        "status=new",
        "q=nothing+like+this",
    ],
)
def test_the_figures_count_what_the_inbox_lists_for_the_same_filters(board, query):
    fill(board, KNOWN)
    board.add_response("Oak House", fft("good"), flow_id=FFT, closed_at=SEPTEMBER)
    set_clock(board, NOW)
    staff = board.browser("staff")
    text = text_of(staff.get(f"/board/figures?{query}"))
    total = int(re.search(r"They count (\d+) piece", text).group(1))
    link = re.search(r'<a href="([^"]+)">Read this feedback in the inbox', text)
    inbox = unescape(link.group(1))
    pairs = parse_qsl(inbox.partition("?")[2])
    assert set(parse_qsl(query)) - {("date_to", "2026-11-17")} <= set(pairs)
    assert ("folder", "all") in pairs
    assert folder_counts(staff.get(inbox))["all"] == total, inbox
    if not query:  # this month and the two before: not September's
        assert ("date_from", "2026-10-01") in pairs and total == 29
    if "date_from" in query:  # the same days: the inbox itself lists as many
        assert folder_counts(staff.get(f"/board/?folder=all&{query}"))["all"] == total


def test_chosen_filters_link_back_to_the_figures(board):
    fill(board, KNOWN[:1])
    text = text_of(
        board.browser("staff").get(
            "/board/figures?channel=sms&channel=kiosk&question=fft"
        )
    )
    kiosk = "/board/figures?channel=kiosk&question=fft"
    assert f'<a class="board-filter-tags__tag" href="{kiosk}">' in text
    assert (
        '<a class="board-filter-tags__clear" href="/board/figures?question=fft">'
        in text
    )


def test_another_question_shows_its_own_answers(board):
    set_clock(board, NOW)
    board.add_response(
        "Oak House",
        [{"step_id": "meals", "value": "bad"}],
        flow_id="care-home-life",
    )
    staff = board.browser("staff")
    text = text_of(staff.get("/board/figures?question=care-home-life:meals"))
    assert '<option selected value="care-home-life:meals">' in text
    assert ["Bad", "1", "100%"] in table_rows(text, _answers_caption())


def test_filters_that_match_many_are_counted_the_same_way(board, monkeypatch):
    """A filter on answers or tags that matches many is checked with EXISTS
    (inbox.conditions): the rows the charts count are not taken for its own."""
    fill(board, KNOWN)
    set_clock(board, NOW)
    staff = board.browser("staff")
    query = "/board/figures?step=overall&value=poor&value=very_poor"
    few = text_of(staff.get(query))
    monkeypatch.setattr("gateway.board.store.inbox.FEW", 0)
    many = text_of(staff.get(query))
    assert "They count 8 pieces of feedback." in many
    assert table_rows(many, _answers_caption()) == table_rows(few, _answers_caption())


def test_many_months_chosen_are_drawn_by_month_and_only_the_last(board):
    fill(board, KNOWN)
    set_clock(board, NOW)
    text = text_of(board.browser("staff").get("/board/figures?date_from=2020-01-01"))
    assert ">Good or very good, month by month</h2>" in text
    months = table_rows(text, "Good or very good, and how many answered")
    assert months[0][0] == "Month" and len(months) == 1 + 24
    assert months[-2][:2] == ["November 2026", "66% of 29 answers"]
    assert "It shows the last 24 months, from 1 January 2025." in text
    assert "They count 29 pieces of feedback." in text  # every day chosen


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=banana", "Enter a real date, like 1/12/2026."),
        ("date_from=2026-11-09&date_to=2026-11-01", "The last day must be after"),
        ("channel=fax", "Choose from the ways on the list."),
        ("question=nothing", "Choose a question from the list."),
        ("question=" + "x" * 5000, "Choose a question from the list."),
        ("date_from=0001-01-01", "Enter a date from 2000 to 2099."),
        ("date_to=31/12/9999", "Enter a date from 2000 to 2099."),
    ],
)
def test_a_wrong_filter_gets_a_kind_message_and_the_rest_still_show(
    board, query, message
):
    fill(board, KNOWN)
    set_clock(board, NOW)
    page = board.browser("member").get(f"/board/figures?{query}")
    text = text_of(page)
    assert page.status_code == 200
    if message:
        assert "There is a problem" in text and message in text
        assert "<title>Error: Figures" in text
    assert "They count 29 pieces of feedback." in text
    assert text.count('role="img"') == 4


def test_the_page_has_no_style_or_script_of_its_own(board):
    fill(board, KNOWN)
    page = board.browser("staff").get("/board/figures")
    text = page.get_data(as_text=True)
    assert " style=" not in text and "<style" not in text
    assert "<script>" not in text and "http" not in text.split("</head>")[1]
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]


def test_sample_feedback_is_left_out_unless_a_demo_asks_for_it(board):
    fill(board, KNOWN[:2])
    set_clock(board, NOW)
    from tests.board.pages import set_review

    set_review(board, _responses(board)[0]["id"], is_test=True)
    staff = board.browser("staff")
    text = text_of(staff.get("/board/figures"))
    assert "They count 7 pieces of feedback." in text
    assert "sample feedback" not in text
    board.app.config["SAMPLES_IN_FIGURES"] = True  # as `gateway demo` sets it
    text = text_of(staff.get("/board/figures"))
    assert "They count 8 pieces of feedback." in text
    assert "Some of it is sample feedback" in text


def test_the_page_takes_the_same_few_queries_however_much_there_is(board):
    def statements() -> list[str]:
        seen: list[str] = []

        def count(*args):
            seen.append(args[2])

        event.listen(board.engine, "before_cursor_execute", count)
        assert staff.get("/board/figures").status_code == 200
        event.remove(board.engine, "before_cursor_execute", count)
        return seen

    staff = board.browser("staff")
    set_clock(board, NOW)
    fill(board, KNOWN[:1])
    few = statements()
    fill(board, KNOWN)
    for n in range(10):
        board.add_response(f"Site {n}", fft("good"), flow_id=FFT, closed_at=NOW)
    many = statements()
    assert len(many) == len(few)
    # One a chart: the line (which gives the Friends and Family Test's
    # answers too), the ways and languages (one query), the tags.
    assert sum("GROUP BY" in s for s in many) == 3
