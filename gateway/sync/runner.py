"""Pushing a site's queue to its board: one pass, and the loop that never gives up.

A pass sends waiting records in batches until none are left or the board
cannot be reached. Only records the board acknowledged as stored or already
had are marked synced; rejected ones are set aside with the reason. A
process killed at any point loses nothing: the queue and the marks are in
SQLite, and a record sent twice is a no-op at the board.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flows.engine import iso, parse_iso
from gateway import store
from gateway.db import write_txn
from gateway.sync.client import BoardClient, SyncError, TooLarge
from gateway.sync.records import next_batch

log = logging.getLogger("gateway.sync")
BASE_DELAY_SECONDS = 5
PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")  # HMAC-SHA256, hex


@dataclass
class Summary:
    sent: int = 0
    acknowledged: int = 0
    set_aside: int = 0
    left: int = 0
    pulled: int = 0
    error: str | None = None
    retry_after: float | None = None


def sync_once(
    db,
    client: BoardClient,
    now: Callable[[], datetime],
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Send everything waiting, then fetch opt-outs from elsewhere."""
    summary = Summary()
    size = batch_size
    while True:
        batch = next_batch(db, size, iso(now()))
        if not batch:
            break
        try:
            results, board_time = client.push(batch)
        except TooLarge as error:
            if size == 1:  # not a batch too big: something else is wrong
                summary.error = f"{error}, even for one record"
                break
            size = max(1, size // 2)
            log.info("the board found the batch too large; sending %d at a time", size)
            continue
        except SyncError as error:
            summary.error, summary.retry_after = str(error), error.retry_after
            break
        summary.sent += len(batch)
        acknowledged, set_aside = _apply_acknowledgement(
            db, batch, results, board_time, now
        )
        summary.acknowledged += acknowledged
        summary.set_aside += set_aside
        if progress:
            progress(acknowledged + set_aside)
        if acknowledged + set_aside == 0:
            summary.error = "the board acknowledged none of the batch"
            break
    if summary.error is None:
        try:
            summary.pulled = pull_opt_changes(db, client, now)
        except SyncError as error:
            summary.error, summary.retry_after = str(error), error.retry_after
    summary.left = store.queue_summary(db)["waiting"]
    _remember(db, summary, now)
    return summary


def _apply_acknowledgement(db, batch, results, board_time: str, now) -> tuple[int, int]:
    """Mark what the board has; set aside what it refused; ignore the rest."""
    sent = {record["id"] for record in batch}
    acknowledged = set_aside = 0
    with write_txn(db):
        for result in results:
            record_id, status = result.get("id"), result.get("status")
            if record_id not in sent:
                continue  # not ours to mark
            sent.discard(record_id)
            if status in ("stored", "already_had"):
                store.mark_synced(db, record_id, iso(now()), board_time)
                acknowledged += 1
            elif status == "rejected":
                reason = str(result.get("reason") or "rejected")[:500]
                store.set_aside(db, record_id, reason, iso(now()))
                set_aside += 1
                log.warning("the board set aside record %s: %s", record_id, reason)
    return acknowledged, set_aside


def pull_opt_changes(db, client: BoardClient, now) -> int:
    """Opt-outs and opt-ins made at other sites, kept here (newest wins)."""
    cursor = int(store.get_meta(db, "sync_pull_cursor") or 0)
    applied = 0
    while True:
        answer = client.pull(cursor)
        changes = answer.get("opt_changes")
        if not isinstance(changes, list):
            raise SyncError("the board's answer had no list of opt-out changes")
        with write_txn(db):
            for change in changes:
                if not _well_formed(change):
                    log.warning("an opt-out change from the board was malformed")
                    continue
                opted_out = change["kind"] == "opt_out"
                participant = change["participant"]
                if store.apply_opt_change(db, participant, opted_out, change["at"]):
                    applied += 1
                    if opted_out:
                        store.cancel_for_participant(
                            db, participant, "opted out at another site", iso(now())
                        )
            given = answer.get("cursor")
            if isinstance(given, int) and given > cursor:  # never backwards
                cursor = given
                store.set_meta(db, "sync_pull_cursor", str(cursor))
        if not changes:
            return applied


def _well_formed(change) -> bool:
    if not isinstance(change, dict) or change.get("kind") not in ("opt_out", "opt_in"):
        return False
    participant, at = change.get("participant"), change.get("at")
    if not (isinstance(participant, str) and PSEUDONYM.match(participant)):
        return False
    try:
        parse_iso(at)
    except (TypeError, ValueError):
        return False
    return True


def _remember(db, summary: Summary, now) -> None:
    with write_txn(db):
        if summary.error:
            store.set_meta(db, "sync_last_error", f"{iso(now())} {summary.error}")
        else:
            store.set_meta(db, "sync_last_success", iso(now()))


def backoff_seconds(failures: int, cap: float, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, capped; never sooner than the
    board's Retry-After, but never later than an hour (or the cap) for it."""
    ceiling = min(cap, BASE_DELAY_SECONDS * 2 ** min(failures, 30))
    delay = random.uniform(0, ceiling)  # noqa: S311 - jitter, not secrecy
    if retry_after is not None and math.isfinite(retry_after):
        delay = max(delay, min(retry_after, max(cap, 3600.0)))
    return delay


class SyncSchedule:
    """When the worker next tries: on every pass while the board answers; after
    a growing, jittered wait while it does not, for as long as it takes."""

    def __init__(self, cap_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.cap = cap_seconds
        self.clock = clock
        self.failures = 0
        self.next_at = 0.0

    def due(self) -> bool:
        return self.clock() >= self.next_at

    def record(self, summary: Summary) -> None:
        if summary.error is None:
            self.failures, self.next_at = 0, 0.0
            return
        delay = backoff_seconds(self.failures, self.cap, summary.retry_after)
        self.failures += 1
        self.next_at = self.clock() + delay
