"""The outbox worker: sends what is due, priority first, at a steady rate.

Never to someone who has opted out. A message is claimed with a lease before
it is sent: if the worker dies mid-send, the lease lapses and it is tried
again. Failures back off exponentially with full jitter, up to a give-up time.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.formats import iso, parse_iso
from gateway import store
from gateway.backoff import backoff_seconds
from gateway.conversations import first_message, start_conversation
from gateway.db import savepoint, write_txn
from gateway.runtime import Runtime
from gateway.sms.quiet_hours import quiet_until
from gateway.sms.replies import duty_alert_text, privacy_line_first
from gateway.sms.sender import OPTED_OUT, SendError

log = logging.getLogger("gateway.sms.outbox")


def act_on_report(db, report: tuple[str, str | None] | None, now: str) -> None:
    """Twilio's error 21610 means the person texted STOP to Twilio itself: they
    are opted out here too, and nothing waiting for them goes."""
    if report is None:
        return
    participant, error_code = report
    if error_code == str(OPTED_OUT):
        store.sms.set_opted_out(db, participant, now)
        store.outbox.cancel_for_participant(db, participant, "opted out", now)


def apply_delivery_report(
    db, provider_sid: str, status: str, error_code: str | None, now: str
) -> None:
    """A status callback: kept (never moving backwards), then acted on."""
    participant = store.outbox.record_delivery_status(
        db, provider_sid, status, error_code, now
    )
    if participant is not None:
        act_on_report(db, (participant, error_code), now)


def record_sent(db, message_id: str, provider_sid: str, status: str, now: str) -> None:
    """A message has gone: keep its sid, and act on a report that beat it here."""
    early = store.outbox.mark_sent(db, message_id, provider_sid, status, now)
    act_on_report(db, early, now)


LEASE = timedelta(minutes=5)
HOLD_FOR_CONVERSATION = timedelta(hours=1)  # an invitation waits for this long
BACKOFF_FIRST_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600  # also as long as Twilio's Retry-After is trusted


@dataclass(frozen=True)
class Job:
    message_id: str
    participant_id: str
    phone: str | None
    body: str
    attempt: int
    first_failed_at: datetime | None  # give-up time counts from here
    invitation_flow: str | None  # an invitation's conversation starts once sent


@dataclass
class OutboxWorker:
    db: object
    runtime: Runtime
    sender: object  # has send(to, body) -> Sent, raising SendError
    clock: Callable[[], datetime]
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.SystemRandom)
    keep_going: Callable[[], bool] = lambda: True  # False once asked to stop

    def send_due(self, limit: int | None = None) -> Counter:
        """Send everything due now, one at a time; count what became of each."""
        outcomes: Counter = Counter()
        while self.keep_going() and (limit is None or sum(outcomes.values()) < limit):
            job = self._claim_next()
            if job is None:
                break
            outcomes[self._send(job)] += 1
            self.sleep(1 / self.runtime.config["OUTBOX_RATE"])
        return outcomes

    def _claim_next(self) -> Job | None:
        now = self.clock()
        config = self.runtime.config
        quiet = quiet_until(now, config["QUIET_HOURS"], config["TIMEZONE"])
        with write_txn(self.db):
            while True:
                row = store.outbox.next_due(
                    self.db, iso(now), include_ordinary=quiet is None
                )
                if row is None:
                    return None
                store.outbox.claim(self.db, row["id"], iso(now), iso(now + LEASE))
                body = row["body"]
                if body is None and row["kind"] == store.duty.KIND:
                    body = duty_alert_text(self.runtime)
                    store.outbox.set_body(self.db, row["id"], body, None)
                elif body is None:  # an invitation, worded as it goes
                    body = self._word_invitation(row, now)
                if body is not None:
                    break
            phone = store.sms.phone_for(self.db, row["participant_id"])
        first_failed = row["first_failed_at"]
        return Job(
            row["id"],
            row["participant_id"],
            phone,
            body,
            row["attempts"] + 1,
            parse_iso(first_failed) if first_failed else None,
            row["flow_id"] if row["kind"] == "invite" else None,
        )

    def _word_invitation(self, row: dict, now: datetime) -> str | None:
        """The invitation's text, or None if it cannot go now. Its conversation
        starts only once it has been sent, so a failed send leaves none open."""
        participant_id = row["participant_id"]
        if (
            store.conversations.find_open_session(self.db, participant_id, "sms")
            is not None
        ):
            store.outbox.schedule_retry(
                self.db,
                row["id"],
                iso(now + HOLD_FOR_CONVERSATION),
                "waiting: a conversation is in progress",
                iso(now),
                failed=False,
            )
            return None
        try:
            text = first_message(self.runtime, row["flow_id"], "sms", now)
        except KeyError:
            store.outbox.mark_failed(
                self.db,
                row["id"],
                f"the flow '{row['flow_id']}' is not loaded",
                iso(now),
            )
            return None
        notice_at = store.sms.participant(self.db, participant_id)["privacy_notice_at"]
        text = privacy_line_first(self.runtime, text, notice_at)
        store.outbox.set_body(self.db, row["id"], text, None)
        return text

    def _send(self, job: Job) -> str:
        if job.phone is None:
            return self._record_failure(job, SendError("no number", retryable=False))
        try:
            sent = self.sender.send(job.phone, job.body)
        except SendError as error:
            return self._record_failure(job, error)
        now = self.clock()
        with write_txn(self.db):
            record_sent(self.db, job.message_id, sent.sid, sent.status, iso(now))
            if job.invitation_flow is not None:
                self._start_invited_conversation(job, now)
        return "sent"

    def _start_invited_conversation(self, job: Job, now: datetime) -> None:
        try:
            with savepoint(self.db):
                turn = start_conversation(
                    self.db,
                    self.runtime,
                    channel="sms",
                    now=now,
                    participant_id=job.participant_id,
                    flow_id=job.invitation_flow,
                )
                store.outbox.set_body(
                    self.db, job.message_id, job.body, turn.response_id
                )
                store.sms.mark_privacy_notice(self.db, job.participant_id, iso(now))
        except Exception:  # sent all the same; their reply will start the flow
            log.exception("an invitation went, but its conversation did not start")

    def _record_failure(self, job: Job, error: SendError) -> str:
        now = self.clock()
        give_up = timedelta(hours=self.runtime.config["OUTBOX_GIVE_UP_HOURS"])
        failing_since = job.first_failed_at or now
        with write_txn(self.db):
            if error.opted_out:
                store.sms.set_opted_out(self.db, job.participant_id, iso(now))
                store.outbox.cancel_for_participant(
                    self.db, job.participant_id, "opted out", iso(now)
                )
                store.outbox.mark_failed(
                    self.db, job.message_id, error.reason, iso(now)
                )
                return "opted_out"
            if not error.retryable or now - failing_since >= give_up:
                reason = error.reason
                if error.retryable:
                    reason += f" (gave up after {job.attempt} tries)"
                store.outbox.mark_failed(self.db, job.message_id, reason, iso(now))
                return "failed"
            wait = backoff_seconds(
                job.attempt,
                BACKOFF_CAP_SECONDS,
                error.retry_after,
                first=BACKOFF_FIRST_SECONDS,
                rng=self.rng,
            )
            store.outbox.schedule_retry(
                self.db,
                job.message_id,
                iso(now + timedelta(seconds=wait)),
                error.reason,
                iso(now),
            )
        return "retry"
