"""Group commit of inbound SMS: a slow write answers 503 and never doubles, a broken
database fails the webhook instead of hanging it."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

import gateway.db
from gateway.db import connect
from gateway.sms import writer as sms_writer
from gateway.sms.inbound import InboundSms
from gateway.sms.writer import InboundWriter

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


@pytest.mark.parametrize("busy_timeout", [30, 0.1], ids=["lock-wait", "lock-retry"])
def test_a_write_that_waits_too_long_answers_503_then_replies_by_text_once(
    sms_app, sms_post, sms_db, monkeypatch, busy_timeout, caplog
):
    """Twilio stops waiting at 15 s. The message is still written exactly once,
    even when the lock is held past SQLite's busy timeout (the batch is tried
    again, not dropped), and its reply goes by the outbox instead."""
    monkeypatch.setattr(sms_writer, "WAIT_SECONDS", 0.3)
    monkeypatch.setattr(gateway.db, "BUSY_TIMEOUT_SECONDS", busy_timeout)
    blocker = connect(sms_app.config["DATABASE"])
    try:
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        busy = sms_post("/sms/inbound", MESSAGE)
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        time.sleep(0.5)  # long enough for the writer to be refused and retry
        blocker.conn.execute("COMMIT")
    finally:
        blocker.close()
    wait_until(lambda: sms_db["inbound_messages"].count == 1)
    queued = list(sms_db.query("SELECT kind, priority, body FROM outbox"))
    assert len(queued) == 1
    assert queued[0]["kind"] == "reply" and queued[0]["priority"] == 1
    assert "Overall, how was your experience" in queued[0]["body"]
    retry = sms_post("/sms/inbound", MESSAGE)  # if Twilio retries the same message
    assert retry.status_code == 200
    assert retry.get_data(as_text=True).endswith("<Response />")  # not said twice
    assert sms_db["inbound_messages"].count == 1
    assert sms_db["responses"].count == 1
    assert sms_db["outbox"].count == 1
    retried = any("database is busy" in r.getMessage() for r in caplog.records)
    assert retried == (busy_timeout < 0.3)  # the short timeout forced a retry


def test_a_database_that_cannot_be_opened_fails_the_webhook_at_once(sms_app, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    writer = InboundWriter(
        str(not_a_folder / "gateway.sqlite3"), sms_app.extensions["gateway"]
    )
    message = InboundSms("SMbroken1", "+447700900123", "Hello")
    with pytest.raises(OSError):
        writer.submit(message, datetime.now(UTC))
