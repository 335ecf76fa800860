"""Group commit for inbound SMS: one writer thread applies waiting messages together.

Every webhook still waits until its own message is committed (durable before
acknowledged). But after a text blast, messages that arrive together share
one transaction and one fsync, and no request thread sleeps in SQLite's busy
handler waiting for the write lock. Each message runs in its own savepoint,
so one that fails is undone alone and the rest commit.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime

from gateway.db import connect, write_txn
from gateway.runtime import Runtime
from gateway.sms.inbound import InboundSms, handle_inbound

log = logging.getLogger("gateway.sms.webhooks")
MAX_BATCH = 64
BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
IDLE_SECONDS = 5.0  # the thread (and its connection) ends when nothing arrives
# Twilio gives up on a webhook after 15 seconds. A request whose message has
# not begun to be written by then is answered 503. The message is still
# written, once, later; its reply then goes by the outbox, and the stored
# TwiML is empty, so a retry from Twilio (same MessageSid) cannot double it.
WAIT_SECONDS = 12.0


class WriterBusy(Exception):
    """The message was not written in time; it may still be, exactly once."""


@dataclass
class _Job:
    message: InboundSms
    now: datetime
    done: threading.Event = field(default_factory=threading.Event)
    twiml: str | None = None
    error: BaseException | None = None
    started: bool = False  # the writer has begun on it (under the writer's lock)
    abandoned: bool = False  # its request stopped waiting: reply by the outbox


class InboundWriter:
    def __init__(self, database: str, runtime: Runtime):
        self._database = database
        self._runtime = runtime
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, message: InboundSms, now: datetime) -> str:
        """Record and act on one message; return its TwiML once it is on disk."""
        job = _Job(message, now)
        self._jobs.put(job)
        self._ensure_running()
        if not job.done.wait(WAIT_SECONDS):
            with self._lock:
                job.abandoned = not job.started
            if job.abandoned:
                raise WriterBusy(message.message_sid)
            job.done.wait()  # being written now: the commit is a moment away
        if job.error is not None:
            raise job.error
        return job.twiml

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="sms-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        try:
            db = connect(self._database)
        except Exception as error:  # no disk, no database: fail what waits
            log.exception("the SMS writer could not open the database")
            self._fail_waiting(error)
            return
        try:
            while True:
                batch = self._next_batch()
                if not batch:
                    with self._lock:  # nothing came: stop, unless one just did
                        if self._jobs.empty():
                            self._thread = None
                            return
                    continue
                self._apply(db, batch)
        except BaseException as error:  # never leave a webhook waiting forever
            log.exception("the SMS writer stopped")
            self._fail_waiting(error)
            raise
        finally:
            db.close()

    def _fail_waiting(self, error: BaseException) -> None:
        with self._lock:
            self._thread = None
            while not self._jobs.empty():
                job = self._jobs.get_nowait()
                job.error = error
                job.done.set()

    def _next_batch(self) -> list[_Job]:
        try:
            batch = [self._jobs.get(timeout=IDLE_SECONDS)]
        except queue.Empty:
            return []
        while len(batch) < MAX_BATCH:
            try:
                batch.append(self._jobs.get_nowait())
            except queue.Empty:
                break
        return batch

    def _apply(self, db, batch: list[_Job]) -> None:
        """Write the batch and commit; if the database stays busy, keep trying:
        a message is never dropped because another writer held the lock."""
        try:
            while True:
                try:
                    self._write(db, batch)
                    return
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode not in BUSY_CODES:
                        raise
                    log.warning("the database is busy; writing the batch again")
                    for job in batch:
                        job.twiml, job.error = None, None
        except BaseException as error:  # the commit failed: nothing is on disk
            log.exception("a batch of inbound messages could not be committed")
            for job in batch:
                job.error, job.twiml = error, None
        finally:
            for job in batch:
                job.done.set()

    def _write(self, db, batch: list[_Job]) -> None:
        with write_txn(db):
            for job in batch:
                with self._lock:
                    job.started = True
                    by_outbox = job.abandoned
                try:  # each message is a savepoint of its own inside
                    job.twiml = handle_inbound(
                        db,
                        self._runtime,
                        job.message,
                        job.now,
                        reply_by_outbox=by_outbox,
                    )
                except Exception as error:  # undone alone by its savepoint
                    log.exception("an inbound message could not be recorded")
                    job.error = error
