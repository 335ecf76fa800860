"""Queueing invitations to a flow from a list of numbers, skipping what must be skipped.

Numbers are normalised to E.164. Duplicates, invalid numbers and people who
have opted out are reported by line, never by number, and nothing is queued
for them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from flows.engine import iso
from gateway import store
from gateway.db import write_txn
from gateway.privacy import InvalidNumber, pseudonym, to_e164
from gateway.runtime import Runtime

NUMBER_HEADINGS = re.compile(r"phone|number|mobile|tel", re.IGNORECASE)


@dataclass
class InvitationReport:
    queued: int = 0
    duplicate_lines: list[int] = field(default_factory=list)
    invalid_lines: list[int] = field(default_factory=list)
    opted_out_lines: list[int] = field(default_factory=list)


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
    """Queue one invitation per person; the whole list is queued, or none of it."""
    runtime.flow(flow_id)  # refuse an unknown flow before touching anything
    report, seen = InvitationReport(), set()
    with write_txn(db):
        for line, written in numbers:
            try:
                phone = to_e164(written, runtime.config["DEFAULT_COUNTRY_CODE"])
            except InvalidNumber:
                report.invalid_lines.append(line)
                continue
            participant_id = pseudonym(runtime.pseudonym_key, phone)
            if participant_id in seen:
                report.duplicate_lines.append(line)
                continue
            seen.add(participant_id)
            store.ensure_participant(db, participant_id, iso(now), phone=phone)
            if store.participant(db, participant_id)["opted_out_at"]:
                report.opted_out_lines.append(line)
                continue
            store.enqueue(
                db,
                participant_id=participant_id,
                kind="invite",
                now=iso(now),
                flow_id=flow_id,
            )
            report.queued += 1
    return report
