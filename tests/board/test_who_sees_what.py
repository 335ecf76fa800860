"""Who may do and see what: a board member who posts a staff action straight
to its address changes nothing; a person limited to one site gets 404 for
another site's feedback by every address; and members never see alerts,
staff notes, staff-only tags or hidden words, on any page, in any count."""

from __future__ import annotations

import re

import pytest

from tests.board.pages import review_state, rows_of

FORMS = "/board/tags"  # a page to take each form's CSRF token from
HIDDEN_NAME = "Jo Bloggs"
WHY = f"I am {HIDDEN_NAME} and the tea was cold <script>alert(1)</script>"


def reviewed(board, site: str) -> dict:
    """A response at `site` with everything staff can add: an alert, a staff
    note, a comment, a staff-only tag, hidden words. Its ids, by kind."""
    response_id = board.add_response(
        site,
        [
            {"step_id": "overall", "value": "poor", "raw": "4"},
            {"step_id": "why", "value": WHY, "raw": WHY},
        ],
        opening_text=f"Hello from {HIDDEN_NAME}",
    )
    board.add_alert(site, response_id, category="abuse")
    dealt_with = next(
        a["id"] for a in rows_of(board, "alerts") if a["response_id"] == response_id
    )
    board.add_alert(site, response_id, category="self_harm")
    staff = board.browser("staff")
    base = f"/board/responses/{response_id}"
    for path, data in [
        (f"{base}/alerts/{dealt_with}/done", {"what_was_done": "Told the manager"}),
        (f"{base}/notes", {"internal_note": "STAFF NOTE TEXT"}),
        (f"{base}/comments", {"comment": "A comment for all"}),
        (f"{base}/tags", {"tag_name": "complaint-for-staff"}),
        ("/board/tags", {"name": "complaint-for-staff", "staff_only": "y"}),
        (f"{base}/tags", {"tag_name": "garden"}),
        (f"{base}/hide", {"hide_in": "why", "passage": HIDDEN_NAME}),
        (f"{base}/hide", {"hide_in": "_opening", "passage": HIDDEN_NAME}),
    ]:
        assert staff.post(path, data, form_page=FORMS).status_code == 302, path
    notes = rows_of(board, "notes")
    return {
        "response_id": response_id,
        "alert_id": next(
            a["id"]
            for a in rows_of(board, "alerts")
            if a["response_id"] == response_id and a["status"] == "open"
        ),
        "note_id": next(
            n["id"]
            for n in notes
            if n["response_id"] == response_id and n["staff_only"]
        ),
        "comment_id": next(
            n["id"]
            for n in notes
            if n["response_id"] == response_id and not n["staff_only"]
        ),
        "redaction_id": next(
            r["id"]
            for r in rows_of(board, "redactions")
            if r["response_id"] == response_id
        ),
    }


def staff_actions(ids: dict) -> list[tuple[str, dict]]:
    base = f"/board/responses/{ids['response_id']}"
    return [
        (f"{base}/status", {"status": "closed", "status_note": "x"}),
        (f"{base}/flag", {"flagged": "yes"}),
        (f"{base}/assign", {"person": "1"}),
        (f"{base}/notes", {"internal_note": "a member's note"}),
        (f"{base}/hide", {"hide_in": "why", "passage": "tea"}),
        (f"{base}/hidden/{ids['redaction_id']}/show", {}),
        (f"{base}/alerts/{ids['alert_id']}/done", {"what_was_done": "nothing"}),
        ("/board/bulk/review", {"ids": [ids["response_id"]], "change": "flag"}),
        ("/board/bulk/review", {"ids": [ids["response_id"]], "change": "done"}),
        ("/board/tags", {"name": "garden", "description": "x", "staff_only": "y"}),
    ]


def every_action(ids: dict) -> list[tuple[str, dict]]:
    """Every POST a person can make about one response, and its GET."""
    base = f"/board/responses/{ids['response_id']}"
    return staff_actions(ids)[:7] + [
        (f"{base}/tags", {"tag_name": "new one"}),
        (f"{base}/tags/remove", {"tag_name": "garden"}),
        (f"{base}/comments", {"comment": "hello"}),
        (f"{base}/notes/{ids['comment_id']}/edit", {"note_body": "changed"}),
        ("/board/bulk/tag", {"ids": [ids["response_id"]], "tag": "more"}),
        ("/board/bulk/review", {"ids": [ids["response_id"]], "change": "restore"}),
    ]


def test_a_member_posting_a_staff_action_gets_403_and_nothing_changes(board):
    ids = reviewed(board, "Oak House")
    member = board.browser("member")
    before = review_state(board)
    for path, data in staff_actions(ids):
        answer = member.post(path, data, form_page=FORMS)
        assert answer.status_code == 403, path
    assert review_state(board) == before


def test_another_sites_feedback_is_not_found_by_any_address(board):
    board.add_site("Oak House")
    elm = reviewed(board, "Elm Court")
    waiting = "0190a000-0000-7000-8000-00000000abcd"
    board.add_alert("Elm Court", waiting)  # an alert whose answers are on the way
    oak_staff = board.browser("staff", sites=("Oak House",))
    before = review_state(board)
    for response_id in (elm["response_id"], waiting):
        assert oak_staff.get(f"/board/responses/{response_id}").status_code == 404
    for path, data in every_action(elm):
        answer = oak_staff.post(path, data, form_page=FORMS)
        assert answer.status_code == 404, path
    assert review_state(board) == before
    page = oak_staff.get("/board/?folder=all").get_data(as_text=True)
    assert "Elm Court" not in page and "Safeguarding" not in page


def test_every_address_about_a_response_is_in_these_tests(board):
    """A new address about a response fails here until it is tested above."""
    tested = {path.split("/")[-1] for path, _ in every_action(reviewed(board, "Oak"))}
    for rule in board.app.url_map.iter_rules():
        if rule.rule.startswith("/board/responses/") and "POST" in rule.methods:
            assert rule.rule.split("/")[-1] in tested, rule.rule


def test_members_never_see_alerts_staff_notes_staff_tags_or_hidden_words(board):
    ids = reviewed(board, "Oak House")
    member = board.browser("member")
    pages = [
        "/board/",
        "/board/?folder=all",
        "/board/?folder=flagged",
        f"/board/responses/{ids['response_id']}",
        "/board/tags",
        "/board/?folder=all&q=bloggs",
        "/board/?folder=all&tag=complaint-for-staff",
    ]
    for path in pages:
        page = member.get(path)
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        assert "safeguarding" not in text.lower(), path
        for secret in (
            "Told the manager",
            "They may be being abused",
            "Bloggs",
            "STAFF NOTE TEXT",
            "complaint-for-staff",
            "Safeguarding",
            "They may hurt themselves",
            "alerts/",
            "<script>alert(1)",
        ):
            assert secret not in text, (path, secret)
    searched = member.get("/board/?folder=all&q=bloggs").get_data(as_text=True)
    counts = re.findall(r'board-folders__count">(\d+)<', searched)
    assert counts == ["0", "0", "0", "0"]
    tagged = member.get("/board/?folder=all&tag=complaint-for-staff")
    assert "Choose a tag from the list." in tagged.get_data(as_text=True)
    response_page = member.get(f"/board/responses/{ids['response_id']}")
    text = response_page.get_data(as_text=True)
    assert "[hidden]" in text and "A comment for all" in text and "garden" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_everything_members_do_not(board, role):
    ids = reviewed(board, "Oak House")
    text = board.browser(role).get(f"/board/responses/{ids['response_id']}")
    text = text.get_data(as_text=True)
    for shown in ("Bloggs", "STAFF NOTE TEXT", "complaint-for-staff", "Safeguarding"):
        assert shown in text, shown
