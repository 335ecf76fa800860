"""The outbox worker: sends what is due, priority first, at a steady rate.

Never to someone who has opted out. A message is claimed with a lease before
it is sent: if the worker dies mid-send, the lease lapses and it is tried
again. Failures back off exponentially with full jitter, up to a give-up time.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flows.engine import iso, parse_iso
from gateway import store
from gateway.conversations import start_conversation
from gateway.db import write_txn
from gateway.quiet_hours import quiet_until
from gateway.runtime import Runtime
from gateway.sms_inbound import with_privacy_line
from gateway.twilio_sender import SendError

LEASE = timedelta(minutes=5)
BACKOFF_FIRST_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600


@dataclass(frozen=True)
class Job:
    message_id: str
    participant_id: str
    phone: str | None
    body: str
    attempt: int
    created_at: datetime


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
            row = store.next_due(self.db, iso(now), include_ordinary=quiet is None)
            if row is None:
                return None
            store.claim(self.db, row["id"], iso(now), iso(now + LEASE))
            body = row["body"]
            if body is None:  # an invitation: its conversation starts as it goes
                body = self._start_invitation(row, now)
            phone = store.phone_for(self.db, row["participant_id"])
        return Job(
            row["id"],
            row["participant_id"],
            phone,
            body,
            row["attempts"] + 1,
            parse_iso(row["created_at"]),
        )

    def _start_invitation(self, row: dict, now: datetime) -> str:
        turn = start_conversation(
            self.db,
            self.runtime,
            channel="sms",
            now=now,
            participant_id=row["participant_id"],
            flow_id=row["flow_id"],
        )
        body = with_privacy_line(
            self.db,
            self.runtime,
            row["participant_id"],
            turn.as_text(self.runtime),
            now,
        )
        store.set_body(self.db, row["id"], body, turn.response_id)
        return body

    def _send(self, job: Job) -> str:
        if job.phone is None:
            return self._record_failure(job, SendError("no number", retryable=False))
        try:
            sent = self.sender.send(job.phone, job.body)
        except SendError as error:
            return self._record_failure(job, error)
        with write_txn(self.db):
            store.mark_sent(
                self.db, job.message_id, sent.sid, sent.status, iso(self.clock())
            )
        return "sent"

    def _record_failure(self, job: Job, error: SendError) -> str:
        now = self.clock()
        give_up = timedelta(hours=self.runtime.config["OUTBOX_GIVE_UP_HOURS"])
        with write_txn(self.db):
            if error.opted_out:
                store.set_opted_out(self.db, job.participant_id, iso(now))
                store.cancel_for_participant(
                    self.db, job.participant_id, "opted out", iso(now)
                )
                store.mark_failed(self.db, job.message_id, error.reason, iso(now))
                return "opted_out"
            if not error.retryable or now - job.created_at >= give_up:
                reason = error.reason
                if error.retryable:
                    reason += f" (gave up after {job.attempt} tries)"
                store.mark_failed(self.db, job.message_id, reason, iso(now))
                return "failed"
            wait = backoff_seconds(job.attempt, error.retry_after, self.rng)
            store.schedule_retry(
                self.db,
                job.message_id,
                iso(now + timedelta(seconds=wait)),
                error.reason,
                iso(now),
            )
        return "retry"


def backoff_seconds(
    attempt: int, retry_after: float | None, rng: random.Random
) -> float:
    """Full jitter (a random wait up to a doubling ceiling), at least Retry-After."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (attempt - 1))
    return max(retry_after or 0.0, rng.uniform(1.0, ceiling))
