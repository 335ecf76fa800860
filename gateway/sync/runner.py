"""Pushing a site's queue to its board: one pass, and the loop that never gives up.

A pass sends waiting records in batches until none are left or the board
cannot be reached. Only records the board acknowledged as stored or already
had are marked synced; rejected ones are set aside with the reason. A record
the board refuses as too large even alone is skipped, so the ones behind it
still go, and is set aside after a few passes like that. A process killed at
any point loses nothing: the queue and the marks are in SQLite, and a record
sent twice is a no-op at the board.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flows.formats import is_iso_time, iso
from gateway import store
from gateway.backoff import backoff_seconds
from gateway.db import write_txn
from gateway.store.sync import note_too_large, set_aside_too_large
from gateway.sync.client import BoardClient, SyncError, TooLarge
from gateway.sync.records import next_batch
from gateway.sync.stream import pull_stream

log = logging.getLogger("gateway.sync")
BASE_DELAY_SECONDS = 5
# A record the board refuses as too large even alone, in this many passes that
# sent other records, is set aside: the board will not take it as it is.
TOO_LARGE_PASSES_BEFORE_SET_ASIDE = 3
# This many records in a row refused alone, with nothing taken between, and the
# board (or a proxy) is refusing everything: stop the pass and try again later.
TOO_LARGE_IN_A_ROW = 3
BOARD_WITHOUT_STREAM = (
    "the board is older than this site and sends it nothing: no opt-outs from "
    "other sites, no posts. Upgrade the board."
)


@dataclass
class Summary:
    sent: int = 0
    acknowledged: int = 0
    set_aside: int = 0
    too_large: int = 0  # refused as too large even alone this pass, still waiting
    left: int = 0
    pulled: Counter = field(default_factory=Counter)  # changes from the board by kind
    alerts_dealt_with: int = 0  # the board said someone dealt with them
    error: str | None = None
    retry_after: float | None = None


@dataclass
class _Sizing:
    """How many records go in the next request, and what was refused alone."""

    size: int
    taken: int  # the size of the last batch the board took
    too_large: list[str] = field(default_factory=list)
    in_a_row: int = 0
    refusal: str = ""


def sync_once(
    db,
    client: BoardClient,
    now: Callable[[], datetime],
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Send everything waiting, then take what the board publishes for this
    site (stream.py: opt-outs from elsewhere, and more) and which alerts the
    board's staff have dealt with."""
    summary = Summary()
    sizing = _push_waiting(db, client, now, batch_size, summary, progress)
    if sizing.too_large:
        _settle_too_large(db, sizing, summary, now)
    if summary.error is None:
        try:
            summary.pulled = pull_stream(db, client, now)
        except SyncError as error:
            if error.status == 404:  # a board older than the stream: pushes go on
                log.warning(BOARD_WITHOUT_STREAM)
            else:
                summary.error, summary.retry_after = str(error), error.retry_after
    if summary.error is None:
        try:  # a board too old to say fails alone: the pass still succeeded
            summary.alerts_dealt_with = pull_alert_news(db, client, now)
        except SyncError as error:
            log.warning(
                "could not ask the board which alerts were dealt with: %s", error
            )
    summary.left = store.sync.queue_summary(db)["waiting"]
    _remember(db, summary, now)
    return summary


def _push_waiting(db, client, now, batch_size: int, summary: Summary, progress):
    """Push batches until none are left or the board cannot take more. A 413
    halves the batch for the rest of the pass; a record refused even alone is
    skipped, and the batch goes back to the last size the board took."""
    sizing = _Sizing(size=batch_size, taken=batch_size)
    while True:
        batch = next_batch(db, sizing.size, iso(now()), skip=sizing.too_large)
        if not batch:
            return sizing
        try:
            results, board_time = client.push(batch)
        except TooLarge as error:
            if not _smaller_or_skipped(sizing, batch, str(error)):
                summary.error = f"{sizing.refusal}, even for one record"
                return sizing
            continue
        except SyncError as error:
            summary.error, summary.retry_after = str(error), error.retry_after
            return sizing
        sizing.in_a_row, sizing.taken = 0, sizing.size
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
            return sizing


def _smaller_or_skipped(sizing: _Sizing, batch: list[dict], refusal: str) -> bool:
    """After a 413: halve the batch, or skip a record refused alone. False when
    so many in a row were refused alone that the board is refusing everything."""
    sizing.refusal = refusal
    if len(batch) > 1:
        sizing.size = len(batch) // 2
        log.info(
            "the board found the batch too large; sending %d at a time", sizing.size
        )
        return True
    record_id = batch[0]["id"]
    log.warning("the board refused record %s as too large, even alone", record_id)
    sizing.too_large.append(record_id)
    sizing.in_a_row += 1
    sizing.size = sizing.taken
    return sizing.in_a_row < TOO_LARGE_IN_A_ROW


def _settle_too_large(db, sizing: _Sizing, summary: Summary, now) -> None:
    """Records refused alone wait behind the others of their kind. A pass that
    sent others counts against them, and at the limit they are set aside; a
    pass that sent nothing (a proxy refusing everything) counts for nothing."""
    others_went = summary.sent > 0
    reason = (
        "too large for the board, even alone "
        f"(refused in {TOO_LARGE_PASSES_BEFORE_SET_ASIDE} passes)"
    )
    with write_txn(db):
        note_too_large(db, sizing.too_large, others_went)
        aside = set_aside_too_large(
            db, TOO_LARGE_PASSES_BEFORE_SET_ASIDE, reason, iso(now())
        )
    if aside:
        log.warning("set aside %d record(s): %s", aside, reason)
    summary.set_aside += aside
    summary.too_large = len(sizing.too_large) - aside
    if not others_went and summary.error is None:
        summary.error = f"{sizing.refusal}, even for one record"


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
                store.sync.mark_synced(db, record_id, iso(now()), board_time)
                acknowledged += 1
            elif status == "rejected":
                reason = str(result.get("reason") or "rejected")[:500]
                store.sync.set_aside(db, record_id, reason, iso(now()))
                set_aside += 1
                log.warning("the board set aside record %s: %s", record_id, reason)
    return acknowledged, set_aside


ALERTS_ASKED = 200  # as many as the board answers about at once


def pull_alert_news(db, client: BoardClient, now) -> int:
    """Mark the alerts the board says were dealt with, so the duty contacts
    are not texted about them again; how many."""
    marked, asked_after = 0, ""
    while True:
        open_ids = store.duty.open_synced_alerts(db, asked_after, ALERTS_ASKED)
        if not open_ids:
            return marked
        dealt_with = client.alerts_dealt_with(open_ids)
        with write_txn(db):
            for news in dealt_with:
                if (
                    isinstance(news, dict)
                    and news.get("id") in open_ids
                    and is_iso_time(news.get("at"))
                ):
                    marked += store.duty.mark_dealt_with(
                        db, news["id"], news["at"], iso(now())
                    )
        if len(open_ids) < ALERTS_ASKED:
            return marked
        asked_after = open_ids[-1]


def _remember(db, summary: Summary, now) -> None:
    with write_txn(db):
        if summary.error:
            store.core.set_meta(db, "sync_last_error", f"{iso(now())} {summary.error}")
        else:
            store.core.set_meta(db, "sync_last_success", iso(now()))


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
        self.failures += 1
        delay = backoff_seconds(
            self.failures, self.cap, summary.retry_after, first=BASE_DELAY_SECONDS
        )
        self.next_at = self.clock() + delay
