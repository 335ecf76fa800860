"""The outbox worker against the real twilio client and a fake Twilio on 127.0.0.1:
invitations, opt-outs, quiet hours, priority, rate, retries, leases, status callbacks.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from flows.engine import iso, parse_iso
from gateway import create_app, outbox, store
from gateway.db import write_txn
from gateway.invitations import queue_invitations
from gateway.privacy import pseudonym
from gateway.sms_inbound import privacy_line
from gateway.twilio_sender import TwilioSender

LONDON = ZoneInfo("Europe/London")
FIRST_QUESTION = "Overall, how was your experience of our service?"
STAFF, ALERT = "+447700900199", "Duty alert: check the portal"


class FakeClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)

    def at_london(self, local: datetime) -> None:
        self.moment = local.replace(tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def db(sms_db):
    return sms_db


@pytest.fixture
def runtime(sms_app):
    return sms_app.extensions["gateway"]


@pytest.fixture
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def sleeps() -> list:
    return []  # the seconds the worker asked to sleep


@pytest.fixture
def make_worker(sms_app, sms_config, db, clock, sleeps):
    """An OutboxWorker on the fake clock; settings override the SMS config."""
    senders = []

    def make(**settings) -> outbox.OutboxWorker:
        app = create_app({**sms_config, **settings}) if settings else sms_app
        senders.append(TwilioSender(app.config))
        runtime = app.extensions["gateway"]
        return outbox.OutboxWorker(
            db, runtime, senders[-1], clock.now, sleeps.append, random.Random(1)
        )

    yield make
    for sender in senders:
        sender.close()  # the client keeps a pooled connection open


@pytest.fixture
def worker(make_worker):
    return make_worker()


def person(db, runtime, phone: str, now: datetime) -> str:
    participant_id = pseudonym(runtime.pseudonym_key, phone)
    with write_txn(db):
        store.ensure_participant(db, participant_id, iso(now), phone=phone)
    return participant_id


def queue(db, participant_id, now, body="Hello", priority=0) -> str:
    fields = {"participant_id": participant_id, "now": iso(now), "body": body}
    kind = "alert" if priority else "message"
    with write_txn(db):
        return store.enqueue(db, kind=kind, priority=priority, **fields)


def message_to(db, runtime, phone: str, now: datetime) -> str:
    return queue(db, person(db, runtime, phone, now), now)


def invite(db, runtime, numbers: list[str], now: datetime) -> list[str]:
    report = queue_invitations(
        db, runtime, "friends-and-family", enumerate(numbers, start=1), now
    )
    assert report.queued == len(numbers)
    rows = db.query("SELECT id FROM outbox WHERE kind = 'invite' ORDER BY id")
    return [r["id"] for r in rows]


def row(db, message_id: str) -> dict:
    return next(db.query("SELECT * FROM outbox WHERE id = ?", [message_id]))


def test_an_invitation_goes_to_the_current_number_and_starts_the_conversation(
    db, runtime, worker, fake_twilio, clock
):
    [message_id] = invite(db, runtime, ["07700 900101"], clock.now())
    participant_id = pseudonym(runtime.pseudonym_key, "+447700900101")
    with write_txn(db):  # the person changes their number before it goes
        db.execute(
            "UPDATE participant_numbers SET phone = ? WHERE participant_id = ?",
            ["+447700900102", participant_id],
        )
    assert worker.send_due() == {"sent": 1}
    [sent] = fake_twilio.messages
    assert (sent["to"], sent["from"]) == ("+447700900102", "+447700900000")
    assert sent["body"].startswith(privacy_line(runtime) + "\n\n")
    assert FIRST_QUESTION in sent["body"]
    session = store.find_open_session(db, participant_id, "sms")
    assert session is not None and session.state.flow_id == "friends-and-family"
    stored = row(db, message_id)
    assert stored["response_id"] == session.response_id
    assert (stored["status"], stored["provider_sid"]) == ("queued", sent["sid"])
    everything = str(list(db.query("SELECT * FROM outbox")))
    assert "7700900101" not in everything and "7700900102" not in everything


def test_stop_cancels_what_waits_and_nothing_is_ever_sent(
    db, runtime, worker, fake_twilio, clock, sms_post
):
    phone = "+447700900111"
    participant_id = person(db, runtime, phone, clock.now())
    waiting = [*invite(db, runtime, [phone], clock.now())]
    waiting.append(queue(db, participant_id, clock.now(), body="A reminder"))
    stop = {"MessageSid": "SM" + "1" * 32, "From": phone, "Body": "STOP"}
    assert sms_post("/sms/inbound", stop).status_code == 200
    assert [row(db, m)["status"] for m in waiting] == ["cancelled", "cancelled"]
    later = queue(db, participant_id, clock.now(), body="After the opt-out")
    clock.advance(days=2)
    assert worker.send_due() == {}
    assert fake_twilio.attempts == []
    assert row(db, later)["status"] == "pending"
    assert store.participant(db, participant_id)["opted_out_at"] is not None


def test_twilio_21610_opts_the_person_out_and_cancels_their_other_messages(
    db, runtime, worker, fake_twilio, clock
):
    gone = person(db, runtime, "+447700900112", clock.now())
    other = person(db, runtime, "+447700900113", clock.now())
    first, second, third = (queue(db, gone, clock.now()) for _ in range(3))
    theirs = queue(db, other, clock.now())
    fake_twilio.then(status=400, code=21610)
    assert worker.send_due() == {"opted_out": 1, "sent": 1}
    assert store.participant(db, gone)["opted_out_at"] == iso(clock.now())
    assert row(db, first)["status"] == "failed"
    assert "21610" in row(db, first)["last_error"]
    assert [row(db, m)["status"] for m in (second, third)] == ["cancelled"] * 2
    assert row(db, theirs)["status"] == "queued"
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
    db, runtime, make_worker, fake_twilio, clock, evening, morning
):
    worker = make_worker(QUIET_HOURS="21:00-09:00", TIMEZONE="Europe/London")
    clock.at_london(evening)
    ordinary = invite(db, runtime, ["+447700900121", "+447700900122"], clock.now())
    alert = queue(db, person(db, runtime, STAFF, clock.now()), clock.now(), ALERT, 1)
    assert worker.send_due() == {"sent": 1}
    assert [m["to"] for m in fake_twilio.messages] == [STAFF]
    assert [row(db, m)["status"] for m in ordinary] == ["pending", "pending"]
    assert row(db, alert)["status"] == "queued"
    clock.at_london(morning - timedelta(minutes=1))
    assert worker.send_due() == {}
    clock.at_london(morning)
    assert worker.send_due() == {"sent": 2}
    to = {m["to"] for m in fake_twilio.messages[1:]}
    assert to == {"+447700900121", "+447700900122"}


def test_a_priority_alert_jumps_the_queue(db, runtime, worker, fake_twilio, clock):
    numbers = [f"+4477009002{n:02d}" for n in range(50)]
    invite(db, runtime, numbers, clock.now())
    queue(db, person(db, runtime, STAFF, clock.now()), clock.now(), ALERT, 1)
    assert worker.send_due() == {"sent": 51}
    first = fake_twilio.messages[0]
    assert (first["to"], first["body"]) == (STAFF, ALERT)
    assert [m["to"] for m in fake_twilio.messages[1:]] == numbers


@pytest.mark.parametrize("rate", [1, 4])
def test_the_worker_paces_sends_at_the_outbox_rate(
    db, runtime, make_worker, sleeps, clock, rate
):
    worker = make_worker(OUTBOX_RATE=float(rate))
    invite(db, runtime, [f"+4477009003{n:02d}" for n in range(3)], clock.now())
    assert worker.send_due() == {"sent": 3}
    assert sleeps == [pytest.approx(1 / rate)] * 3


def test_429_waits_at_least_retry_after(db, runtime, worker, fake_twilio, clock):
    message_id = message_to(db, runtime, "+447700900131", clock.now())
    fake_twilio.then(status=429, retry_after="120")
    assert worker.send_due() == {"retry": 1}
    stored = row(db, message_id)
    assert stored["status"] == "pending" and "429" in stored["last_error"]
    wait = parse_iso(stored["next_attempt_at"]) - clock.now()
    assert wait >= timedelta(seconds=120)


@pytest.mark.parametrize("failure", [{"status": 500}, {"drop": True}])
def test_retryable_failures_back_off_with_full_jitter_then_send_once(
    db, runtime, worker, fake_twilio, clock, failure
):
    message_id = message_to(db, runtime, "+447700900132", clock.now())
    tries, waits = 9, []  # the ceiling doubles from 30 s and reaches the cap
    for _ in range(tries):
        fake_twilio.then(**failure)
    replay = random.Random(1)  # the worker's rng, replayed
    for attempt in range(1, tries + 1):
        assert worker.send_due() == {"retry": 1}
        stored = row(db, message_id)
        assert (stored["status"], stored["attempts"]) == ("pending", attempt)
        wait = (parse_iso(stored["next_attempt_at"]) - clock.now()).total_seconds()
        ceiling = min(outbox.BACKOFF_CAP_SECONDS, 30 * 2 ** (attempt - 1))
        assert 1 <= wait <= ceiling <= 3600
        assert wait == math.floor(outbox.backoff_seconds(attempt, None, replay))
        waits.append(wait)
        clock.advance(seconds=wait - 1)
        assert worker.send_due() == {}  # not due yet
        clock.advance(seconds=1)
    assert max(waits[:2]) <= 60 < 30 * 2**5 < max(waits[-3:])  # it grew
    assert worker.send_due() == {"sent": 1}
    assert worker.send_due() == {}
    assert len(fake_twilio.messages) == 1
    assert len(fake_twilio.attempts) == tries + 1
    assert row(db, message_id)["status"] == "queued"


def test_a_permanent_error_fails_at_once(db, runtime, worker, fake_twilio, clock):
    message_id = message_to(db, runtime, "+447700900133", clock.now())
    fake_twilio.then(status=400, code=21211)
    assert worker.send_due() == {"failed": 1}
    assert row(db, message_id)["status"] == "failed"
    assert "21211" in row(db, message_id)["last_error"]
    clock.advance(days=1)
    assert worker.send_due() == {}
    assert len(fake_twilio.attempts) == 1


def test_retries_give_up_after_the_give_up_hours(
    db, runtime, make_worker, fake_twilio, clock
):
    worker = make_worker(OUTBOX_GIVE_UP_HOURS=6)
    message_id = message_to(db, runtime, "+447700900134", clock.now())
    fake_twilio.then(status=503).then(status=503)
    assert worker.send_due() == {"retry": 1}
    clock.advance(hours=6)
    assert worker.send_due() == {"failed": 1}
    stored = row(db, message_id)
    assert stored["status"] == "failed" and "gave up" in stored["last_error"]
    clock.advance(days=1)
    assert worker.send_due() == {}
    assert fake_twilio.messages == [] and len(fake_twilio.attempts) == 2


def test_a_claim_whose_worker_died_is_sent_after_the_lease(
    db, runtime, worker, fake_twilio, clock
):
    [message_id] = invite(db, runtime, ["+447700900135"], clock.now())
    with write_txn(db):  # claimed by a worker that then died
        store.claim(db, message_id, iso(clock.now()), iso(clock.now() + outbox.LEASE))
    clock.advance(minutes=4, seconds=59)
    assert worker.send_due() == {}
    clock.advance(seconds=1)
    assert worker.send_due() == {"sent": 1}
    assert worker.send_due() == {}
    assert [m["to"] for m in fake_twilio.messages] == ["+447700900135"]
    assert row(db, message_id)["attempts"] == 2


@pytest.fixture
def sent(db, runtime, worker, clock) -> dict:
    """One message sent to a person who has another one waiting."""
    participant_id = person(db, runtime, "+447700900141", clock.now())
    message_id = queue(db, participant_id, clock.now())
    assert worker.send_due() == {"sent": 1}
    waiting = queue(db, participant_id, clock.now(), body="Another")
    sid = row(db, message_id)["provider_sid"]
    return {"id": message_id, "sid": sid, "pid": participant_id, "waiting": waiting}


def test_status_moves_forward_and_never_back(db, sent, sms_post):
    steps = [("queued", "queued"), ("sent", "sent"), ("delivered", "delivered")]
    steps.append(("sent", "delivered"))  # a late report does not move it back
    for reported, expected in steps:
        data = {"MessageSid": sent["sid"], "MessageStatus": reported}
        assert sms_post("/sms/status", data).status_code == 204
        assert row(db, sent["id"])["status"] == expected


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
def test_status_callbacks_that_change_nothing(db, sent, sms_post, data, kwargs, code):
    data = data or {"MessageSid": sent["sid"], "MessageStatus": "delivered"}
    data = {k: (sent["sid"] if v == "SID" else v) for k, v in data.items()}
    before = list(db.query("SELECT * FROM outbox ORDER BY id"))
    assert sms_post("/sms/status", data, **kwargs).status_code == code
    assert list(db.query("SELECT * FROM outbox ORDER BY id")) == before
    assert store.participant(db, sent["pid"])["opted_out_at"] is None


def test_a_21610_status_opts_the_person_out(db, sent, sms_post):
    data = {"MessageSid": sent["sid"], "MessageStatus": "failed", "ErrorCode": "21610"}
    assert sms_post("/sms/status", data).status_code == 204
    assert store.participant(db, sent["pid"])["opted_out_at"] is not None
    assert row(db, sent["id"])["status"] == "failed"
    assert row(db, sent["waiting"])["status"] == "cancelled"


def test_the_outbox_page_shows_pseudonyms_on_this_machine_only(
    db, runtime, sms_app, clock
):
    invite(db, runtime, ["07700 900151"], clock.now())
    participant_id = pseudonym(runtime.pseudonym_key, "+447700900151")
    client = sms_app.test_client()
    page = client.get("/sms/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert participant_id[:12] in text and "pending: 1" in text
    assert "the first question of friends-and-family" in text
    assert "900151" not in text and "900 151" not in text
    remote = client.get("/sms/outbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 404
