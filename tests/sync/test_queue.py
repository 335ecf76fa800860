"""What a site queues for its board, and opt-outs that come back down.

Triggers queue a closed response, an alert (first) and an opt-out in the
same transaction as the change; test data never. Opt-outs made at another
site arrive by pull and are not sent back up. Real board process, real CLI.
"""

from __future__ import annotations

import json
import subprocess

from gateway import store
from gateway.conversations import answer, start_conversation
from gateway.db import write_txn
from gateway.sync.records import next_batch
from tests.conftest import GATEWAY
from tests.sync.helpers import (
    MOMENT,
    count,
    database,
    enrol,
    install,
    make_responses,
    participant_id,
    queue,
    rows,
    run,
    site_db,
    text,
)

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"
HARM = "I want to kill myself"


# What the triggers queue -------------------------------------------------------


def test_a_response_is_queued_once_and_only_when_it_closes(site_env):
    with site_db(site_env) as (app, db):
        runtime = app.extensions["gateway"]
        with write_txn(db):
            turn = start_conversation(
                db, runtime, channel="kiosk", now=MOMENT, kiosk="Lounge"
            )
            answer(db, runtime, turn.response_id, "2", MOMENT)
    assert queue(site_env) == []  # still open: nothing to send yet

    with site_db(site_env) as (app, db):
        answer(db, app.extensions["gateway"], turn.response_id, "Kind staff", MOMENT)
        with write_txn(db):  # a later change of status does not queue it again
            db.execute(
                "UPDATE responses SET status = 'partial' WHERE id = ?",
                [turn.response_id],
            )

    queued = queue(site_env)
    assert [(row["record_id"], row["kind"]) for row in queued] == [
        (turn.response_id, "response")
    ]


def test_test_data_is_never_queued(site_env):
    simulated = subprocess.run(
        [GATEWAY, "simulate", "friends-and-family"],
        env=site_env,
        input=f"2\n{HARM}\nno\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Saved as test data" in simulated.stderr + simulated.stdout
    tests = rows(database(site_env), "SELECT is_test FROM responses")
    alerts = rows(database(site_env), "SELECT is_test FROM alerts")
    assert tests == [{"is_test": 1}]
    assert alerts == [{"is_test": 1}]
    assert queue(site_env) == []


def test_an_alert_is_queued_first_ahead_of_older_responses(site_env):
    older = make_responses(site_env, 3)
    with site_db(site_env) as (_app, db), write_txn(db):
        db.execute("UPDATE sync_queue SET queued_at = '2000-01-01T00:00:00Z'")
    with site_db(site_env) as (app, db):
        runtime = app.extensions["gateway"]
        turn = start_conversation(
            db, runtime, channel="kiosk", now=MOMENT, kiosk="Lounge"
        )
        answer(db, runtime, turn.response_id, "4", MOMENT)
        answer(db, runtime, turn.response_id, HARM, MOMENT)
        alert_ids = [
            row["id"]
            for row in rows(database(site_env), "SELECT id, category FROM alerts")
        ]
        assert len(alert_ids) == 1
        waiting = store.sync.waiting(db, 10)
        first = next_batch(db, 1, "2026-11-21T09:00:00Z")

    queued = {row["record_id"]: row for row in queue(site_env)}
    assert queued[alert_ids[0]]["kind"] == "alert"
    assert queued[alert_ids[0]]["priority"] == 1
    assert [row["record_id"] for row in waiting] == [
        alert_ids[0],
        *sorted(older),
        turn.response_id,
    ]
    assert [record["id"] for record in first] == alert_ids
    assert json.loads(first[0]["body"])["category"] == "self_harm"


def test_a_stop_by_sms_queues_an_opt_out_by_pseudonym_only(site_env):
    text(site_env, PHONE, "Hello", "SM1")
    text(site_env, PHONE, "STOP", "SM2")
    person = participant_id(site_env, PHONE)

    opt_outs = [row for row in queue(site_env) if row["kind"] == "opt_out"]
    assert len(opt_outs) == 1
    body = json.loads(opt_outs[0]["body"])
    assert body["participant"] == person
    assert set(body) == {"participant", "at"}
    for row in queue(site_env):  # nothing queued carries the number
        assert "7700900123" not in (row["body"] or "")

    with site_db(site_env) as (_app, db), write_txn(db):
        store.sms.set_opted_out(db, person, None)  # START again: an opt-in
    kinds = sorted(row["kind"] for row in queue(site_env))
    assert kinds == ["opt_in", "opt_out", "response"]


def test_an_opt_out_elsewhere_arrives_by_pull_without_an_echo(
    enrolled_site, board, tmp_path
):
    oak = install(tmp_path / "oak", "site", GATEWAY_SYNC_BATCH="25")
    enrol(oak, board.env, board.url, name="Oak House")
    text(enrolled_site, PHONE, "Hello", "SMrose1")  # known at both sites
    text(oak, PHONE, "Hello", "SMoak1")
    text(oak, OTHER_PHONE, "Hello", "SMoak2")  # known at Oak House only
    for site in (enrolled_site, oak):  # each works out their pseudonyms
        run(site, "sync", "run")
    assert participant_id(enrolled_site, PHONE) == participant_id(oak, PHONE)
    text(oak, PHONE, "STOP", "SMoak3")
    text(oak, OTHER_PHONE, "STOP", "SMoak4")

    oak_sync = run(oak, "sync", "run")
    assert "opt-out change" not in oak_sync.stdout  # not its own back
    rose_sync = run(enrolled_site, "sync", "run")

    # Both are kept: the person Rose Court knows, and the one it has not met,
    # who must never be invited here either. Neither number comes with them.
    assert "Took 2 opt-out change(s) made at other sites." in rose_sync.stdout
    person = participant_id(enrolled_site, PHONE)
    stranger = participant_id(oak, OTHER_PHONE)
    at_rose = {
        row["id"]: row
        for row in rows(
            database(enrolled_site),
            "SELECT id, opted_out_at, opt_change_from_board FROM participants",
        )
    }
    assert set(at_rose) == {person, stranger}
    assert all(row["opted_out_at"] is not None for row in at_rose.values())
    assert all(row["opt_change_from_board"] == 1 for row in at_rose.values())
    numbers = rows(
        database(enrolled_site), "SELECT participant_id FROM participant_numbers"
    )
    assert [row["participant_id"] for row in numbers] == [person]
    assert [row for row in queue(enrolled_site) if row["kind"] != "response"] == []

    run(enrolled_site, "sync", "run")
    run(oak, "sync", "run")
    rose_id = rows(
        database(enrolled_site), "SELECT value FROM meta WHERE key='site_id'"
    )
    echoed = count(
        board.env,
        "SELECT count(*) AS n FROM records WHERE site_id = ? AND kind = 'opt_out'",
        [rose_id[0]["value"]],
    )
    assert echoed == 0
    assert (
        count(board.env, "SELECT count(*) AS n FROM records WHERE kind = 'opt_out'")
        == 2
    )
