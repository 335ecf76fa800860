"""The board's pages all share: sign-in first, CSRF on every form, strict
headers, and nothing cached."""

from __future__ import annotations

import pytest

BOARD_PAGES = ["/board/", "/board/activity", "/board/paper", "/board/people"]


@pytest.mark.parametrize("path", BOARD_PAGES)
def test_a_signed_out_visitor_is_sent_to_sign_in(board, path):
    answer = board.browser().get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/board/sign-in?next=")


def test_signing_in_and_out(board):
    browser = board.browser()
    email = board.add_user("staff")
    assert browser.sign_in(email).headers["Location"] == "/board/"
    assert browser.get("/board/").status_code == 200
    signed_out = browser.post("/board/sign-out", form_page="/board/")
    assert signed_out.headers["Location"] == "/board/sign-in"
    assert browser.get("/board/").status_code == 302


@pytest.mark.parametrize("email", ["nobody@example.org", None])
def test_a_wrong_email_or_password_gets_the_same_answer(board, email):
    email = email or board.add_user("member")
    answer = board.browser().sign_in(email, "not the password")
    assert answer.status_code == 400
    assert "That email or password is not right." in answer.get_data(as_text=True)


def test_a_form_without_its_csrf_token_changes_nothing(board):
    email = board.add_user("staff")
    browser = board.browser()
    answer = browser.client.post(
        "/board/sign-in", data={"email": email, "password": "a long test password 42"}
    )
    assert answer.status_code == 400
    assert "Sorry, this page was open too long." in answer.get_data(as_text=True)
    assert browser.get("/board/").status_code == 302  # not signed in


def test_after_signing_in_the_page_asked_for_opens_and_never_another_site(board):
    email = board.add_user("staff")
    browser = board.browser()
    token = browser.token()
    answer = browser.client.post(
        "/board/sign-in?next=/board/activity",
        data={
            "email": email,
            "password": "a long test password 42",
            "csrf_token": token,
        },
    )
    assert answer.headers["Location"] == "/board/activity"
    other = board.browser()
    answer = other.client.post(
        "/board/sign-in?next=https://evil.example/",
        data={
            "email": email,
            "password": "a long test password 42",
            "csrf_token": other.token(),
        },
    )
    assert answer.headers["Location"] == "/board/"


def test_board_pages_have_a_strict_policy_and_are_never_kept(board):
    page = board.browser("staff").get("/board/")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_not_for_scripts_and_ends_when_idle(board):
    browser = board.browser()
    answer = browser.sign_in(board.add_user("member"))
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # permanent: the idle limit applies


def test_staff_see_open_alerts_in_words_on_every_page_and_members_never(board):
    response_id = board.add_response("Rose Court", [{"step_id": "why", "raw": "x"}])
    board.add_alert("Rose Court", response_id)
    staff_page = board.browser("staff").get("/board/activity").get_data(as_text=True)
    assert "Safeguarding: 1 alert needs someone to act" in staff_page
    assert "self_harm" not in staff_page  # the category in words, not its code
    assert "2026-12-01T09:00:00Z" not in staff_page  # the time in words
    member_page = board.browser("member").get("/board/").get_data(as_text=True)
    assert "Safeguarding" not in member_page


def test_every_bundled_safeguarding_category_has_words_for_staff():
    from flows.safeguarding import load_rules
    from gateway.board.views.activity import ALERT_WORDS

    categories = {category for _, category, _ in load_rules().every_phrase()}
    assert categories <= set(ALERT_WORDS)
