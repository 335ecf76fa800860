"""What a board does with a batch from a site: store each record once, say so.

The batch is one transaction. Each record gets a status: stored, already_had
(the same id with the same content: a repeat, a no-op), or rejected with a
reason (the same id with other content is a conflict). A record that cannot
be stored is undone alone and never blocks the rest.
"""

from __future__ import annotations

import json
import logging
import re

from flows.engine import parse_iso
from gateway import store
from gateway.db import savepoint, write_txn
from gateway.sync.records import KINDS, body_hash

log = logging.getLogger("gateway.sync")
MAX_ID_LENGTH = 64
PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")  # HMAC-SHA256, hex


def accept_batch(db, site: dict, records, now: str) -> list[dict]:
    if not isinstance(records, list):
        raise ValueError("records must be a list")
    with write_txn(db):
        return [_accept(db, site, item, now) for item in records]


def _accept(db, site: dict, item, now: str) -> dict:
    record_id = item.get("id") if isinstance(item, dict) else None
    if not isinstance(record_id, str) or not 0 < len(record_id) <= MAX_ID_LENGTH:
        return _rejected(None, "the record has no id")
    problem, data = _check(site, item)
    if problem:
        return _rejected(record_id, problem)
    hashed = body_hash(item["body"])
    try:
        with savepoint(db):
            # The UNIQUE record id is the guarantee: a repeat inserts nothing.
            inserted = store.insert_record(
                db,
                record_id=record_id,
                site_id=site["site_id"],
                kind=item["kind"],
                body=item["body"],
                body_hash=hashed,
                queued_at=item["queued_at"],
                now=now,
            )
            if not inserted:
                if store.record_hash(db, record_id) == hashed:
                    return {"id": record_id, "status": "already_had"}
                return _rejected(
                    record_id, "conflict: this id was stored with other content"
                )
            if item["kind"] == "response":
                store.apply_response(db, data)
            elif item["kind"] == "alert":
                store.apply_alert(db, data, now)
    except Exception as error:  # one bad record never fails the whole batch
        log.warning("a record from site %s was refused: %r", site["name"], error)
        return _rejected(record_id, f"could not be stored: {type(error).__name__}")
    return {"id": record_id, "status": "stored"}


def _check(site: dict, item: dict) -> tuple[str | None, dict | None]:
    if item.get("kind") not in KINDS:
        return "unknown kind of record", None
    if not isinstance(item.get("body"), str) or not isinstance(
        item.get("queued_at"), str
    ):
        return "the record has no body or queued time", None
    try:
        data = json.loads(item["body"])
    except ValueError:
        return "the body is not JSON", None
    if not isinstance(data, dict):
        return "the body is not a JSON object", None
    if item["kind"] in ("response", "alert"):
        if data.get("site_id") != site["site_id"]:
            return "the record belongs to another site", None
        if data.get("id") != item["id"]:
            return "the record's id does not match its body", None
    elif not _is_opt_change(data):
        return "an opt-out or opt-in must be a participant and a time, no more", None
    return None, data


def _is_opt_change(data: dict) -> bool:
    if set(data) != {"participant", "at"} or not isinstance(data["at"], str):
        return False
    if not PSEUDONYM.match(str(data["participant"])):
        return False
    try:
        parse_iso(data["at"])
    except ValueError:
        return False
    return True


def _rejected(record_id: str | None, reason: str) -> dict:
    return {"id": record_id, "status": "rejected", "reason": reason}
