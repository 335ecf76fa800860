"""Retention: old answers, texts and unused numbers go, at the site and on the
board, and nothing that has not reached the board is ever deleted."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime

import pytest

from gateway import create_app
from gateway.db import connect, write_txn
from gateway.sms.inbound import InboundSms, handle_inbound

THEN = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
PHONES = {"old": "+447700900101", "said_yes": "+447700900102", "new": "+447700900103"}


@pytest.fixture
def both(test_config, runner):
    """An install that is a site and its own board, as the demo is."""
    test_config.update(ROLE="both", SECURE_COOKIES=False)
    assert runner.invoke(["init"]).exit_code == 0
    return create_app(test_config)


def text(app, phone: str, body: str, sid: str) -> None:
    with closing(connect(app.config["DATABASE"])) as db:
        handle_inbound(
            db, app.extensions["gateway"], InboundSms(sid, phone, body), THEN
        )


def answer_in_full(app, phone: str, tag: str, contact: str = "no") -> None:
    for i, body in enumerate(["Hello", "2", "Kind staff", contact]):
        text(app, phone, body, f"SM{tag}{i}")


def count(path: str, sql: str) -> int:
    with closing(connect(path)) as db:
        return db.execute(sql).fetchone()[0]


def age(app, *tables_and_columns: tuple[str, str, str]) -> None:
    """Move dates three years back, in (database, table, column)."""
    for which, table, column in tables_and_columns:
        with closing(connect(app.config[which])) as db, write_txn(db):
            db.execute(
                f"UPDATE {table} SET {column} = '2023-11-01T09:00:00Z'"  # noqa: S608
            )


def test_old_answers_go_everywhere_but_never_before_reaching_the_board(both, runner):
    answer_in_full(both, PHONES["old"], "a")
    assert runner.invoke(["worker", "--once"]).exit_code == 0  # to its own board
    answer_in_full(both, PHONES["said_yes"], "b")  # not on the board yet
    age(
        both,
        ("DATABASE", "responses", "closed_at"),
        ("DATABASE", "inbound_messages", "received_at"),
        ("BOARD_DATABASE", "responses", "closed_at"),
    )
    site, board = both.config["DATABASE"], both.config["BOARD_DATABASE"]

    dry = runner.invoke(["retention", "run", "--dry-run"])

    assert dry.exit_code == 0, dry.output
    assert "Would delete 1 response(s) past the retention period." in dry.output
    assert "Would delete 1 response(s) on the board." in dry.output
    assert "Kept 1 old response(s) that have not reached the board yet." in dry.output
    assert count(site, "SELECT count(*) FROM responses") == 2  # dry: nothing went

    done = runner.invoke(["retention", "run"])

    assert "Deleted 1 response(s) past the retention period." in done.output
    assert count(site, "SELECT count(*) FROM responses") == 1  # the unsynced one
    assert count(site, "SELECT count(*) FROM inbound_messages") == 0
    assert count(board, "SELECT count(*) FROM responses") == 0
    assert count(board, "SELECT count(*) FROM answers") == 0
    assert count(board, "SELECT count(*) FROM own_words") == 0
    assert count(board, "SELECT count(*) FROM records WHERE body != ''") == 0

    assert runner.invoke(["worker", "--once"]).exit_code == 0  # now it reaches it
    assert count(board, "SELECT count(*) FROM responses") == 1
    runner.invoke(["retention", "run"])
    assert count(site, "SELECT count(*) FROM responses") == 0


def test_an_unused_number_goes_but_not_one_that_said_yes_to_texts(both, runner):
    answer_in_full(both, PHONES["old"], "a")
    answer_in_full(both, PHONES["said_yes"], "b", contact="yes")
    runner.invoke(["duty", "add", "Duty manager", "+447700900104"])
    runner.invoke(["worker", "--once"])  # pseudonyms worked out
    age(
        both,
        ("DATABASE", "participants", "created_at"),
        ("DATABASE", "inbound_messages", "received_at"),
        ("DATABASE", "outbox", "created_at"),
    )
    text(both, PHONES["new"], "Hello", "SMc0")  # texted lately
    runner.invoke(["worker", "--once"])

    done = runner.invoke(["retention", "run"])

    assert "Deleted 1 phone number(s) not used for a while." in done.output
    with closing(connect(both.config["DATABASE"])) as db:
        kept = {
            row["phone"] for row in db.query("SELECT phone FROM participant_numbers")
        }
        people = db.execute("SELECT count(*) FROM participants").fetchone()[0]
    assert kept == {PHONES["said_yes"], PHONES["new"], "+447700900104"}
    assert people == 4  # every pseudonym stays


def test_the_worker_runs_it_once_a_day(both, runner):
    answer_in_full(both, PHONES["old"], "a")
    runner.invoke(["worker", "--once"])
    with closing(connect(both.config["DATABASE"])) as db:
        [row] = db.query("SELECT value FROM meta WHERE key = 'retention_last_run'")
    assert row["value"]


def test_an_old_kiosk_response_goes_too(both, runner, client):
    from tests.kiosk.helpers import Kiosk, add_kiosk

    lounge = Kiosk(client, add_kiosk(runner, "Lounge"))
    lounge.start()
    lounge.tap(value="good")
    with closing(connect(both.config["DATABASE"])) as db, write_txn(db):
        db.execute("UPDATE responses SET status = 'partial', closed_at = started_at")
    runner.invoke(["worker", "--once"])  # to the board
    age(both, ("DATABASE", "responses", "closed_at"))

    done = runner.invoke(["retention", "run"])

    assert done.exit_code == 0, done.output
    assert "Deleted 1 response(s) past the retention period." in done.output
    assert count(both.config["DATABASE"], "SELECT count(*) FROM kiosk_starts") == 0
