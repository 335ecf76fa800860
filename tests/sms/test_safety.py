"""What must not be missed when handling a text fails: STOP, DELETE and disclosures
of harm still act, the message is kept, and a failed COMMIT leaves nothing open.
"""

from __future__ import annotations

import itertools
import logging
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from twilio.request_validator import RequestValidator

import gateway.sms.inbound
import gateway.sms.stopping
from flows.formats import iso
from gateway import create_app, store
from gateway.db import connect, write_txn
from gateway.pseudonyms import person_for_number
from tests.conftest import TWILIO_TOKEN

PHONE = "+447700900321"
INBOUND = "/sms/inbound"
EMPTY = b"<Response />"
SIGNPOST = "You can talk to someone now. Samaritans: call 116 123"
SORRY = "Sorry, something went wrong. We have kept your message."
DISCLOSURE = "nobody helps, I want to die"
_sids = itertools.count(1)


def form(body: str, phone: str = PHONE) -> dict:
    sid = f"SM{next(_sids):032x}"
    return {"MessageSid": sid, "From": phone, "To": "+447700900000", "Body": body}


def said(response) -> list[str]:
    """The text of each <Message> in the TwiML reply."""
    root = ET.fromstring(response.data)  # noqa: S314 - our own app's TwiML
    return [message.text or "" for message in root.iter("Message")]


def boom(*_args, **_kwargs):
    raise RuntimeError("broken on purpose")


def rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, params))


def last_inbound(db) -> dict:
    sql = "SELECT * FROM inbound_messages ORDER BY rowid DESC LIMIT 1"
    return rows(db, sql)[0]


@pytest.fixture
def runtime(sms_app, now):
    runtime = sms_app.extensions["gateway"]
    runtime.clock = lambda: now
    return runtime


@pytest.fixture
def send(sms_post, runtime):
    """Text the gateway as Twilio would; every answer must be a 200."""

    def send(body: str, phone: str = PHONE):
        response = sms_post(INBOUND, form(body, phone))
        assert response.status_code == 200, response.data
        return response

    return send


@pytest.fixture
def participant_id(sms_db) -> str:
    """The person texting from PHONE, known here before each test texts."""
    with write_txn(sms_db):
        return person_for_number(sms_db, PHONE, "2026-11-23T10:00:00Z")


def queue_reminder(db, participant_id: str, now) -> str:
    with write_txn(db):
        return store.outbox.enqueue(
            db, participant_id=participant_id, kind="message", now=iso(now), body="Hi"
        )


def outbox_status(db, message_id: str) -> str:
    return rows(db, "SELECT status FROM outbox WHERE id = ?", [message_id])[0]["status"]


def test_stop_opts_out_even_when_closing_the_conversation_fails(
    send, sms_db, participant_id, now, monkeypatch, caplog
):
    send("Hi")
    waiting = queue_reminder(sms_db, participant_id, now)
    monkeypatch.setattr(gateway.sms.stopping, "close_conversation", boom)
    with caplog.at_level(logging.ERROR, logger="gateway.sms.webhooks"):
        response = send("STOP")
    assert EMPTY in response.data and said(response) == []
    assert store.sms.participant(sms_db, participant_id)["opted_out_at"] == iso(now)
    assert outbox_status(sms_db, waiting) == "cancelled"
    kept = last_inbound(sms_db)
    assert (kept["body"], kept["handling"]) == ("STOP", "opt_out")
    assert kept["participant_id"] == participant_id
    # The opt-out itself went through; only the closing was logged as failed.
    assert "could not close the conversation" in caplog.text
    assert "could not act on an inbound message" not in caplog.text


def test_stop_opts_out_even_when_deciding_what_to_do_fails(
    send, sms_db, participant_id, now, monkeypatch
):
    send("Hi")
    waiting = queue_reminder(sms_db, participant_id, now)
    monkeypatch.setattr(gateway.sms.inbound, "_decide", boom)
    response = send("Stop!")
    assert EMPTY in response.data and said(response) == []
    assert store.sms.participant(sms_db, participant_id)["opted_out_at"] == iso(now)
    assert outbox_status(sms_db, waiting) == "cancelled"
    kept = last_inbound(sms_db)
    assert (kept["body"], kept["handling"]) == ("Stop!", "opt_out")
    assert kept["participant_id"] == participant_id


def test_an_ordinary_message_that_cannot_be_acted_on_is_kept_with_an_apology(
    send, sms_db, participant_id, monkeypatch
):
    monkeypatch.setattr(gateway.sms.inbound, "start_conversation", boom)
    [reply] = said(send("The parking was awful"))
    assert reply.startswith(SORRY) and "116 123" not in reply
    kept = last_inbound(sms_db)
    assert (kept["body"], kept["handling"]) == ("The parking was awful", "error")
    assert kept["participant_id"] == participant_id
    assert rows(sms_db, "SELECT * FROM alerts") == []


def test_a_disclosure_that_cannot_be_acted_on_is_signposted_first_and_alerted(
    send, sms_db, participant_id, monkeypatch
):
    monkeypatch.setattr(gateway.sms.inbound, "start_conversation", boom)
    [reply] = said(send(DISCLOSURE))
    assert reply.startswith(SIGNPOST)
    assert SORRY in reply and reply.index("116 123") < reply.index(SORRY)
    kept = last_inbound(sms_db)
    assert (kept["handling"], kept["participant_id"]) == ("error", participant_id)
    [response] = rows(sms_db, "SELECT * FROM responses")
    assert response["opening_text"] == DISCLOSURE
    assert response["status"] != "open" and response["closed_at"] is not None
    assert kept["response_id"] == response["id"]
    [alert] = rows(sms_db, "SELECT * FROM alerts")
    assert (alert["response_id"], alert["category"]) == (response["id"], "self_harm")


def test_an_opted_out_disclosure_is_alerted_but_not_answered(
    send, sms_db, participant_id
):
    send("Hi")
    send("STOP")
    response = send(DISCLOSURE)
    assert EMPTY in response.data and said(response) == []
    kept = last_inbound(sms_db)
    assert kept["handling"] == "while_opted_out"
    [alert] = rows(sms_db, "SELECT * FROM alerts")
    [alerted] = rows(
        sms_db, "SELECT * FROM responses WHERE id = ?", [alert["response_id"]]
    )
    assert alerted["close_reason"] == "message_only"
    assert alerted["opening_text"] == DISCLOSURE
    assert alerted["participant_id"] == participant_id
    assert kept["response_id"] == alerted["id"]


def test_an_opted_out_delete_is_taken_as_meant_but_not_answered(
    send, sms_db, participant_id
):
    send("Hi")
    send("STOP")
    response = send("DELETE")  # we may not text them to ask
    assert EMPTY in response.data and said(response) == []
    sql = "SELECT participant_id, channel, status FROM erasure_requests"
    assert rows(sms_db, sql) == [
        {"participant_id": participant_id, "channel": "sms", "status": "confirmed"}
    ]
    assert last_inbound(sms_db)["handling"] == "erasure_request"


@pytest.fixture
def flood_post(initialised, sms_config, now):
    """Post to an app that floods at two messages a minute."""
    app = create_app({**sms_config, "SMS_FLOOD_PER_MINUTE": 2})
    app.extensions["gateway"].clock = lambda: now
    client, validator = app.test_client(), RequestValidator(TWILIO_TOKEN)

    def post(body: str):
        data = form(body)
        signature = validator.compute_signature(f"http://localhost{INBOUND}", data)
        response = client.post(
            INBOUND, data=data, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.data
        return response

    return post


def test_delete_is_recorded_during_a_flood(flood_post, sms_db, participant_id):
    flood_post("Hi")
    flood_post("1")
    [reply] = said(flood_post("DELETE"))
    assert "Reply YES to delete them" in reply
    [done] = said(flood_post("YES"))
    assert "We are deleting" in done
    [request] = rows(sms_db, "SELECT participant_id, status FROM erasure_requests")
    assert request == {"participant_id": participant_id, "status": "confirmed"}
    assert said(flood_post("2")) == []  # it is a flood: kept, not answered


def test_a_disclosure_during_a_flood_is_signposted_and_alerted(
    flood_post, sms_db, participant_id
):
    flood_post("HELP")
    flood_post("HELP")  # no conversation is open: help starts none
    assert store.conversations.find_open_session(sms_db, participant_id, "sms") is None
    [reply] = said(flood_post(DISCLOSURE))
    assert reply.startswith(SIGNPOST)
    kept = last_inbound(sms_db)
    assert kept["handling"] == "flood"
    [alert] = rows(sms_db, "SELECT * FROM alerts")
    [response] = rows(sms_db, "SELECT * FROM responses")
    assert alert["response_id"] == response["id"] == kept["response_id"]
    assert (response["opening_text"], response["close_reason"]) == (
        DISCLOSURE,
        "message_only",
    )


class FailingCommit:
    """The connection, except that COMMIT fails as it would on a full disk."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def execute(self, sql: str, *args):
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


@pytest.fixture
def scratch(tmp_path):
    path = tmp_path / "scratch.sqlite3"
    db, reader = connect(path), connect(path)
    db.execute("CREATE TABLE notes (text TEXT NOT NULL)")
    yield db, reader
    db.close()
    reader.close()


def test_write_txn_rolls_back_when_commit_fails(scratch):
    db, reader = scratch
    real = db.conn
    db.conn = FailingCommit(real)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"), write_txn(db):
        db.execute("INSERT INTO notes VALUES ('lost')")
    db.conn = real
    assert real.in_transaction is False  # a later write cannot join it by mistake
    with write_txn(db):
        db.execute("INSERT INTO notes VALUES ('kept')")
    assert rows(reader, "SELECT text FROM notes") == [{"text": "kept"}]
    assert rows(db, "SELECT text FROM notes") == [{"text": "kept"}]
