"""Typing in a paper card, through the pages: the flow engine checks the
answers and follows the branches, a disclosure raises an alert, a form sent
twice stores one response, and only staff at the card's site may type it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from gateway.board.database import reading
from gateway.board.schema import answers, audit, responses, users
from gateway.board.store import records
from tests.disclosure_examples import DISCLOSURES, EVERYDAY

TODAY = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FORM_ID = re.compile(r'name="form_id" type="hidden" value="([^"]+)"')
SITE = "Rose Court"


@pytest.fixture
def staff(board):
    board.app.extensions["gateway"].clock = lambda: TODAY
    board.add_site(SITE)
    return board.browser("staff")


def card_page(browser, flow="care-home-life", day="2026-11-03", site=SITE) -> str:
    return f"/board/paper/card?site={site.replace(' ', '+')}&date={day}&flow={flow}"


def send_card(browser, card: dict, **where):
    """Open the card page, then send its form with these answers."""
    page = card_page(browser, **where)
    opened = browser.get(page)
    assert opened.status_code == 200, opened.get_data(as_text=True)
    form_id = FORM_ID.search(opened.get_data(as_text=True)).group(1)
    fields = {f"answer-{step}": value for step, value in card.items()}
    return browser.post(page, {**fields, "form_id": form_id}, form_page=page)


def stored(board) -> list[dict]:
    with reading(board.engine) as conn:
        return [dict(row) for row in conn.execute(select(responses)).mappings()]


def answers_of(board, response_id: str) -> dict[str, tuple]:
    with reading(board.engine) as conn:
        rows = conn.execute(
            select(answers).where(answers.c.response_id == response_id)
        ).mappings()
        return {
            row["step_id"]: (row["state"], row["value"], row["raw"]) for row in rows
        }


def count(board, table) -> int:
    with reading(board.engine) as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_the_first_page_leads_to_the_flows_questions(staff):
    answer = staff.post(
        "/board/paper",
        {
            "site": SITE,
            "day": "3",
            "month": "11",
            "year": "2026",
            "flow": "care-home-life",
        },
        form_page="/board/paper",
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == card_page(staff)
    page = staff.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Card from Rose Court, 3 November 2026" in page
    assert "1. How are the meals?" in page  # as the kiosk words it
    assert "Did not answer" in page
    assert 'maxlength="300"' in page
    assert "Only if they answered Bad to question 1." in page
    assert "Someone helped them fill it in" in page


def test_a_card_runs_through_the_engine_and_follows_its_branches(board, staff):
    card = {
        "meals": "good",
        "activities": "music",
        "visits": "no",
        "visits-help": "A bus to my daughter's street",
    }
    saved = send_card(staff, {**card}, day="2026-11-03")
    assert saved.status_code == 302
    [response] = stored(board)
    assert saved.headers["Location"] == f"/board/paper/saved/{response['id']}"
    assert response["channel"] == "paper"
    assert response["status"] == "complete"
    assert response["site_id"] == board.site_ids[SITE]
    assert response["started_at"] == response["closed_at"] == "2026-11-03T12:00:00Z"
    assert response["has_free_text"] is True
    assert response["is_test"] is False
    assert response["helped"] is False
    with reading(board.engine) as conn:
        typist = conn.execute(
            select(users.c.email).where(users.c.id == response["entered_by"])
        ).scalar()
    assert typist.startswith("staff")
    assert answers_of(board, response["id"]) == {
        "meals": ("answered", "good", "Good"),
        "meals-better": ("not_reached", None, None),  # the branch "good" skips
        "activities": ("answered", "music", "Music and singing"),
        "visits": ("answered", "no", "No"),
        "visits-help": (
            "answered",
            "A bus to my daughter's street",
            "A bus to my daughter's street",
        ),
    }
    done = staff.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Card saved." in done and "Add another?" in done
    assert card_page(staff).replace("&", "&amp;") in done  # the same site and day again


def test_a_bad_answer_takes_the_branch_the_engine_takes(board, staff):
    send_card(
        staff, {"meals": "bad", "meals-better": "Hot food, not warm", "visits": "yes"}
    )
    [response] = stored(board)
    given = answers_of(board, response["id"])
    assert given["meals-better"] == (
        "answered",
        "Hot food, not warm",
        "Hot food, not warm",
    )
    assert given["activities"][0] == "rather_not_say"  # left empty between answers
    assert given["visits-help"][0] == "not_reached"


def test_an_answer_to_a_question_the_card_skips_is_pointed_out(board, staff):
    answer = send_card(staff, {"meals": "good", "meals-better": "More gravy"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "This question is only for people who answered Bad to question 1." in page
    assert stored(board) == []


def test_did_not_answer_is_declined_and_a_card_that_stops_is_partial(board, staff):
    send_card(staff, {"overall": "", "why": "Kind nurses"}, flow="friends-and-family")
    send_card(staff, {"overall": "good"}, flow="friends-and-family")
    declined, stopped = sorted(
        stored(board), key=lambda r: r["has_free_text"], reverse=True
    )
    assert declined["status"] == "complete"
    assert answers_of(board, declined["id"])["overall"][0] == "rather_not_say"
    assert answers_of(board, declined["id"])["contact"][0] == "not_reached"  # SMS only
    assert (stopped["status"], stopped["close_reason"]) == ("partial", "finished_early")
    assert answers_of(board, stopped["id"])["why"][0] == "not_reached"


def test_someone_helped_is_kept(board, staff):
    page = card_page(staff, flow="friends-and-family")
    opened = staff.get(page).get_data(as_text=True)
    form_id = FORM_ID.search(opened).group(1)
    staff.post(
        page,
        {"answer-overall": "very_good", "helped": "y", "form_id": form_id},
        form_page=page,
    )
    [response] = stored(board)
    assert response["helped"] is True


def test_a_disclosure_on_a_card_raises_an_alert_staff_see(board, staff):
    saved = send_card(
        staff,
        {"overall": "very_poor", "why": "The night carer hits me when no one looks"},
        flow="friends-and-family",
    )
    [response] = stored(board)
    with reading(board.engine) as conn:
        [alert] = records.open_alerts(conn, None)
    assert alert["response_id"] == response["id"]
    assert alert["category"] == "abuse"
    assert "may tell us someone is being harmed" in staff.get(
        saved.headers["Location"]
    ).get_data(as_text=True)
    # The alert list every staff page shows, beside a link to the response:
    later = staff.get("/board/paper").get_data(as_text=True)
    assert "Safeguarding: 1 alert needs someone to act" in later
    assert f"/board/responses/{response['id']}" in later


def test_the_example_disclosures_on_cards_alert_and_everyday_words_do_not(board, staff):
    """Every example in tests/disclosure_examples.py, typed in as a card's
    "why": the same check as the other channels, one alert for each
    disclosure, with its category, and none for an everyday answer."""
    examples = DISCLOSURES + [(words, None) for words in EVERYDAY]
    for said, _ in examples:
        saved = send_card(
            staff, {"overall": "poor", "why": said}, flow="friends-and-family"
        )
        assert saved.status_code == 302, said
    with reading(board.engine) as conn:
        raised = {
            alert["response_id"]: alert["category"]
            for alert in records.open_alerts(conn, None)
        }
    why = {answers_of(board, r["id"])["why"][2]: r["id"] for r in stored(board)}
    assert len(why) == len(examples)
    assert {said: raised.get(why[said]) for said, _ in examples} == dict(examples)


def test_the_same_form_sent_twice_stores_one_card(board, staff):
    page = card_page(staff, flow="friends-and-family")
    form_id = FORM_ID.search(staff.get(page).get_data(as_text=True)).group(1)
    form = {"answer-overall": "good", "answer-why": "Lovely garden", "form_id": form_id}
    first = staff.post(page, form, form_page=page)
    second = staff.post(page, form, form_page=page)
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(board)) == 1
    with reading(board.engine) as conn:
        entries = conn.execute(
            select(audit).where(audit.c.action == "paper_entered")
        ).all()
    assert len(entries) == 1


def test_each_opening_of_the_card_page_is_a_new_card(board, staff):
    send_card(staff, {"overall": "good"}, flow="friends-and-family")
    send_card(staff, {"overall": "good"}, flow="friends-and-family")
    assert len(stored(board)) == 2


@pytest.mark.parametrize(
    ("card", "says"),
    [
        ({}, "The card has no answers."),
        ({"overall": "excellent-ish"}, "Choose one of the answers, or Did not answer."),
        ({"overall": "good", "why": "x" * 501}, "It can have up to 500 letters."),
    ],
)
def test_a_card_the_engine_would_not_take_stores_nothing(board, staff, card, says):
    answer = send_card(staff, card, flow="friends-and-family")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "There is a problem" in page and says in page
    assert stored(board) == [] and count(board, audit) == 0


@pytest.mark.parametrize(
    ("day", "month", "year", "says"),
    [
        ("2", "12", "2026", "The date cannot be in the future."),
        ("31", "12", "2019", "The date must be in 2020 or later."),
        ("31", "2", "2026", "Enter a real date, such as 27 3 2026."),
        ("", "2", "2026", "Enter the date on the card: the day, month and year."),
        ("1", "1", "20266", "Enter a real date, such as 27 3 2026."),
    ],
)
def test_a_wrong_date_gets_an_easy_error(staff, day, month, year, says):
    answer = staff.post(
        "/board/paper",
        {
            "site": SITE,
            "day": day,
            "month": month,
            "year": year,
            "flow": "friends-and-family",
        },
        form_page="/board/paper",
    )
    assert answer.status_code == 400
    assert says in answer.get_data(as_text=True)


def test_the_first_page_asks_for_a_site_and_the_questions(staff):
    answer = staff.post(
        "/board/paper",
        {"day": "1", "month": "11", "year": "2026"},
        form_page="/board/paper",
    )
    page = answer.get_data(as_text=True)
    assert "Choose the site the card is from." in page
    assert "Choose which questions are on the card." in page


def test_a_card_page_for_a_future_date_goes_back_to_the_start(staff):
    answer = staff.get(card_page(staff, day="2027-01-01"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/board/paper"


def test_members_cannot_type_cards(board, staff):
    member = board.browser("member")
    assert member.get("/board/paper").status_code == 403
    assert member.get(card_page(member)).status_code == 403


def test_staff_limited_to_one_site_cannot_choose_another(board, staff):
    board.add_site("Elm House")
    limited = board.browser("staff", sites=("Elm House",))
    first = limited.get("/board/paper").get_data(as_text=True)
    assert "Elm House" in first and SITE not in first
    refused = limited.post(
        "/board/paper",
        {
            "site": SITE,
            "day": "3",
            "month": "11",
            "year": "2026",
            "flow": "friends-and-family",
        },
        form_page="/board/paper",
    )
    assert refused.status_code == 400
    assert "Choose the site the card is from." in refused.get_data(as_text=True)
    page = card_page(limited, flow="friends-and-family")
    assert limited.get(page).status_code == 404
    sent = limited.post(
        page,
        {"answer-overall": "good", "form_id": "01a23187-d600-7343-8094-41f950438687"},
        form_page="/board/paper",
    )
    assert sent.status_code == 404
    assert stored(board) == []


def test_a_saved_card_at_another_site_is_not_found(board, staff):
    saved = send_card(staff, {"overall": "good"}, flow="friends-and-family")
    board.add_site("Elm House")
    limited = board.browser("staff", sites=("Elm House",))
    assert limited.get(saved.headers["Location"]).status_code == 404


@pytest.fixture
def counting(board_config, tmp_path):
    """A flow with a number question, loaded by the board."""
    from tests.kiosk.helpers import NUMBER_FLOW

    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "counting.yaml").write_text(NUMBER_FLOW, encoding="utf-8")
    board_config["FLOWS_PATH"] = str(folder)


@pytest.mark.parametrize(
    ("typed", "stored_as", "says"),
    [("3", "3", None), ("ten", None, "Enter a number from 0 to 7, or leave it empty.")],
)
def test_a_number_is_read_as_the_engine_reads_it(
    counting, board, staff, typed, stored_as, says
):
    answer = send_card(staff, {"visits": typed, "happy": "yes"}, flow="counting")
    if says:
        assert answer.status_code == 400 and says in answer.get_data(as_text=True)
        assert stored(board) == []
    else:
        [response] = stored(board)
        assert answers_of(board, response["id"])["visits"] == (
            "answered",
            stored_as,
            typed,
        )
