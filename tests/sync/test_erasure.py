"""Erasure end to end: DELETE and YES at a site, carried out by its worker,
and through the real sync processes on the board, which never takes the
erased answers back."""

from __future__ import annotations

import json

from gateway.config import pseudonym_key_file
from gateway.privacy import pseudonym, read_key
from gateway.sync.enrolment import board_client
from tests.sync.helpers import (
    change_board,
    count,
    database,
    queue,
    rows,
    run,
    site_db,
    text,
)

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"
HARM = "I want to end my life"


def answer_in_full(site: dict, phone: str, tag: str, why: str) -> None:
    for i, body in enumerate(["Hello", "2", why, "no"]):
        text(site, phone, body, f"SM{tag}{i}")


def on_board(board_env: dict) -> dict[str, int]:
    tables = ("responses", "answers", "alerts", "own_words")
    return {
        table: count(board_env, f"SELECT count(*) AS n FROM {table}")  # noqa: S608
        for table in tables
    }


def test_an_erasure_reaches_the_board_and_leaves_nothing_of_the_answers(
    enrolled_site, board
):
    answer_in_full(enrolled_site, PHONE, "a", HARM)  # an alert and own words
    answer_in_full(enrolled_site, OTHER_PHONE, "b", "Kind staff and good food")
    run(enrolled_site, "sync", "run")
    assert on_board(board.env) == {
        "responses": 2,
        "answers": 6,
        "alerts": 1,
        "own_words": 4,  # each opening "Hello", and each answer to "why"
    }
    sent = {row["record_id"]: row for row in queue(enrolled_site)}
    change_board(  # staff dealt with the alert, and the site learns it
        board.env,
        (
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?",
            ["2026-11-21T10:00:00Z"],
        ),
    )
    assert "1 alert dealt with" in run(enrolled_site, "sync", "run").stdout

    text(enrolled_site, PHONE, "DELETE", "SMc1")
    text(enrolled_site, PHONE, "YES", "SMc2")
    worked = run(enrolled_site, "worker", "--once")  # erases, then syncs

    assert worked.returncode == 0, worked.stderr
    assert on_board(board.env) == {  # only the other person's answers are left
        "responses": 1,
        "answers": 3,
        "alerts": 0,
        "own_words": 2,
    }
    kept_words = rows(database(board.env), "SELECT words FROM own_words")
    assert {row["words"] for row in kept_words} == {"hello", "kind staff and good food"}
    bodies = rows(
        database(board.env),
        "SELECT body FROM records WHERE kind IN ('response', 'alert')",
    )
    assert HARM.lower() not in json.dumps(bodies).lower()
    [erasure] = rows(
        database(board.env), "SELECT body FROM records WHERE kind = 'erasure'"
    )
    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    named = json.loads(erasure["body"])
    assert named["participant"] == pseudonym(org_key, PHONE)
    assert len(named["records"]) == 2  # the response and its alert

    # At the site: only the pseudonym, opted out and marked erased.
    site = database(enrolled_site)
    assert count(enrolled_site, "SELECT count(*) AS n FROM participant_numbers") == 1
    [person] = rows(
        site,
        "SELECT id, opted_out_at, erased_at FROM participants WHERE id = ?",
        [named["participant"]],
    )
    assert person["opted_out_at"] and person["erased_at"]
    assert count(enrolled_site, "SELECT count(*) AS n FROM responses") == 1
    texts = rows(site, "SELECT body FROM inbound_messages WHERE participant_id IS NULL")
    assert {row["body"] for row in texts} == {""}
    assert HARM not in json.dumps(rows(site, "SELECT * FROM sync_queue"))

    # A repeated sync batch never brings the answers back.
    response = next(
        r for r in sent.values() if r["kind"] == "response" and HARM in r["body"]
    )
    record = {
        "id": response["record_id"],
        "kind": "response",
        "queued_at": response["queued_at"],
        "body": response["body"],
    }
    with site_db(enrolled_site) as (app, db):
        statuses, _ = board_client(db, app.config).push([record])
    assert statuses == [{"id": record["id"], "status": "already_had"}]
    assert on_board(board.env)["responses"] == 1


def test_an_erased_person_is_never_invited_again_at_any_site(
    enrolled_site, board, tmp_path
):
    from tests.sync.helpers import enrol, install

    answer_in_full(enrolled_site, PHONE, "a", "Fine")
    text(enrolled_site, PHONE, "DELETE", "SMd1")
    text(enrolled_site, PHONE, "YES", "SMd2")
    run(enrolled_site, "worker", "--once")
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"phone\n{PHONE}\n")

    again = run(
        enrolled_site, "invite", "friends-and-family", "--to-file", str(numbers)
    )
    oak = install(tmp_path / "oak", "site")
    enrol(oak, board.env, board.url, name="Oak House")
    run(oak, "sync", "run")  # takes the opt-out the erasure made
    elsewhere = run(oak, "invite", "friends-and-family", "--to-file", str(numbers))

    for result in (again, elsewhere):
        assert "Queued 0" in result.stdout, result.stdout
        assert "opted out" in result.stdout
