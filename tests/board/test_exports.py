"""Downloading feedback from the inbox, and `gateway export` on a board: the
inbox's filters exactly, exact for staff and suppressed for members, a site
limit that holds by every address, cells a spreadsheet never runs, the
activity log, and rows read a chunk at a time."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import event

from gateway.board.database import writing
from gateway.board.store import accounts, hidden_words, review, tagging
from gateway.board.store import export as board_export
from tests.board.pages import NOW, OVERALL, at, rows_of

DANGERS = ("=", "+", "-", "@", "\t", "\r")


def staff_id(board) -> int:
    with writing(board.engine) as conn:
        return accounts.add_user(
            conn, email="typist@example.org", name="Typist", role="staff", now=NOW
        )


def tag(board, response_id: str, name: str, staff_only: bool = False) -> None:
    with writing(board.engine) as conn:
        tagging.add_tag(conn, response_id, name, by=None, at=NOW, staff=True)
        if staff_only:
            tagging.change_tag(
                conn, name, description="", staff_only=True, by=None, at=NOW
            )


def hide(board, response_id: str, step_id: str, passage: str, by: int) -> None:
    with writing(board.engine) as conn:
        hidden_words.hide_passage(conn, response_id, step_id, passage, by=by, at=NOW)


def read_csv(page) -> list[dict]:
    text = page.get_data(as_text=True)
    assert text.startswith("\ufeff")  # so a spreadsheet reads it as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def read_jsonl(page) -> list[dict]:
    return [json.loads(line) for line in page.get_data(as_text=True).split("\n")[:-1]]


def said(why: str) -> list[dict]:
    return [*OVERALL, {"step_id": "why", "value": why, "raw": why}]


# The download is the inbox's own -----------------------------------------------


def test_staff_download_exactly_what_the_inbox_filters_find(board):
    wanted = [
        board.add_response(
            "Oak House", OVERALL, flow_id="friends-and-family", closed_at=at(d)
        )
        for d in (3, 1, 30)
    ]
    board.add_response(
        "Oak House",
        OVERALL,
        flow_id="friends-and-family",
        closed_at="2026-12-01T00:30:00Z",
    )
    board.add_response("Oak House", OVERALL, flow_id="care-home-life", closed_at=at(2))
    board.add_response(
        "Elm Court", OVERALL, flow_id="friends-and-family", closed_at=at(2)
    )
    query = (
        "site=Oak+House&flow=friends-and-family"
        "&date_from=2026-11-01&date_to=2026-11-30&folder=all"
    )
    staff = board.browser("staff")
    inbox = staff.get(f"/board/?{query}").get_data(as_text=True)
    assert f'href="/board/export?{query.replace("&", "&amp;")}&amp;format=csv"' in inbox

    page = staff.get(f"/board/export?{query}&format=csv")

    assert page.status_code == 200 and page.is_streamed
    assert page.mimetype == "text/csv"
    assert page.headers["Content-Disposition"] == (
        'attachment; filename="feedback-oak-house-friends-and-family'
        '-2026-11-01-to-2026-11-30.csv"'
    )
    rows = read_csv(page)
    oldest_first = [wanted[1], wanted[0], wanted[2]]
    assert [row["id"] for row in rows] == oldest_first
    assert {row["site"] for row in rows} == {"Oak House"}
    assert rows[0]["overall"] == "poor" and rows[0]["overall.state"] == "answered"

    lines = read_jsonl(staff.get(f"/board/export?{query}&format=jsonl"))
    assert [line["id"] for line in lines] == [row["id"] for row in rows]


def test_the_folder_is_the_inbox_folder_and_new_when_none_is_given(board):
    new = board.add_response("Oak House", OVERALL, closed_at=at(1))
    flagged = board.add_response("Oak House", OVERALL, closed_at=at(2))
    with writing(board.engine) as conn:
        review.set_flag(conn, flagged, True, by=None, at=NOW)
        review.set_status(conn, flagged, "closed", by=None, at=NOW)
    staff = board.browser("staff")

    def ids(query: str) -> list[str]:
        page = staff.get(f"/board/export?{query}&format=jsonl")
        return [line["id"] for line in read_jsonl(page)]

    assert ids("folder=new") == ids("") == [new]
    assert ids("folder=flagged") == ids("folder=done") == [flagged]
    assert ids("folder=all") == [new, flagged]
    name = staff.get("/board/export?folder=flagged").headers["Content-Disposition"]
    assert name == 'attachment; filename="feedback-flagged.csv"'


def test_a_word_search_finds_the_same_however_it_is_looked_up(board, monkeypatch):
    cold = [
        board.add_response("Oak House", said(f"The tea was cold {n}")) for n in range(3)
    ]
    board.add_response("Oak House", said("Lovely and warm"))
    staff = board.browser("staff")
    found = [
        line["id"]
        for line in read_jsonl(
            staff.get("/board/export?folder=all&q=COLD&format=jsonl")
        )
    ]
    monkeypatch.setattr(board_export, "FEW", 1)  # as if many said it
    again = [
        line["id"]
        for line in read_jsonl(
            staff.get("/board/export?folder=all&q=COLD&format=jsonl")
        )
    ]
    assert sorted(found) == sorted(again) == sorted(cold)


def test_the_file_name_is_safe_and_not_too_long(board):
    names = [f"Tŷ Gwyn {n} / “Ward” <{n}>" for n in range(12)]
    for name in names:
        board.add_response(name, OVERALL)
    query = "&".join(f"site={name}" for name in names)
    page = board.browser("staff").get(
        f"/board/export?folder=all&{query}&date_from=1/11/2026&format=jsonl"
    )
    assert page.status_code == 200
    disposition = page.headers["Content-Disposition"]
    name = disposition.removeprefix('attachment; filename="').removesuffix('"')
    assert name.startswith("feedback-ty-gwyn-0-ward-0-ty-gwyn-1")
    assert name.endswith("-from-2026-11-01.jsonl")
    assert len(name) <= 130
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-.")


# Members get the suppressed view ----------------------------------------------


def test_members_get_no_pseudonym_no_staff_tags_no_hidden_words(board):
    typist = staff_id(board)
    why = "Jo Bloggs said the tea was cold"
    ids = [
        board.add_response(
            "Oak House",
            said(why),
            participant="p-1234",
            opening_text="Hello, I am Jo Bloggs",
            closed_at=at(1 + n),
        )
        for n in range(5)
    ]
    tag(board, ids[0], "garden")
    tag(board, ids[0], "complaint", staff_only=True)
    hide(board, ids[0], "why", "Jo Bloggs", typist)
    hide(board, ids[0], "_opening", "Jo Bloggs", typist)
    query = "/board/export?folder=all&format="

    member = board.browser("member")
    csv_rows = read_csv(member.get(query + "csv"))
    lines = read_jsonl(member.get(query + "jsonl"))
    text = member.get(query + "csv").get_data(as_text=True)

    assert len(csv_rows) == len(lines) == 5
    assert "participant_id" not in csv_rows[0] and "participant_id" not in lines[0]
    assert "p-1234" not in text and "complaint" not in text
    assert csv_rows[0]["tags"] == "garden" and lines[0]["tags"] == ["garden"]
    assert "Jo Bloggs" not in csv_rows[0]["why"] + csv_rows[0]["opening_text"]
    assert csv_rows[0]["why"] == "[hidden] said the tea was cold"
    assert lines[0]["answers"]["why"]["raw"] == "[hidden] said the tea was cold"
    assert lines[0]["opening_text"] == "Hello, I am [hidden]"
    assert lines[1]["answers"]["why"]["raw"] == why  # hidden in one response only

    staff_lines = read_jsonl(board.browser("staff").get(query + "jsonl"))
    assert staff_lines[0]["participant_id"] == "p-1234"
    assert staff_lines[0]["tags"] == ["complaint", "garden"]
    assert staff_lines[0]["answers"]["why"]["raw"] == why
    assert staff_lines[0]["opening_text"] == "Hello, I am Jo Bloggs"


def test_hidden_words_cut_short_in_a_value_are_hidden_too(board):
    typist = staff_id(board)
    cut = [
        *OVERALL,
        {
            "step_id": "why",
            "value": "The tea. Ask Jo Bl",
            "raw": "The tea. Ask Jo Bloggs",
        },
    ]
    ids = [board.add_response("Oak House", cut, closed_at=at(1 + n)) for n in range(5)]
    hide(board, ids[0], "why", "Jo Bloggs", typist)
    member = board.browser("member")
    csv_rows = read_csv(member.get("/board/export?folder=all&format=csv"))
    lines = read_jsonl(member.get("/board/export?folder=all&format=jsonl"))
    [mine] = [row for row in csv_rows if row["id"] == ids[0]]
    [line] = [line for line in lines if line["id"] == ids[0]]
    assert mine["why"] == line["answers"]["why"]["value"] == "The tea. Ask [hidden]"
    assert line["answers"]["why"]["raw"] == "The tea. Ask [hidden]"


def test_members_get_nothing_from_a_site_with_too_few(board):
    counts = {"Ash Lodge": 2, "Birch View": 6, "Cedar Court": 9, "Damson House": 30}
    for site, count in counts.items():
        for n in range(count):
            board.add_response(site, OVERALL, closed_at=at(1 + n % 28))
    query = "/board/export?folder=all&format=jsonl"

    member_sites = [
        line["site"] for line in read_jsonl(board.browser("member").get(query))
    ]
    staff_sites = [
        line["site"] for line in read_jsonl(board.browser("staff").get(query))
    ]

    # Ash has 2 (rule 1); Birch, the next smallest, would give Ash away (rule 2).
    assert sorted(set(member_sites)) == ["Cedar Court", "Damson House"]
    assert len(member_sites) == 39
    assert len(staff_sites) == 47
    # Within a filter, the counts are this download's own.
    two_days = "/board/export?folder=all&date_from=2026-11-01&date_to=2026-11-02"
    nothing = board.browser("member").get(two_days + "&format=jsonl")
    assert nothing.mimetype == "text/html"  # a page that says why, not a file
    assert "There is nothing to download" in nothing.get_data(as_text=True)
    assert "fewer than 5 responses are left out" in nothing.get_data(as_text=True)


def test_the_inbox_says_what_members_get_before_they_download(board):
    board.add_response("Oak House", OVERALL)
    member_page = (
        board.browser("member").get("/board/?folder=all").get_data(as_text=True)
    )
    staff_page = board.browser("staff").get("/board/?folder=all").get_data(as_text=True)
    words = (
        "Sites with fewer than 5 responses are left out, so no one can be picked out."
    )
    assert "Download these responses" in member_page and words in member_page
    assert "Download these responses" in staff_page and words not in staff_page
    assert "Download as a spreadsheet (CSV file)" in staff_page


def test_someone_limited_to_a_site_never_gets_another_sites(board):
    oak = [
        board.add_response("Oak House", OVERALL, closed_at=at(1 + n)) for n in range(6)
    ]
    for n in range(6):
        board.add_response("Elm Court", OVERALL, closed_at=at(1 + n))
    for role in ("member", "staff"):
        limited = board.browser(role, sites=("Oak House",))
        page = limited.get("/board/export?folder=all&format=jsonl")
        assert sorted(line["id"] for line in read_jsonl(page)) == sorted(oak)
        for query in ("site=Elm+Court", "site=Elm+Court&site=Oak+House"):
            refused = limited.get(f"/board/export?folder=all&{query}&format=jsonl")
            assert refused.status_code == 400
            assert "Elm Court" not in refused.get_data(as_text=True)


# Safe cells ---------------------------------------------------------------------


def test_every_cell_that_could_run_as_a_formula_is_made_safe(board):
    ids = []
    for n, danger in enumerate(DANGERS):
        response_id = board.add_response(
            "Oak House",
            [
                {"step_id": "count", "value": "-3", "raw": "-3"},
                {"step_id": "feel", "value": f"{danger}SUM(1)", "raw": "odd"},
                {"step_id": "why", "value": f"{danger}cmd|' /C calc'!A0"},
                {"step_id": "weight", "value": "12.5", "raw": "12.5"},
            ],
            opening_text=f'{danger}HYPERLINK("http://evil.example")',
            kiosk=f"{danger}Lounge",
            closed_at=at(1 + n),
        )
        tag(board, response_id, f"{danger}tag {n}")
        ids.append(response_id)

    rows = read_csv(board.browser("staff").get("/board/export?folder=all&format=csv"))

    assert [row["id"] for row in rows] == ids
    for n, (danger, row) in enumerate(zip(DANGERS, rows, strict=True)):
        assert row["feel"] == f"'{danger}SUM(1)"
        assert row["why"] == f"'{danger}cmd|' /C calc'!A0"
        assert row["opening_text"] == f'\'{danger}HYPERLINK("http://evil.example")'
        assert row["kiosk"] == f"'{danger}Lounge"
        # A tag's name never begins with a space, a tab or a line end.
        assert row["tags"] == (f"'{danger}tag" if danger.strip() else "tag") + f" {n}"
        assert row["count"] == "-3" and row["weight"] == "12.5"  # numbers stay numbers
        assert row["helped"] == "false" and row["is_test"] == "false"
    raw = board.browser("staff").get("/board/export?folder=all&format=csv")
    assert ",-3," in raw.get_data(as_text=True)  # not quoted, not '-3


def test_json_lines_stay_json_with_any_text(board):
    words = "Café ŵ 😀 “quoted” line\u2028break\nnew line"
    made = board.add_response("Oak House", said(words), opening_text="=1+2")
    page = board.browser("staff").get("/board/export?folder=all&format=jsonl")
    text = page.get_data(as_text=True)
    assert "Café ŵ 😀" in text  # as written, not \\u escapes
    assert len(text.splitlines()) == 1
    [line] = [json.loads(line) for line in text.splitlines()]
    assert line["id"] == made
    assert line["answers"]["why"]["raw"] == words
    assert line["opening_text"] == "=1+2"  # JSON has no formulas: as it is


# The activity log, and refusals --------------------------------------------------


def test_each_download_is_in_the_activity_log_without_what_was_said(board):
    for n in range(6):
        board.add_response("Oak House", said("The secret words"), closed_at=at(1 + n))
    staff = board.browser("staff")
    staff.get("/board/export?folder=all&site=Oak+House&q=secret&format=csv").get_data()
    [entry] = [row for row in rows_of(board, "audit") if row["action"] == "exported"]
    detail = json.loads(entry["detail"])
    assert entry["user_id"] is not None and entry["response_id"] is None
    assert detail == {
        "count": 6,
        "filters": {"q": "(some words)", "site": ["Oak House"]},
        "folder": "all",
        "format": "csv",
    }
    assert "The secret words" not in entry["detail"]
    activity = staff.get("/board/activity").get_data(as_text=True)
    assert "downloaded 6 pieces of feedback." in activity

    board.browser("member").get("/board/export?folder=all&format=jsonl").get_data()
    member_entry = [r for r in rows_of(board, "audit") if r["action"] == "exported"]
    assert json.loads(max(member_entry, key=lambda r: r["seq"])["detail"])["count"] == 6


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("folder=all&q=" + "x" * 9000, 414, "This address is too long"),
        ("folder=all&format=pdf", 400, "Choose how to download it"),
        (
            "folder=all&site=Nowhere&format=csv",
            400,
            "Some of the filters are not right",
        ),
        ("folder=all&date_from=31/31/2026", 400, "Some of the filters are not right"),
    ],
)
def test_a_download_that_cannot_be_made_is_refused_kindly(board, query, status, words):
    board.add_response("Oak House", OVERALL)
    page = board.browser("staff").get(f"/board/export?{query}")
    text = page.get_data(as_text=True)
    assert page.status_code == status
    assert words in text and "Go back to the feedback" in text
    assert "<h1>" in text and "Content-Disposition" not in page.headers
    assert not [row for row in rows_of(board, "audit") if row["action"] == "exported"]


def test_a_download_needs_signing_in(board):
    page = board.browser().get("/board/export?folder=all&format=csv")
    assert page.status_code == 302 and "/board/sign-in" in page.headers["Location"]


# Read a chunk at a time ---------------------------------------------------------


def test_rows_are_read_a_chunk_at_a_time_with_one_query_for_their_answers(
    board, monkeypatch
):
    made = [
        board.add_response("Oak House", said(f"number {n}"), closed_at=at(1 + n % 3))
        for n in range(7)
    ]
    monkeypatch.setattr(board_export, "CHUNK", 3)
    statements = []
    event.listen(
        board.engine, "before_cursor_execute", lambda *a: statements.append(a[2])
    )
    page = board.browser("staff").get("/board/export?folder=all&format=jsonl")
    lines = read_jsonl(page)
    assert sorted(line["id"] for line in lines) == sorted(made)
    order = [(line["closed_at"], line["id"]) for line in lines]
    assert order == sorted(order)
    answers_read = [s for s in statements if "JOIN answers AS chunk_answers" in s]
    assert len(answers_read) == 3  # 7 responses, 3 at a time


# `gateway export` on a board ---------------------------------------------------


def exported(runner, *args: str) -> list[dict]:
    result = runner.invoke(["export", "--format", "jsonl", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_the_command_takes_the_inbox_filters_and_is_exact(board, runner):
    typist = staff_id(board)
    made = {
        "oak_sms": board.add_response(
            "Oak House",
            said("Jo was kind"),
            channel="sms",
            participant="p-9",
            closed_at=at(2),
        ),
        "oak_welsh": board.add_response(
            "Oak House", OVERALL, language="cy", closed_at=at(3)
        ),
        "elm_paper": board.add_response(
            "Elm Court", OVERALL, channel="paper", closed_at=at(20)
        ),
        "ash_late": board.add_response(
            "Ash Lodge", OVERALL, closed_at="2026-12-02T09:00:00Z"
        ),
    }
    tag(board, made["oak_sms"], "kindness", staff_only=True)
    hide(board, made["oak_sms"], "why", "Jo", typist)

    def ids(*args):
        return sorted(line["id"] for line in exported(runner, *args))

    assert ids() == sorted(made.values())
    assert ids("--site", "oak house") == sorted([made["oak_sms"], made["oak_welsh"]])
    assert ids("--site", "Oak House", "--site", "Elm Court", "--channel", "paper") == [
        made["elm_paper"]
    ]
    assert ids("--channel", "sms", "--channel", "paper") == sorted(
        [made["oak_sms"], made["elm_paper"]]
    )
    assert ids("--language", "cy") == [made["oak_welsh"]]
    assert ids("--since", "2026-11-03", "--before", "2026-12-01") == sorted(
        [made["oak_welsh"], made["elm_paper"]]
    )
    assert ids("--words", "KIND") == [made["oak_sms"]]
    [line] = exported(runner, "--tag", "Kindness")
    assert line["participant_id"] == "p-9" and line["tags"] == ["kindness"]
    assert line["answers"]["why"]["raw"] == "Jo was kind"  # exact: nothing hidden

    entries = [r for r in rows_of(board, "audit") if r["action"] == "exported"]
    assert len(entries) == 8 and all(entry["user_id"] is None for entry in entries)
    last = json.loads(max(entries, key=lambda r: r["seq"])["detail"])
    assert last["count"] == 1 and last["filters"] == {"tag": "Kindness"}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--site", "Nowhere"],
            "No site called 'Nowhere'. Sites: Elm Court, Oak House.",
        ),
        (["--tag", "food"], "No tag called 'food'. Tags: none yet."),
        (["--channel", "fax"], "'fax' is not one of 'sms', 'kiosk', 'paper'"),
        (["--language", "English please"], "Use a code like en, cy or pt-BR."),
        (["--words", "   "], "Give some words to look for."),
        (["--words", "x" * 101], "Use 100 letters or fewer."),
        (
            ["--since", "2026-12-01", "--before", "2026-11-01"],
            "--before must be a later date than --since.",
        ),
    ],
)
def test_the_command_refuses_what_it_cannot_use_in_one_kind_line(
    board, runner, args, says
):
    board.add_response("Oak House", OVERALL)
    board.add_response("Elm Court", OVERALL)
    result = runner.invoke(["export", *args])
    assert result.exit_code != 0
    assert says in result.output and "Traceback" not in result.output
    assert result.stdout == ""


def test_the_command_writes_csv_with_the_boards_columns(board, runner, tmp_path):
    board.add_response(
        "Oak House", [{"step_id": "count", "value": "-3"}], participant="p-1"
    )
    target = tmp_path / "out.csv"
    result = runner.invoke(["export", "-o", str(target)])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert row["count"] == "-3" and row["participant_id"] == "p-1" and row["tags"] == ""
    assert "Exported 1 response(s)." in result.stderr


def test_the_benchmarks_filler_makes_what_an_export_reads(board, runner):
    from benchmarks.board_data import fill_board

    names = fill_board(board.engine, 60, sites=4, chunk=25)
    result = runner.invoke(["export"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 60 and {row["site"] for row in rows} <= set(names)
    assert list(rows[0])[-6:] == [
        "overall",
        "overall.state",
        "why",
        "why.state",
        "contact",
        "contact.state",
    ]
