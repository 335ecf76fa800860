"""The SMS webhook as Twilio and a resident texting see it: signatures, retries,
unprompted and late messages, floods and odd input, the number kept in one place.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from twilio.request_validator import RequestValidator

from gateway import create_app, store
from tests.conftest import TWILIO_TOKEN
from tests.sms.helpers import (
    CONTACT,
    DIGITS,
    FIRST_QUESTION,
    FORWARDED,
    INBOUND,
    LOCAL_URL,
    LONG,
    PHONE,
    PRIVACY,
    PUBLIC_URL,
    SIGNPOST,
    WHY,
    answered,
    count,
    form,
    poster,
    responses,
    rows,
    said,
    stored_nothing,
)


def test_a_signed_message_is_answered_and_only_the_first_says_what_we_keep(
    sms_send, sms_db
):
    response = sms_send("Hi")
    assert response.mimetype == "text/xml"
    first = said(response)[0]
    assert first.startswith(PRIVACY) and FIRST_QUESTION in first
    assert PRIVACY not in said(sms_send("1"))[0]
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


def test_a_retried_message_gets_the_same_reply_and_counts_once(sms_send, sms_db):
    sms_send("Hi")
    first = sms_send("1", sid="SMretried")
    again = sms_send("1", sid="SMretried")
    assert again.data == first.data
    assert WHY in said(first)[0]
    assert count(sms_db, "inbound_messages") == 2
    assert CONTACT in said(sms_send("Kind staff"))[0]  # moved on once, not twice
    [response] = responses(sms_db)
    got = answered(sms_db, response["id"])
    assert {step: row["raw"] for step, row in got.items()} == {
        "overall": "1",
        "why": "Kind staff",
    }


def test_unprompted_feedback_opens_and_is_kept_but_not_an_answer(
    sms_send, sms_db, runner
):
    opening = "The waiting room was freezing"
    assert FIRST_QUESTION in said(sms_send(opening))[0]
    [response] = responses(sms_db)
    assert response["opening_text"] == opening
    assert answered(sms_db, response["id"]) == {}
    for text in ("4", "Too cold", "no"):
        sms_send(text)
    [closed] = store.responses.closed_responses(sms_db)
    assert closed["opening_text"] == opening
    assert closed["answers"]["overall"]["value"] == "poor"
    result = runner.invoke(["export", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert json.loads(line)["opening_text"] == opening


@pytest.mark.parametrize("late", ["2", "Sorry, it was good really"])
def test_a_late_reply_starts_a_new_response(late, sms_send, sms_db, sms_clock):
    sms_send("Hi")
    sms_send("1")
    sms_clock[0] += timedelta(hours=25)
    assert FIRST_QUESTION in said(sms_send(late))[0]
    old, new = responses(sms_db)
    assert (old["status"], old["close_reason"]) == ("partial", "expired")
    assert (new["status"], new["opening_text"]) == ("open", late)
    assert answered(sms_db, new["id"]) == {}


@pytest.mark.parametrize("known", [True, False], ids=["known", "new_number"])
def test_a_disclosure_in_an_opening_message_is_signposted_first(
    known, sms_send, sms_db
):
    if known:
        sms_send("HELP")  # the privacy line has been said already
    reply = said(sms_send("nobody helps, I want to die"))[0]
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


def test_a_national_number_is_the_same_person(sms_send, sms_db):
    sms_send("Hi", "07700 900123")
    assert WHY in said(sms_send("1", PHONE))[0]
    assert count(sms_db, "participants") == 1
    assert rows(sms_db, "SELECT phone FROM participant_numbers") == [{"phone": PHONE}]


@pytest.mark.parametrize("sender", ["+442079460000", "+441632960001", "+35318123456"])
def test_a_text_from_a_landline_looking_number_is_from_a_person(
    sender, sms_send, sms_db
):
    # Twilio delivers texts from phones: whatever the number looks like, it is a
    # person, even though an invitation could not be sent to it.
    assert FIRST_QUESTION in said(sms_send("Hi", sender))[0]
    assert rows(sms_db, "SELECT phone FROM participant_numbers") == [{"phone": sender}]
    assert count(sms_db, "participants") == 1


@pytest.mark.parametrize("sender", ["80085", "NHSTrust", "60300", "Tesco Bank"])
def test_a_machine_sender_is_kept_but_never_answered(sender, sms_send, sms_db):
    assert said(sms_send("Your code is 1234", sender)) == []
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
        pytest.param(
            ["1"],
            "the staff never stop smiling",
            {},
            "why",
            "the staff never stop smiling",
            id="stop-inside-an-answer",
        ),
        pytest.param(["1", "Kind staff"], "👍", {}, "contact", "yes", id="thumbs-up"),
        pytest.param(
            ["1"], "SGVsbG8gd29ybGQ=", {}, "why", "SGVsbG8gd29ybGQ=", id="base64-text"
        ),
        pytest.param([], "2", {"NumMedia": "abc"}, "overall", "good", id="bad-media"),
        pytest.param(["1"], LONG, {}, "why", LONG[:500], id="1600-characters"),
    ],
)
def test_answers_that_look_odd_or_like_keywords_are_answers(
    before, text, extra, step, value, sms_send, sms_db
):
    for earlier in ["Hi", *before]:
        sms_send(earlier)
    sms_send(text, **extra)
    [response] = responses(sms_db)
    got = answered(sms_db, response["id"])[step]
    assert (got["value"], got["raw"]) == (value, text)  # raw: all they sent


def test_the_number_is_kept_in_one_place_and_never_logged(sms_send, sms_db, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="gateway")
    answer_text = "Kind staff and a warm room"
    for text in ("Hi", "1", answer_text, "yes", "HELP"):
        sms_send(text)
    assert responses(sms_db)[0]["status"] == "complete"
    for table in sms_db.table_names():
        for row in sms_db.query(f"SELECT * FROM [{table}]"):  # noqa: S608
            for column, value in row.items():
                if (table, column) != ("participant_numbers", "phone"):
                    assert DIGITS not in str(value), (table, column)
    assert rows(sms_db, "SELECT phone FROM participant_numbers") == [{"phone": PHONE}]
    assert DIGITS not in caplog.text
    assert answer_text not in caplog.text


@pytest.mark.parametrize("body", ["1", "STOP texting me", "HELP", "RESTART"])
def test_each_text_reads_the_open_conversation_once(sms_send, monkeypatch, body):
    """However many steps of handling ask about it, one read per text."""
    from gateway import store

    sms_send("Hi")
    reads = []
    find = store.conversations.find_open_session

    def counted(*args, **kwargs):
        reads.append(args)
        return find(*args, **kwargs)

    monkeypatch.setattr(store.conversations, "find_open_session", counted)
    sms_send(body)
    assert len(reads) == 1
