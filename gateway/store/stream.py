"""What this site took from its board's stream: each record once, by its id.

The cursor ("the last seq I had") and the rows here change in one
transaction with whatever the records changed, so a pull killed at any
moment leaves either all of a batch or none of it.
"""

from __future__ import annotations

from sqlite_utils import Database

from gateway.store import core

CURSOR = "sync_stream_cursor"


def cursor(db: Database) -> int:
    return int(core.get_meta(db, CURSOR) or 0)


def move_cursor(db: Database, seq: int) -> None:
    """Never backwards."""
    if seq > cursor(db):
        core.set_meta(db, CURSOR, str(seq))


def taken(db: Database, record_id: str) -> bool:
    found = db.execute("SELECT 1 FROM stream_taken WHERE record_id = ?", [record_id])
    return found.fetchone() is not None


def keep(db: Database, record: dict, body: str, now: str, not_applied=None) -> None:
    """Note a record as taken: applied, or (with the reason) not applied,
    its body kept so it can be tried again."""
    db.execute(
        """INSERT INTO stream_taken
               (record_id, seq, kind, received_at, applied_at, not_applied, body)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            record["id"],
            record["seq"],
            record["kind"],
            now,
            None if not_applied else now,
            not_applied,
            body if not_applied else None,
        ],
    )


def kept(db: Database, reasons: tuple[str, ...]) -> list[dict]:
    """Records kept, not applied, whose reason starts with one of `reasons`,
    oldest first. (Few are ever kept: they are sorted out here, not in SQL.)"""
    rows = db.execute(
        """SELECT record_id, seq, kind, body, not_applied FROM stream_taken
           WHERE applied_at IS NULL ORDER BY seq"""
    )
    return [
        {"id": record_id, "seq": seq, "kind": kind, "body": body}
        for record_id, seq, kind, body, reason in rows.fetchall()
        if reason.startswith(reasons)
    ]


def still_kept(db: Database, record_id: str) -> bool:
    found = db.execute(
        "SELECT 1 FROM stream_taken WHERE record_id = ? AND applied_at IS NULL",
        [record_id],
    )
    return found.fetchone() is not None


def settle(db: Database, record_id: str, now: str, reason: str | None) -> None:
    """A kept record tried again: applied (reason None), or kept for `reason`."""
    if reason is None:
        db.execute(
            """UPDATE stream_taken SET applied_at = ?, not_applied = NULL,
                   body = NULL
               WHERE record_id = ?""",
            [now, record_id],
        )
    else:
        db.execute(
            "UPDATE stream_taken SET not_applied = ? WHERE record_id = ?",
            [reason, record_id],
        )


def summary(db: Database) -> dict:
    """For `gateway sync status`: the cursor, and records not applied by kind."""
    rows = db.execute(
        """SELECT kind, not_applied, count(*) FROM stream_taken
           WHERE applied_at IS NULL GROUP BY kind, not_applied ORDER BY kind"""
    ).fetchall()
    return {
        "cursor": cursor(db),
        "not_applied": [
            {"kind": kind, "reason": reason, "count": count}
            for kind, reason, count in rows
        ],
    }
