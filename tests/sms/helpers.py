"""What the SMS tests share: a resident's number, Twilio's form, reading the
replies and what was stored."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

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
