"""What a board does with a batch from a site: store each record once, say so.

The batch is one transaction. Each record gets a status: stored, already_had
(the same id with the same content: a repeat, a no-op), or rejected with a
reason (the same id with other content is a conflict; an id another site
holds; a body the board cannot read). A record that cannot be stored is
undone alone and never blocks the rest. Several board processes may take
the same batch at once (on PostgreSQL): the record's unique key decides which
stores it, and only that one writes what the record carries; the other's
insert waits for it, then finds the record already had.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import exc

from flows.formats import parse_iso
from flows.model import OPENING, StepKind
from gateway.board.store import records as board_store
from gateway.board.store import stream
from gateway.board.store.erasure import erase_records
from gateway.privacy import is_pseudonym
from gateway.sync.records import KINDS, body_hash

log = logging.getLogger("gateway.sync")
MAX_ID_LENGTH = 64
# Records one erasure may name (store.erasure.RECORDS_AN_ERASURE_NAMES: a site
# sends more in parts).
MAX_ERASED = 10_000
# What a record's own content can make go wrong: it is rejected alone. Anything
# else (a damaged file, no memory, no disk) is the board's trouble: the request
# fails, and the site keeps the record and sends it again.
RECORD_FAULTS = (
    ValueError,  # UnicodeError is one
    TypeError,
    KeyError,
    OverflowError,
    RecursionError,
    exc.IntegrityError,
    exc.DataError,
)
# Which answers are a person's own words: the board's own copy of the flow
# says which steps are free text; for a flow it does not have, an answer of
# more than one word counts. An opening message always does. The result is
# the steps (OPENING for the opening message) whose text is the person's own.
OwnWords = Callable[[dict], set[str]]

# Whose ids are whose. Each site's record ids are its own: board_records is
# unique on (site_id, record_id), so a record is new, a repeat or a conflict
# only against what the same site sent, and nothing one site sends can make
# another site's record a conflict. (Refusing ids "not derived from the
# sender" is not possible: a response id is a UUIDv7 made at the site, often
# before it enrolled, and carries nothing the board could check.)
# One namespace is still shared: the board's `responses` table is keyed by id
# alone (answers point into it), and an alert names its response by that id.
# A response id belongs to the site whose response or alert brought it first,
# and a record from any other site that uses it, as its own id or as the
# response its alert names, is rejected. To take a response id first, a site
# would need it before its owner sent it: ids have 74 random bits, and the
# board never passes one site's ids to another (a pull carries only
# pseudonyms and times).


def accept_batch(
    conn, site: dict, records, now: str, own_words: OwnWords | None = None
) -> list[dict]:
    """Store a batch in the caller's write transaction; each record's status.

    A batch is stored in one go, with one look-up of the ids other sites
    hold. Only if the database refuses a record (rare: the checks come
    first) is the batch stored again a record at a time, each in its own
    savepoint, so that record is refused alone."""
    if not isinstance(records, list):
        raise ValueError("records must be a list")
    board_store.one_batch_at_a_time(conn, site["site_id"])
    said_freely = own_words or steps_of_more_than_one_word
    checked = [_checked(site, item) for item in records]
    held = board_store.response_ids_held_elsewhere(
        conn, _ids_named(checked), site["site_id"]
    )
    try:
        with conn.begin_nested():
            return [_outcome(conn, site, c, held, now, said_freely) for c in checked]
    except RECORD_FAULTS:
        pass  # stored again below, a record at a time, to find which
    return [_accept(conn, site, c, held, now, said_freely) for c in checked]


def steps_of_more_than_one_word(response: dict) -> set[str]:
    """Where a response of an unknown flow holds free text: its opening
    message, and each answer of more than one word."""
    steps = {OPENING} if response.get("opening_text") else set()
    return steps | {
        answer["step_id"]
        for answer in response.get("answers", [])
        if answer.get("state") == "answered"
        and isinstance(answer.get("raw"), str)
        and len(answer["raw"].split()) > 1
    }


def own_words_by_flows(flows) -> OwnWords:
    """Free text as the board's own copy of each flow defines it: an answer
    to a step that asks for words, or an opening message."""

    def said_freely(response: dict) -> set[str]:
        flow = flows.get(response.get("flow_id"))
        if flow is None or flow.version != response.get("flow_version"):
            return steps_of_more_than_one_word(response)
        asks_for_words = {s.id for s in flow.steps if s.kind is StepKind.TEXT}
        steps = {OPENING} if response.get("opening_text") else set()
        return steps | {
            answer["step_id"]
            for answer in response.get("answers", [])
            if answer.get("state") == "answered"
            and answer.get("step_id") in asks_for_words
            and answer.get("raw")
        }

    return said_freely


@dataclass(frozen=True)
class Checked:
    """A record as sent, and what its own content says of it: its id, why
    it is refused (or None), and its body read from JSON."""

    item: object
    record_id: str | None
    problem: str | None = None
    data: dict | None = None


def _checked(site: dict, item) -> Checked:
    record_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(record_id, str) or not 0 < len(record_id) <= MAX_ID_LENGTH:
        return Checked(item, None, "the record has no id")
    try:
        problem, data = _check(site, item)
    except RECORD_FAULTS as error:
        return Checked(item, record_id, f"could not be stored: {type(error).__name__}")
    return Checked(item, record_id, problem, data)


def _ids_named(checked: list[Checked]) -> set[str]:
    """The ids the batch's records use as their own, and the responses its
    alerts name: any of them may be a response id another site holds."""
    found = set()
    for record in checked:
        if record.problem is None:
            found.add(record.record_id)
            if record.item["kind"] == "alert":
                found.add(record.data["response_id"])
    return found


def _accept(db, site: dict, record: Checked, held, now: str, own_words) -> dict:
    """One record in a savepoint of its own: a fault undoes it alone."""
    try:
        with db.begin_nested():
            return _outcome(db, site, record, held, now, own_words)
    except RECORD_FAULTS as error:  # one bad record never fails the whole batch
        # The error's text can quote the record (answers): never log it.
        log.warning(
            "record %s from site %s was refused: %s",
            record.record_id,
            site["name"],
            type(error).__name__,
        )
        return _rejected(
            record.record_id, f"could not be stored: {type(error).__name__}"
        )


def _outcome(db, site: dict, record: Checked, held, now: str, own_words) -> dict:
    if record.problem:
        return _rejected(record.record_id, record.problem)
    problem = _owner_problem(record.item["kind"], record.record_id, record.data, held)
    if problem:
        return _rejected(record.record_id, problem)
    return _store(db, site, record.item, record.data, now, own_words)


def _store(db, site: dict, item: dict, data: dict, now: str, own_words) -> dict:
    record_id = item["id"]
    hashed = body_hash(item["body"])
    # UNIQUE (site_id, record_id) is the guarantee: a repeat inserts nothing.
    inserted = board_store.insert_record(
        db,
        record_id=record_id,
        site_id=site["site_id"],
        kind=item["kind"],
        body=item["body"],
        body_hash=hashed,
        queued_at=item["queued_at"],
        received_at=now,
    )
    if not inserted:
        if board_store.record_hash(db, site["site_id"], record_id) == hashed:
            return {"id": record_id, "status": "already_had"}
        return _rejected(record_id, "conflict: this id was stored with other content")
    if item["kind"] == "response":
        board_store.apply_response(db, data, now, own_words(data))
    elif item["kind"] == "alert":
        board_store.apply_alert(db, data, now)
    elif item["kind"] == "erasure":
        erase_records(db, site["site_id"], data["records"], now)
    elif item["kind"] in board_store.PULLED:  # on to every other site
        stream.publish(db, item["kind"], data, now, from_site=site["site_id"])
    return {"id": record_id, "status": "stored"}


def _check(site: dict, item: dict) -> tuple[str | None, dict | None]:
    """What the record's own content says: why it is refused, and its body."""
    if item.get("kind") not in KINDS:
        return "unknown kind of record", None
    if not isinstance(item.get("body"), str) or not isinstance(
        item.get("queued_at"), str
    ):
        return "the record has no body or queued time", None
    try:
        data = json.loads(item["body"])
    except RecursionError:
        return "the body is nested too deeply", None
    except ValueError:
        return "the body is not JSON", None
    if not isinstance(data, dict):
        return "the body is not a JSON object", None
    if item["kind"] in ("response", "alert"):
        if data.get("site_id") != site["site_id"]:
            return "the record belongs to another site", None
        if data.get("id") != item["id"]:
            return "the record's id does not match its body", None
        if not _plain_values(data):
            return "the record holds a value that is not text or a number", None
    elif item["kind"] == "erasure":
        if not _is_erasure(data):
            return "an erasure must be a participant, a time and record ids", None
    elif not _is_opt_change(data):
        return "an opt-out or opt-in must be a participant and a time, no more", None
    if item["kind"] == "alert" and not isinstance(data.get("response_id"), str):
        return "an alert must name its response", None
    return None, data


def _owner_problem(kind: str, record_id: str, data: dict, held: set[str]):
    """Why the record uses an id that is another site's, or None. `held`:
    the batch's response ids that other sites hold."""
    if record_id in held:
        return "this id belongs to another site"
    if kind == "alert" and data["response_id"] in held:
        return "the alert's response belongs to another site"
    return None


PLAIN = (str, int, float, bool, type(None))
WHOLE_NUMBERS = range(-(2**63), 2**63)  # what SQLite can store as a number


def _plain_values(data: dict) -> bool:
    """Every field is text, a number or empty; a response's answers a list of
    such fields. (Anything else would fail at the database, as the board's
    fault rather than the record's.)"""
    answers = data.get("answers", [])
    if not isinstance(answers, list) or not all(
        isinstance(answer, dict) and all(map(_plain, answer.values()))
        for answer in answers
    ):
        return False
    return all(_plain(v) for k, v in data.items() if k != "answers")


def _plain(value) -> bool:
    """Text, a number or empty, which every engine stores alike: not a whole
    number beyond 64 bits, nor NaN or infinity (SQLite refuses them or keeps
    NULL where PostgreSQL would keep their digits or 'NaN')."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value in WHOLE_NUMBERS
    return isinstance(value, PLAIN)


def _is_opt_change(data: dict) -> bool:
    if set(data) != {"participant", "at"} or not isinstance(data["at"], str):
        return False
    participant = data["participant"]
    if not is_pseudonym(participant):
        return False
    try:
        parse_iso(data["at"])
    except ValueError:
        return False
    return True


def _is_erasure(data: dict) -> bool:
    if set(data) != {"participant", "at", "records"}:
        return False
    named = data["records"]
    return (
        _is_opt_change({"participant": data["participant"], "at": data["at"]})
        and isinstance(named, list)
        and len(named) <= MAX_ERASED
        and all(isinstance(i, str) and 0 < len(i) <= MAX_ID_LENGTH for i in named)
    )


def _rejected(record_id: str | None, reason: str) -> dict:
    return {"id": record_id, "status": "rejected", "reason": reason}
