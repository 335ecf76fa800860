"""The SMS webhook as Twilio and a resident texting see it: signatures, retries,
keywords, floods and odd input, with the phone number kept in one place only.
"""

from __future__ import annotations

import itertools
import json
import logging
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator

from gateway import create_app, store
from tests.conftest import TWILIO_TOKEN

PHONE, DIGITS = "+447700900123", "7700900123"  # DIGITS: however it is written
INBOUND, LOCAL_URL = "/sms/inbound", "http://localhost/sms/inbound"
PUBLIC_URL = "https://feedback.example.org/sms/inbound"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "feedback.example.org"}
PRIVACY = "We keep your answers, not your name."
FIRST_QUESTION = "Overall, how was your experience of our service?"
WHY, CONTACT = "Please tell us why.", "Can we text you"
REPROMPT = "Sorry, I did not understand. Please reply with a number from 1 to 6."
MOVING_ON = "That is OK. We will go on to the next question."
SIGNPOST = "You can talk to someone now. Samaritans: call 116 123"
LONG = ("The staff were kind but the wait was long. " * 40)[:1600]
_sids = itertools.count(1)


def form(body: str, phone: str = PHONE, sid: str | None = None, **extra) -> dict:
    sid = sid or f"SM{next(_sids):032x}"
    return {
        "MessageSid": sid,
        "From": phone,
        "To": "+447700900000",
        "Body": body,
        **extra,
    }


def said(response) -> list[str]:
    """What the person is sent: the text of each <Message> in the TwiML."""
    root = ET.fromstring(response.data)  # noqa: S314 - our own app's TwiML
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def poster(app, token: str = TWILIO_TOKEN):
    """Like sms_post, for an app made in the test: post() signs as Twilio would."""
    client, validator = app.test_client(), RequestValidator(token)

    def post(data: dict, *, url: str = LOCAL_URL, headers: dict | None = None):
        signature = validator.compute_signature(url, data)
        headers = {**(headers or {}), "X-Twilio-Signature": signature}
        return client.post(INBOUND, data=data, headers=headers)

    return post


def rows(db, sql: str, params=()) -> list[dict]:
    return list(db.query(sql, params))


def count(db, table: str) -> int:
    return rows(db, f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608


def stored_nothing(db) -> bool:
    return not any(
        count(db, table) for table in ("inbound_messages", "responses", "participants")
    )


def responses(db) -> list[dict]:
    return rows(db, "SELECT * FROM responses ORDER BY id")


def answered(db, response_id: str) -> dict:
    sql = "SELECT * FROM answers WHERE response_id = ? AND state != 'not_reached'"
    return {row["step_id"]: row for row in rows(db, sql, [response_id])}


def opted_out(db) -> list:
    return [row["opted_out_at"] for row in rows(db, "SELECT * FROM participants")]


@pytest.fixture
def clock(sms_app, now) -> list:
    """clock[0] is the moment the app's views see; move it to move time."""
    moment = [now]
    sms_app.extensions["gateway"].clock = lambda: moment[0]
    return moment


@pytest.fixture
def send(sms_post, clock):
    """Text the gateway as Twilio would deliver it; every reply must be a 200."""

    def send(body: str, phone: str = PHONE, **fields):
        response = sms_post(INBOUND, form(body, phone, **fields))
        assert response.status_code == 200, response.data
        return response

    return send


def test_a_signed_message_is_answered_and_only_the_first_says_what_we_keep(
    send, sms_db
):
    response = send("Hi")
    assert response.mimetype == "text/xml"
    first = said(response)[0]
    assert first.startswith(PRIVACY) and FIRST_QUESTION in first
    assert PRIVACY not in said(send("1"))[0]
    assert count(sms_db, "inbound_messages") == 2


@pytest.mark.parametrize("forgery", ["another_token", "body_altered", "unsigned"])
def test_a_forged_message_is_refused_and_not_stored(forgery, sms_post, sms_db):
    data = form("Hi")
    token = "another-token" if forgery == "another_token" else TWILIO_TOKEN  # noqa: S105
    signature = RequestValidator(token).compute_signature(LOCAL_URL, data)
    if forgery == "body_altered":
        data = {**data, "Body": "STOP"}
    headers = {} if forgery == "unsigned" else {"X-Twilio-Signature": signature}
    assert sms_post(INBOUND, data, sign=False, headers=headers).status_code == 403
    assert stored_nothing(sms_db)


def test_behind_a_proxy_the_signed_public_url_is_accepted(sms_config, sms_post, sms_db):
    data = form("Hi")
    refused = sms_post(INBOUND, data, url=PUBLIC_URL, headers=FORWARDED)
    assert refused.status_code == 403  # without TRUST_PROXY the headers are ignored
    assert stored_nothing(sms_db)
    proxied = poster(create_app({**sms_config, "TRUST_PROXY": 1}))
    response = proxied(data, url=PUBLIC_URL, headers=FORWARDED)
    assert response.status_code == 200
    assert FIRST_QUESTION in said(response)[0]


@pytest.mark.parametrize(
    "insecure_dev, signed, status",
    [(False, False, 403), (False, True, 403), (True, False, 200)],
)
def test_without_an_auth_token(initialised, sms_db, insecure_dev, signed, status):
    app = create_app(
        {**initialised, "TWILIO_AUTH_TOKEN": None, "SMS_INSECURE_DEV": insecure_dev}
    )
    data, validator = form("Hi"), RequestValidator(TWILIO_TOKEN)
    signature = validator.compute_signature(LOCAL_URL, data)
    headers = {"X-Twilio-Signature": signature} if signed else {}
    response = app.test_client().post(INBOUND, data=data, headers=headers)
    assert response.status_code == status
    assert count(sms_db, "inbound_messages") == (status == 200)


def test_a_retried_message_gets_the_same_reply_and_counts_once(send, sms_db):
    send("Hi")
    first = send("1", sid="SMretried")
    again = send("1", sid="SMretried")
    assert again.data == first.data
    assert WHY in said(first)[0]
    assert count(sms_db, "inbound_messages") == 2
    assert CONTACT in said(send("Kind staff"))[0]  # moved on once, not twice
    [response] = responses(sms_db)
    got = answered(sms_db, response["id"])
    assert {step: row["raw"] for step, row in got.items()} == {
        "overall": "1",
        "why": "Kind staff",
    }


@pytest.mark.parametrize(
    "word",
    [
        "stop",
        "Stop!",
        " STOPALL ",
        "unsubscribe",
        "Cancel.",
        "END",
        "quit",
        "Revoke",
        "OPTOUT",
    ],
)
def test_every_opt_out_word_ends_everything(word, send, sms_db):
    send("Hi")
    send("1")
    response = send(word)
    assert said(response) == [] and b"<Response />" in response.data
    assert opted_out(sms_db) == ["2026-11-23T10:00:00Z"]
    [closed] = responses(sms_db)
    assert (closed["status"], closed["close_reason"]) == ("partial", "opted_out")
    before = rows(sms_db, "SELECT * FROM answers")
    assert said(send("2")) == []
    assert rows(sms_db, "SELECT * FROM answers") == before
    assert count(sms_db, "responses") == 1
    last = "SELECT body, handling FROM inbound_messages ORDER BY rowid DESC LIMIT 1"
    assert rows(sms_db, last) == [{"body": "2", "handling": "while_opted_out"}]


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_opting_back_in_is_welcomed(word, send, sms_db):
    send("Hi")
    send("STOP")
    assert "Welcome back" in said(send(word))[0]
    assert opted_out(sms_db) == [None]
    assert FIRST_QUESTION in said(send("Hello again"))[0]


@pytest.mark.parametrize(
    "text, extra, reply, then",
    [
        ("HELP", {}, "Text STOP to end", REPROMPT),
        ("info?", {}, "Text STOP to end", REPROMPT),
        (
            "",
            {"NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m.jpg"},
            "we cannot see pictures",
            REPROMPT,
        ),
        ("😀", {}, REPROMPT, MOVING_ON),  # a smiley is not a score: nudged once
    ],
    ids=["help", "info", "picture", "smiley"],
)
def test_help_pictures_and_smileys_are_not_answers(
    text, extra, reply, then, send, sms_db
):
    send("Hi")
    said_back = said(send(text, **extra))
    assert len(said_back) == 1 and reply in said_back[0]
    [response] = responses(sms_db)
    assert answered(sms_db, response["id"]) == {}
    assert said(send("banana"))[0].startswith(then)  # the nudge is not used up


def test_delete_records_an_erasure_request(send, sms_db):
    send("Hi")
    assert "delete your number and your answers" in said(send("Delete"))[0]
    [person] = rows(sms_db, "SELECT id FROM participants")
    sql = "SELECT participant_id, channel, status FROM erasure_requests"
    assert rows(sms_db, sql) == [
        {"participant_id": person["id"], "channel": "sms", "status": "open"}
    ]


@pytest.mark.parametrize(
    "word, flow_id, question",
    [
        ("restart", "friends-and-family", FIRST_QUESTION),
        ("HOME", "care-home-life", "How are the meals?"),
        ("fft", "friends-and-family", FIRST_QUESTION),
    ],
)
def test_restart_and_trigger_words_start_afresh_and_are_not_answers(
    word, flow_id, question, send, sms_db
):
    send("Hi")
    send("1")  # now at the free-text question, where any word would do
    assert question in said(send(word))[0]
    old, new = responses(sms_db)
    assert (old["status"], old["close_reason"]) == ("partial", "restarted")
    assert list(answered(sms_db, old["id"])) == ["overall"]  # the word was no answer
    assert (new["flow_id"], new["status"]) == (flow_id, "open")
    assert answered(sms_db, new["id"]) == {}


def test_unprompted_feedback_opens_and_is_kept_but_not_an_answer(send, sms_db, runner):
    opening = "The waiting room was freezing"
    assert FIRST_QUESTION in said(send(opening))[0]
    [response] = responses(sms_db)
    assert response["opening_text"] == opening
    assert answered(sms_db, response["id"]) == {}
    for text in ("4", "Too cold", "no"):
        send(text)
    [closed] = store.closed_responses(sms_db)
    assert closed["opening_text"] == opening
    assert closed["answers"]["overall"]["value"] == "poor"
    result = runner.invoke(["export", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert json.loads(line)["opening_text"] == opening


@pytest.mark.parametrize("late", ["2", "Sorry, it was good really"])
def test_a_late_reply_starts_a_new_response(late, send, sms_db, clock):
    send("Hi")
    send("1")
    clock[0] += timedelta(hours=25)
    assert FIRST_QUESTION in said(send(late))[0]
    old, new = responses(sms_db)
    assert (old["status"], old["close_reason"]) == ("partial", "expired")
    assert (new["status"], new["opening_text"]) == ("open", late)
    assert answered(sms_db, new["id"]) == {}


@pytest.mark.parametrize("known", [True, False], ids=["known", "new_number"])
def test_a_disclosure_in_an_opening_message_is_signposted_first(known, send, sms_db):
    if known:
        send("HELP")  # the privacy line has been said already
    reply = said(send("nobody helps, I want to die"))[0]
    # The lifeline comes first, before anything else (a phone's preview of the
    # text shows only its start); a new number still gets the privacy line.
    assert reply.startswith(SIGNPOST)
    assert reply.index("116 123") < reply.index(FIRST_QUESTION)
    assert (PRIVACY in reply) is not known
    [response] = responses(sms_db)
    assert rows(sms_db, "SELECT response_id, step_id, category FROM alerts") == [
        {"response_id": response["id"], "step_id": "_opening", "category": "self_harm"}
    ]


def test_a_flood_is_kept_but_only_the_first_messages_answered(sms_config, sms_db, now):
    app = create_app({**sms_config, "SMS_FLOOD_PER_MINUTE": 3})
    app.extensions["gateway"].clock = lambda: now
    post = poster(app)
    texts = ["Hi", "1", "Kind staff", "yes", "2", "no", "3", "4", "5", "6"]
    replies = [said(post(form(text))) for text in texts]
    assert FIRST_QUESTION in replies[0][0] and WHY in replies[1][0]
    assert CONTACT in replies[2][0]
    notice = "You have sent a lot of messages. Please wait a minute, then reply."
    assert replies[3:] == [[notice]] + [[]] * 6
    assert count(sms_db, "inbound_messages") == 10
    [response] = responses(sms_db)
    got = answered(sms_db, response["id"])
    assert response["status"] == "open"
    assert {step: row["value"] for step, row in got.items()} == {
        "overall": "very_good",
        "why": "Kind staff",
    }
    other = said(post(form("Hi", "+447700900456")))[0]
    assert other.startswith(PRIVACY) and FIRST_QUESTION in other


@pytest.mark.parametrize("missing", ["From", "Body"])
def test_a_message_missing_a_field_is_refused(missing, sms_post, sms_db):
    data = form("Hi")
    del data[missing]
    assert sms_post(INBOUND, data).status_code == 400
    assert stored_nothing(sms_db)


def test_a_national_number_is_the_same_person(send, sms_db):
    send("Hi", "07700 900123")
    assert WHY in said(send("1", PHONE))[0]
    assert count(sms_db, "participants") == 1
    assert rows(sms_db, "SELECT phone FROM participant_numbers") == [{"phone": PHONE}]


@pytest.mark.parametrize("sender", ["80085", "NHSTrust"])
def test_a_machine_sender_is_kept_but_never_answered(sender, send, sms_db):
    assert said(send("Your code is 1234", sender)) == []
    assert rows(sms_db, "SELECT participant_id, handling FROM inbound_messages") == [
        {"participant_id": None, "handling": "ignored_sender"}
    ]
    assert count(sms_db, "responses") == count(sms_db, "participants") == 0


@pytest.mark.parametrize(
    "before, text, extra, step, value",
    [
        pytest.param(
            ["1", "Kind staff"], "YES", {}, "contact", "yes", id="yes-opted-in"
        ),
        pytest.param(["1"], "stop please", {}, "why", "stop please", id="two-words"),
        pytest.param(["1", "Kind staff"], "👍", {}, "contact", "yes", id="thumbs-up"),
        pytest.param(
            ["1"], "SGVsbG8gd29ybGQ=", {}, "why", "SGVsbG8gd29ybGQ=", id="base64-text"
        ),
        pytest.param([], "2", {"NumMedia": "abc"}, "overall", "good", id="bad-media"),
        pytest.param(["1"], LONG, {}, "why", LONG[:500], id="1600-characters"),
    ],
)
def test_answers_that_look_odd_or_like_keywords_are_answers(
    before, text, extra, step, value, send, sms_db
):
    for earlier in ["Hi", *before]:
        send(earlier)
    send(text, **extra)
    [response] = responses(sms_db)
    got = answered(sms_db, response["id"])[step]
    assert (got["value"], got["raw"]) == (value, text)  # raw: all they sent


def test_the_number_is_kept_in_one_place_and_never_logged(send, sms_db, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="gateway")
    answer_text = "Kind staff and a warm room"
    for text in ("Hi", "1", answer_text, "yes", "HELP"):
        send(text)
    assert responses(sms_db)[0]["status"] == "complete"
    for table in sms_db.table_names():
        for row in sms_db.query(f"SELECT * FROM [{table}]"):  # noqa: S608
            for column, value in row.items():
                if (table, column) != ("participant_numbers", "phone"):
                    assert DIGITS not in str(value), (table, column)
    assert rows(sms_db, "SELECT phone FROM participant_numbers") == [{"phone": PHONE}]
    assert DIGITS not in caplog.text
    assert answer_text not in caplog.text
