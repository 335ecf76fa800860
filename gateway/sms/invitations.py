"""Queueing invitations to a flow from a list of numbers, skipping what must be skipped.

Numbers are normalised to E.164. Duplicates, people who have opted out and
numbers that cannot get texts (with the reason: too short, a landline...) are
reported by line, never by number, and nothing is queued for them.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from flows.formats import iso
from gateway import store
from gateway.db import write_txn
from gateway.privacy import InvalidNumber, pseudonym, to_textable_e164
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
    long list. Running a list again is safe: people who already have an
    invitation to this flow waiting are skipped.
    """
    runtime.flow(flow_id)  # refuse an unknown flow before touching anything
    report, seen = InvitationReport(), set()
    rows = iter(numbers)
    while chunk := list(itertools.islice(rows, CHUNK)):
        with write_txn(db):
            for line, written in chunk:
                _queue_one(db, runtime, flow_id, line, written, now, report, seen)
    return report


def _queue_one(db, runtime, flow_id, line, written, now, report, seen) -> None:
    try:
        phone = to_textable_e164(written, runtime.config["DEFAULT_COUNTRY_CODE"])
    except InvalidNumber as refusal:
        report.invalid_lines[line] = refusal.reason
        return
    participant_id = pseudonym(runtime.pseudonym_key, phone)
    if participant_id in seen:
        report.duplicate_lines.append(line)
        return
    seen.add(participant_id)
    person = store.sms.participant(db, participant_id)
    if person is not None and person["opted_out_at"]:
        report.opted_out_lines.append(line)  # and their number is not stored again
        return
    if person is not None and store.outbox.has_pending_invitation(
        db, participant_id, flow_id
    ):
        report.already_queued_lines.append(line)
        return
    store.core.ensure_participant(db, participant_id, iso(now), phone=phone)
    store.outbox.enqueue(
        db, participant_id=participant_id, kind="invite", now=iso(now), flow_id=flow_id
    )
    report.queued += 1
