"""Taking the board's stream: every record it publishes for this site, each
applied exactly once, whatever its kind.

A pull asks for the records after this site's cursor, and applies a batch in
one transaction with the cursor's move and a row per record id
(store/stream.py): a pass killed midway applies all of the batch or none of
it, and a record that comes again is passed over. Each record is applied in
a savepoint, so one that fails is kept with the reason and undone alone: no
record holds up the ones behind it.

A new kind plugs in here: a function that applies its body, in APPLIERS. A
kind this version does not know yet is kept with its body, and applied by
the first pull after an upgrade that knows it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from flows.formats import is_iso_time, iso
from gateway import store
from gateway.db import savepoint, write_txn
from gateway.privacy import is_pseudonym
from gateway.sync import protocol
from gateway.sync.client import SyncError

log = logging.getLogger("gateway.sync")
UNKNOWN_KIND = "a kind this version of the gateway does not know"


class Malformed(ValueError):
    """A record this site will not apply as it is: the reason says why."""


def apply_opt_change(db, kind: str, body: dict, now: datetime) -> bool:
    """An opt-out or opt-in made at another site (the newest change wins)."""
    participant, at = body.get("participant"), body.get("at")
    if not is_pseudonym(participant) or not is_iso_time(at):
        raise Malformed("an opt change must name a participant and a time")
    opted_out = kind == "opt_out"
    if not store.sync.apply_opt_change(db, participant, opted_out, at):
        return False
    if opted_out:
        store.outbox.cancel_for_participant(
            db, participant, "opted out at another site", iso(now)
        )
    return True


def keep_post(db, _kind: str, body: dict, now: datetime) -> bool:
    """A "You said, we did" post published for this site."""
    if not _is_post(body):
        raise Malformed("a post must have its words, choices and time, in bounds")
    return store.posts.keep(db, body, iso(now))


Applier = Callable[[object, str, dict, datetime], bool]
APPLIERS: dict[str, Applier] = {
    "opt_out": apply_opt_change,
    "opt_in": apply_opt_change,
    "post": keep_post,
}


def pull_stream(db, client, now: Callable[[], datetime]) -> Counter:
    """Take every record the board has for this site; how many of each kind
    changed something here. Records kept earlier under a kind this version
    now knows are applied first."""
    changed = _apply_kept(db, now)
    cursor = store.stream.cursor(db)
    while True:
        answer = client.stream(cursor)
        records, given = answer.get("records"), answer.get("cursor")
        if not isinstance(records, list) or not isinstance(given, int):
            raise SyncError("the board's answer had no list of records to take")
        with write_txn(db):
            stored = store.stream.cursor(db)
            if stored != cursor:
                # Another pass (a `sync run` beside the worker) took these
                # meanwhile: start again from where it got to.
                cursor = stored
                continue
            for record in records:
                if _take(db, record, now):
                    changed[record["kind"]] += 1
            store.stream.move_cursor(db, given)
        if not records or given <= cursor:
            return changed
        cursor = given


def _take(db, record, now) -> bool:
    """One record from the board, unless this site took it before; whether
    it changed something."""
    if not _well_formed(record):
        log.warning("a record from the board's stream was malformed: passed over")
        return False
    if store.stream.taken(db, record["id"]):
        return False
    body = json.dumps(record["body"], sort_keys=True, separators=(",", ":"))
    applier = APPLIERS.get(record["kind"])
    if applier is None:
        log.warning(
            "kept a record of kind %s to apply later: %s", record["kind"], UNKNOWN_KIND
        )
        store.stream.keep(db, record, body, iso(now()), not_applied=UNKNOWN_KIND)
        return False
    changed, reason = _apply(db, applier, record, now)
    store.stream.keep(db, record, body, iso(now()), not_applied=reason)
    return changed


def _apply(db, applier: Applier, record: dict, now) -> tuple[bool, str | None]:
    """Apply in a savepoint: (whether it changed something, the reason it
    could not be applied)."""
    try:
        with savepoint(db):
            return bool(applier(db, record["kind"], record["body"], now())), None
    except Malformed as error:
        reason = str(error)
    except Exception as error:  # a bug must not stop every record behind it
        log.exception("could not apply a record of kind %s", record["kind"])
        reason = f"could not be applied here ({type(error).__name__})"
    log.warning("kept a record of kind %s, not applied: %s", record["kind"], reason)
    return False, reason


def _apply_kept(db, now) -> Counter:
    """Records kept under a kind this version did not know, now it does."""
    changed = Counter()
    for record in store.stream.kept(db, tuple(APPLIERS), UNKNOWN_KIND):
        record["body"] = json.loads(record["body"])
        with write_txn(db):
            if store.stream.still_kept(db, record["id"], UNKNOWN_KIND):
                done, reason = _apply(db, APPLIERS[record["kind"]], record, now)
                changed[record["kind"]] += done
                store.stream.settle(db, record["id"], iso(now()), reason)
    return changed


def _well_formed(record) -> bool:
    return (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and 0 < len(record["id"]) <= 64
        and isinstance(record.get("kind"), str)
        and 0 < len(record["kind"]) <= 20
        and isinstance(record.get("seq"), int)
        and isinstance(record.get("body"), dict)
    )


def _is_post(body: dict) -> bool:
    def text(key: str, limit: int, needed: bool = True) -> bool:
        value = body.get(key)
        return isinstance(value, str) and len(value) <= limit and (value or not needed)

    def some_of(key: str, allowed: tuple[str, ...]) -> bool:
        value = body.get(key)
        return (
            isinstance(value, list)
            and bool(value)
            and all(isinstance(v, str) and v in allowed for v in value)
        )

    return (
        text("id", 64)
        and text("words", protocol.POST_WORDS_LIMIT)
        and text("sms_words", protocol.POST_SMS_LIMIT, needed=False)
        and text("reason", protocol.POST_REASON_LIMIT, needed=False)
        and body.get("change") in protocol.POST_CHANGES
        and body.get("rung") in protocol.POST_RUNGS
        and some_of("took_part", protocol.POST_TOOK_PART)
        and some_of("channels", protocol.POST_CHANNELS)
        and is_iso_time(body.get("published_at"))
    )
