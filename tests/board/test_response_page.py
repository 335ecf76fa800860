"""A response's own page: the conversation as the person saw it, the facts
about it, its history, and who else has it open."""

from __future__ import annotations

from gateway.board.database import writing
from gateway.board.store import accounts
from tests.board.pages import NOW, set_clock

FORMS = "/board/tags"  # a page to take each form's CSRF token from


def text_of(browser, response_id: str) -> str:
    page = browser.get(f"/board/responses/{response_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_conversation_as_the_person_saw_it(board):
    response_id = board.add_response(
        "Oak House",
        [
            {
                "step_id": "overall",
                "value": "very_good",
                "raw": "1",
                "prompt": "Overall, how was it? Reply 1 for Very good",
            },
            {"step_id": "food", "state": "dont_know", "prompt": "How was the food?"},
            {"step_id": "age", "state": "rather_not_say", "prompt": "How old are you?"},
            {"step_id": "why", "state": "no_answer", "prompt": "Tell us why?"},
            {"step_id": "more", "state": "not_reached", "prompt": "Anything else?"},
        ],
        opening_text="Hello, I want to say thanks",
        kiosk="Lounge tablet",
        language="cy",
        helped=True,
    )
    page = text_of(board.browser("member"), response_id)
    for words in (
        "Overall, how was it? Reply 1 for Very good",
        "Very good",
        "How was the food?",
        "Don&#39;t know",
        "Rather not say",
        "They started by sending:",
        "Hello, I want to say thanks",
        "Oak House",
        "Lounge tablet",
        "Kiosk",
        "Welsh",
        "1 December 2026 at 9:00am",
        "Someone helped them answer.",
    ):
        assert words in page, words
    assert page.count("Did not answer") == 2  # no answer, and never reached


def test_a_paper_card_says_who_typed_it_in(board):
    with writing(board.engine) as conn:
        typist = accounts.add_user(
            conn, email="pat@example.org", name="Pat", role="staff", now=NOW
        )
    response_id = board.add_response(
        "Oak House",
        [{"step_id": "overall", "value": "good"}],
        channel="paper",
        entered_by=typist,
    )
    page = text_of(board.browser("member"), response_id)
    assert "Paper card" in page
    assert "Typed in from a paper card by Pat." in page


def test_the_history_says_who_did_what_in_words(board):
    response_id = board.add_response("Oak House", [{"step_id": "overall"}])
    sam = board.browser()
    sam.sign_in(board.add_user("staff", name="Sam"))
    base = f"/board/responses/{response_id}"
    sam.post(f"{base}/status", {"status": "in_review"}, form_page=FORMS)
    sam.post(
        f"{base}/status",
        {"status": "closed", "status_note": "Told the kitchen"},
        form_page=FORMS,
    )
    sam.post(f"{base}/flag", {"flagged": "yes"}, form_page=FORMS)
    sam.post(f"{base}/tags", {"tag_name": "Food"}, form_page=FORMS)
    sam.post(f"{base}/comments", {"comment": "Thank you all"}, form_page=FORMS)
    page = text_of(sam, response_id)
    history = page[page.index("What has happened") :]
    for words in (
        "Sam marked it Being looked at.",
        "Sam marked it Done.",
        "Told the kitchen",
        "Sam flagged it.",
        "Sam added the tag “Food”.",
        "Sam wrote a comment.",
        "Thank you all",
    ):
        assert words in history, words
    newest_first = [history.index(w) for w in ("Sam wrote a comment", "Sam flagged")]
    assert newest_first == sorted(newest_first)
    member_page = text_of(board.browser("member"), response_id)
    assert "Sam marked it Done." in member_page
    assert "Told the kitchen" not in member_page  # a status note is for staff


def test_someone_else_looking_now_is_shown(board):
    response_id = board.add_response("Oak House", [{"step_id": "overall"}])
    sam = board.browser()
    sam.sign_in(board.add_user("staff", name="Sam"))
    alex = board.browser()
    alex.sign_in(board.add_user("member", name="Alex"))
    set_clock(board, "2026-12-01T10:00:00Z")
    assert "is also looking" not in text_of(sam, response_id)
    set_clock(board, "2026-12-01T10:04:00Z")
    assert "Sam is also looking at this now." in text_of(alex, response_id)
    assert "Alex is also looking at this now." in text_of(sam, response_id)
    set_clock(board, "2026-12-01T10:10:00Z")
    assert "is also looking" not in text_of(sam, response_id)  # Alex left


def test_everything_people_wrote_is_escaped(board):
    response_id = board.add_response(
        "Oak House",
        [
            {
                "step_id": "why",
                "value": "<script>alert(1)</script>",
                "raw": "<script>alert(1)</script> now",
                "prompt": "<i>Why?</i>",
            }
        ],
        opening_text="<img src=x onerror=alert(2)>",
        kiosk="<b>kiosk</b>",
    )
    staff = board.browser("staff")
    staff.post(
        f"/board/responses/{response_id}/comments",
        {"comment": "<script>alert(3)</script>"},
        form_page=FORMS,
    )
    page = text_of(staff, response_id)
    for raw in ("<script>", "<img src=x", "<i>Why", "<b>kiosk"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt; now" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page


def test_an_alert_that_came_before_its_answers_can_still_be_dealt_with(board):
    board.add_site("Oak House")
    waiting = "0190a000-0000-7000-8000-000000000001"
    board.add_alert("Oak House", waiting)
    staff = board.browser("staff")
    page = text_of(staff, waiting)
    assert "The answers have not reached the board yet." in page
    answer = staff.post(
        f"/board/responses/{waiting}/alerts/"
        + page.split(f"/board/responses/{waiting}/alerts/")[1].split("/")[0]
        + "/done",
        {"what_was_done": "Rang the home's manager"},
        form_page=FORMS,
    )
    assert answer.status_code == 302
    assert "Safeguarding:" not in staff.get("/board/").get_data(as_text=True)
    assert board.browser("member").get(f"/board/responses/{waiting}").status_code == 404


def test_a_question_they_never_reached_is_left_out(board):
    response_id = board.add_response(
        "Rose Court",
        [
            {"step_id": "overall", "value": "good", "raw": "Good", "prompt": "How?"},
            {"step_id": "contact", "state": "not_reached", "prompt": ""},
        ],
        flow_id="friends-and-family",
        status="partial",
    )
    page = board.browser("staff").get(f"/board/responses/{response_id}")
    text = page.get_data(as_text=True)
    assert "How?" in text
    assert 'board-conversation__question"></p>' not in text
    assert "Can we text you to tell you what we change" not in text
