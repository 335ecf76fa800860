"""The sync protocol between a site and its board, end to end.

The board is a real `gateway serve` process (GATEWAY_ROLE=board); sites are
installs driven through the real `gateway` CLI, or in-process through
`gateway.sync` where a test needs a clock of its own (a board down for 72
simulated hours, a site clock two hours wrong). Stand-ins for what lies
between a site and its board (a captive portal, a proxy that refuses large
bodies) are small HTTP servers on 127.0.0.1 in a thread. Covered: conflicts,
answers that are not the board's, 413 halving, retrying for days, what the
triggers queue, opt-outs between sites, enrolment and re-keying, `sync
verify`, and clock skew. Outcomes are checked in each install's SQLite.
"""

from __future__ import annotations

import http.client
import http.server
import json
import re
import subprocess
import time
from contextlib import closing
from datetime import UTC, datetime

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.conversations import answer, start_conversation
from gateway.db import connect, write_txn
from gateway.privacy import pseudonym, read_key
from gateway.sms_inbound import InboundSms, handle_inbound
from gateway.sync.enrolment import board_client, sync_secret_file
from gateway.sync.records import next_batch
from gateway.sync.runner import SyncSchedule, sync_once
from tests.conftest import GATEWAY, serve_gateway
from tests.sync_helpers import (
    MOMENT,
    Handler,
    add_site,
    board_response_ids,
    built_record,
    changed,
    count,
    database,
    enrol,
    http_server,
    install,
    make_responses,
    participant_id,
    queue,
    rows,
    run,
    set_board_url,
    site_app,
    site_db,
    text,
)

PHONE, OTHER_PHONE = "+447700900123", "+447700900456"
HARM = "I want to kill myself"


# 1. Conflicts -----------------------------------------------------------------


def test_the_same_id_with_other_content_is_a_conflict_and_the_first_stays(
    enrolled_site, board
):
    (response_id,) = make_responses(enrolled_site, 1)
    first = built_record(enrolled_site, response_id)
    other = {**first, "body": changed(first["body"])}
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)
        stored, _ = client.push([first])
        conflict, _ = client.push([other])
        repeat, _ = client.push([first])

    assert stored == [{"id": response_id, "status": "stored"}]
    assert conflict[0]["status"] == "rejected"
    assert "conflict" in conflict[0]["reason"]
    assert repeat == [{"id": response_id, "status": "already_had"}]
    kept = rows(database(board.env), "SELECT body FROM board_records")
    assert [row["body"] for row in kept] == [first["body"]]
    answers = rows(
        database(board.env),
        "SELECT value FROM answers WHERE response_id = ? AND step_id = 'why'",
        [response_id],
    )
    assert [row["value"] for row in answers] == ["Answer number 0"]


def test_a_conflicting_record_is_set_aside_and_never_blocks_the_rest(
    enrolled_site, board
):
    first_ids = make_responses(enrolled_site, 3)
    run(enrolled_site, "sync", "run")
    victim = first_ids[0]
    frozen = rows(
        database(enrolled_site),
        "SELECT body FROM sync_queue WHERE record_id = ?",
        [victim],
    )[0]["body"]
    with site_db(enrolled_site) as (_app, db), write_txn(db):
        db.execute(
            "UPDATE sync_queue SET synced_at = NULL, body = ? WHERE record_id = ?",
            [changed(frozen), victim],
        )
    later_ids = make_responses(enrolled_site, 2)

    result = run(enrolled_site, "sync", "run")

    assert "Sent 3, acknowledged 2, set aside 1, left 0." in result.stdout
    aside = rows(
        database(enrolled_site),
        "SELECT record_id, set_aside_reason FROM sync_queue "
        "WHERE set_aside_at IS NOT NULL",
    )
    assert [row["record_id"] for row in aside] == [victim]
    assert "conflict" in aside[0]["set_aside_reason"]
    status = run(enrolled_site, "sync", "status").stdout
    assert "Set aside: 1." in status
    assert f"set aside response {victim}: conflict" in status
    assert board_response_ids(board.env) == sorted(first_ids + later_ids)
    on_board = rows(
        database(board.env),
        "SELECT body FROM board_records WHERE record_id = ?",
        [victim],
    )
    assert [row["body"] for row in on_board] == [frozen]
    again = run(enrolled_site, "sync", "run")
    assert "Sent 0," in again.stdout  # set aside: not sent again


# 2. A 200 that is not the board ---------------------------------------------------


class CaptivePortal(Handler):
    PAGE = b"<html><body><h1>Welcome to Care Home Wi-Fi</h1>Sign in</body></html>"

    def do_GET(self) -> None:
        self.reply(200, self.PAGE, "text/html")

    def do_POST(self) -> None:
        self.body()
        self.reply(200, self.PAGE, "text/html")


def test_a_captive_portal_page_marks_nothing(enrolled_site, board):
    ids = make_responses(enrolled_site, 5)
    with http_server(CaptivePortal) as (url, _server):
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode != 0
    assert "Stopped" in result.stderr
    assert "not the board's" in result.stderr
    waiting = queue(enrolled_site)
    assert sorted(row["record_id"] for row in waiting) == sorted(ids)
    assert all(row["synced_at"] is None for row in waiting)
    assert all(row["set_aside_at"] is None for row in waiting)
    assert count(board.env, "SELECT count(*) AS n FROM board_records") == 0


# 3. 413 halves the batch ----------------------------------------------------------


def proxy_refusing_over(limit: int, board_port: int):
    """A proxy to the board that answers 413 to a push of more than `limit`."""

    class Proxy(Handler):
        def do_GET(self) -> None:
            self.forward(b"")

        def do_POST(self) -> None:
            data = self.body()
            sent = len(json.loads(data)["records"])
            if self.path.startswith("/board/sync/push") and sent > limit:
                self.server.refused.append(sent)
                page = b"<html><h1>413 Request Entity Too Large</h1></html>"
                self.reply(413, page, "text/html")
                return
            self.server.forwarded.append(sent)
            self.forward(data)

        def forward(self, data: bytes) -> None:
            headers = {
                key: value
                for key, value in self.headers.items()
                if key.lower() not in ("host", "connection")
            }
            with closing(
                http.client.HTTPConnection("127.0.0.1", board_port, timeout=10)
            ) as upstream:
                upstream.request(self.command, self.path, data or None, headers)
                with upstream.getresponse() as answer:
                    content = answer.read()
                    kind = answer.getheader("Content-Type", "application/json")
                    self.reply(answer.status, content, kind)

    return Proxy


def test_a_413_halves_the_batch_until_it_fits(enrolled_site, board):
    ids = make_responses(enrolled_site, 40)
    with http_server(proxy_refusing_over(5, board.port)) as (url, server):
        server.refused, server.forwarded = [], []
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)

    assert result.returncode == 0, result.stderr
    assert "Sent 40, acknowledged 40, set aside 0, left 0." in result.stdout
    assert server.refused[:3] == [25, 12, 6]  # halved until it fits
    assert server.forwarded and max(server.forwarded) <= 5
    assert sum(server.forwarded) == 40
    assert board_response_ids(board.env) == sorted(ids)
    assert count(board.env, "SELECT count(*) AS n FROM board_records") == 40


# 4. The board down for 72 hours -----------------------------------------------------


def test_a_site_keeps_trying_for_72_hours_and_then_delivers_everything(
    enrolled_site, board, tmp_path
):
    ids = make_responses(enrolled_site, 8)
    board.process.terminate()
    board.process.wait(timeout=10)
    clock = [MOMENT.timestamp()]  # simulated seconds: moved, never slept

    def now() -> datetime:
        return datetime.fromtimestamp(clock[0], UTC)

    attempts, errors = [], set()
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config)
        batch_size = app.config["SYNC_BATCH"]
        cap = app.config["SYNC_MAX_BACKOFF_SECONDS"]
        schedule = SyncSchedule(cap, clock=lambda: clock[0])
        while clock[0] - MOMENT.timestamp() < 72 * 3600:
            if schedule.due():
                attempts.append(clock[0])
                summary = sync_once(db, client, now, batch_size)
                errors.add(summary.error)
                schedule.record(summary)
            assert schedule.next_at > clock[0], "the schedule must move on"
            clock[0] = schedule.next_at
        held = store.queue_summary(db)

        assert len(errors) == 1
        assert "could not reach the board" in errors.pop()
        gaps = [
            later - earlier
            for earlier, later in zip(attempts, attempts[1:], strict=False)
        ]
        assert max(gaps) <= cap
        assert len(attempts) > 200
        assert (held["waiting"], held["synced"], held["set_aside"]) == (8, 0, 0)

        with serve_gateway(board.env, tmp_path / "board2.log", port=board.port):
            summary = sync_once(db, client, now, batch_size)
            schedule.record(summary)

        assert summary.error is None
        assert summary.acknowledged == 8
        assert schedule.due()  # back to a pass every time
        assert store.queue_summary(db)["waiting"] == 0
    assert board_response_ids(board.env) == sorted(ids)
    assert count(board.env, "SELECT count(*) AS n FROM board_records") == 8


# 5. What the triggers queue -------------------------------------------------------


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
        waiting = store.waiting(db, 10)
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
        store.set_opted_out(db, person, None)  # START again: an opt-in
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
        "SELECT count(*) AS n FROM board_records "
        "WHERE site_id = ? AND kind = 'opt_out'",
        [rose_id[0]["value"]],
    )
    assert echoed == 0
    assert (
        count(
            board.env, "SELECT count(*) AS n FROM board_records WHERE kind = 'opt_out'"
        )
        == 2
    )


# 6. Enrolment -----------------------------------------------------------------------


def assert_unenrolled(env: dict) -> None:
    meta = rows(database(env), "SELECT key FROM meta WHERE key LIKE 'sync_board%'")
    assert meta == []
    assert not sync_secret_file(env["GATEWAY_INSTANCE_PATH"]).exists()
    status = run(env, "sync", "status").stdout
    assert "Board: not enrolled" in status


def test_a_wrong_expired_or_used_code_is_refused_and_leaves_the_site_unenrolled(
    site_env, board, tmp_path
):
    wrong = run(site_env, "sync", "enroll", board.url, "ABCD-EFGH-JKLM", check=False)
    assert wrong.returncode != 0
    assert "not known, or was used" in wrong.stderr
    assert_unenrolled(site_env)

    expired_code = add_site(board.env, "Rose Court")
    with closing(connect(database(board.env))) as db, write_txn(db):
        db.execute(
            "UPDATE board_sites SET enrol_expires_at = '2020-01-01T00:00:00Z' "
            "WHERE name = 'Rose Court'"
        )
    expired = run(site_env, "sync", "enroll", board.url, expired_code, check=False)
    assert expired.returncode != 0
    assert "expired" in expired.stderr
    assert_unenrolled(site_env)

    used_code = add_site(board.env, "Oak House")
    oak = install(tmp_path / "oak", "site")
    run(oak, "sync", "enroll", board.url, used_code)
    used = run(site_env, "sync", "enroll", board.url, used_code, check=False)
    assert used.returncode != 0
    assert "was used" in used.stderr
    assert_unenrolled(site_env)
    sites = run(board.env, "board", "sites").stdout
    assert "Rose Court  0 records, last contact -  waiting to enrol" in sites


def test_enrolment_rekeys_existing_participants_to_the_organisation_key(
    site_env, board
):
    text(site_env, PHONE, "Hello", "SM1")
    text(site_env, OTHER_PHONE, "Hello", "SM2")
    text(site_env, OTHER_PHONE, "STOP", "SM3")  # an opt-out still waiting to go
    before = {phone: participant_id(site_env, phone) for phone in (PHONE, OTHER_PHONE)}

    enrol(site_env, board.env, board.url)

    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    after = {phone: participant_id(site_env, phone) for phone in (PHONE, OTHER_PHONE)}
    assert after == {phone: pseudonym(org_key, phone) for phone in after}
    assert set(after.values()).isdisjoint(before.values())
    people = {
        row["id"] for row in rows(database(site_env), "SELECT id FROM participants")
    }
    assert people == set(after.values())
    owners = {
        row["participant_id"]
        for row in rows(database(site_env), "SELECT participant_id FROM responses")
    }
    assert owners == set(after.values())
    (opt_out,) = [row for row in queue(site_env) if row["kind"] == "opt_out"]
    assert json.loads(opt_out["body"])["participant"] == after[OTHER_PHONE]
    site_key = read_key(pseudonym_key_file(site_env["GATEWAY_INSTANCE_PATH"]))
    assert site_key == org_key


def test_a_stop_taken_by_a_server_started_before_enrolment_still_holds(site_env, board):
    """A site's server started before `sync enroll` notices the new pseudonym
    key, and a restart re-keys anything it took in the meantime: one number
    stays one participant, and their STOP holds."""
    running = site_app(site_env)  # `gateway serve` already up at the site
    enrol(site_env, board.env, board.url)
    with closing(connect(running.config["DATABASE"])) as db:
        stop = InboundSms("SM1", PHONE, "STOP")
        handle_inbound(db, running.extensions["gateway"], stop, MOMENT)
    text(site_env, PHONE, "Hello", "SM2")  # after a restart

    org_key = read_key(pseudonym_key_file(board.env["GATEWAY_INSTANCE_PATH"]))
    people = rows(
        database(site_env),
        "SELECT p.id, p.opted_out_at FROM participants p "
        "JOIN participant_numbers n ON n.participant_id = p.id WHERE n.phone = ?",
        [PHONE],
    )
    assert [row["id"] for row in people] == [pseudonym(org_key, PHONE)], (
        "one number became two participants: the STOP is under a stale pseudonym"
    )
    assert people[0]["opted_out_at"] is not None


# 7. Verify ------------------------------------------------------------------------


def test_sync_verify_names_the_day_that_differs(enrolled_site, board):
    ids = make_responses(enrolled_site, 4)
    run(enrolled_site, "sync", "run")
    gone = ids[2]
    day = rows(
        database(enrolled_site),
        "SELECT substr(queued_at, 1, 10) AS day FROM sync_queue WHERE record_id = ?",
        [gone],
    )[0]["day"]
    that_day = count(
        enrolled_site,
        "SELECT count(*) AS n FROM sync_queue "
        "WHERE synced_at IS NOT NULL AND substr(queued_at, 1, 10) = ?",
        [day],
    )
    with closing(connect(database(board.env))) as db, write_txn(db):
        db.execute("DELETE FROM answers WHERE response_id = ?", [gone])
        db.execute("DELETE FROM responses WHERE id = ?", [gone])
        db.execute("DELETE FROM board_records WHERE record_id = ?", [gone])

    result = run(enrolled_site, "sync", "verify", check=False)

    assert result.returncode != 0
    assert f"{day}: this site {that_day}, the board {that_day - 1}" in result.stdout
    assert len(result.stdout.splitlines()) == 1  # only that day differs
    assert "differ" in result.stderr


# 8. Clock skew -----------------------------------------------------------------


def two_hours_fast() -> float:
    return time.time() + 7200


def test_a_site_with_a_wrong_clock_still_syncs_and_is_flagged(enrolled_site, board):
    ids = make_responses(enrolled_site, 3)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config, clock=two_hours_fast)
        summary = sync_once(db, client, lambda: datetime.now(UTC), 25)
        offset = client.offset

    assert summary.error is None
    assert summary.acknowledged == 3
    assert round(offset / 3600) == -2  # the board's clock minus the site's
    assert board_response_ids(board.env) == sorted(ids)
    sites = run(board.env, "board", "sites").stdout
    assert "Rose Court  3 records" in sites
    assert "CLOCK +120 min from the board's" in sites


def test_a_site_keeps_the_clock_correction_it_learned(enrolled_site, board):
    """The correction a site learns from the board is kept (meta
    `sync_clock_offset`): the next pass starts from it, and `sync status`
    shows it."""
    make_responses(enrolled_site, 1)
    with site_db(enrolled_site) as (app, db):
        client = board_client(db, app.config, clock=two_hours_fast)
        assert sync_once(db, client, lambda: datetime.now(UTC), 25).error is None
        later = board_client(db, app.config, clock=two_hours_fast)
    status = run(enrolled_site, "sync", "status").stdout
    shown = re.search(r"Clock: the board's is ([+-]\d+) s", status)
    assert shown is not None, status

    assert (round(later.offset / 3600), round(int(shown[1]) / 3600)) == (-2, -2), (
        "the clock offset learned from the board was not kept: "
        "meta sync_clock_offset is never written"
    )
