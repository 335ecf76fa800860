"""The board's tables as they once shipped inside the site's database, kept
as test data.

Before the board had a database of its own, these two migrations (parts of
`add_sync` and `keep_sync_moving_and_ids_per_site` in the single list) made
board_* tables beside the site's. A database made then still has them, unused:
the tests rebuild such a database to check that the site's history, as it
shipped, still recognises and upgrades it.
"""

from __future__ import annotations

import sqlite_utils


def add_board_tables(db: sqlite_utils.Database) -> None:
    """What a board keeps of its sites and of every record they sent.

    The board's part of `add_sync`, as it shipped."""
    # The board's side. A site row is made by `gateway board add-site`; the
    # site's own id and secret arrive when it enrols.
    db.execute("""
        CREATE TABLE board_sites (
            name TEXT PRIMARY KEY,
            site_id TEXT UNIQUE,            -- the site's UUID, from enrolment
            secret TEXT,                    -- signs the site's requests (hex)
            enrol_code_hash TEXT,
            enrol_expires_at TEXT,
            enrolled_at TEXT,
            revoked_at TEXT,
            last_contact_at TEXT,
            clock_offset_seconds REAL,      -- the site's clock minus the board's
            created_at TEXT NOT NULL
        )""")
    # Every record any site sent, by its global id: a repeat is a no-op, and
    # the same id with other content is a conflict.
    db.execute("""
        CREATE TABLE board_records (
            seq INTEGER PRIMARY KEY,        -- arrival order: the pull cursor
            record_id TEXT NOT NULL UNIQUE,
            site_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            body TEXT NOT NULL,
            queued_at TEXT NOT NULL,        -- by the site's clock
            received_at TEXT NOT NULL       -- by the board's
        )""")
    # Alerts from sites. Kept apart from `alerts`: an alert arrives ahead of
    # the response it belongs to, which may still be open at its site.
    db.execute("""
        CREATE TABLE board_alerts (
            id TEXT PRIMARY KEY,
            site_id TEXT NOT NULL,
            response_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            category TEXT NOT NULL,
            rule TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        )""")
    db.execute("""
        CREATE TABLE board_nonces (
            site_id TEXT NOT NULL,
            nonce TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (site_id, nonce)
        )""")


def keep_board_ids_per_site(db: sqlite_utils.Database) -> None:
    """No site can take another's ids: each site's record ids are its own.

    The board's part of `keep_sync_moving_and_ids_per_site`, as it shipped.
    """
    # The board: a record is unique within the site that sent it, so a repeat
    # or a conflict is judged only against that site's own records. The seq
    # (the pull cursor) is kept as it was.
    db.execute("""
        CREATE TABLE board_records_per_site (
            seq INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            body TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            UNIQUE (site_id, record_id)
        )""")
    db.execute("INSERT INTO board_records_per_site SELECT * FROM board_records")
    db.execute("DROP TABLE board_records")
    db.execute("ALTER TABLE board_records_per_site RENAME TO board_records")
    db.execute("""
        CREATE TABLE board_alerts_per_site (
            id TEXT NOT NULL,
            site_id TEXT NOT NULL,
            response_id TEXT NOT NULL,
            step_id TEXT NOT NULL,
            category TEXT NOT NULL,
            rule TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            PRIMARY KEY (site_id, id)
        )""")
    db.execute("INSERT INTO board_alerts_per_site SELECT * FROM board_alerts")
    db.execute("DROP TABLE board_alerts")
    db.execute("ALTER TABLE board_alerts_per_site RENAME TO board_alerts")
    db.execute("CREATE INDEX board_alerts_by_response ON board_alerts(response_id)")


MIGRATIONS = (add_board_tables, keep_board_ids_per_site)
