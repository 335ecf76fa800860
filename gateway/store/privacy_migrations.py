"""The site's schema history, continued: safeguarding and privacy.

Duty contacts and their texts, people found by number for slow pseudonyms,
erasure carried out, and the count a kiosk's start limit needs. Listed in
order in migrations.MIGRATIONS, with the rest of the history. Never edit a
migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

import sqlite_utils


def add_duty_contacts(db: sqlite_utils.Database) -> None:
    """The people a site texts when someone may be at risk, each text, when
    the board said an alert was dealt with, and each number a contact saw.

    A duty contact is a participant, so their number is kept where every
    number is (participant_numbers) and never leaves the site."""
    db.execute("""
        CREATE TABLE duty_contacts (
            id TEXT PRIMARY KEY,            -- UUIDv7
            name TEXT NOT NULL,
            participant_id TEXT NOT NULL REFERENCES participants(id),
            escalation INTEGER NOT NULL DEFAULT 0,  -- 1: only if still open later
            added_at TEXT NOT NULL,
            removed_at TEXT
        )""")
    db.execute("""
        CREATE UNIQUE INDEX duty_contacts_in_use ON duty_contacts(name)
        WHERE removed_at IS NULL""")
    db.execute("""
        CREATE TABLE alert_notices (
            alert_id TEXT NOT NULL REFERENCES alerts(id),
            contact_id TEXT NOT NULL REFERENCES duty_contacts(id),
            message_id TEXT NOT NULL,       -- its text, in the outbox
            notified_at TEXT NOT NULL,
            PRIMARY KEY (alert_id, contact_id, notified_at)
        )""")
    # When the board said someone dealt with it (learnt by sync): no more texts.
    db.execute("ALTER TABLE alerts ADD COLUMN dealt_with_at TEXT")
    # How many times its contacts were texted, and when last: kept even when
    # there was no one to text, so reminders stop after their rounds.
    db.execute("ALTER TABLE alerts ADD COLUMN text_rounds INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE alerts ADD COLUMN last_text_round_at TEXT")
    # Each time a duty contact was shown the number behind an alert, and why.
    db.execute("""
        CREATE TABLE number_reveals (
            id TEXT PRIMARY KEY,            -- UUIDv7
            alert_id TEXT NOT NULL REFERENCES alerts(id),
            contact_id TEXT NOT NULL REFERENCES duty_contacts(id),
            reason TEXT NOT NULL,
            revealed_at TEXT NOT NULL
        )""")


def find_people_by_number(db: sqlite_utils.Database) -> None:
    """A returning person is found by their number, so their slow pseudonym is
    worked out only once, in the background (see gateway.pseudonyms).

    keyed_with: the fingerprint of the key the participant's id was made with;
    NULL until it is worked out. Everyone here before is worked out again, as
    pseudonyms were a fast hash until now. A record is marked when it is first
    sent, so re-keying never rewrites one the board may hold."""
    db.execute("ALTER TABLE participant_numbers ADD COLUMN keyed_with TEXT")
    # A number under two ids (a key file replaced by hand, not yet migrated)
    # stays with a duty contact, else the newest; the other keeps what they
    # said, without it.
    db.execute("""
        DELETE FROM participant_numbers WHERE rowid NOT IN (
            SELECT coalesce(
                max(CASE WHEN participant_id IN (
                    SELECT participant_id FROM duty_contacts
                    WHERE removed_at IS NULL) THEN rowid END),
                max(rowid))
            FROM participant_numbers GROUP BY phone)""")
    db.execute(
        "CREATE UNIQUE INDEX participant_numbers_phone ON participant_numbers(phone)"
    )
    db.execute("""
        CREATE INDEX participant_numbers_unkeyed ON participant_numbers(participant_id)
        WHERE keyed_with IS NULL""")
    db.execute("ALTER TABLE sync_queue ADD COLUMN sent_at TEXT")
    # A response or alert has a body once it was sent. An opt change has one
    # from the start and may have been sent: it goes as it is, and re-keying
    # sends the change again under the new pseudonym.
    db.execute("""
        UPDATE sync_queue SET sent_at = queued_at
        WHERE synced_at IS NOT NULL OR body IS NOT NULL""")


def carry_out_erasure(db: sqlite_utils.Database) -> None:
    """Erasure is carried out, not only recorded (see gateway.erasure).

    A request is 'asked' (DELETE, waiting for a YES), 'confirmed' (to be
    done), 'done' or 'kept' (they said NO). Requests recorded before (a DELETE,
    told it would be done) are confirmed. An erased participant keeps only
    their pseudonym, opted out, so they are never invited again."""
    db.execute("ALTER TABLE participants ADD COLUMN erased_at TEXT")
    db.execute("ALTER TABLE erasure_requests ADD COLUMN decided_at TEXT")
    db.execute("ALTER TABLE erasure_requests ADD COLUMN done_at TEXT")
    db.execute("ALTER TABLE erasure_requests ADD COLUMN reason TEXT")  # staff's
    db.execute("UPDATE erasure_requests SET status = 'confirmed' WHERE status = 'open'")
    db.execute("""
        CREATE INDEX erasure_requests_to_do ON erasure_requests(requested_at)
        WHERE status = 'confirmed'""")


def count_kiosk_starts(db: sqlite_utils.Database) -> None:
    """How many conversations a kiosk started in the last minute, found by an
    index, for GATEWAY_KIOSK_STARTS_PER_MINUTE; and what retention looks for
    (a person's responses and texts out, texts out by age), found by indexes
    too. Texts in get no index by time: it would slow every text, and the
    oldest come first by rowid anyway."""
    db.execute("""
        CREATE INDEX responses_kiosk_started ON responses(kiosk, started_at)
        WHERE kiosk IS NOT NULL""")
    db.execute("CREATE INDEX responses_by_participant ON responses(participant_id)")
    db.execute(
        "CREATE INDEX outbox_by_participant ON outbox(participant_id, created_at)"
    )
    db.execute("CREATE INDEX outbox_by_age ON outbox(created_at)")
