"""The records a site sends up, in one exact form, fixed the first time they go.

A record travels as {"id", "kind", "queued_at", "body"} where body is the
record's canonical JSON as a string: the board hashes exactly what was sent,
so a record sent twice is recognised byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

from gateway import store
from gateway.db import write_txn

KINDS = ("response", "alert", "opt_out", "opt_in", "erasure")


def canonical(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def next_batch(db, limit: int, now: str, skip: Collection[str] = ()) -> list[dict]:
    """Up to `limit` waiting records (not those in `skip`), bodies frozen, in
    the order `store.sync.waiting` gives: alerts, then opt-outs and opt-ins, then
    responses. A record whose source is gone (erased) is set aside with the
    reason."""
    with write_txn(db):
        rows = store.sync.waiting(db, limit, skip)
        batch = []
        for row in rows:
            body = row["body"]
            if body is None:
                data = _build(db, row["kind"], row["record_id"])
                if data is None:
                    store.sync.set_aside(
                        db, row["record_id"], "no longer on this site", now
                    )
                    continue
                body = canonical(data)
                store.sync.freeze_body(db, row["record_id"], body)
            store.sync.mark_sent(db, row["record_id"], now)
            batch.append(
                {
                    "id": row["record_id"],
                    "kind": row["kind"],
                    "queued_at": row["queued_at"],
                    "body": body,
                }
            )
    return batch


def _build(db, kind: str, record_id: str) -> dict | None:
    if kind == "response":
        return store.sync.response_record(db, record_id)
    if kind == "alert":
        return store.sync.alert_record(db, record_id)
    return None  # opt-outs are written whole by their trigger
