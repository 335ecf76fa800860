"""The outbox when things go wrong: bad invitations, busy people, failing sends,
a provider's Retry-After, lists run twice or very long, and settings written wrong.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

import pytest

from flows.formats import iso, parse_iso
from gateway import store
from gateway.backoff import backoff_seconds
from gateway.config import ConfigError, load_config
from gateway.conversations import close_conversation, start_conversation
from gateway.db import write_txn
from gateway.privacy import pseudonym
from gateway.sms import invitations, outbox
from gateway.sms.invitations import numbers_in, queue_invitations
from gateway.sms.quiet_hours import quiet_until
from gateway.sms.sender import TwilioSender

FLOW = "friends-and-family"
FIRST_QUESTION = "Overall, how was your experience of our service?"


@pytest.fixture
def worker(sms_app, sms_db, sms_runtime, worker_clock):
    sender = TwilioSender(sms_app.config)
    sleeps: list[float] = []
    yield outbox.OutboxWorker(
        sms_db, sms_runtime, sender, worker_clock.now, sleeps.append, random.Random(1)
    )
    sender.close()  # the client keeps a pooled connection open


def person(sms_db, sms_runtime, phone: str, now: datetime) -> str:
    participant_id = pseudonym(sms_runtime.pseudonym_key, phone)
    with write_txn(sms_db):
        store.core.ensure_participant(sms_db, participant_id, iso(now), phone=phone)
    return participant_id


def enqueue(sms_db, participant_id: str, now: datetime, **fields) -> str:
    with write_txn(sms_db):
        return store.outbox.enqueue(
            sms_db, participant_id=participant_id, now=iso(now), **fields
        )


def invite(sms_db, sms_runtime, phone: str, now: datetime) -> tuple[str, str]:
    """Queue one invitation; return (participant id, outbox id)."""
    report = queue_invitations(sms_db, sms_runtime, FLOW, [(1, phone)], now)
    assert report.queued == 1
    participant_id = pseudonym(sms_runtime.pseudonym_key, phone)
    [found] = sms_db.query(
        "SELECT id FROM outbox WHERE participant_id = ? AND kind = 'invite'",
        [participant_id],
    )
    return participant_id, found["id"]


def row(sms_db, message_id: str) -> dict:
    return next(sms_db.query("SELECT * FROM outbox WHERE id = ?", [message_id]))


def test_an_invitation_to_an_unloaded_flow_fails_alone(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    broken = person(sms_db, sms_runtime, "+447700900401", worker_clock.now())
    bad = enqueue(
        sms_db, broken, worker_clock.now(), kind="invite", flow_id="no-such-flow"
    )
    other = person(sms_db, sms_runtime, "+447700900402", worker_clock.now())
    good = enqueue(sms_db, other, worker_clock.now(), kind="message", body="Thank you")
    assert worker.send_due() == {"sent": 1}
    assert [(m["to"], m["body"]) for m in fake_twilio.messages] == [
        ("+447700900402", "Thank you")
    ]
    assert row(sms_db, good)["status"] == "queued"
    failed = row(sms_db, bad)
    assert failed["status"] == "failed" and "not loaded" in failed["last_error"]
    worker_clock.advance(days=1)
    assert worker.send_due() == {}
    assert len(fake_twilio.attempts) == 1


def test_an_invitation_waits_while_its_person_is_mid_conversation(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    participant_id, message_id = invite(
        sms_db, sms_runtime, "+447700900411", worker_clock.now()
    )
    busy = start_conversation(
        sms_db,
        sms_runtime,
        channel="sms",
        now=worker_clock.now(),
        participant_id=participant_id,
    )
    for _ in range(2):
        assert worker.send_due() == {}
        held = row(sms_db, message_id)
        assert held["status"] == "pending"
        assert held["last_error"].startswith("waiting")
        assert held["first_failed_at"] is None  # waiting is not failing
        assert parse_iso(held["next_attempt_at"]) == worker_clock.now() + timedelta(
            hours=1
        )
        worker_clock.advance(hours=1)
    assert fake_twilio.attempts == []
    open_now = store.conversations.find_open_session(sms_db, participant_id, "sms")
    assert open_now.response_id == busy.response_id  # their conversation untouched
    close_conversation(
        sms_db, sms_runtime, busy.response_id, worker_clock.now(), "expired"
    )
    assert worker.send_due() == {"sent": 1}
    assert FIRST_QUESTION in fake_twilio.messages[0]["body"]
    assert row(sms_db, message_id)["first_failed_at"] is None


def test_an_invitations_conversation_starts_only_once_it_is_sent(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    participant_id, message_id = invite(
        sms_db, sms_runtime, "+447700900421", worker_clock.now()
    )
    fake_twilio.then(status=500)
    assert worker.send_due() == {"retry": 1}
    assert store.conversations.find_open_session(sms_db, participant_id, "sms") is None
    assert store.sms.participant(sms_db, participant_id)["privacy_notice_at"] is None
    assert row(sms_db, message_id)["response_id"] is None
    worker_clock.moment = parse_iso(row(sms_db, message_id)["next_attempt_at"])
    assert worker.send_due() == {"sent": 1}
    session = store.conversations.find_open_session(sms_db, participant_id, "sms")
    assert session is not None and session.state.flow_id == FLOW
    sent = row(sms_db, message_id)
    assert sent["response_id"] == session.response_id
    assert sent["body"] == fake_twilio.messages[0]["body"]
    notice = store.sms.participant(sms_db, participant_id)["privacy_notice_at"]
    assert notice == iso(worker_clock.now())
    [response] = sms_db.query("SELECT status, opening_text FROM responses")
    assert response == {"status": "open", "opening_text": None}


def test_giving_up_counts_from_the_first_failure_not_from_queueing(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    give_up = sms_runtime.config["OUTBOX_GIVE_UP_HOURS"]
    queued_at = worker_clock.now() - timedelta(hours=give_up + 1)  # a long backlog
    participant_id = person(sms_db, sms_runtime, "+447700900431", queued_at)
    message_id = enqueue(sms_db, participant_id, queued_at, kind="message", body="Hi")
    for _ in range(3):
        fake_twilio.then(status=500)
    first_failure = worker_clock.now()
    assert worker.send_due() == {"retry": 1}
    retried = row(sms_db, message_id)
    assert retried["status"] == "pending"
    assert retried["first_failed_at"] == iso(first_failure)
    worker_clock.moment = first_failure + timedelta(hours=give_up - 1)
    assert worker.send_due() == {"retry": 1}
    assert row(sms_db, message_id)["first_failed_at"] == iso(first_failure)
    worker_clock.moment = first_failure + timedelta(hours=give_up, seconds=1)
    assert worker.send_due() == {"failed": 1}
    failed = row(sms_db, message_id)
    assert failed["status"] == "failed" and "gave up" in failed["last_error"]
    assert fake_twilio.messages == [] and len(fake_twilio.attempts) == 3


def first_retry_wait(retry_after: float | None) -> float:
    """The worker's wait after a message's first failed send."""
    return backoff_seconds(
        1,
        outbox.BACKOFF_CAP_SECONDS,
        retry_after,
        first=outbox.BACKOFF_FIRST_SECONDS,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("retry_after", [float("inf"), float("nan"), 10**9, 86_400.0])
def test_retry_after_is_trusted_only_up_to_the_cap(retry_after):
    wait = first_retry_wait(retry_after)
    assert 1 <= wait <= outbox.BACKOFF_CAP_SECONDS


@pytest.mark.parametrize("retry_after", [120, 120.5, 3600])
def test_a_reasonable_retry_after_is_waited_in_full(retry_after):
    assert first_retry_wait(retry_after) >= retry_after


def test_a_huge_retry_after_from_twilio_waits_at_most_the_cap(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    participant_id = person(sms_db, sms_runtime, "+447700900441", worker_clock.now())
    message_id = enqueue(
        sms_db, participant_id, worker_clock.now(), kind="message", body="Hi"
    )
    fake_twilio.then(status=429, retry_after="999999999")
    assert worker.send_due() == {"retry": 1}
    wait = parse_iso(row(sms_db, message_id)["next_attempt_at"]) - worker_clock.now()
    assert wait <= timedelta(seconds=outbox.BACKOFF_CAP_SECONDS)


def count(sms_db, table: str) -> int:
    return next(sms_db.query(f"SELECT count(*) AS n FROM {table}"))["n"]  # noqa: S608


def test_running_the_same_list_again_queues_nothing_new(sms_db, sms_runtime, now):
    text = "name,mobile\nA,07700 900451\nB,07700 900452\nC,+447700900453\n"
    first = queue_invitations(
        sms_db, sms_runtime, FLOW, numbers_in(io.StringIO(text)), now
    )
    assert first.queued == 3
    again = queue_invitations(
        sms_db, sms_runtime, FLOW, numbers_in(io.StringIO(text)), now
    )
    assert again.queued == 0
    assert again.already_queued_lines == [2, 3, 4]
    assert count(sms_db, "outbox") == 3


def test_an_opted_out_number_is_not_written_again(sms_db, sms_runtime, now):
    phone = "+447700900461"
    participant_id = person(sms_db, sms_runtime, phone, now)
    with write_txn(sms_db):
        store.sms.set_opted_out(sms_db, participant_id, iso(now))
        sms_db.execute(
            "DELETE FROM participant_numbers WHERE participant_id = ?", [participant_id]
        )
    report = queue_invitations(sms_db, sms_runtime, FLOW, [(1, "07700 900461")], now)
    assert (report.queued, report.opted_out_lines) == (0, [1])
    assert store.sms.phone_for(sms_db, participant_id) is None
    assert count(sms_db, "participant_numbers") == 0 and count(sms_db, "outbox") == 0


def test_a_long_list_is_queued_completely_a_chunk_at_a_time(
    sms_db, sms_runtime, now, monkeypatch
):
    # Ofcom keeps only 1,000 mobile numbers for drama, so the chunks are smaller.
    monkeypatch.setattr(invitations, "CHUNK", 400)
    numbers = [f"+447700900{n:03d}" for n in range(1000)]
    lines = list(enumerate(numbers, start=1))
    lines.insert(500, (501, "not a number"))
    lines.append((1002, numbers[0]))  # the same person twice
    begins: list[str] = []
    sms_db.conn.set_trace_callback(begins.append)
    try:
        report = queue_invitations(sms_db, sms_runtime, FLOW, lines, now)
    finally:
        sms_db.conn.set_trace_callback(None)
    assert report.queued == 1000
    assert (report.invalid_lines, report.duplicate_lines) == (
        {501: "not a phone number"},
        [1002],
    )
    assert (
        count(sms_db, "outbox") == 1000 and count(sms_db, "participant_numbers") == 1000
    )
    assert [s for s in begins if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"] * 3


@pytest.mark.parametrize(
    "variable, value",
    [
        ("GATEWAY_QUIET_HOURS", "21:00+01:00-09:00"),
        ("GATEWAY_QUIET_HOURS", "9pm-9am"),
        ("GATEWAY_QUIET_HOURS", "25:00-09:00"),
        ("GATEWAY_TIMEZONE", "Mars/Base"),
    ],
)
def test_settings_written_wrong_are_refused_by_name(tmp_path, variable, value):
    environ = {"GATEWAY_INSTANCE_PATH": str(tmp_path), variable: value}
    with pytest.raises(ConfigError, match=variable):
        load_config(environ)


def test_empty_quiet_hours_means_none(tmp_path, now):
    environ = {"GATEWAY_INSTANCE_PATH": str(tmp_path), "GATEWAY_QUIET_HOURS": ""}
    config = load_config(environ)
    assert config["QUIET_HOURS"] == ""
    late = now.replace(hour=23)
    assert quiet_until(late, config["QUIET_HOURS"], config["TIMEZONE"]) is None


def early_report(sms_post, sid: str, status: str, error_code: str | None = None):
    form = {"MessageSid": sid, "MessageStatus": status}
    if error_code:
        form["ErrorCode"] = error_code
    answer = sms_post("/sms/status", form)
    assert answer.status_code == 204


@pytest.mark.parametrize(
    "reports",
    [["delivered"], ["sent", "delivered"], ["delivered", "sent"]],
    ids=["one", "in-order", "out-of-order"],
)
def test_a_report_that_beats_the_send_record_is_applied_when_it_lands(
    sms_db, sms_runtime, now, sms_post, reports
):
    message_id = enqueue(
        sms_db,
        person(sms_db, sms_runtime, "+447700900301", now),
        now,
        kind="message",
        body="Thank you for your views.",
    )
    for status in reports:  # Twilio reported before the worker wrote the sid down
        early_report(sms_post, "SMearly1", status)
    assert row(sms_db, message_id)["status"] == "pending"
    with write_txn(sms_db):
        store.outbox.mark_sent(sms_db, message_id, "SMearly1", "queued", iso(now))
    assert row(sms_db, message_id)["status"] == "delivered"
    assert count(sms_db, "early_statuses") == 0


def test_an_early_opt_out_report_still_opts_the_person_out(
    sms_db, sms_runtime, now, sms_post
):
    participant_id = person(sms_db, sms_runtime, "+447700900302", now)
    first = enqueue(sms_db, participant_id, now, kind="message", body="One")
    second = enqueue(sms_db, participant_id, now, kind="message", body="Two")
    early_report(sms_post, "SMearly2", "failed", "21610")
    with write_txn(sms_db):
        outbox.record_sent(sms_db, first, "SMearly2", "queued", iso(now))
    assert row(sms_db, first)["status"] == "failed"
    assert "21610" in row(sms_db, first)["last_error"]
    assert store.sms.participant(sms_db, participant_id)["opted_out_at"] is not None
    assert row(sms_db, second)["status"] == "cancelled"
