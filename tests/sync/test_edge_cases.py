"""Sync where things go subtly wrong: a lost enrolment answer, a proxy's 413, an
old opt-in arriving late, a malformed record, a redirect, an upgrade, a key
changed under a conversation. Real board process on 127.0.0.1 where one is
needed; otherwise the site's own code in-process.
"""

from __future__ import annotations

import json
import math
import sqlite3
import urllib.request
from datetime import UTC, datetime

import pytest
import sqlite_utils

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.conversations import start_conversation
from gateway.db import write_txn
from gateway.privacy import pseudonym
from gateway.pseudonyms import work_out_pseudonyms
from gateway.store import migrations as site_migrations
from gateway.sync.client import SyncError
from gateway.sync.enrolment import (
    EnrolError,
    board_client,
    enrol,
    replace_pseudonym_key,
)
from gateway.sync.records import canonical
from gateway.sync.runner import backoff_seconds
from tests import retired_board_tables as board_migrations
from tests.sync.helpers import (
    Handler,
    add_site,
    built_record,
    database,
    http_server,
    make_responses,
    rows,
    run,
    set_board_url,
    site_app,
    site_db,
    text,
)

PHONE = "+447700900123"


def enrol_directly(board_url: str, code: str, site_id: str) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - loopback
        board_url + "/board/enrol",
        data=json.dumps({"code": code, "site_id": site_id}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as reply:  # noqa: S310
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_a_site_whose_enrolment_answer_was_lost_can_ask_again(site_env, board):
    code = add_site(board.env, "Rose Court")
    site_id = "01a20746-9fea-7000-90ef-b0b6f9376ae5"
    status, first = enrol_directly(board.url, code, site_id)  # the answer is "lost"
    assert status == 200
    status, again = enrol_directly(board.url, code, site_id)
    assert status == 200
    assert again["secret"] == first["secret"]  # the same site, the same answer
    status, other = enrol_directly(board.url, code, "another-site-id")
    assert status == 403 and "secret" not in other
    # The real site enrols with the code, and its first signed request ends it.
    app = site_app(site_env)
    with pytest.raises(EnrolError):  # the code is the other site id's by now
        enrol(app.config, board.url, code)


def test_the_code_stops_working_at_the_first_signed_request(site_env, board):
    code = add_site(board.env, "Rose Court")
    assert run(site_env, "sync", "enroll", board.url, code).returncode == 0
    run(site_env, "sync", "run")
    with site_db(site_env) as (_app, db):
        site_id = store.core.get_meta(db, "site_id")
    status, answer = enrol_directly(board.url, code, site_id)
    assert status == 403
    assert "not known, or was used" in answer["error"]


def test_plain_http_enrolment_is_only_for_this_machine(site_env):
    app = site_app(site_env)
    with pytest.raises(EnrolError) as error:
        enrol(app.config, "http://board.example.org", "ABCD-EFGH-JKLM")
    assert "https://" in str(error.value)


class AlwaysTooLarge(Handler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.body()
        self.reply(413, b"<html>Request Entity Too Large</html>", "text/html")


def test_a_413_for_every_size_sets_nothing_aside(enrolled_site):
    make_responses(enrolled_site, 3)
    with http_server(AlwaysTooLarge) as (url, _server):
        set_board_url(enrolled_site, url)
        result = run(enrolled_site, "sync", "run", check=False)
    assert result.returncode != 0
    assert "even for one record" in result.stderr
    waiting = rows(
        database(enrolled_site),
        "SELECT count(*) AS n FROM sync_queue WHERE synced_at IS NULL "
        "AND set_aside_at IS NULL",
    )
    assert waiting[0]["n"] == 3  # all still waiting: tried again later


def test_an_older_opt_in_from_elsewhere_does_not_undo_a_newer_stop(site_env):
    text(site_env, PHONE, "Hello", "SM1")
    with site_db(site_env) as (app, db):
        person = store.participants.id_for_number(db, PHONE)
        with write_txn(db):
            store.sms.set_opted_out(db, person, "2026-11-21T10:00:00Z")
        with write_txn(db):
            older = store.sync.apply_opt_change(
                db, person, False, "2026-11-21T09:00:00Z"
            )
            newer = store.sync.apply_opt_change(
                db, person, False, "2026-11-21T11:00:00Z"
            )
        [row] = db.query("SELECT opted_out_at FROM participants WHERE id = ?", [person])
    assert older == 0
    assert newer == 1
    assert row["opted_out_at"] is None  # the newer opt-in counts


def test_a_malformed_opt_out_or_record_is_rejected_alone(enrolled_site, board):
    (response_id,) = make_responses(enrolled_site, 1)
    good = built_record(enrolled_site, response_id)
    data = json.loads(good["body"])
    huge = dict(data, id="01a20746-0000-7000-8000-000000000001", flow_version=10**20)
    # Numbers no engine stores alike: refused on SQLite and PostgreSQL both.
    not_a_number = dict(
        data, id="01a20746-0000-7000-8000-000000000002", flow_version=math.nan
    )
    stamp = "2026-11-21T09:00:00Z"
    records = [
        {
            "id": "a" * 32,
            "kind": "opt_out",
            "queued_at": stamp,
            "body": canonical({"participant": "b" * 64, "at": {"x": 1}}),
        },
        {
            "id": "c" * 32,
            "kind": "opt_out",
            "queued_at": stamp,
            "body": canonical({"participant": "b" * 64, "at": stamp, "seq": 10**12}),
        },
        *(
            {
                "id": bad["id"],
                "kind": "response",
                "queued_at": stamp,
                "body": canonical(bad),
            }
            for bad in (huge, not_a_number)
        ),
        good,
    ]
    with site_db(enrolled_site) as (app, db):
        results, _ = board_client(db, app.config).push(records)
    statuses = [result["status"] for result in results]
    assert statuses == ["rejected"] * 4 + ["stored"]


class Redirecting(Handler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(302)
        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET


def test_a_redirect_is_an_error_and_is_not_followed(enrolled_site):
    with http_server(Redirecting) as (url, _server):
        set_board_url(enrolled_site, url)
        with site_db(enrolled_site) as (app, db):
            client = board_client(db, app.config)
            with pytest.raises(SyncError) as error:
                client.stream(0)
    assert "302" in str(error.value)


def test_retry_after_is_honoured_but_never_forever():
    assert backoff_seconds(0, 900, 120) >= 120
    assert backoff_seconds(0, 900, 10**9) <= 3600
    assert backoff_seconds(0, 900, math.inf) <= 900


def test_an_upgrade_queues_what_was_closed_before_sync_existed(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.sqlite3")
    upgrade = site_migrations.add_sync_queue
    for migration in site_migrations.MIGRATIONS[
        : site_migrations.MIGRATIONS.index(upgrade)
    ]:
        migration(db)
    db.execute(
        """INSERT INTO responses (id, site_id, flow_id, flow_version, channel,
               language, started_at, closed_at, status, is_test)
           VALUES ('r1', 's', 'f', 1, 'kiosk', 'en', 't', '2026-01-01T00:00:00Z',
               'complete', 0),
                  ('r2', 's', 'f', 1, 'simulator', 'en', 't', 't', 'complete', 1),
                  ('r3', 's', 'f', 1, 'sms', 'en', 't', NULL, 'open', 0)"""
    )
    db.execute(
        "INSERT INTO participants (id, created_at, opted_out_at) VALUES ('p', 't', 't')"
    )
    upgrade(db)
    queued = {row["kind"]: row for row in db.query("SELECT * FROM sync_queue")}
    assert set(queued) == {"response", "opt_out"}
    assert queued["response"]["record_id"] == "r1"
    assert json.loads(queued["opt_out"]["body"]) == {"participant": "p", "at": "t"}
    db.close()


def test_re_keying_merges_a_person_with_a_conversation_under_each_key(site_env):
    text(site_env, PHONE, "Hello", "SM1")  # a conversation under the old key
    with site_db(site_env) as (app, db):
        old = store.participants.id_for_number(db, PHONE)
        new_key = b"\x01" * 32
        new = pseudonym(new_key, PHONE)
        with write_txn(db):  # the same number, already known under the new key
            store.core.ensure_participant(db, new, "2026-11-21T09:00:00Z")
            db.execute("UPDATE sessions SET participant_id = participant_id WHERE 0")
        with write_txn(db):
            start_conversation(
                db,
                app.extensions["gateway"],
                channel="sms",
                now=datetime(2026, 11, 21, 9, 5, tzinfo=UTC),
                participant_id=new,
            )
        instance = app.config["INSTANCE_PATH"]
        with write_txn(db):
            replace_pseudonym_key(db, pseudonym_key_file(instance), new_key)
        assert work_out_pseudonyms(db, instance, 60) == 1
        people = list(db.query("SELECT id FROM participants"))
        open_sms = list(db.query("SELECT participant_id FROM sessions"))
    assert [row["id"] for row in people] == [new]
    assert [row["participant_id"] for row in open_sms] == [new]
    assert old != new


def test_an_upgrade_keeps_what_was_queued_and_what_the_board_holds(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.sqlite3")
    # keep_sync_moving_and_ids_per_site, as it shipped, is these two parts.
    site_part, board_part = (
        site_migrations.keep_sync_moving,
        board_migrations.keep_board_ids_per_site,
    )
    for history, part in (
        (site_migrations.MIGRATIONS, site_part),
        (board_migrations.MIGRATIONS, board_part),
    ):
        for migration in history[: history.index(part)]:
            migration(db)
    db.execute(
        """INSERT INTO sync_queue (record_id, kind, priority, queued_at) VALUES
           ('r1', 'response', 0, 't1'), ('a1', 'alert', 1, 't2'),
           ('o1', 'opt_out', 0, 't3')"""
    )
    db.execute(
        """INSERT INTO board_records (seq, record_id, site_id, kind, body_hash,
               body, queued_at, received_at)
           VALUES (5, 'x', 'rose', 'opt_out', 'h', '{}', 't', 't'),
                  (9, 'y', 'oak', 'response', 'h', '{}', 't', 't')"""
    )
    db.execute(
        """INSERT INTO board_alerts (id, site_id, response_id, step_id, category,
               rule, raised_at, received_at) VALUES ('al', 'oak', 'y', 's', 'c',
               'r', 't', 't')"""
    )

    site_part(db)
    board_part(db)

    order = [
        row["record_id"]
        for row in db.query(
            "SELECT record_id FROM sync_queue ORDER BY priority DESC, queued_at"
        )
    ]
    assert order == ["a1", "o1", "r1"]  # alerts, then opt-outs, then responses
    kept = list(
        db.query("SELECT seq, record_id, site_id FROM board_records ORDER BY seq")
    )
    assert kept == [
        {"seq": 5, "record_id": "x", "site_id": "rose"},
        {"seq": 9, "record_id": "y", "site_id": "oak"},
    ]
    db.execute(  # the same id from another site is that site's own
        """INSERT INTO board_records (record_id, site_id, kind, body_hash, body,
               queued_at, received_at)
           VALUES ('x', 'oak', 'opt_out', 'h', '{}', 't', 't')"""
    )
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            """INSERT INTO board_records (record_id, site_id, kind, body_hash,
                   body, queued_at, received_at)
               VALUES ('x', 'rose', 'opt_out', 'h', '{}', 't', 't')"""
        )
    alerts = list(db.query("SELECT id, site_id, response_id FROM board_alerts"))
    assert alerts == [{"id": "al", "site_id": "oak", "response_id": "y"}]
    db.close()
