"""Working out each person's pseudonym, once, away from the texts.

A pseudonym is slow to make on purpose (gateway.privacy.pseudonym, about 0.1 s
of one core), so the gateway never makes one while a text waits for its reply.
A new number gets a random first-come id at once (first_come_id); the worker,
and `gateway sync run`, work out the real pseudonym soon after and move the
person to it (store.participants.rekey). A returning person is found by
the number the site holds. Nothing a person did goes to the board before their
pseudonym is worked out, so the board only ever sees the one a person has at
every site, and re-keying never rewrites a record already sent.

The slow part runs with no lock held; the move is a short write transaction
that first checks the person, their number and the key are all as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.db import write_txn
from gateway.privacy import first_come_id, key_fingerprint, pseudonym, read_key

log = logging.getLogger("gateway.pseudonyms")

BATCH = 10  # people worked out between write transactions (about a second)


def work_out_pseudonyms(
    db,
    instance_path: str | Path,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Work out pseudonyms for up to about `seconds`, newest people first; how
    many people were moved to theirs. With no key yet, nothing is done."""
    key_file = pseudonym_key_file(instance_path)
    stop_at = clock() + seconds
    moved = 0
    while clock() < stop_at:
        key = read_key(key_file)
        if key is None:
            return moved
        people = store.participants.unkeyed(db, BATCH)
        if not people:
            break
        worked_out = []
        for person in people:
            worked_out.append((person, pseudonym(key, person["phone"])))
            if clock() >= stop_at:
                break
        moved += _move(db, key_file, key, worked_out)
    return moved


def _move(db, key_file: Path, key: bytes, worked_out: list) -> int:
    fingerprint = key_fingerprint(key)
    moved = 0
    with write_txn(db):
        if read_key(key_file) != key:  # enrolment replaced it meanwhile
            return 0
        for person, new_id in worked_out:
            old_id = person["participant_id"]
            if not store.participants.still_unkeyed(db, old_id, person["phone"]):
                continue  # moved, erased or given another number meanwhile
            if new_id != old_id:
                store.participants.rekey(db, old_id, new_id)
            store.participants.mark_keyed(db, new_id, fingerprint)
            moved += 1
    return moved


def person_for_number(db, phone: str, now: str, is_test: bool = False) -> str:
    """The id of whoever has this number here, made known with a first-come id
    if new. Quick: for a text, inside its write transaction."""
    known = store.participants.id_for_number(db, phone)
    if known is not None:
        return known
    participant_id = first_come_id()
    store.core.ensure_participant(db, participant_id, now, is_test=is_test)
    store.participants.add_number(db, participant_id, phone, keyed_with=None)
    return participant_id


def known_pseudonym(key: bytes, phone: str) -> tuple[str, str]:
    """The number's pseudonym and the key's fingerprint, worked out now: for a
    command that needs it at once (inviting, erasing). Slow: call it before
    taking the write lock, then `keep_known_person` inside it."""
    return pseudonym(key, phone), key_fingerprint(key)


def keep_known_person(
    db, phone: str, worked_out: tuple[str, str], now: str, is_test: bool = False
) -> str:
    """The id for this number, given its pseudonym worked out before the lock.
    If a text made the number known meanwhile, that person is moved to it."""
    new_id, fingerprint = worked_out
    known = store.participants.id_for_number(db, phone)
    if known is not None and known != new_id:
        if not store.participants.is_unkeyed(db, known):
            return known  # keyed with another key: the worker moves them
        store.participants.rekey(db, known, new_id)
    elif known is None:
        store.core.ensure_participant(db, new_id, now, is_test=is_test)
        store.participants.add_number(db, new_id, phone, keyed_with=None)
    store.participants.mark_keyed(db, new_id, fingerprint)
    return new_id


def work_out_now(db, instance_path: str | Path, participant_id: str) -> str:
    """This one person's pseudonym, worked out now if it is not yet (for an
    erasure, before their number goes); the id they have after."""
    phone = store.sms.phone_for(db, participant_id)
    key = read_key(pseudonym_key_file(instance_path))
    if (
        phone is None
        or key is None
        or not store.participants.is_unkeyed(db, participant_id)
    ):
        return participant_id
    person = {"participant_id": participant_id, "phone": phone}
    _move(db, pseudonym_key_file(instance_path), key, [(person, pseudonym(key, phone))])
    return store.participants.id_for_number(db, phone) or participant_id
