"""Retention: what is kept only so long, deleted when its time is up.

At a site (`gateway retention run`, and the worker once a day):
- responses closed more than GATEWAY_RETENTION_MONTHS ago go, with their
  answers, alerts, messages and synced records; but never one that has not
  reached the board (it waits, and is counted);
- texts in and out older than that go too;
- a number goes after GATEWAY_NUMBER_RETENTION_DAYS with nothing happening,
  unless the person said yes to being texted, has a conversation open or a
  text waiting, is a duty contact, or has an alert no one has dealt with.
  Their pseudonym stays, so they are still known if they text again.
With a board (roles board and both): its responses closed more than
GATEWAY_RETENTION_MONTHS ago go, as an erasure does (board.store.erasure).
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.formats import iso, parse_iso
from flows.model import StepKind
from gateway import store
from gateway.db import write_txn
from gateway.erasure import ALERT_HOLDS_ERASURE_FOR

log = logging.getLogger("gateway.retention")
CHUNK = 500  # rows deleted a transaction, so texts coming in are not held up
LAST_RUN = "retention_last_run"  # meta: when the worker last ran it
EVERY = timedelta(days=1)


@dataclass
class Retained:
    """What a run deleted (or, dry, would delete), and what had to wait."""

    responses: int = 0
    waiting_for_the_board: int = 0
    messages: int = 0
    numbers: int = 0
    board_responses: int = 0

    def lines(self, dry_run: bool) -> list[str]:
        verb = "Would delete" if dry_run else "Deleted"
        said = [
            f"{verb} {self.responses} response(s) past the retention period.",
            f"{verb} {self.messages} text(s) in and out past it.",
            f"{verb} {self.numbers} phone number(s) not used for a while.",
        ]
        if self.board_responses:
            said.append(f"{verb} {self.board_responses} response(s) on the board.")
        if self.waiting_for_the_board:
            said.append(
                f"Kept {self.waiting_for_the_board} old response(s) that have not "
                "reached the board yet. They go once they have."
            )
        return said


def months_before(moment: datetime, months: int) -> datetime:
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def run_retention(db, app, now: datetime, dry_run: bool = False) -> Retained:
    config, runtime = app.config, app.extensions["gateway"]
    cutoff = iso(months_before(now, config["RETENTION_MONTHS"]))
    idle_before = iso(now - timedelta(days=config["NUMBER_RETENTION_DAYS"]))
    alerts_since = iso(now - ALERT_HOLDS_ERASURE_FOR)
    done = Retained()
    old, done.waiting_for_the_board = store.retention.old_responses(db, cutoff)
    done.responses = len(old)
    messages = store.retention.old_messages(db, cutoff)
    done.messages = messages["in"] + messages["out"]
    numbers = store.retention.numbers_to_drop(
        db, idle_before, _consent_steps(runtime.flows), alerts_since
    )
    done.numbers = len(numbers)
    if "board_engine" in app.extensions:
        done.board_responses = _board(app.extensions["board_engine"], cutoff, dry_run)
    if dry_run:
        return done
    for start in range(0, len(old), CHUNK):
        with write_txn(db):
            store.retention.delete_responses(db, old[start : start + CHUNK])
    while True:
        rows = store.retention.old_message_rows(db, cutoff, CHUNK)
        if not any(rows.values()):
            break
        with write_txn(db):
            store.retention.delete_message_rows(db, rows, cutoff)
    with write_txn(db):  # chosen again here: someone may have texted meanwhile
        numbers = store.retention.numbers_to_drop(
            db, idle_before, _consent_steps(runtime.flows), alerts_since
        )
        store.retention.drop_numbers(db, numbers)
        done.numbers = len(numbers)
        store.core.set_meta(db, LAST_RUN, iso(now))
    log.info(
        "retention: deleted %d response(s), %d text(s), %d number(s); "
        "%d response(s) on the board; %d kept until they reach the board",
        done.responses,
        done.messages,
        done.numbers,
        done.board_responses,
        done.waiting_for_the_board,
    )
    return done


def due(db, now: datetime) -> bool:
    """Has a day passed since the worker last ran it?"""
    last = store.core.get_meta(db, LAST_RUN)
    return last is None or parse_iso(last) + EVERY <= now


def _consent_steps(flows) -> list[str]:
    return [
        f"{flow.id}/{step.id}"
        for flow in flows.values()
        for step in flow.steps
        if step.kind is StepKind.CONSENT
    ]


def _board(engine, cutoff: str, dry_run: bool) -> int:
    from gateway.board.database import reading, writing
    from gateway.board.store import erasure

    with reading(engine) as conn:
        old = erasure.old_responses(conn, cutoff)
    if not dry_run:
        for start in range(0, len(old), CHUNK):
            with writing(engine) as conn:
                erasure.erase_old(conn, old[start : start + CHUNK])
        with writing(engine) as conn:
            erasure.erase_old_alerts(conn, cutoff)
    return len(old)
