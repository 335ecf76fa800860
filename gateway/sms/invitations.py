"""Queueing invitations to a flow from a list of numbers, skipping what must be skipped.

Numbers are normalised to E.164. Duplicates, people who have opted out and
numbers that cannot get texts (with the reason: too short, a landline...) are
reported by line, never by number, and nothing is queued for them.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from flows.formats import iso
from gateway import store
from gateway.db import write_txn
from gateway.privacy import InvalidNumber, key_fingerprint, read_key, to_textable_e164
from gateway.pseudonyms import keep_known_person, known_pseudonym, person_for_number
from gateway.runtime import Runtime

CHUNK = 1000  # numbers per transaction
NUMBER_HEADINGS = re.compile(r"phone|number|mobile|tel", re.IGNORECASE)


@dataclass
class InvitationReport:
    queued: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    invalid_lines: dict[int, str] = field(default_factory=dict)  # line: why
    opted_out_lines: list[int] = field(default_factory=list)
    already_queued_lines: list[int] = field(default_factory=list)

    def invalid_by_reason(self) -> dict[str, list[int]]:
        """The lines whose numbers were refused, by reason, the first seen first."""
        grouped: dict[str, list[int]] = {}
        for line, reason in self.invalid_lines.items():
            grouped.setdefault(reason, []).append(line)
        return grouped


def numbers_in(source: TextIO) -> Iterator[tuple[int, str]]:
    """(line, number) from a CSV: the phone/number/mobile column, or else the first."""
    column, first = 0, True
    for line, row in enumerate(csv.reader(source), start=1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            headed = [i for i, cell in enumerate(row) if NUMBER_HEADINGS.search(cell)]
            if headed:
                column = headed[0]
                continue
        yield line, row[column] if column < len(row) else ""


def queue_invitations(
    db,
    runtime: Runtime,
    flow_id: str,
    numbers: Iterable[tuple[int, str]],
    now: datetime,
) -> InvitationReport:
    """Queue one invitation per person, a chunk per transaction.

    Chunks keep the write lock short, so texts coming in are not held up by a
    long list; the pseudonyms of numbers new here are worked out before the
    lock is taken, on every core. Running a list again is safe: people who
    already have an invitation to this flow waiting are skipped.
    """
    runtime.flow(flow_id)  # refuse an unknown flow before touching anything
    report, seen = InvitationReport(), set()
    rows = iter(numbers)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # scrypt frees the GIL
        while chunk := list(itertools.islice(rows, CHUNK)):
            readings = [_read_line(runtime, line, written) for line, written in chunk]
            worked_out = _work_out_new(db, runtime, readings, pool)
            with write_txn(db):
                if _key_replaced(runtime, worked_out):  # enrolled meanwhile
                    worked_out = {}  # so each is worked out again by the worker
                for line, phone in readings:
                    _queue_one(db, flow_id, line, phone, worked_out, now, report, seen)
    return report


def _read_line(runtime, line: int, written: str) -> tuple[int, str | InvalidNumber]:
    try:
        return line, to_textable_e164(written, runtime.config["DEFAULT_COUNTRY_CODE"])
    except InvalidNumber as refusal:
        return line, refusal


def _work_out_new(db, runtime, readings, pool) -> dict[str, tuple[str, str]]:
    """Pseudonyms for the numbers this site has no settled pseudonym for yet."""
    phones = list(
        {
            phone: None
            for _, phone in readings
            if isinstance(phone, str) and _needs_working_out(db, phone)
        }
    )
    key = runtime.pseudonym_key
    made = pool.map(lambda phone: known_pseudonym(key, phone), phones)
    return dict(zip(phones, made, strict=True))


def _key_replaced(runtime, worked_out: dict) -> bool:
    current = read_key(runtime.key_file)
    fingerprint = key_fingerprint(current) if current else None
    return any(made[1] != fingerprint for made in worked_out.values())


def _needs_working_out(db, phone: str) -> bool:
    known = store.participants.id_for_number(db, phone)
    return known is None or store.participants.is_unkeyed(db, known)


def _queue_one(db, flow_id, line, phone, worked_out, now, report, seen) -> None:
    if isinstance(phone, InvalidNumber):
        report.invalid_lines[line] = phone.reason
        return
    if phone in seen:
        report.duplicate_lines.append(line)
        return
    seen.add(phone)
    known = store.participants.id_for_number(db, phone)
    ids = [known] + ([worked_out[phone][0]] if phone in worked_out else [])
    people = [store.sms.participant(db, i) for i in ids if i is not None]
    if any(person and person["opted_out_at"] for person in people):
        report.opted_out_lines.append(line)  # and their number is not stored again
        return
    if known is not None and store.outbox.has_pending_invitation(db, known, flow_id):
        report.already_queued_lines.append(line)
        return
    if phone in worked_out:
        participant_id = keep_known_person(db, phone, worked_out[phone], iso(now))
    else:
        participant_id = known or person_for_number(db, phone, iso(now))
    store.outbox.enqueue(
        db, participant_id=participant_id, kind="invite", now=iso(now), flow_id=flow_id
    )
    report.queued += 1
