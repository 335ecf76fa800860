"""`gateway board add-user` and `gateway board new-link`: the people who use
the board, each given a one-time link to set their password."""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import select

from gateway import create_app
from gateway.board.database import reading, writing
from gateway.board.schema import audit, password_links
from gateway.board.store import accounts, sites
from gateway.board.sync_api import code_hash
from tests.board.pages import Board

LINK = re.compile(r"^  (\S+/board/set-password/(\S+))$", re.MULTILINE)


@pytest.fixture
def board(board_config, runner) -> Board:
    assert runner.invoke(["init"]).exit_code == 0
    for name in ("Rose Court", "Oak House"):
        assert runner.invoke(["board", "add-site", name]).exit_code == 0
    return Board(create_app(board_config))


def person(board, email: str) -> dict:
    with reading(board.engine) as conn:
        return accounts.user_by_email(conn, email)


def test_both_commands_are_in_the_help(runner, board):
    help_text = runner.invoke(["board", "--help"]).output
    assert "add-user" in help_text and "new-link" in help_text


def test_add_user_prints_a_one_time_link_on_this_machine(runner, board):
    result = runner.invoke(
        ["board", "add-user", "Ana@Example.org", "--role", "staff", "--name", "Ana"]
    )
    assert result.exit_code == 0, result.output
    link, token = LINK.search(result.output).groups()
    assert link.startswith("http://127.0.0.1:8080/board/set-password/")
    ana = person(board, "ana@example.org")
    assert (ana["name"], ana["role"], ana["sites"]) == ("Ana", "staff", ())
    assert ana["password_hash"] is None
    with reading(board.engine) as conn:
        kept = conn.execute(select(password_links)).one()
        [entry] = conn.execute(select(audit).where(audit.c.action == "user_added"))
    assert kept.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in kept
    assert (
        entry.user_id is None and json.loads(entry.detail)["email"] == "ana@example.org"
    )
    page = board.browser().get(f"/board/set-password/{token}")
    assert page.status_code == 200 and "ana@example.org" in page.get_data(as_text=True)


def test_the_link_starts_with_the_public_address(runner, board, board_config):
    board_config["PUBLIC_URL"] = "https://feedback.example.nhs.uk/"
    result = runner.invoke(["board", "add-user", "bo@example.org", "--role", "member"])
    link, _token = LINK.search(result.output).groups()
    assert link.startswith("https://feedback.example.nhs.uk/board/set-password/")


def test_sites_limit_what_a_person_sees(runner, board):
    result = runner.invoke(
        [
            "board",
            "add-user",
            "cy@example.org",
            "--role",
            "member",
            "--sites",
            "Rose Court, Oak House",
        ]
    )
    assert result.exit_code == 0, result.output
    assert person(board, "cy@example.org")["sites"] == ("Oak House", "Rose Court")


def test_an_unknown_site_is_refused_with_the_sites_there_are(runner, board):
    result = runner.invoke(
        ["board", "add-user", "di@example.org", "--role", "member", "--sites", "Mars"]
    )
    assert result.exit_code != 0
    assert "No site called 'Mars'" in result.output
    assert "'Oak House', 'Rose Court'" in result.output
    assert person(board, "di@example.org") is None


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["ed@example.org", "--role", "boss"], "'boss' is not one of"),
        (["ed@example.org"], "Missing option '--role'"),
        (["not-an-email", "--role", "staff"], "is not an email address"),
    ],
)
def test_a_wrong_role_or_email_is_refused(runner, board, arguments, words):
    result = runner.invoke(["board", "add-user", *arguments])
    assert result.exit_code != 0 and words in result.output
    assert person(board, "ed@example.org") is None


def test_an_email_that_has_an_account_is_refused(runner, board):
    runner.invoke(["board", "add-user", "fi@example.org", "--role", "staff"])
    result = runner.invoke(["board", "add-user", "FI@example.org", "--role", "admin"])
    assert result.exit_code != 0
    assert "has an account already" in result.output
    assert person(board, "fi@example.org")["role"] == "staff"


def test_new_link_replaces_the_old_one(runner, board):
    added = runner.invoke(["board", "add-user", "gu@example.org", "--role", "staff"])
    _link, old = LINK.search(added.output).groups()
    result = runner.invoke(["board", "new-link", "GU@example.org"])
    assert result.exit_code == 0, result.output
    _link, new = LINK.search(result.output).groups()
    assert board.browser().get(f"/board/set-password/{old}").status_code == 404
    assert board.browser().get(f"/board/set-password/{new}").status_code == 200


def test_new_link_refuses_an_unknown_or_turned_off_account(runner, board):
    unknown = runner.invoke(["board", "new-link", "nobody@example.org"])
    assert unknown.exit_code != 0 and "No one has the email" in unknown.output
    runner.invoke(["board", "add-user", "ha@example.org", "--role", "staff"])
    with writing(board.engine) as conn:
        accounts.disable_user(conn, person(board, "ha@example.org")["id"], "2026-12-01")
    turned_off = runner.invoke(["board", "new-link", "ha@example.org"])
    assert turned_off.exit_code != 0 and "turned off" in turned_off.output


def test_users_lists_everyone(runner, board):
    runner.invoke(["board", "add-user", "io@example.org", "--role", "member"])
    listed = runner.invoke(["board", "users"]).output
    assert "io@example.org" in listed and "waiting to set a password" in listed


def test_add_site_gives_a_waiting_site_a_new_code_and_refuses_an_enrolled_one(
    runner, board
):
    board.add_site("Elm Lodge")  # enrolled
    again = runner.invoke(["board", "add-site", "Elm Lodge"])
    assert again.exit_code != 0 and "already enrolled" in again.output
    new_code = runner.invoke(["board", "add-site", "Rose Court"])  # still waiting
    assert new_code.exit_code == 0, new_code.output
    code = re.search(r"'Rose Court': (\S+)", new_code.output).group(1)
    with reading(board.engine) as conn:
        site = sites.site(conn, name="Rose Court")
        actions = conn.execute(select(audit.c.action)).scalars().all()
    assert site["enrol_code_hash"] == code_hash(code)
    assert actions.count("site_added") == 2 and actions.count("site_code_made") == 1
