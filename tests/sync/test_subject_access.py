"""A person's own copy: `gateway subject-access` at a site, with what the board
adds, through the real processes."""

from __future__ import annotations

import stat
from contextlib import closing
from pathlib import Path

from gateway.db import connect, write_txn
from tests.sync.helpers import change_board, database, rows, run, text

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"


def answer_in_full(site: dict, phone: str, tag: str, why: str) -> None:
    for i, body in enumerate(["Hello", "2", why, "no"]):
        text(site, phone, body, f"SM{tag}{i}")


def review_on_board(board_env: dict, site: dict) -> None:
    """Staff tag the person's response, leave a note, and hide a name."""
    run(board_env, "board", "add-user", "sam@example.org", "--role", "staff")
    [response] = rows(
        database(site), "SELECT id FROM responses WHERE opening_text = 'Hello' LIMIT 1"
    )
    [user] = rows(database(board_env), "SELECT id FROM users")
    change_board(
        board_env,
        (
            "INSERT INTO tags (name, description, staff_only, created_at) "
            "VALUES ('food', '', FALSE, 't')",
            [],
        ),
        (
            "INSERT INTO response_tags (response_id, tag) VALUES (?, 'food')",
            [response["id"]],
        ),
        (
            "INSERT INTO notes (response_id, user_id, body, staff_only, created_at) "
            "VALUES (?, ?, 'Spoke to the kitchen', TRUE, '2026-11-22T10:00:00Z')",
            [response["id"], user["id"]],
        ),
        (
            "INSERT INTO redactions (response_id, step_id, passage, user_id, "
            "created_at) VALUES (?, 'why', 'Mrs Patel', ?, 't')",
            [response["id"], user["id"]],
        ),
    )


def test_a_copy_holds_all_the_site_and_the_board_hold_and_no_one_else(
    enrolled_site, board, tmp_path
):
    answer_in_full(enrolled_site, PHONE, "a", "Mrs Patel made the food cold")
    answer_in_full(enrolled_site, OTHER_PHONE, "b", "Someone else's words")
    run(enrolled_site, "sync", "run")
    review_on_board(board.env, enrolled_site)
    copy = tmp_path / "copy.txt"

    result = run(
        enrolled_site, "subject-access", "--phone", "07700 900123", "--to", str(copy)
    )

    assert result.returncode == 0, result.stderr
    assert PHONE not in result.stdout + result.stderr
    said = copy.read_text(encoding="utf-8")
    for held in (
        f"Your phone number: {PHONE}",
        "We replied: ",  # what we sent back, from the TwiML kept
        "Please tell us why. What was good, or what could be better?",
        "Mrs Patel made the food cold",
        "Messages you sent us",
        "Tags: food",
        "Staff note, 2026-11-22T10:00:00Z: Spoke to the kitchen",
        "Hidden from board members: Mrs Patel",
    ):
        assert held in said, held
    assert "Someone else" not in said and OTHER_PHONE not in said
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600  # it holds a number


def test_a_copy_says_when_the_board_could_not_be_asked(enrolled_site, tmp_path):
    from tests.sync.helpers import set_board_url

    answer_in_full(enrolled_site, PHONE, "a", "Fine")
    set_board_url(enrolled_site, "http://127.0.0.1:9")  # nothing listens there
    copy = tmp_path / "copy.txt"

    result = run(
        enrolled_site,
        "subject-access",
        "--phone",
        PHONE,
        "--to",
        str(copy),
        check=False,
    )

    assert result.returncode == 1
    assert "The board's part is missing" in result.stderr
    assert "We could not ask the board" in copy.read_text(encoding="utf-8")


def test_nothing_held_writes_no_file_and_an_existing_file_is_never_overwritten(
    site_env, tmp_path
):
    copy = tmp_path / "copy.txt"
    nothing = run(site_env, "subject-access", "--phone", PHONE, "--to", str(copy))
    assert "holds nothing for that number" in nothing.stdout
    assert not copy.exists()

    answer_in_full(site_env, PHONE, "a", "Fine")  # not enrolled: the site's part
    run(site_env, "subject-access", "--phone", PHONE, "--to", str(copy))
    assert "Fine" in Path(copy).read_text(encoding="utf-8")
    again = run(
        site_env, "subject-access", "--phone", PHONE, "--to", str(copy), check=False
    )
    assert again.returncode != 0 and "exists already" in again.stderr


def test_a_copy_has_what_staff_did_and_answers_the_board_alone_still_keeps(
    enrolled_site, board, tmp_path
):
    answer_in_full(enrolled_site, PHONE, "a", "I want to end my life")
    answer_in_full(enrolled_site, PHONE, "b", "The garden is lovely")
    run(enrolled_site, "sync", "run")
    change_board(
        board.env,
        (
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = "
            "'2026-11-21T10:00:00Z', what_was_done = 'Rang them; they are safe'",
            [],
        ),
    )
    with closing(connect(database(enrolled_site))) as db, write_txn(db):
        [garden] = db.query(  # as if the site had deleted it first
            "SELECT response_id FROM answers WHERE raw = 'The garden is lovely'"
        )
        for table, column in (
            ("answers", "response_id"),
            ("inbound_messages", "response_id"),
            ("sessions", "response_id"),
            ("responses", "id"),
        ):
            db.execute(
                f"DELETE FROM {table} WHERE {column} = ?",  # noqa: S608
                [garden["response_id"]],
            )
    copy = tmp_path / "copy.txt"

    run(enrolled_site, "subject-access", "--phone", PHONE, "--to", str(copy))

    said = copy.read_text(encoding="utf-8")
    assert "What staff did (2026-11-21T10:00:00Z): Rang them; they are safe" in said
    only = said.split("Your answers kept on the board only")[1]
    assert "The garden is lovely" in only.split("Messages you sent us")[0]
