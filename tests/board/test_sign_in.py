"""Signing in to the board: no hint of which emails have accounts, slowing
down repeated wrong tries (in the database, so across processes), one-time
links to set a password, and the optional second step (TOTP)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import insert, select

from flows.formats import iso
from gateway import create_app
from gateway.board import accounts as rules
from gateway.board.database import reading, writing
from gateway.board.schema import audit, sign_in_failures, users
from gateway.board.store import accounts
from tests.board.pages import NOW, PASSWORD, Browser
from tests.conftest import FakeClock

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "three green bicycles"  # noqa: S105 - test data
TOO_MANY = "Too many tries. Wait a few minutes, then try again."
NOT_RIGHT = "That email or password is not right."
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=|content=)"[^"]*"')


@pytest.fixture
def clock(board) -> FakeClock:
    fake = FakeClock(START)
    board.app.extensions["gateway"].clock = fake.now
    return fake


def main_part(answer) -> str:
    """The page's main content, without the session's CSRF token."""
    page = answer.get_data(as_text=True)
    return CSRF_VALUE.sub("", page[page.index("<main") : page.index("</main>")])


def new_account(board, role="staff", email=None) -> tuple[str, int]:
    """An account with no password yet; its email and id."""
    email = email or f"new-{role}@example.org"
    with writing(board.engine) as conn:
        user_id = accounts.add_user(
            conn, email=email, name="New Person", role=role, now=NOW
        )
    return email, user_id


def link_for(board, user_id: int, now: datetime = START) -> str:
    with writing(board.engine) as conn:
        return rules.issue_password_link(conn, user_id, now)


def row_of(board, email: str) -> dict:
    with reading(board.engine) as conn:
        return accounts.user_by_email(conn, email)


def set_password(browser: Browser, token: str, password=NEW_PASSWORD, again=None):
    page = f"/board/set-password/{token}"
    data = {"password": password, "again": password if again is None else again}
    return browser.post(page, data, form_page=page)


def give_second_step(board, email: str) -> str:
    secret = pyotp.random_base32()
    with writing(board.engine) as conn:
        user_id = accounts.user_by_email(conn, email)["id"]
        accounts.set_second_step(conn, user_id, secret, None)
    return secret


def code_at(secret: str, moment: datetime, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(moment + timedelta(seconds=30 * steps))


def other_code(code: str) -> str:
    """A code that is not this one."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def send_code(browser: Browser, code: str):
    return browser.post(
        "/board/sign-in/code", {"code": code}, form_page="/board/sign-in/code"
    )


# No hints about which emails have accounts ---------------------------------------


def test_unknown_email_wrong_password_and_turned_off_account_look_the_same(
    board, clock
):
    real = board.add_user("staff")
    turned_off = board.add_user("staff")
    with writing(board.engine) as conn:
        accounts.disable_user(conn, row_of(board, turned_off)["id"], NOW)
    tries = [
        ("nobody@example.org", PASSWORD),
        (real, "not the password at all"),
        (turned_off, PASSWORD),  # the right password
    ]
    answers = [board.browser().sign_in(email, password) for email, password in tries]
    assert {answer.status_code for answer in answers} == {400}
    assert NOT_RIGHT in answers[0].get_data(as_text=True)
    pages = {
        main_part(answer).replace(email, "EMAIL")
        for answer, (email, _password) in zip(answers, tries, strict=True)
    }
    assert len(pages) == 1


def test_a_form_missing_a_field_says_what_to_do(board):
    answer = board.browser().post("/board/sign-in", {"email": "", "password": ""})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Enter your email address." in page and "Enter your password." in page


# Slowing down wrong tries ----------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "wait_seconds"),
    [(1, None), (4, None), (5, 1), (6, 2), (9, 16), (14, 512), (15, 900), (60, 900)],
)
def test_each_wrong_try_after_five_doubles_the_wait_up_to_15_minutes(
    failures, wait_seconds
):
    until = rules.wait_until(failures, iso(START), START)
    assert until == (
        None if wait_seconds is None else START + timedelta(seconds=wait_seconds)
    )
    assert rules.wait_until(failures, iso(START), START + timedelta(minutes=15)) is None


def test_after_five_wrong_tries_the_next_waits_without_the_password_checked(
    board, clock, monkeypatch
):
    email = board.add_user("staff")
    browser = board.browser()
    for _ in range(5):
        assert browser.sign_in(email, "a wrong password").status_code == 400
    monkeypatch.setattr("gateway.board.views.auth.password_matches", _never_called)
    waiting = browser.sign_in(email, PASSWORD)
    assert waiting.status_code == 429
    assert TOO_MANY in waiting.get_data(as_text=True)
    monkeypatch.undo()
    clock.advance(seconds=1)
    assert browser.sign_in(email, PASSWORD).status_code == 302  # no lock-out


def _never_called(*_args):
    raise AssertionError("the password was checked while the account must wait")


def test_an_unknown_email_is_slowed_the_same_way(board, clock):
    browser = board.browser()
    for _ in range(5):
        browser.sign_in("nobody@example.org", "a wrong password")
    waiting = browser.sign_in("nobody@example.org", "a wrong password")
    assert waiting.status_code == 429 and TOO_MANY in waiting.get_data(as_text=True)


def test_a_long_run_of_wrong_tries_waits_15_minutes_at_most(board, clock):
    email = board.add_user("member")
    with writing(board.engine) as conn:
        conn.execute(
            insert(sign_in_failures).values(
                key=f"email:{email}", failures=40, last_failed_at=iso(START)
            )
        )
    browser = board.browser()
    clock.advance(minutes=14, seconds=59)
    assert browser.sign_in(email).status_code == 429
    clock.advance(seconds=1)
    assert browser.sign_in(email).status_code == 302


def test_a_right_password_clears_the_accounts_count_not_the_addresss(board, clock):
    first, second, third = (board.add_user("staff") for _ in range(3))
    here = board.browser()
    for _ in range(4):
        here.sign_in(first, "a wrong password")
    assert here.sign_in(first).status_code == 302  # the account's count is cleared
    board.browser().sign_in(second, "a wrong password")  # the address's fifth
    assert board.browser().sign_in(third).status_code == 429  # the address waits

    elsewhere = {"environ_base": {"REMOTE_ADDR": "192.0.2.7"}}
    away = board.browser()
    for _ in range(4):
        away.post("/board/sign-in", {"email": first, "password": "wrong"}, **elsewhere)
    answer = away.post(
        "/board/sign-in", {"email": first, "password": PASSWORD}, **elsewhere
    )
    assert answer.status_code == 302  # 4 + 4 would have been 8, and a wait


def test_slowing_holds_across_two_apps_on_one_database(board, clock, board_config):
    other_app = create_app(board_config)  # another process, in effect
    other_app.extensions["gateway"].clock = clock.now
    email = board.add_user("admin")
    for _ in range(5):
        board.browser().sign_in(email, "a wrong password")
    assert Browser(other_app).sign_in(email).status_code == 429
    clock.advance(seconds=1)
    assert Browser(other_app).sign_in(email).status_code == 302


# One-time links to set a password -------------------------------------------------


def test_a_link_sets_a_password_once_then_the_person_signs_in(board, clock):
    email, user_id = new_account(board)
    token = link_for(board, user_id)
    browser = board.browser()
    page = browser.get(f"/board/set-password/{token}")
    assert page.status_code == 200 and email in page.get_data(as_text=True)
    answer = set_password(browser, token)
    assert answer.status_code == 302 and answer.headers["Location"] == "/board/sign-in"
    assert browser.sign_in(email, NEW_PASSWORD).status_code == 302
    assert row_of(board, email)["password_hash"].startswith("scrypt:")
    again = board.browser().get(f"/board/set-password/{token}")
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)
    with reading(board.engine) as conn:
        logged = conn.execute(select(audit.c.action, audit.c.user_id)).all()
    assert ("password_set", user_id) in logged


def test_an_expired_link_is_refused(board, clock):
    _email, user_id = new_account(board)
    token = link_for(board, user_id)
    clock.advance(hours=71, minutes=59)
    assert board.browser().get(f"/board/set-password/{token}").status_code == 200
    clock.advance(minutes=1)
    browser = board.browser()
    assert browser.get(f"/board/set-password/{token}").status_code == 404
    answer = browser.post(
        f"/board/set-password/{token}",
        {"password": NEW_PASSWORD, "again": NEW_PASSWORD},
        form_page="/board/sign-in",
    )
    assert answer.status_code == 404
    assert row_of(board, _email)["password_hash"] is None


def test_an_unknown_link_looks_like_a_used_or_expired_one(board, clock):
    _email, user_id = new_account(board)
    token = link_for(board, user_id)
    set_password(board.browser(), token)
    used = board.browser().get(f"/board/set-password/{token}")
    unknown = board.browser().get("/board/set-password/not-a-real-token")
    assert used.status_code == unknown.status_code == 404
    assert main_part(used) == main_part(unknown)
    assert "Ask the person who runs the board for a new link." in main_part(unknown)


@pytest.mark.parametrize(
    ("password", "again", "message"),
    [
        ("", "", "Enter a new password."),
        ("eleven char", "eleven char", "Your password needs at least 12 characters."),
        (NEW_PASSWORD, "three green bicycle", "The two passwords are not the same."),
        ("New-Staff@example.org", "New-Staff@example.org", "cannot be your email"),
    ],
)
def test_a_password_that_will_not_do_changes_nothing(
    board, clock, password, again, message
):
    email, user_id = new_account(board)
    token = link_for(board, user_id)
    answer = set_password(board.browser(), token, password, again)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert row_of(board, email)["password_hash"] is None
    assert board.browser().get(f"/board/set-password/{token}").status_code == 200


def test_a_new_link_stops_the_old_one_working(board, clock):
    _email, user_id = new_account(board)
    old = link_for(board, user_id)
    new = link_for(board, user_id)
    assert board.browser().get(f"/board/set-password/{old}").status_code == 404
    assert board.browser().get(f"/board/set-password/{new}").status_code == 200


def test_only_a_hash_of_the_token_is_kept(board, clock):
    _email, user_id = new_account(board)
    token = link_for(board, user_id)
    with reading(board.engine) as conn:
        kept = conn.exec_driver_sql("SELECT token_hash FROM password_links").scalars()
        assert list(kept) == [rules.token_hash(token)] != [token]


def test_setting_a_password_ends_every_other_session(board, clock):
    email = board.add_user("staff")
    signed_in = board.browser()
    assert signed_in.sign_in(email).status_code == 302
    token = link_for(board, row_of(board, email)["id"])
    set_password(board.browser(), token)
    assert signed_in.get("/board/account").status_code == 302  # signed out


# The second step -------------------------------------------------------------------


def test_with_a_second_step_a_password_alone_does_not_sign_in(board, clock):
    email = board.add_user("staff")
    secret = give_second_step(board, email)
    browser = board.browser()
    answer = browser.sign_in(email)
    assert answer.headers["Location"] == "/board/sign-in/code"
    assert browser.get("/board/account").status_code == 302  # not signed in yet
    assert send_code(browser, other_code(code_at(secret, START))).status_code == 400
    assert send_code(browser, code_at(secret, START)).headers["Location"] == "/board/"
    assert browser.get("/board/account").status_code == 200


def test_the_code_page_needs_a_right_password_first(board, clock):
    answer = board.browser().get("/board/sign-in/code")
    assert answer.headers["Location"] == "/board/sign-in"


def test_a_code_is_refused_the_second_time(board, clock):
    email = board.add_user("staff")
    secret = give_second_step(board, email)
    first = board.browser()
    first.sign_in(email)
    assert send_code(first, code_at(secret, START)).status_code == 302
    again = board.browser()
    again.sign_in(email)
    replayed = send_code(again, code_at(secret, START))
    assert replayed.status_code == 400
    assert "That code was used already." in replayed.get_data(as_text=True)
    assert send_code(again, code_at(secret, START, -1)).status_code == 400  # older
    clock.advance(seconds=30)
    assert send_code(again, code_at(secret, clock.now())).status_code == 302


@pytest.mark.parametrize(
    ("steps", "works"), [(-2, False), (-1, True), (1, True), (2, False)]
)
def test_a_code_one_step_either_side_works_for_a_slow_phone(board, clock, steps, works):
    email = board.add_user("member")
    secret = give_second_step(board, email)
    browser = board.browser()
    browser.sign_in(email)
    answer = send_code(browser, code_at(secret, START, steps))
    assert answer.status_code == (302 if works else 400)


def test_wrong_codes_count_as_wrong_tries(board, clock):
    email = board.add_user("staff")
    secret = give_second_step(board, email)
    browser = board.browser()
    browser.sign_in(email)
    right = code_at(secret, START)
    wrong = other_code(right)
    for _ in range(5):
        assert send_code(browser, wrong).status_code == 400
    assert send_code(browser, right).status_code == 429
    assert board.browser().sign_in(email).status_code == 429  # the password waits too
    clock.advance(seconds=1)
    assert send_code(browser, right).status_code == 302


def test_turning_on_a_second_step_from_your_account(board, clock):
    email = board.add_user("member")
    browser = board.browser()
    browser.sign_in(email)
    page = browser.get("/board/account/second-step").get_data(as_text=True)
    grouped = re.search(r'id="second-step-key">([A-Z2-7 ]+)<', page).group(1)
    assert all(len(group) == 4 for group in grouped.split())
    secret = grouped.replace(" ", "")
    assert "otpauth://totp/" in page and f"secret={secret}" in page
    wrong = other_code(code_at(secret, START))
    assert _post_code(browser, wrong).status_code == 400
    assert row_of(board, email)["totp_secret"] is None
    assert _post_code(browser, code_at(secret, START)).status_code == 302
    assert row_of(board, email)["totp_secret"] == secret

    browser.post("/board/sign-out", form_page="/board/account")
    browser.sign_in(email)
    assert send_code(browser, code_at(secret, START)).status_code == 400  # used
    clock.advance(seconds=30)
    assert send_code(browser, code_at(secret, clock.now())).status_code == 302


def _post_code(browser, code):
    return browser.post(
        "/board/account/second-step",
        {"code": code},
        form_page="/board/account/second-step",
    )


def test_turning_off_the_second_step_needs_the_password(board, clock):
    email = board.add_user("member")
    secret = give_second_step(board, email)
    browser = board.browser()
    browser.sign_in(email)
    send_code(browser, code_at(secret, START))
    off = "/board/account/second-step/off"
    wrong = browser.post(off, {"current": "not my password"}, form_page=off)
    assert wrong.status_code == 400
    assert row_of(board, email)["totp_secret"] == secret
    assert browser.post(off, {"current": PASSWORD}, form_page=off).status_code == 302
    assert row_of(board, email)["totp_secret"] is None


def test_when_required_staff_set_up_a_second_step_before_anything_else(board, clock):
    with writing(board.engine) as conn:
        accounts.set_setting(conn, rules.REQUIRE_SECOND_STEP, "1")
    staff = board.browser("staff")
    assert staff.get("/board/").headers["Location"] == "/board/account/second-step"
    assert staff.get("/board/account").status_code == 302
    member = board.browser("member")
    assert member.get("/board/account").status_code == 200  # members may choose

    page = staff.get("/board/account/second-step").get_data(as_text=True)
    secret = re.search(r'id="second-step-key">([A-Z2-7 ]+)<', page).group(1)
    _post_code(staff, code_at(secret.replace(" ", ""), START))
    assert staff.get("/board/account").status_code == 200
    off = "/board/account/second-step/off"
    assert staff.post(off, {"current": PASSWORD}, form_page=off).status_code == 400
    with reading(board.engine) as conn:
        assert conn.execute(
            select(users.c.totp_secret).where(users.c.role == "staff")
        ).scalar()


def test_changing_your_password_keeps_this_session_and_ends_the_others(board, clock):
    email = board.add_user("member")
    here, there = board.browser(), board.browser()
    here.sign_in(email)
    there.sign_in(email)
    page = "/board/account/password"
    data = {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD}
    wrong = here.post(page, {**data, "current": "not my password"}, form_page=page)
    assert wrong.status_code == 400
    assert here.post(page, data, form_page=page).status_code == 302
    assert here.get("/board/account").status_code == 200
    assert there.get("/board/account").status_code == 302
    assert board.browser().sign_in(email, NEW_PASSWORD).status_code == 302
