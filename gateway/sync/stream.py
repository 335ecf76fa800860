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
the first pull after an upgrade that knows it; a record whose applier
failed (a full disk, a bug) is tried again on every pull. One the site
finds malformed is kept with the reason, and not tried again.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from flows.formats import is_iso_time, iso, parse_iso
from gateway import store
from gateway.db import savepoint, write_txn
from gateway.privacy import is_pseudonym
from gateway.sync import protocol
from gateway.sync.client import SyncError

log = logging.getLogger("gateway.sync")
UNKNOWN_KIND = "a kind this version of the gateway does not know"
FAILED = "could not be applied here"  # the start of the reason: tried again
MALFORMED = "the board sent it in a shape this site cannot read"
MAX_SEQ = 2**63 - 1  # SQLite's largest integer


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
    changed something here. Records kept earlier that may apply now (a kind
    this version has learnt, or one that failed) are tried first.

    An answer with a record that has no usable id or place in the stream
    moves nothing: the pull stops with a SyncError, to try again later."""
    changed = _apply_kept(db, now)
    cursor = store.stream.cursor(db)
    while True:
        answer = client.stream(cursor)
        records, given = answer.get("records"), answer.get("cursor")
        if not isinstance(records, list) or not _is_seq(given) or given < cursor:
            raise SyncError("the board's answer had no list of records to take")
        if not all(_placed(record, cursor, given) for record in records):
            raise SyncError("the board sent a record with no usable id or place")
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


def _take(db, record: dict, now) -> bool:
    """One record from the board, unless this site took it before; whether
    it changed something. One this site cannot apply is kept, with why."""
    if store.stream.taken(db, record["id"]):
        return False
    kind, body = record.get("kind"), record.get("body")
    if not _is_kind(kind) or not isinstance(body, dict):
        kind = kind if _is_kind(kind) else "unreadable"
        done, reason = False, MALFORMED
    elif kind not in APPLIERS:
        done, reason = False, UNKNOWN_KIND
    else:
        done, reason = _apply(db, APPLIERS[kind], record, now)
    if reason in (MALFORMED, UNKNOWN_KIND):  # _apply says its own
        log.warning("kept a record of kind %s, not applied: %s", kind, reason)
    kept = json.dumps(body, sort_keys=True, separators=(",", ":"))
    store.stream.keep(db, record | {"kind": kind}, kept, iso(now()), reason)
    return done


def _apply(db, applier: Applier, record: dict, now) -> tuple[bool, str | None]:
    """Apply in a savepoint: (whether it changed something, the reason it
    could not be applied)."""
    try:
        with savepoint(db):
            return bool(applier(db, record["kind"], record["body"], now())), None
    except Malformed as error:
        reason = str(error)
    except Exception as error:  # a bug, a full disk: undone alone, tried again
        if not db.conn.in_transaction:
            # SQLite rolled back the whole batch (a full disk can): nothing
            # of it may be committed now. The pull fails, to be tried again.
            raise
        log.exception("could not apply a record of kind %s", record["kind"])
        reason = f"{FAILED} ({type(error).__name__}); tried again each pass"
    log.warning("kept a record of kind %s, not applied: %s", record["kind"], reason)
    return False, reason


def _apply_kept(db, now) -> Counter:
    """Kept records that may apply now: a kind this version did not know,
    now it does; one that failed for a reason that may have passed."""
    changed = Counter()
    for record in store.stream.kept(db, (UNKNOWN_KIND, FAILED)):
        if record["kind"] not in APPLIERS:
            continue
        record["body"] = json.loads(record["body"])
        with write_txn(db):
            if store.stream.still_kept(db, record["id"]):
                done, reason = _apply(db, APPLIERS[record["kind"]], record, now)
                if done:
                    changed[record["kind"]] += 1
                store.stream.settle(db, record["id"], iso(now()), reason)
    return changed


def _is_seq(value) -> bool:
    return type(value) is int and 0 <= value <= MAX_SEQ


def _placed(record, cursor: int, given: int) -> bool:
    """A record with an id this site can keep, in the stream where it says."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("id"), str)
        and 0 < len(record["id"]) <= 64
        and _is_seq(record.get("seq"))
        and cursor < record["seq"] <= given
    )


def _is_kind(kind) -> bool:
    return isinstance(kind, str) and 0 < len(kind) <= 20


def _is_post(body: dict) -> bool:
    """A post as the board's own form makes one: words, not blank; a text
    when it goes by text; a reason below co-production; each choice once;
    the time as iso() writes it; no control characters."""

    def text(key: str, limit: int) -> bool:
        value = body.get(key)
        return (
            isinstance(value, str)
            and len(value) <= limit
            and not any(_is_control(ch) for ch in value)
        )

    def some_of(key: str, allowed: tuple[str, ...]) -> bool:
        value = body.get(key)
        return (
            isinstance(value, list)
            and bool(value)
            and len(set(value)) == len(value)
            and all(isinstance(v, str) and v in allowed for v in value)
        )

    if not (
        text("id", 64)
        and text("words", protocol.POST_WORDS_LIMIT)
        and text("sms_words", protocol.POST_SMS_LIMIT)
        and text("reason", protocol.POST_REASON_LIMIT)
        and body.get("change") in protocol.POST_CHANGES
        and body.get("rung") in protocol.POST_RUNGS
        and some_of("took_part", protocol.POST_TOOK_PART)
        and some_of("channels", protocol.POST_CHANNELS)
        and is_iso_time(body.get("published_at"))
    ):
        return False
    co_produced = body["rung"] == "co-production"
    return (
        bool(body["id"] and body["words"].strip())
        and ("sms" not in body["channels"] or bool(body["sms_words"].strip()))
        and (co_produced or bool(body["reason"].strip()))
        and iso(parse_iso(body["published_at"])) == body["published_at"]
    )


def _is_control(ch: str) -> bool:
    """A control character other than the ends of lines and tabs."""
    return (ord(ch) < 32 and ch not in "\n\r\t") or ch == "\x7f"
