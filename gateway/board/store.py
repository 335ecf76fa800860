"""SQL for the board's side of sync: enrolled sites, and every record they sent.

A record is stored once under its site and id (`board_records` is UNIQUE on
(site_id, record_id)), and its content is copied into the same tables a site
uses (responses, answers; alerts into board_alerts), so exports and reviews
read one shape.
"""

from __future__ import annotations

import json

import sqlite_utils

Database = sqlite_utils.Database


# Sites ---------------------------------------------------------------------------


def add_site(db: Database, name: str, code_hash: str, expires_at: str, now: str):
    db.execute(
        """INSERT INTO board_sites (name, enrol_code_hash, enrol_expires_at, created_at)
           VALUES (?, ?, ?, ?)""",
        [name, code_hash, expires_at, now],
    )


def board_site(db: Database, *, name: str | None = None, site_id: str | None = None):
    column, value = ("name", name) if name is not None else ("site_id", site_id)
    rows = list(
        db.query(f"SELECT * FROM board_sites WHERE {column} = ?", [value])  # noqa: S608
    )
    return rows[0] if rows else None


def site_by_code(db: Database, code_hash: str) -> dict | None:
    rows = list(
        db.query("SELECT * FROM board_sites WHERE enrol_code_hash = ?", [code_hash])
    )
    return rows[0] if rows else None


def enrol_site(db: Database, name: str, site_id: str, secret: str, now: str) -> None:
    """The code stays until the site's first signed request, so that a site
    whose answer was lost on the way can ask again (and only that site)."""
    db.execute(
        """UPDATE board_sites SET site_id = ?, secret = ?, enrolled_at = ?,
               last_contact_at = ?
           WHERE name = ?""",
        [site_id, secret, now, now, name],
    )


def new_enrol_code(db: Database, name: str, code_hash: str, expires_at: str) -> None:
    db.execute(
        """UPDATE board_sites SET enrol_code_hash = ?, enrol_expires_at = ?
           WHERE name = ?""",
        [code_hash, expires_at, name],
    )


def revoke_site(db: Database, name: str, now: str) -> bool:
    cursor = db.execute(
        "UPDATE board_sites SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
        [now, name],
    )
    return cursor.rowcount == 1


def list_sites(db: Database) -> list[dict]:
    return list(
        db.query(
            """SELECT s.*, (SELECT count(*) FROM board_records r
                            WHERE r.site_id = s.site_id) AS records
               FROM board_sites s ORDER BY s.name"""
        )
    )


def touch_site(db: Database, site_id: str, now: str, offset: float | None) -> None:
    db.execute(
        """UPDATE board_sites SET last_contact_at = ?,
               clock_offset_seconds = coalesce(?, clock_offset_seconds),
               enrol_code_hash = NULL, enrol_expires_at = NULL
           WHERE site_id = ?""",
        [now, offset, site_id],
    )


def use_nonce(db: Database, site_id: str, nonce: str, now: str, forget_before: str):
    """False if this nonce was seen already (a replayed request)."""
    db.execute("DELETE FROM board_nonces WHERE seen_at < ?", [forget_before])
    cursor = db.execute(
        "INSERT OR IGNORE INTO board_nonces (site_id, nonce, seen_at) VALUES (?, ?, ?)",
        [site_id, nonce, now],
    )
    return cursor.rowcount == 1


# Records ---------------------------------------------------------------------------


def record_hash(db: Database, site_id: str, record_id: str) -> str | None:
    """The hash of what `site_id` sent under `record_id`, if it did."""
    rows = list(
        db.query(
            "SELECT body_hash FROM board_records WHERE site_id = ? AND record_id = ?",
            [site_id, record_id],
        )
    )
    return rows[0]["body_hash"] if rows else None


def response_id_held_elsewhere(db: Database, response_id: str, site_id: str) -> bool:
    """True if a site other than `site_id` holds this response id on the board:
    its response is stored under it, or one of its alerts names it."""
    rows = db.query(
        """SELECT 1 FROM responses WHERE id = ? AND site_id != ?
           UNION ALL
           SELECT 1 FROM board_alerts WHERE response_id = ? AND site_id != ?
           LIMIT 1""",
        [response_id, site_id, response_id, site_id],
    )
    return bool(list(rows))


def insert_record(
    db: Database,
    *,
    record_id: str,
    site_id: str,
    kind: str,
    body: str,
    body_hash: str,
    queued_at: str,
    now: str,
) -> bool:
    """Store a record under its site and id; False (and nothing stored) if that
    site already sent one with this id."""
    cursor = db.execute(
        """INSERT OR IGNORE INTO board_records (record_id, site_id, kind, body_hash,
               body, queued_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [record_id, site_id, kind, body_hash, body, queued_at, now],
    )
    return cursor.rowcount == 1


def apply_response(db: Database, record: dict) -> None:
    """A site's closed response, into the board's own responses and answers."""
    if record.get("participant"):
        db.execute(
            "INSERT OR IGNORE INTO participants (id, created_at) VALUES (?, ?)",
            [record["participant"], record["started_at"]],
        )
    db.execute(
        """INSERT INTO responses (id, site_id, participant_id, flow_id, flow_version,
               channel, language, kiosk, helped, started_at, closed_at, status,
               close_reason, opening_text)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            record["id"],
            record["site_id"],
            record.get("participant"),
            record["flow_id"],
            record["flow_version"],
            record["channel"],
            record["language"],
            record.get("kiosk"),
            int(bool(record.get("helped"))),
            record["started_at"],
            record["closed_at"],
            record["status"],
            record.get("close_reason"),
            record.get("opening_text"),
        ],
    )
    for answer in record["answers"]:
        db.execute(
            """INSERT INTO answers (response_id, step_id, position, value, raw,
                   prompt, state, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                record["id"],
                answer["step_id"],
                answer["position"],
                answer.get("value"),
                answer.get("raw"),
                answer["prompt"],
                answer["state"],
                answer["answered_at"],
            ],
        )


def apply_alert(db: Database, record: dict, received_at: str) -> None:
    db.execute(
        """INSERT INTO board_alerts (id, site_id, response_id, step_id, category, rule,
               raised_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            record["id"],
            record["site_id"],
            record["response_id"],
            record["step_id"],
            record["category"],
            record["rule"],
            record["raised_at"],
            received_at,
        ],
    )


def opt_changes_since(db: Database, cursor: int, site_id: str, limit: int) -> list:
    """Opt-outs and opt-ins that other sites sent, after `cursor`."""
    return [
        {**json.loads(row["body"]), "seq": row["seq"], "kind": row["kind"]}
        for row in db.query(
            """SELECT seq, kind, body FROM board_records
               WHERE seq > ? AND site_id != ? AND kind IN ('opt_out', 'opt_in')
               ORDER BY seq LIMIT ?""",
            [cursor, site_id, limit],
        )
    ]


def records_by_day(db: Database, site_id: str) -> dict[str, list[str]]:
    days: dict[str, list[str]] = {}
    for row in db.query(
        """SELECT substr(queued_at, 1, 10) AS day, record_id FROM board_records
           WHERE site_id = ? ORDER BY record_id""",
        [site_id],
    ):
        days.setdefault(row["day"], []).append(row["record_id"])
    return days
