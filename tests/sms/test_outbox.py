"""The outbox worker against the real twilio client and a fake Twilio on 127.0.0.1:
invitations, opt-outs, quiet hours, priority, rate, retries, leases, status callbacks.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.formats import iso, parse_iso
from gateway import create_app, store
from gateway.backoff import backoff_seconds
from gateway.db import write_txn
from gateway.privacy import pseudonym
from gateway.sms import outbox
from gateway.sms.invitations import queue_invitations
from gateway.sms.replies import privacy_line
from gateway.sms.sender import TwilioSender

LONDON = ZoneInfo("Europe/London")
FIRST_QUESTION = "Overall, how was your experience of our service?"
STAFF, ALERT = "+447700900199", "Duty alert: check the portal"


@pytest.fixture
def sleeps() -> list:
    return []  # the seconds the worker asked to sleep


@pytest.fixture
def make_worker(sms_app, sms_config, sms_db, worker_clock, sleeps):
    """An OutboxWorker on the fake worker_clock; settings override the SMS config."""
    senders = []

    def make(**settings) -> outbox.OutboxWorker:
        app = create_app({**sms_config, **settings}) if settings else sms_app
        senders.append(TwilioSender(app.config))
        sms_runtime = app.extensions["gateway"]
        return outbox.OutboxWorker(
            sms_db,
            sms_runtime,
            senders[-1],
            worker_clock.now,
            sleeps.append,
            random.Random(1),
        )

    yield make
    for sender in senders:
        sender.close()  # the client keeps a pooled connection open


@pytest.fixture
def worker(make_worker):
    return make_worker()


def person(sms_db, sms_runtime, phone: str, now: datetime) -> str:
    participant_id = pseudonym(sms_runtime.pseudonym_key, phone)
    with write_txn(sms_db):
        store.core.ensure_participant(sms_db, participant_id, iso(now), phone=phone)
    return participant_id


def queue(sms_db, participant_id, now, body="Hello", priority=0) -> str:
    fields = {"participant_id": participant_id, "now": iso(now), "body": body}
    kind = "alert" if priority else "message"
    with write_txn(sms_db):
        return store.outbox.enqueue(sms_db, kind=kind, priority=priority, **fields)


def message_to(sms_db, sms_runtime, phone: str, now: datetime) -> str:
    return queue(sms_db, person(sms_db, sms_runtime, phone, now), now)


def invite(sms_db, sms_runtime, numbers: list[str], now: datetime) -> list[str]:
    report = queue_invitations(
        sms_db, sms_runtime, "friends-and-family", enumerate(numbers, start=1), now
    )
    assert report.queued == len(numbers)
    rows = sms_db.query("SELECT id FROM outbox WHERE kind = 'invite' ORDER BY id")
    return [r["id"] for r in rows]


def row(sms_db, message_id: str) -> dict:
    return next(sms_db.query("SELECT * FROM outbox WHERE id = ?", [message_id]))


def test_an_invitation_goes_to_the_current_number_and_starts_the_conversation(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    [message_id] = invite(sms_db, sms_runtime, ["07700 900101"], worker_clock.now())
    participant_id = pseudonym(sms_runtime.pseudonym_key, "+447700900101")
    with write_txn(sms_db):  # the person changes their number before it goes
        sms_db.execute(
            "UPDATE participant_numbers SET phone = ? WHERE participant_id = ?",
            ["+447700900102", participant_id],
        )
    assert worker.send_due() == {"sent": 1}
    [sent] = fake_twilio.messages
    assert (sent["to"], sent["from"]) == ("+447700900102", "+447700900000")
    assert sent["body"].startswith(privacy_line(sms_runtime) + "\n\n")
    assert FIRST_QUESTION in sent["body"]
    session = store.conversations.find_open_session(sms_db, participant_id, "sms")
    assert session is not None and session.state.flow_id == "friends-and-family"
    stored = row(sms_db, message_id)
    assert stored["response_id"] == session.response_id
    assert (stored["status"], stored["provider_sid"]) == ("queued", sent["sid"])
    everything = str(list(sms_db.query("SELECT * FROM outbox")))
    assert "7700900101" not in everything and "7700900102" not in everything


def test_stop_cancels_what_waits_and_nothing_is_ever_sent(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock, sms_post
):
    phone = "+447700900111"
    participant_id = person(sms_db, sms_runtime, phone, worker_clock.now())
    waiting = [*invite(sms_db, sms_runtime, [phone], worker_clock.now())]
    waiting.append(queue(sms_db, participant_id, worker_clock.now(), body="A reminder"))
    stop = {"MessageSid": "SM" + "1" * 32, "From": phone, "Body": "STOP"}
    assert sms_post("/sms/inbound", stop).status_code == 200
    assert [row(sms_db, m)["status"] for m in waiting] == ["cancelled", "cancelled"]
    later = queue(sms_db, participant_id, worker_clock.now(), body="After the opt-out")
    worker_clock.advance(days=2)
    assert worker.send_due() == {}
    assert fake_twilio.attempts == []
    assert row(sms_db, later)["status"] == "pending"
    assert store.sms.participant(sms_db, participant_id)["opted_out_at"] is not None


def test_twilio_21610_opts_the_person_out_and_cancels_their_other_messages(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    gone = person(sms_db, sms_runtime, "+447700900112", worker_clock.now())
    other = person(sms_db, sms_runtime, "+447700900113", worker_clock.now())
    first, second, third = (queue(sms_db, gone, worker_clock.now()) for _ in range(3))
    theirs = queue(sms_db, other, worker_clock.now())
    fake_twilio.then(status=400, code=21610)
    assert worker.send_due() == {"opted_out": 1, "sent": 1}
    assert store.sms.participant(sms_db, gone)["opted_out_at"] == iso(
        worker_clock.now()
    )
    assert row(sms_db, first)["status"] == "failed"
    assert "21610" in row(sms_db, first)["last_error"]
    assert [row(sms_db, m)["status"] for m in (second, third)] == ["cancelled"] * 2
    assert row(sms_db, theirs)["status"] == "queued"
    assert [m["to"] for m in fake_twilio.messages] == ["+447700900113"]
    assert len(fake_twilio.attempts) == 2


@pytest.mark.parametrize(
    "evening, morning",
    [
        (datetime(2026, 7, 15, 22, 30), datetime(2026, 7, 16, 9, 0)),  # BST
        (datetime(2026, 1, 15, 22, 30), datetime(2026, 1, 16, 9, 0)),  # GMT
    ],
    ids=["summer-time", "winter"],
)
def test_quiet_hours_hold_ordinary_messages_but_not_alerts(
    sms_db, sms_runtime, make_worker, fake_twilio, worker_clock, evening, morning
):
    worker = make_worker(QUIET_HOURS="21:00-09:00", TIMEZONE="Europe/London")
    worker_clock.at_london(evening)
    ordinary = invite(
        sms_db, sms_runtime, ["+447700900121", "+447700900122"], worker_clock.now()
    )
    alert = queue(
        sms_db,
        person(sms_db, sms_runtime, STAFF, worker_clock.now()),
        worker_clock.now(),
        ALERT,
        1,
    )
    assert worker.send_due() == {"sent": 1}
    assert [m["to"] for m in fake_twilio.messages] == [STAFF]
    assert [row(sms_db, m)["status"] for m in ordinary] == ["pending", "pending"]
    assert row(sms_db, alert)["status"] == "queued"
    worker_clock.at_london(morning - timedelta(minutes=1))
    assert worker.send_due() == {}
    worker_clock.at_london(morning)
    assert worker.send_due() == {"sent": 2}
    to = {m["to"] for m in fake_twilio.messages[1:]}
    assert to == {"+447700900121", "+447700900122"}


def test_a_priority_alert_jumps_the_queue(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    numbers = [f"+4477009002{n:02d}" for n in range(50)]
    invite(sms_db, sms_runtime, numbers, worker_clock.now())
    queue(
        sms_db,
        person(sms_db, sms_runtime, STAFF, worker_clock.now()),
        worker_clock.now(),
        ALERT,
        1,
    )
    assert worker.send_due() == {"sent": 51}
    first = fake_twilio.messages[0]
    assert (first["to"], first["body"]) == (STAFF, ALERT)
    assert [m["to"] for m in fake_twilio.messages[1:]] == numbers


@pytest.mark.parametrize("rate", [1, 4])
def test_the_worker_paces_sends_at_the_outbox_rate(
    sms_db, sms_runtime, make_worker, sleeps, worker_clock, rate
):
    worker = make_worker(OUTBOX_RATE=float(rate))
    invite(
        sms_db,
        sms_runtime,
        [f"+4477009003{n:02d}" for n in range(3)],
        worker_clock.now(),
    )
    assert worker.send_due() == {"sent": 3}
    assert sleeps == [pytest.approx(1 / rate)] * 3


def test_429_waits_at_least_retry_after(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    message_id = message_to(sms_db, sms_runtime, "+447700900131", worker_clock.now())
    fake_twilio.then(status=429, retry_after="120")
    assert worker.send_due() == {"retry": 1}
    stored = row(sms_db, message_id)
    assert stored["status"] == "pending" and "429" in stored["last_error"]
    wait = parse_iso(stored["next_attempt_at"]) - worker_clock.now()
    assert wait >= timedelta(seconds=120)


@pytest.mark.parametrize("failure", [{"status": 500}, {"drop": True}])
def test_retryable_failures_back_off_with_full_jitter_then_send_once(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock, failure
):
    message_id = message_to(sms_db, sms_runtime, "+447700900132", worker_clock.now())
    tries, waits = 9, []  # the ceiling doubles from 30 s and reaches the cap
    for _ in range(tries):
        fake_twilio.then(**failure)
    replay = random.Random(1)  # the worker's rng, replayed
    for attempt in range(1, tries + 1):
        assert worker.send_due() == {"retry": 1}
        stored = row(sms_db, message_id)
        assert (stored["status"], stored["attempts"]) == ("pending", attempt)
        wait = (
            parse_iso(stored["next_attempt_at"]) - worker_clock.now()
        ).total_seconds()
        ceiling = min(outbox.BACKOFF_CAP_SECONDS, 30 * 2 ** (attempt - 1))
        assert 1 <= wait <= ceiling <= 3600
        assert wait == math.floor(
            backoff_seconds(
                attempt,
                outbox.BACKOFF_CAP_SECONDS,
                None,
                first=outbox.BACKOFF_FIRST_SECONDS,
                rng=replay,
            )
        )
        waits.append(wait)
        worker_clock.advance(seconds=wait - 1)
        assert worker.send_due() == {}  # not due yet
        worker_clock.advance(seconds=1)
    assert max(waits[:2]) <= 60 < 30 * 2**5 < max(waits[-3:])  # it grew
    assert worker.send_due() == {"sent": 1}
    assert worker.send_due() == {}
    assert len(fake_twilio.messages) == 1
    assert len(fake_twilio.attempts) == tries + 1
    assert row(sms_db, message_id)["status"] == "queued"


def test_a_permanent_error_fails_at_once(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    message_id = message_to(sms_db, sms_runtime, "+447700900133", worker_clock.now())
    fake_twilio.then(status=400, code=21211)
    assert worker.send_due() == {"failed": 1}
    assert row(sms_db, message_id)["status"] == "failed"
    assert "21211" in row(sms_db, message_id)["last_error"]
    worker_clock.advance(days=1)
    assert worker.send_due() == {}
    assert len(fake_twilio.attempts) == 1


def test_retries_give_up_after_the_give_up_hours(
    sms_db, sms_runtime, make_worker, fake_twilio, worker_clock
):
    worker = make_worker(OUTBOX_GIVE_UP_HOURS=6)
    message_id = message_to(sms_db, sms_runtime, "+447700900134", worker_clock.now())
    fake_twilio.then(status=503).then(status=503)
    assert worker.send_due() == {"retry": 1}
    worker_clock.advance(hours=6)
    assert worker.send_due() == {"failed": 1}
    stored = row(sms_db, message_id)
    assert stored["status"] == "failed" and "gave up" in stored["last_error"]
    worker_clock.advance(days=1)
    assert worker.send_due() == {}
    assert fake_twilio.messages == [] and len(fake_twilio.attempts) == 2


def test_a_claim_whose_worker_died_is_sent_after_the_lease(
    sms_db, sms_runtime, worker, fake_twilio, worker_clock
):
    [message_id] = invite(sms_db, sms_runtime, ["+447700900135"], worker_clock.now())
    with write_txn(sms_db):  # claimed by a worker that then died
        store.outbox.claim(
            sms_db,
            message_id,
            iso(worker_clock.now()),
            iso(worker_clock.now() + outbox.LEASE),
        )
    worker_clock.advance(minutes=4, seconds=59)
    assert worker.send_due() == {}
    worker_clock.advance(seconds=1)
    assert worker.send_due() == {"sent": 1}
    assert worker.send_due() == {}
    assert [m["to"] for m in fake_twilio.messages] == ["+447700900135"]
    assert row(sms_db, message_id)["attempts"] == 2


@pytest.fixture
def sent(sms_db, sms_runtime, worker, worker_clock) -> dict:
    """One message sent to a person who has another one waiting."""
    participant_id = person(sms_db, sms_runtime, "+447700900141", worker_clock.now())
    message_id = queue(sms_db, participant_id, worker_clock.now())
    assert worker.send_due() == {"sent": 1}
    waiting = queue(sms_db, participant_id, worker_clock.now(), body="Another")
    sid = row(sms_db, message_id)["provider_sid"]
    return {"id": message_id, "sid": sid, "pid": participant_id, "waiting": waiting}


def test_status_moves_forward_and_never_back(sms_db, sent, sms_post):
    steps = [("queued", "queued"), ("sent", "sent"), ("delivered", "delivered")]
    steps.append(("sent", "delivered"))  # a late report does not move it back
    for reported, expected in steps:
        data = {"MessageSid": sent["sid"], "MessageStatus": reported}
        assert sms_post("/sms/status", data).status_code == 204
        assert row(sms_db, sent["id"])["status"] == expected


@pytest.mark.parametrize(
    "data, kwargs, code",
    [
        ({"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}, {}, 204),
        (None, {"sign": False}, 403),
        (None, {"sign": False, "headers": {"X-Twilio-Signature": "bad"}}, 403),
        (None, {"url": "http://localhost/sms/inbound"}, 403),
        ({"MessageSid": "SID"}, {}, 400),
    ],
    ids=["unknown-sid", "unsigned", "bad-signature", "signed-elsewhere", "no-status"],
)
def test_status_callbacks_that_change_nothing(
    sms_db, sent, sms_post, data, kwargs, code
):
    data = data or {"MessageSid": sent["sid"], "MessageStatus": "delivered"}
    data = {k: (sent["sid"] if v == "SID" else v) for k, v in data.items()}
    before = list(sms_db.query("SELECT * FROM outbox ORDER BY id"))
    assert sms_post("/sms/status", data, **kwargs).status_code == code
    assert list(sms_db.query("SELECT * FROM outbox ORDER BY id")) == before
    assert store.sms.participant(sms_db, sent["pid"])["opted_out_at"] is None


def test_a_21610_status_opts_the_person_out(sms_db, sent, sms_post):
    data = {"MessageSid": sent["sid"], "MessageStatus": "failed", "ErrorCode": "21610"}
    assert sms_post("/sms/status", data).status_code == 204
    assert store.sms.participant(sms_db, sent["pid"])["opted_out_at"] is not None
    assert row(sms_db, sent["id"])["status"] == "failed"
    assert row(sms_db, sent["waiting"])["status"] == "cancelled"


def test_the_outbox_page_shows_pseudonyms_on_this_machine_only(
    sms_db, sms_runtime, sms_app, worker_clock
):
    invite(sms_db, sms_runtime, ["07700 900151"], worker_clock.now())
    participant_id = pseudonym(sms_runtime.pseudonym_key, "+447700900151")
    client = sms_app.test_client()
    page = client.get("/sms/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert participant_id[:12] in text and "pending: 1" in text
    assert "the first question of friends-and-family" in text
    assert "900151" not in text and "900 151" not in text
    remote = client.get("/sms/outbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 404
