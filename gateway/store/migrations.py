"""The site's schema history: every change to the tables a site uses, in order.

A site runs only this history; a board runs it too, then the board's own
(gateway/board/migrations.py), because a board keeps the responses and answers
its sites send in these same tables. Until this split, one list held both
areas' changes. Two of them, `add_sync` and `keep_sync_moving_and_ids_per_site`,
changed both: each is now two parts, one here and one in the board's history,
with every statement as it shipped. A database that recorded the old name has
had both parts (SPLIT_FROM says so), so nothing runs twice, and a new site no
longer gets the board's tables. Keeping the histories apart lets the board
move to another database engine later without touching a site's schema.

Never edit a migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

import sqlite_utils

# Safeguarding and privacy, from duty contacts on: in a module of their own.
from gateway.store.privacy_migrations import (
    add_duty_contacts,
    carry_out_erasure,
    count_kiosk_starts,
    find_people_by_number,
)


def create_core_tables(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("""
        CREATE TABLE participants (
            id TEXT PRIMARY KEY,            -- keyed hash of the E.164 number
            created_at TEXT NOT NULL,
            is_test INTEGER NOT NULL DEFAULT 0
        )""")
    # The only place a raw phone number is kept. It never syncs or exports.
    db.execute("""
        CREATE TABLE participant_numbers (
            participant_id TEXT PRIMARY KEY REFERENCES participants(id),
            phone TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE responses (
            id TEXT PRIMARY KEY,            -- UUIDv7
            site_id TEXT NOT NULL,
            participant_id TEXT REFERENCES participants(id),
            flow_id TEXT NOT NULL,
            flow_version INTEGER NOT NULL,
            channel TEXT NOT NULL,
            language TEXT NOT NULL,
            kiosk TEXT,
            started_at TEXT NOT NULL,
            closed_at TEXT,
            status TEXT NOT NULL DEFAULT 'open',
            close_reason TEXT,
            is_test INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX responses_closed_at ON responses(closed_at)")
    db.execute("""
        CREATE TABLE answers (
            response_id TEXT NOT NULL REFERENCES responses(id),
            step_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            value TEXT,
            raw TEXT,
            prompt TEXT NOT NULL,
            state TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            PRIMARY KEY (response_id, step_id)
        )""")
    # One open conversation per person per channel; kiosk sessions have no person.
    db.execute("""
        CREATE TABLE sessions (
            response_id TEXT PRIMARY KEY REFERENCES responses(id),
            participant_id TEXT REFERENCES participants(id),
            channel TEXT NOT NULL,
            state TEXT NOT NULL,            -- the engine's SessionState as JSON
            last_activity_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE UNIQUE INDEX sessions_one_open_per_person
        ON sessions(participant_id, channel) WHERE participant_id IS NOT NULL""")
    db.execute("""
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY,            -- UUIDv7
            response_id TEXT NOT NULL REFERENCES responses(id),
            step_id TEXT NOT NULL,
            category TEXT NOT NULL,
            rule TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            is_test INTEGER NOT NULL DEFAULT 0
        )""")


def add_sms_tables(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE participants ADD COLUMN opted_out_at TEXT")
    db.execute("ALTER TABLE participants ADD COLUMN privacy_notice_at TEXT")
    # What the person sent that started a conversation: unprompted feedback or
    # a late reply. Kept, never taken as an answer to the first question.
    db.execute("ALTER TABLE responses ADD COLUMN opening_text TEXT")
    db.execute("""
        CREATE TABLE inbound_messages (
            message_sid TEXT PRIMARY KEY,   -- Twilio's id: a retry is a no-op
            participant_id TEXT REFERENCES participants(id),
            received_at TEXT NOT NULL,
            body TEXT NOT NULL,
            media_count INTEGER NOT NULL DEFAULT 0,
            handling TEXT NOT NULL,
            response_id TEXT REFERENCES responses(id),
            reply TEXT                      -- the TwiML we answered with
        )""")
    db.execute("""
        CREATE INDEX inbound_by_participant
        ON inbound_messages(participant_id, received_at)""")
    # Rows name the participant, never a copied number: it is looked up at send.
    db.execute("""
        CREATE TABLE outbox (
            id TEXT PRIMARY KEY,            -- UUIDv7
            participant_id TEXT NOT NULL REFERENCES participants(id),
            kind TEXT NOT NULL,             -- invite, alert, message
            priority INTEGER NOT NULL DEFAULT 0,
            flow_id TEXT,
            body TEXT,                      -- an invite's is written when it is sent
            response_id TEXT REFERENCES responses(id),
            status TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            updated_at TEXT NOT NULL,
            provider_sid TEXT UNIQUE,
            last_error TEXT,
            is_test INTEGER NOT NULL DEFAULT 0
        )""")
    db.execute("CREATE INDEX outbox_due ON outbox(status, priority, next_attempt_at)")
    db.execute("""
        CREATE TABLE erasure_requests (
            id TEXT PRIMARY KEY,
            participant_id TEXT NOT NULL REFERENCES participants(id),
            requested_at TEXT NOT NULL,
            channel TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open'
        )""")


def add_outbox_first_failure(db: sqlite_utils.Database) -> None:
    # Giving up counts from the first failed try, not from when a message was
    # queued: a backlog or a night of quiet hours is not a failure.
    db.execute("ALTER TABLE outbox ADD COLUMN first_failed_at TEXT")


def add_early_statuses(db: sqlite_utils.Database) -> None:
    # Twilio's first delivery report can beat the worker's record of the sid.
    db.execute("""
        CREATE TABLE early_statuses (
            provider_sid TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            error_code TEXT,
            received_at TEXT NOT NULL
        )""")


def add_kiosks(db: sqlite_utils.Database) -> None:
    """Named kiosk devices, and what makes a tap on one count exactly once."""
    db.execute("""
        CREATE TABLE kiosks (
            id TEXT PRIMARY KEY,            -- UUIDv7
            name TEXT NOT NULL UNIQUE,
            key TEXT NOT NULL UNIQUE,       -- the secret part of the kiosk's URL
            flow_id TEXT,                   -- NULL: the site's default flow
            created_at TEXT NOT NULL,
            retired_at TEXT
        )""")
    # A Start tap carries a key made when the welcome screen was drawn: the
    # same key twice (a double tap, a resent form) finds the same response.
    db.execute("""
        CREATE TABLE kiosk_starts (
            start_key TEXT PRIMARY KEY,
            response_id TEXT NOT NULL REFERENCES responses(id)
        )""")
    # Every screen a kiosk conversation shows has a number; a tap names the
    # screen it was made on, so a tap sent twice is applied once.
    db.execute("ALTER TABLE sessions ADD COLUMN screen INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE responses ADD COLUMN helped INTEGER NOT NULL DEFAULT 0")


def add_sync_queue(db: sqlite_utils.Database) -> None:
    """What a site sends to its board, queued by triggers in the same transaction
    as the change itself, so nothing that happens can miss the queue.

    The site's part of `add_sync`, as it shipped."""
    # An opt-out that came from the board (made at another site) is not
    # sent back up again.
    db.execute(
        "ALTER TABLE participants "
        "ADD COLUMN opt_change_from_board INTEGER NOT NULL DEFAULT 0"
    )
    # When the person last opted out or in: a change from another site is
    # taken only if it is newer.
    db.execute("ALTER TABLE participants ADD COLUMN opt_changed_at TEXT")
    db.execute(
        "UPDATE participants SET opt_changed_at = opted_out_at "
        "WHERE opted_out_at IS NOT NULL"
    )
    db.execute("""
        CREATE TABLE sync_queue (
            record_id TEXT PRIMARY KEY,     -- the record's own global id
            kind TEXT NOT NULL,             -- response, alert, opt_out, opt_in
            priority INTEGER NOT NULL DEFAULT 0,  -- alerts go first
            body TEXT,                      -- frozen when first sent (or queued)
            queued_at TEXT NOT NULL,
            synced_at TEXT,                 -- the board acknowledged it
            board_received_at TEXT,         -- by the board's clock
            set_aside_at TEXT,              -- the board rejected it: not retried
            set_aside_reason TEXT
        )""")
    db.execute("""
        CREATE INDEX sync_queue_waiting
        ON sync_queue(priority DESC, queued_at, record_id)
        WHERE synced_at IS NULL AND set_aside_at IS NULL""")
    db.execute("""
        CREATE TRIGGER sync_closed_response AFTER UPDATE OF status ON responses
        WHEN old.status = 'open' AND new.status != 'open' AND new.is_test = 0
        BEGIN
            INSERT OR IGNORE INTO sync_queue (record_id, kind, queued_at)
            VALUES (new.id, 'response', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
        END""")
    db.execute("""
        CREATE TRIGGER sync_alert AFTER INSERT ON alerts WHEN new.is_test = 0
        BEGIN
            INSERT OR IGNORE INTO sync_queue (record_id, kind, priority, queued_at)
            VALUES (new.id, 'alert', 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
        END""")
    db.execute("""
        CREATE TRIGGER sync_opt_out AFTER UPDATE OF opted_out_at ON participants
        WHEN new.is_test = 0 AND new.opt_change_from_board = 0
            AND (old.opted_out_at IS NULL) != (new.opted_out_at IS NULL)
        BEGIN
            INSERT INTO sync_queue (record_id, kind, body, queued_at)
            VALUES (
                lower(hex(randomblob(16))),
                CASE WHEN new.opted_out_at IS NULL THEN 'opt_in' ELSE 'opt_out' END,
                json_object(
                    'participant', new.id,
                    'at', coalesce(
                        new.opt_changed_at, new.opted_out_at,
                        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))),
                strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
        END""")
    # What happened before this version is queued too, once.
    db.execute("""
        INSERT INTO sync_queue (record_id, kind, queued_at)
        SELECT id, 'response', closed_at FROM responses
        WHERE status != 'open' AND is_test = 0""")
    db.execute("""
        INSERT INTO sync_queue (record_id, kind, priority, queued_at)
        SELECT id, 'alert', 1, raised_at FROM alerts WHERE is_test = 0""")
    db.execute("""
        INSERT INTO sync_queue (record_id, kind, body, queued_at)
        SELECT lower(hex(randomblob(16))), 'opt_out',
            json_object('participant', id, 'at', opted_out_at), opted_out_at
        FROM participants WHERE opted_out_at IS NOT NULL AND is_test = 0""")


def add_kiosk_base_url(db: sqlite_utils.Database) -> None:
    """The address a kiosk's tablet reaches this gateway on, kept from
    `gateway kiosk add --base-url`, so `kiosk list` hands out the same one."""
    db.execute("ALTER TABLE kiosks ADD COLUMN base_url TEXT")


def keep_sync_moving(db: sqlite_utils.Database) -> None:
    """No record holds up the ones behind it.

    Opt-outs and opt-ins go after alerts and before responses, and a record
    the board refuses as too large even alone waits behind the others of its
    kind, with a count of the passes that sent others without it. The site's
    part of `keep_sync_moving_and_ids_per_site`, as it shipped.
    """
    # Alerts stay at 1 and opt changes at the default 0: a response now waits
    # at -1, so an opt-out is never stuck behind a backlog of responses.
    db.execute("UPDATE sync_queue SET priority = -1 WHERE kind = 'response'")
    db.execute("DROP TRIGGER sync_closed_response")
    db.execute("""
        CREATE TRIGGER sync_closed_response AFTER UPDATE OF status ON responses
        WHEN old.status = 'open' AND new.status != 'open' AND new.is_test = 0
        BEGIN
            INSERT OR IGNORE INTO sync_queue (record_id, kind, priority, queued_at)
            VALUES (new.id, 'response', -1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
        END""")
    # held_back: the board refused it as too large even alone, so it goes after
    # the others of its kind. too_large_passes: passes in which that happened
    # while the board took other records; at a limit it is set aside.
    db.execute("ALTER TABLE sync_queue ADD COLUMN held_back INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "ALTER TABLE sync_queue ADD COLUMN too_large_passes INTEGER NOT NULL DEFAULT 0"
    )
    db.execute("DROP INDEX sync_queue_waiting")
    db.execute("""
        CREATE INDEX sync_queue_next
        ON sync_queue(priority DESC, held_back, queued_at, record_id)
        WHERE synced_at IS NULL AND set_aside_at IS NULL""")


def keep_the_boards_stream(db: sqlite_utils.Database) -> None:
    """What this site took from the board's stream, one row per record id, so
    each is applied once. A record this version cannot apply (a kind it does
    not know yet, or one it found malformed) keeps its body and the reason,
    and the records behind it go on. The old pull cursor counted opt changes
    only: the stream starts from its beginning, and taking an opt change
    again changes nothing (the newest wins)."""
    db.execute("""
        CREATE TABLE stream_taken (
            record_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            received_at TEXT NOT NULL,
            applied_at TEXT,
            not_applied TEXT,
            body TEXT,
            CHECK ((applied_at IS NULL) != (not_applied IS NULL))
        )""")
    db.execute("""
        CREATE INDEX stream_taken_not_applied ON stream_taken(kind, seq)
        WHERE applied_at IS NULL""")
    db.execute("DELETE FROM meta WHERE key = 'sync_pull_cursor'")


def keep_posts(db: sqlite_utils.Database) -> None:
    """ "You said, we did" posts the board published for this site, as the
    stream brought them, for its kiosks and its texts."""
    db.execute("""
        CREATE TABLE posts (
            id TEXT PRIMARY KEY,
            words TEXT NOT NULL,
            sms_words TEXT NOT NULL,
            change TEXT NOT NULL,
            rung TEXT NOT NULL,
            took_part TEXT NOT NULL,
            reason TEXT NOT NULL,
            channels TEXT NOT NULL,
            published_at TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX posts_newest ON posts(received_at)")


MIGRATIONS = (
    create_core_tables,
    add_sms_tables,
    add_outbox_first_failure,
    add_early_statuses,
    add_kiosks,
    add_sync_queue,
    add_kiosk_base_url,
    keep_sync_moving,
    add_duty_contacts,
    find_people_by_number,
    carry_out_erasure,
    count_kiosk_starts,
    keep_the_boards_stream,
    keep_posts,
)

# A part of a migration from the single list, and the name that list recorded.
SPLIT_FROM = {
    "add_sync_queue": "add_sync",
    "keep_sync_moving": "keep_sync_moving_and_ids_per_site",
}
