"""The NHS Friends and Family Test monthly return, checked cell by cell
against figures worked out by hand (docs/figures.md says the rules)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from gateway.board.database import writing
from gateway.board.fft import COLUMNS
from gateway.board.schema import responses
from tests.board.pages import set_clock

MONTH = "2026-11"


def fft(value: str | None, state: str = "answered") -> list[dict]:
    return [
        {"step_id": "overall", "value": value, "raw": value, "state": state},
        {"step_id": "why", "value": "the staff", "raw": "the staff"},
    ]


@pytest.fixture
def november(board):
    """A month of answers, with what must not count mixed in.

    Oak House: Lounge kiosk 3 very good, 2 good, 1 don't know; Garden room
    kiosk 1 poor, 1 very poor; by text 1 good (a partial response) and 1
    neither; 1 very good on a paper card. Elm Court, by text: NHS England's
    own example, 10 very good, 3 good, 1 neither, 1 don't know. Ash Lodge:
    nothing this month."""

    def add(site, value, times=1, **fields):
        fields.setdefault("flow_id", "friends-and-family")
        fields.setdefault("closed_at", "2026-11-15T10:00:00Z")
        return [
            board.add_response(
                site, fft(value) if value else fft(None, "no_answer"), **fields
            )
            for _ in range(times)
        ]

    add("Oak House", "very_good", 3, channel="kiosk", kiosk="Lounge")
    add("Oak House", "good", 2, channel="kiosk", kiosk="Lounge")
    add("Oak House", "dont_know", channel="kiosk", kiosk="Lounge")
    add("Oak House", "poor", channel="kiosk", kiosk="Garden room")
    add("Oak House", "very_poor", channel="kiosk", kiosk="Garden room")
    add("Oak House", "good", channel="sms", status="partial")
    add("Oak House", "neither", channel="sms", closed_at="2026-11-30T23:59:59Z")
    add("Oak House", "very_good", channel="paper")
    add("Elm Court", "very_good", 10, channel="sms")
    add("Elm Court", "good", 3, channel="sms")
    add("Elm Court", "neither", channel="sms")
    add("Elm Court", "dont_know", channel="sms")
    board.add_site("Ash Lodge")
    # None of these count:
    test_ids = add("Oak House", "very_good", 2, channel="kiosk", kiosk="Lounge")
    with writing(board.engine) as conn:
        conn.execute(
            update(responses).where(responses.c.id.in_(test_ids)).values(is_test=True)
        )
    add("Oak House", None, channel="sms", status="partial")  # FFT not answered
    add("Oak House", "good", channel="sms", flow_id="ffq")  # another flow's step
    add("Oak House", "poor", channel="sms", closed_at="2026-10-31T23:59:59Z")
    add("Oak House", "poor", channel="sms", closed_at="2026-12-01T00:00:00Z")
    return board


def the_return(runner, *args) -> list[dict]:
    result = runner.invoke(["board", "fft-return", "--month", MONTH, *args])
    assert result.exit_code == 0, result.output
    found = list(csv.DictReader(io.StringIO(result.stdout)))
    assert found and list(found[0]) == NHS_COLUMNS == list(COLUMNS)
    return found


HIDDEN = "* (hidden)"
NHS_COLUMNS = [
    "Yearnumber",
    "Periodname",
    "Level",
    "Parent org code",
    "Parent name",
    "Org code",
    "Org name",
    "Site code",
    "Site name",
    "Ward name",
    "1 Very Good",
    "2 Good",
    "3 Neither good nor poor",
    "4 Poor",
    "5 Very poor",
    "6 Dont Know",
    "Total Responses",
    "Total Eligible",
    "Response Rate",
    "Prop_Pos",
    "Prop_Neg",
    "Mode SMS",
    "Mode Electronic Discharge",
    "Mode Electronic Home",
    "Mode Paper Discharge",
    "Mode Paper Home",
    "Mode Telephone",
    "Mode Online",
    "Mode Other",
]


def row_of(rows: list[dict], site: str = "", ward: str = "") -> dict:
    (found,) = [r for r in rows if r["Site name"] == site and r["Ward name"] == ward]
    return found


COUNTS = NHS_COLUMNS[10:17]  # the six answers and Total Responses
MODES = NHS_COLUMNS[-8:]


def cells(row: dict, names) -> list[str]:
    return [row[name] for name in names]


def test_the_return_holds_the_counts_worked_out_by_hand(november, runner):
    rows = the_return(runner)
    levels = [(r["Level"], r["Site name"], r["Ward name"]) for r in rows]
    assert levels == [
        ("Organisation", "", ""),
        ("Site", "Ash Lodge", ""),
        ("Site", "Elm Court", ""),
        ("Site", "Oak House", ""),
        ("Ward", "Oak House", "No ward or kiosk"),
        ("Ward", "Oak House", "Garden room"),
        ("Ward", "Oak House", "Lounge"),
    ]
    organisation = row_of(rows)
    assert cells(organisation, COUNTS) == ["14", "6", "2", "1", "1", "2", "26"]
    # From summed counts, never an average of the sites' (that would be 0.7515).
    assert organisation["Prop_Pos"] == "0.7692"
    assert organisation["Prop_Neg"] == "0.0769"
    assert cells(organisation, MODES) == ["17", "8", "0", "1", "0", "0", "0", "0"]
    assert organisation["Yearnumber"] == "2026-27"
    assert organisation["Periodname"] == "NOVEMBER"

    elm = row_of(rows, "Elm Court")  # NHS England's example: 13/15, and 0
    assert cells(elm, COUNTS) == ["10", "3", "1", "0", "0", "1", "15"]
    assert (elm["Prop_Pos"], elm["Prop_Neg"]) == ("0.8667", "0.0000")

    oak = row_of(rows, "Oak House")  # Don't know is in the total
    assert cells(oak, COUNTS) == ["4", "3", "1", "1", "1", "1", "11"]
    assert (oak["Prop_Pos"], oak["Prop_Neg"]) == ("0.6364", "0.1818")
    assert cells(oak, MODES) == ["2", "8", "0", "1", "0", "0", "0", "0"]

    ash = row_of(rows, "Ash Lodge")  # no responses: no percentage, not 0%
    assert cells(ash, COUNTS) == ["0"] * 7
    assert (ash["Prop_Pos"], ash["Prop_Neg"]) == ("", "")

    lounge = row_of(rows, "Oak House", "Lounge")
    assert cells(lounge, COUNTS) == ["3", "2", "0", "0", "0", "1", "6"]
    assert (lounge["Prop_Pos"], lounge["Prop_Neg"]) == ("0.8333", "0.0000")
    garden = row_of(rows, "Oak House", "Garden room")
    assert cells(garden, COUNTS) == ["0", "0", "0", "1", "1", "0", "2"]
    assert (garden["Prop_Pos"], garden["Prop_Neg"]) == ("0.0000", "1.0000")
    elsewhere = row_of(rows, "Oak House", "No ward or kiosk")  # a text, a card
    assert cells(elsewhere, COUNTS) == ["1", "1", "1", "0", "0", "0", "3"]
    assert cells(elsewhere, MODES) == ["2", "0", "0", "1", "0", "0", "0", "0"]
    # The statutory return is exact: nothing is hidden, however small.
    assert not any("*" in r.values() for r in rows)


def test_the_month_is_the_organisations_local_month(board, runner):
    # 30 September 23:30 UTC is 00:30 on 1 October in London (summer time).
    board.add_response(
        "Oak House",
        fft("good"),
        flow_id="friends-and-family",
        closed_at="2026-09-30T23:30:00Z",
    )
    board.add_response(
        "Oak House",
        fft("poor"),
        flow_id="friends-and-family",
        closed_at="2026-10-31T23:59:00Z",
    )  # GMT again: October
    result = runner.invoke(["board", "fft-return", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert cells(row_of(rows), COUNTS) == ["0", "1", "0", "1", "0", "0", "2"]
    assert row_of(rows)["Yearnumber"] == "2026-27"


def test_the_return_can_be_written_to_a_file_and_names_the_organisation(
    november, runner, tmp_path, monkeypatch
):
    monkeypatch.setenv("GATEWAY_FFT_ORG_CODE", "RXX")
    monkeypatch.setenv("GATEWAY_FFT_ORG_NAME", "Example Care Trust")
    monkeypatch.setenv("GATEWAY_FFT_SITE_CODES", "Oak House=RXX01, Elm Court=RXX02")
    monkeypatch.setenv("GATEWAY_FFT_MODES", "sms=Mode SMS,kiosk=Mode Online")
    target = tmp_path / "return.csv"
    result = runner.invoke(["board", "fft-return", "--month", MONTH, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "26 answer(s) from 3 site(s)" in result.stderr
    with target.open(newline="", encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    oak = row_of(rows, "Oak House")
    assert (oak["Org code"], oak["Org name"], oak["Site code"]) == (
        "RXX",
        "Example Care Trust",
        "RXX01",
    )
    assert cells(oak, MODES) == ["2", "0", "0", "0", "0", "0", "8", "1"]


@pytest.mark.parametrize("month", ["November", "2026-13", "26-11", "1999-12"])
def test_a_month_that_is_not_one_is_refused_in_plain_words(board, runner, month):
    result = runner.invoke(["board", "fft-return", "--month", month])
    assert result.exit_code == 2
    assert "like 2026-11" in result.output


# The page ------------------------------------------------------------------------


def table_rows(page: str, caption: str) -> dict[str, list[str]]:
    """A table's rows by their heading cell, as text."""
    import re

    table = page.split(caption, 1)[1].split("</table>", 1)[0]
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]:
        heading = re.sub(
            r"<[^>]+>", "", re.search(r"<th[^>]*>(.*?)</th>", row, re.S)[1]
        )
        found[" ".join(heading.split())] = [
            " ".join(re.sub(r"<[^>]+>", "", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
    return found


def test_staff_see_the_month_exact_and_can_download_it(november):
    set_clock(november, "2026-12-05T09:00:00Z")
    staff = november.browser("staff")
    page = staff.get("/board/fft-return").get_data(as_text=True)  # last month
    assert "Friends and Family Test: November 2026" in page
    answers = table_rows(page, "Answers in November 2026")
    assert answers["All sites"] == [
        "14",
        "6",
        "2",
        "1",
        "1",
        "2",
        "26",
        "76.9%",
        "7.7%",
    ]
    assert answers["Ash Lodge"] == ["0"] * 7 + ["No answers", "No answers"]
    assert answers["Oak House: Garden room"] == [
        "0",
        "0",
        "0",
        "1",
        "1",
        "0",
        "2",
        "0.0%",
        "100.0%",
    ]
    modes = table_rows(page, "How people answered in November 2026")
    assert modes["Oak House"] == ["2", "8", "0", "1", "0", "0", "0", "0"]
    download = staff.get("/board/fft-return.csv?month=2026-11")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        'attachment; filename="fft-return-2026-11.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert cells(row_of(rows, "Oak House", "Garden room"), COUNTS)[-1] == "2"


def test_members_see_small_numbers_hidden_on_the_page_and_in_the_file(november):
    member = november.browser("member")
    page = member.get("/board/fft-return?month=2026-11").get_data(as_text=True)
    answers = table_rows(page, "Answers in November 2026")
    assert answers["Oak House: Garden room"] == [HIDDEN] * 9  # 2 answers
    assert answers["Oak House: No ward or kiosk"] == [HIDDEN] * 9  # 3 answers
    assert answers["Oak House: Lounge"][6] == "6"
    assert answers["Elm Court"][6] == "15"
    assert answers["Oak House"][7:] == ["64%", "18%"]  # whole percents only
    # A site's modes would give its hidden wards away (kiosk wards are all
    # Electronic Discharge): members see the organisation's only.
    assert list(table_rows(page, "How people answered in November 2026")) == [
        "All sites"
    ]
    download = member.get("/board/fft-return.csv?month=2026-11")
    assert (
        'filename="fft-return-2026-11-small-numbers-hidden.csv"'
        in (download.headers["Content-Disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    garden = row_of(rows, "Oak House", "Garden room")
    assert cells(garden, COUNTS) == ["*"] * 7
    assert (garden["Prop_Pos"], garden["Prop_Neg"]) == ("*", "*")
    oak = row_of(rows, "Oak House")
    assert (oak["Prop_Pos"], oak["Mode SMS"], oak["Mode Paper Discharge"]) == (
        "0.64",
        "",
        "",
    )
    assert row_of(rows)["Mode SMS"] == "17"


def test_someone_limited_to_a_site_sees_only_that_site(november):
    member = november.browser("member", sites=("Elm Court",))
    page = member.get("/board/fft-return?month=2026-11").get_data(as_text=True)
    answers = table_rows(page, "Answers in November 2026")
    assert list(answers) == ["Your sites", "Elm Court"]
    assert answers["Your sites"][6] == "15"
    assert "Oak House" not in page
    rows = list(
        csv.DictReader(
            io.StringIO(
                member.get("/board/fft-return.csv?month=2026-11").get_data(as_text=True)
            )
        )
    )
    assert {r["Site name"] for r in rows} == {"", "Elm Court"}


@pytest.mark.parametrize("month", ["2026-13", "x" * 5000, "2020-01"])
def test_a_month_not_on_the_list_is_answered_kindly(november, month):
    set_clock(november, "2026-12-05T09:00:00Z")
    staff = november.browser("staff")
    page = staff.get("/board/fft-return", query_string={"month": month})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Choose a month from the list." in text
    assert (
        staff.get("/board/fft-return.csv", query_string={"month": month}).status_code
        == 400
    )


def test_the_page_needs_signing_in(november):
    assert november.browser().get("/board/fft-return").status_code == 302
    assert november.browser().get("/board/fft-return.csv").status_code == 302


@pytest.fixture
def small_sites(board):
    """Big House 40 answers, Five Oaks 5, Two Trees 2: rules 1 and 2 at the
    sites' level."""
    for site, times in (("Big House", 40), ("Five Oaks", 5), ("Two Trees", 2)):
        for _ in range(times):
            board.add_response(
                site,
                fft("good"),
                flow_id="friends-and-family",
                closed_at="2026-11-10T10:00:00Z",
                channel="sms",
            )
    return board


def test_the_next_smallest_site_is_hidden_too_so_no_one_can_subtract(small_sites):
    page = small_sites.browser("member").get("/board/fft-return?month=2026-11")
    answers = table_rows(page.get_data(as_text=True), "Answers in November 2026")
    assert answers["All sites"][6] == "47"
    assert answers["Big House"][6] == "40"
    assert answers["Two Trees"] == [HIDDEN] * 9  # rule 1
    assert answers["Five Oaks"] == [HIDDEN] * 7 + ["100%", "0%"]  # rule 2
    exact = small_sites.browser("staff").get("/board/fft-return?month=2026-11")
    staff_view = table_rows(exact.get_data(as_text=True), "Answers in November 2026")
    assert staff_view["Two Trees"][6] == "2"


def test_seeing_fewer_sites_never_shows_more(small_sites):
    # Five Oaks alone has 5 answers, enough to show; but across the
    # organisation its count is hidden (rule 2), or 47 - 40 - 5 gives Two Trees.
    member = small_sites.browser("member", sites=("Five Oaks",))
    page = member.get("/board/fft-return?month=2026-11").get_data(as_text=True)
    answers = table_rows(page, "Answers in November 2026")
    assert answers["Five Oaks"][:7] == [HIDDEN] * 7
    assert answers["Your sites"][:7] == [HIDDEN] * 7  # it would say the same
    both = small_sites.browser("member", sites=("Big House", "Five Oaks"))
    answers = table_rows(
        both.get("/board/fft-return?month=2026-11").get_data(as_text=True),
        "Answers in November 2026",
    )
    assert answers["Big House"][6] == "40"
    assert answers["Five Oaks"][6] == HIDDEN
    assert answers["Your sites"][6] == HIDDEN  # 45 - 40 would give Five Oaks
    download = both.get("/board/fft-return.csv?month=2026-11").get_data(as_text=True)
    assert download.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(download.lstrip("\ufeff"))))
    assert (rows[0]["Level"], rows[0]["Org code"]) == ("Your sites", "")


def test_a_name_that_looks_like_a_formula_is_defused(board, runner):
    board.add_response(
        '=HYPERLINK("http://x")',
        fft("good"),
        flow_id="friends-and-family",
        closed_at="2026-11-10T10:00:00Z",
        channel="kiosk",
        kiosk="-1+1",
    )
    rows = the_return(runner)
    assert {r["Site name"] for r in rows} == {"", '\'=HYPERLINK("http://x")'}
    assert "'-1+1" in {r["Ward name"] for r in rows}
