"""The SMS webhook under the real server: `gateway serve` (waitress) answering signed
posts over HTTP, retries racing each other, and many phones at once.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from gateway.db import connect
from tests.conftest import GATEWAY, TWILIO_TOKEN, serve_gateway

PHONE = "+447700900123"
CONVERSATION = [  # what a resident texts, and the start of what they get back
    ("Hi", "Overall, how was your experience of our service?"),
    ("1", "Please tell us why."),
    ("Kind staff", "Can we text you to tell you what we change"),
    ("yes", "Thank you. We read every answer."),
]


@pytest.fixture
def sms_env(gateway_env) -> dict:
    return {
        **gateway_env,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    }


@pytest.fixture
def sms_server(sms_env, tmp_path):
    """`gateway serve` with the SMS channel on; yields the webhook's URL."""
    with serve_gateway(sms_env, tmp_path / "serve.log") as (base, _process):
        yield base + "/sms/inbound"


@pytest.fixture
def served_db(sms_env):
    database = connect(Path(sms_env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3")
    yield database
    database.close()


def text(url: str, body: str, phone: str = PHONE, sid: str | None = None):
    """Post one signed webhook as Twilio would; return (status, TwiML, messages)."""
    params = {
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
        "From": phone,
        "To": "+447700900000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    request = urllib.request.Request(  # noqa: S310 - loopback http
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:  # noqa: S310
        twiml = reply.read().decode()
        assert reply.headers.get_content_type() == "text/xml"
        status = reply.status
    root = ET.fromstring(twiml)  # noqa: S314 - our own server's TwiML
    return status, twiml, [message.text or "" for message in root.iter("Message")]


def converse(url: str, phone: str) -> list[str]:
    """Text the whole Friends and Family conversation; check each reply on the way."""
    replies = []
    for body, expected in CONVERSATION:
        status, _, messages = text(url, body, phone)
        assert status == 200 and len(messages) == 1
        assert expected in messages[0], (body, messages)
        replies.append(messages[0])
    return replies


def rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, params))


def test_a_whole_conversation_is_exported_without_the_number(
    sms_server, sms_env, tmp_path
):
    replies = converse(sms_server, PHONE)
    assert replies[0].startswith("We keep your answers, not your name.")
    assert all(not reply.startswith("We keep") for reply in replies[1:])
    result = subprocess.run(
        [GATEWAY, "export", "--format", "jsonl"],
        env=sms_env,
        capture_output=True,
        text=True,
        check=True,
    )
    [line] = result.stdout.splitlines()
    record = json.loads(line)
    assert (record["channel"], record["status"]) == ("sms", "complete")
    assert record["flow"] == "friends-and-family"
    assert record["opening_text"] == "Hi"
    answers = record["answers"]
    assert answers["overall"]["value"] == "very_good"
    assert answers["why"]["value"] == "Kind staff"
    assert answers["contact"]["value"] == "yes"
    assert "7700900123" not in result.stdout + result.stderr
    server_output = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "7700900123" not in server_output and "Kind staff" not in server_output


def test_a_retry_racing_the_original_is_answered_once(sms_server, served_db):
    text(sms_server, "Hi")
    barrier = threading.Barrier(2)

    def post_the_answer():
        barrier.wait(timeout=30)
        return text(sms_server, "1", sid="SMracing0000000000000000000000000")

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(post_the_answer) for _ in range(2)]
        first, second = (future.result(timeout=60) for future in futures)
    assert first[0] == second[0] == 200
    assert first[1] == second[1]
    assert "Please tell us why." in first[2][0]
    assert len(rows(served_db, "SELECT * FROM inbound_messages")) == 2
    assert rows(served_db, "SELECT step_id, raw FROM answers") == [
        {"step_id": "overall", "raw": "1"}
    ]


def test_twenty_phones_at_once_each_complete_once(sms_server, served_db):
    phones = [f"+4477009002{n:02d}" for n in range(20)]
    barrier = threading.Barrier(len(phones))

    def resident(phone: str) -> list[str]:
        barrier.wait(timeout=30)
        return converse(sms_server, phone)

    with ThreadPoolExecutor(max_workers=len(phones)) as pool:
        results = list(pool.map(resident, phones, timeout=120))
    assert len(results) == len(phones)
    assert len(rows(served_db, "SELECT * FROM inbound_messages")) == 4 * len(phones)
    responses = rows(served_db, "SELECT id, status, opening_text FROM responses")
    assert len(responses) == len(phones)
    assert {(r["status"], r["opening_text"]) for r in responses} == {("complete", "Hi")}
    stored = rows(served_db, "SELECT response_id, step_id, raw FROM answers")
    assert len(stored) == 3 * len(phones)  # one per answer sent, none twice
    for response in responses:
        mine = {
            a["step_id"]: a["raw"] for a in stored if a["response_id"] == response["id"]
        }
        assert mine == {"overall": "1", "why": "Kind staff", "contact": "yes"}


@pytest.mark.parametrize("answers_before_kill", [1, 2, 3])
def test_an_answer_that_got_a_reply_survives_a_killed_server(
    sms_env, tmp_path, answers_before_kill
):
    """SIGKILL straight after a 200: every acknowledged answer is on disk."""
    with serve_gateway(sms_env, tmp_path / "killed.log") as (base, process):
        for body, _expected in CONVERSATION[: answers_before_kill + 1]:
            status, _twiml, _messages = text(base + "/sms/inbound", body)
            assert status == 200
        process.kill()  # SIGKILL: no shutdown, no flush, no checkpoint
    database = connect(Path(sms_env["GATEWAY_INSTANCE_PATH"]) / "gateway.sqlite3")
    try:
        stored = {
            row["step_id"]: row["raw"]
            for row in database.query(
                "SELECT step_id, raw FROM answers WHERE state = 'answered'"
            )
        }
        inbound = database["inbound_messages"].count
    finally:
        database.close()
    expected = {"overall": "1", "why": "Kind staff", "contact": "yes"}
    assert stored == dict(list(expected.items())[:answers_before_kill])
    assert inbound == answers_before_kill + 1
