"""Writing closed responses as CSV or JSON lines, one per response, never a number.

CSV cells that a spreadsheet would run as a formula are defused with a quote
mark (OWASP's advice on CSV injection), since free text comes from the public.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
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
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def response_record(row: dict) -> dict:
    record = {field: row.get(field) for field in FIELDS}
    record["flow"] = row["flow_id"]
    record["helped"] = bool(row.get("helped"))
    record["completed_at"] = row["closed_at"] if row["status"] == "complete" else None
    record["answers"] = row["answers"]
    return record


def write_jsonl(rows: Iterable[dict], out: TextIO) -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(response_record(row), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict], out: TextIO, flows: dict[str, Flow]) -> int:
    """One row per response; for each step a value column and a `.state` column."""
    records = [response_record(row) for row in rows]
    steps = _step_columns(records, flows)
    header = [*FIELDS]
    for step in steps:
        header += [step, f"{step}.state"]
    writer = csv.writer(out)
    writer.writerow(header)
    for record in records:
        line = [record[field] for field in FIELDS]
        for step in steps:
            answer = record["answers"].get(step) or {}
            line += [answer.get("value"), answer.get("state")]
        writer.writerow([_safe_cell(cell) for cell in line])
    return len(records)


def _step_columns(records: list[dict], flows: dict[str, Flow]) -> list[str]:
    """Steps in flow order, then any from older flow versions, alphabetically."""
    used = {step for record in records for step in record["answers"]}
    ordered: list[str] = []
    for flow_id in dict.fromkeys(record["flow"] for record in records):
        if flow_id in flows:
            ordered += [
                s.id
                for s in flows[flow_id].steps
                if s.id in used and s.id not in ordered
            ]
    return ordered + sorted(used - set(ordered))


def _safe_cell(cell):
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell
