"""Webhook bodies and numbers have limits: a huge post is refused before it is
read, an out-of-range number never loses the message, and long words are cut
kindly, at input, with the person told.
"""

from __future__ import annotations

import pytest

import gateway.sms.inbound
from flows.model import TEXT_LIMIT
from tests.sms.helpers import INBOUND, LONG, answered, count, form, responses, said

HUGE = "x" * (17 * 1024 * 1024)  # 17 MB


@pytest.mark.parametrize("sign, code", [(True, 413), (False, 403)])
def test_a_huge_sms_post_is_refused_and_stores_nothing(sms_post, sms_db, sign, code):
    """Signed, it is too large; unsigned, it is refused before it is parsed."""
    response = sms_post(INBOUND, form(HUGE), sign=sign)
    assert response.status_code == code
    assert count(sms_db, "inbound_messages") == 0
    assert count(sms_db, "responses") == 0


def test_the_size_limit_is_refused_before_the_body_is_read(sms_app):
    """Content-Length alone says it is too large: nothing is read or parsed."""
    read = []

    class Body:
        def read(self, *args):
            read.append(args)
            return b""

    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(HUGE)),
        "wsgi.input": Body(),
    }
    client = sms_app.test_client()
    for signature in ("", "looks-signed"):
        headers = {"X-Twilio-Signature": signature} if signature else {}
        response = client.post(INBOUND, environ_overrides=environ, headers=headers)
        assert response.status_code == (413 if signature else 403)
    assert read == []


def test_a_status_callback_has_the_same_limit(sms_post):
    body = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered", "x": HUGE}
    assert sms_post("/sms/status", body).status_code == 413


def test_an_ordinary_long_text_still_fits(sms_send, sms_db):
    """Twilio's longest message, all emoji (the most bytes once form-encoded)."""
    sms_send("😀" * 800)
    assert count(sms_db, "inbound_messages") == 1


@pytest.mark.parametrize(
    "num_media, kept",
    [("9" * 30, 0), ("-5", 0), ("1e9", 0), ("²", 0), ("٣", 0), ("11", 0), ("3", 3)],
)
def test_an_out_of_range_media_count_keeps_the_message(
    sms_send, sms_db, num_media, kept
):
    sms_send("Hello", NumMedia=num_media)
    [row] = list(sms_db.query("SELECT body, media_count FROM inbound_messages"))
    assert (row["body"], row["media_count"]) == ("Hello", kept)


@pytest.mark.parametrize("failures, with_sender", [(2, True), (3, False)])
def test_a_message_is_kept_even_when_recording_its_handling_fails(
    sms_send, sms_db, monkeypatch, failures, with_sender
):
    """Acting on it failed, and then so did recording what was done: the bare
    message is still on disk (with its sender, if that can be stored), so the
    200 Twilio gets is true."""
    real = gateway.sms.inbound.store.sms.record_inbound
    calls = []

    def fails_at_first(db, **fields):
        calls.append(fields["handling"])
        if len(calls) <= failures:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(db, **fields)

    monkeypatch.setattr(gateway.sms.inbound.store.sms, "record_inbound", fails_at_first)
    sms_send("Hello")
    sql = "SELECT body, handling, participant_id FROM inbound_messages"
    [row] = list(sms_db.query(sql))
    assert (row["body"], row["handling"]) == ("Hello", "error")
    assert (row["participant_id"] is not None) is with_sender


@pytest.mark.parametrize(
    "error_code, kept",
    [("30003", "30003"), ("9" * 40, None), ("<b>", None), ("30003\n", None)],
)
def test_a_status_error_code_is_bounded(sms_post, sms_db, error_code, kept):
    """A report for a message not yet marked sent waits with its error code."""
    sid = "SM" + "1" * 32
    body = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": error_code}
    assert sms_post("/sms/status", body).status_code == 204
    [row] = list(sms_db.query("SELECT status, error_code FROM early_statuses"))
    assert row == {"status": "undelivered", "error_code": kept}


@pytest.mark.parametrize("sid", ["SM" + "a" * 500, "SM" + "1" * 32 + "\n", "SM 1"])
def test_an_overlong_or_odd_message_sid_is_refused(sms_post, sms_db, sid):
    response = sms_post(INBOUND, form("Hello", sid=sid))
    assert response.status_code == 400
    assert count(sms_db, "inbound_messages") == 0


# Long words ---------------------------------------------------------------------


def test_a_long_answer_is_cut_to_the_step_and_the_person_is_told(sms_send, sms_db):
    sms_send("Hello")
    sms_send("1")  # very good; the next step asks why, in up to 500 letters
    reply = said(sms_send(LONG))
    [response] = responses(sms_db)
    why = answered(sms_db, response["id"])["why"]
    assert len(why["value"]) == 500
    assert LONG.startswith(why["value"])
    assert any("We kept the first 500 letters of it." in text for text in reply)


def test_a_short_answer_gets_no_such_note(sms_send):
    sms_send("Hello")
    sms_send("1")
    assert not any("We kept" in text for text in said(sms_send("Kind staff")))


def test_opening_texts_are_capped(sms_app, sms_db, now):
    from gateway.conversations import keep_message

    response_id = keep_message(
        sms_db,
        sms_app.extensions["gateway"],
        channel="sms",
        participant_id=None,
        text="y" * (TEXT_LIMIT * 4),
        now=now,
        reason="message_only",
    )
    [row] = list(
        sms_db.query("SELECT opening_text FROM responses WHERE id = ?", [response_id])
    )
    assert row["opening_text"] == "y" * TEXT_LIMIT


def test_raw_answers_are_capped_in_the_engine(now):
    from flows.engine import advance_session, start_session
    from flows.loader import parse_flow
    from tests.conftest import flow_text

    flow = parse_flow(
        flow_text("""
        - id: rating
          kind: number
          text: How many?
          min: 0
          max: 10
        """)
    )
    state = start_session(flow, "sms", "en", now).state
    outcome = advance_session(flow, state, "z" * (TEXT_LIMIT * 4), now)
    outcome = advance_session(flow, outcome.state, "w" * (TEXT_LIMIT * 4), now)
    [answer] = outcome.state.answers
    assert answer.raw == "w" * TEXT_LIMIT
