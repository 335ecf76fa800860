"""Writing closed responses as CSV or JSON lines, one per response, as they are
read: nothing is held but the row being written. Never a phone number.

A CSV cell that a spreadsheet would run as a formula (it begins with =, +, -,
@, a tab or a carriage return) gets a quote mark in front, as OWASP advises
against CSV injection, since free text comes from the public. A cell that is a
real number, such as -3, stays a number. JSON lines are never changed: JSON
has no formulas.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import TextIO

from flows.model import Flow

FIELDS = (
    "id",
    "flow",
    "flow_version",
    "channel",
    "language",
    "site_id",
    "site",
    "kiosk",
    "helped",
    "started_at",
    "closed_at",
    "completed_at",
    "status",
    "close_reason",
    "is_test",
    "opening_text",
)
# A board's export adds its tags; for staff, the person's pseudonym too.
BOARD_FIELDS = (*FIELDS, "participant_id", "tags")
MEMBER_FIELDS = (*FIELDS, "tags")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_FIRST = frozenset(FORMULA_START)
NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Characters Python's splitlines() and some readers take for a line end, which
# json.dumps leaves as they are inside a string: escaped, one line stays one.
LINE_ENDS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"}
AS_WRITTEN = json.JSONEncoder(ensure_ascii=False)  # "café", not "caf\\u00e9"
TEXT_CHUNK = 64 * 1024  # what csv_text and jsonl_text hand on at a time


def records(fields: tuple[str, ...] = FIELDS):
    """A function from a row (as the stores read it) to its record: `fields`
    (flow for flow_id; completed_at, the close of a complete one), then its
    answers. Worked out once for an export: it runs for every row."""
    get = itemgetter(*_sources(fields))
    completed = fields.index("completed_at") if "completed_at" in fields else None

    def record(row: dict) -> dict:
        made = dict(zip(fields, get(row), strict=True))
        made["helped"] = bool(made["helped"])
        if completed is not None and row["status"] != "complete":
            made["completed_at"] = None
        made["answers"] = row["answers"]
        return made

    return record


def _sources(fields: tuple[str, ...]) -> list[str]:
    """Each field's key in a row as the stores read it."""
    renamed = {"flow": "flow_id", "completed_at": "closed_at"}
    return [renamed.get(field, field) for field in fields]


def step_columns(found: Iterable[tuple[str, str]], flows: dict[str, Flow]) -> list[str]:
    """The CSV's step columns from the (flow id, step id) pairs the responses
    use: each flow's steps in its order (flows by id), then any from older
    flow versions or flows no longer loaded, alphabetically."""
    used: dict[str, set[str]] = {}
    for flow_id, step_id in found:
        used.setdefault(flow_id, set()).add(step_id)
    every = set().union(*used.values()) if used else set()
    ordered: list[str] = []
    for flow_id in sorted(used):
        if flow_id in flows:
            ordered += [
                s.id
                for s in flows[flow_id].steps
                if s.id in used[flow_id] and s.id not in ordered
            ]
    return ordered + sorted(every - set(ordered))


def csv_header(steps: list[str], fields: tuple[str, ...] = FIELDS) -> list:
    header = [*fields]
    for step in steps:
        header += [step, f"{step}.state"]
    return [safe_cell(cell) for cell in header]


def csv_cells(steps: list[str], fields: tuple[str, ...] = FIELDS):
    """A function from a row (as the stores read it) to its CSV cells, each
    safe to open in a spreadsheet. Worked out once for an export, since it
    runs for every cell of every row: safe_cell's rules, written out.

    A row has its answers by step id, or (from the board's store, asked for
    a CSV) `step_cells`: each of `steps`' value and state, side by side."""
    get = itemgetter(*_sources(fields))
    completed = fields.index("completed_at") if "completed_at" in fields else None
    truth = [i for i, f in enumerate(fields) if f in ("helped", "is_test")]
    tags = fields.index("tags") if "tags" in fields else None

    def cells(row: dict) -> list:
        line = list(get(row))
        if completed is not None and row["status"] != "complete":
            line[completed] = None
        for i in truth:
            line[i] = "true" if line[i] else "false"
        if tags is not None:
            line[tags] = "; ".join(line[tags])
        if "step_cells" in row:  # laid out already (a board's rows)
            line += row["step_cells"]
        else:
            answers = row["answers"]
            for step in steps:
                answer = answers.get(step)
                line += (
                    (None, None)
                    if answer is None
                    else (answer["value"], answer["state"])
                )
        return [
            "'" + cell
            if cell.__class__ is str
            and cell[:1] in FORMULA_FIRST
            and not NUMBER.fullmatch(cell)
            else cell
            for cell in line
        ]

    return cells


def safe_cell(cell):
    """A cell a spreadsheet shows and never runs: bools as true and false,
    numbers as numbers, a list (tags) joined, text that could start a formula
    with a quote mark in front."""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, list | tuple):
        cell = "; ".join(str(item) for item in cell)
    if (
        isinstance(cell, str)
        and cell.startswith(FORMULA_START)
        and not NUMBER.fullmatch(cell)
    ):
        return "'" + cell
    return cell


def json_line(record: dict) -> str:
    """A record as one line of JSON, with its text as written (not \\u escapes)."""
    line = AS_WRITTEN.encode(record)
    for end, escaped in LINE_ENDS.items():
        if end in line:
            line = line.replace(end, escaped)
    return line + "\n"


def write_jsonl(rows: Iterable[dict], out: TextIO, fields=FIELDS) -> int:
    record, count = records(fields), 0
    for row in rows:
        out.write(json_line(record(row)))
        count += 1
    return count


def write_csv(
    rows: Iterable[dict], out: TextIO, steps: list[str], fields=FIELDS
) -> int:
    """One row per response; for each step a value column and a `.state` column.
    `steps` (step_columns) are known before the first row, so each row is
    written as it is read."""
    writer = csv.writer(out)
    writer.writerow(csv_header(steps, fields))
    cells, count = csv_cells(steps, fields), 0
    for row in rows:
        writer.writerow(cells(row))
        count += 1
    return count


def csv_text(rows: Iterable[dict], steps: list[str], fields=FIELDS) -> Iterator[str]:
    """write_csv's text, a piece at a time, for a download that streams."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header(steps, fields))
    cells = csv_cells(steps, fields)
    for row in rows:
        writer.writerow(cells(row))
        if buffer.tell() >= TEXT_CHUNK:
            yield _emptied(buffer)
    yield _emptied(buffer)


def jsonl_text(rows: Iterable[dict], fields=FIELDS) -> Iterator[str]:
    """write_jsonl's text, a piece at a time."""
    record, lines, size = records(fields), [], 0
    for row in rows:
        lines.append(json_line(record(row)))
        size += len(lines[-1])
        if size >= TEXT_CHUNK:
            yield "".join(lines)
            lines, size = [], 0
    yield "".join(lines)


def _emptied(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
