"""Group commit of inbound SMS: a slow write answers 503 and never doubles, a broken
database fails the webhook instead of hanging it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from gateway import sms_writer
from gateway.db import connect
from gateway.sms_inbound import InboundSms
from gateway.sms_writer import InboundWriter

MESSAGE = {
    "MessageSid": "SMslow1",
    "From": "+447700900123",
    "Body": "Hello",
    "NumMedia": "0",
}


def wait_until(condition, attempts: int = 200) -> None:
    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never came true")


def test_a_write_that_waits_too_long_answers_503_then_counts_once(
    sms_app, sms_post, sms_db, monkeypatch
):
    monkeypatch.setattr(sms_writer, "WAIT_SECONDS", 0.3)
    blocker = connect(sms_app.config["DATABASE"])
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        busy = sms_post("/sms/inbound", MESSAGE)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        blocker.conn.execute("COMMIT")
    finally:
        blocker.close()
    # The message was still queued: it is written once the lock is free.
    wait_until(lambda: sms_db["inbound_messages"].count == 1)
    retry = sms_post("/sms/inbound", MESSAGE)  # Twilio retries the same message
    assert retry.status_code == 200
    assert "Overall, how was your experience" in retry.get_data(as_text=True)
    stored = next(sms_db.query("SELECT reply FROM inbound_messages"))["reply"]
    assert retry.get_data(as_text=True) == stored
    assert sms_db["inbound_messages"].count == 1
    assert sms_db["responses"].count == 1


def test_a_database_that_cannot_be_opened_fails_the_webhook_at_once(sms_app, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    writer = InboundWriter(
        str(not_a_folder / "gateway.sqlite3"), sms_app.extensions["gateway"]
    )
    message = InboundSms("SMbroken1", "+447700900123", "Hello")
    with pytest.raises(OSError):
        writer.submit(message, datetime.now(UTC))
