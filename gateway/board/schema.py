"""The board's tables, written once in SQLAlchemy Core: the one description of
the board's schema, for its queries and its Alembic migrations.

Times are ISO 8601 text in UTC ("2026-12-01T12:00:00Z"), as at sites, so they
sort and compare as text on every engine. Nothing here holds a phone number:
a person is the pseudonym their site sent, if any.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={  # so migrations name constraints alike on every engine
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
ID = String(64)  # a record's, response's or site's id: UUIDs, with room

# Sync: the sites, every record they sent, and the nonces that stop a replay ----

sites = Table(
    "sites",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("site_id", ID, unique=True),  # the site's UUID, from enrolment
    Column("secret", String(128)),  # signs the site's requests (hex)
    Column("enrol_code_hash", String(128)),
    Column("enrol_expires_at", String(32)),
    Column("enrolled_at", String(32)),
    Column("revoked_at", String(32)),
    Column("last_contact_at", String(32)),
    Column("clock_offset_seconds", Float),  # the site's clock minus the board's
    Column("created_at", String(32), nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # pull cursor
    Column("record_id", ID, nullable=False),
    Column("site_id", ID, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("queued_at", String(32), nullable=False),  # by the site's clock
    Column("received_at", String(32), nullable=False),  # by the board's
    UniqueConstraint("site_id", "record_id"),
    Index(None, "kind", "seq"),
)

# What the board sends down: one stream for every kind it publishes (opt changes
# made at other sites today; posts and flow versions next). A site pulls "after
# seq N" and applies each record once, by its id. A record goes to every site
# or to those in stream_sites, and never back to the site it came from.
stream = Table(
    "stream",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),  # pull cursor
    Column("record_id", ID, nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("body", Text, nullable=False),  # canonical JSON
    Column("every_site", Boolean, nullable=False),
    Column("from_site", ID),  # the site it came from, if one did
    Column("published_at", String(32), nullable=False),
)

stream_sites = Table(
    "stream_sites",
    metadata,
    Column("seq", Integer, ForeignKey("stream.seq"), nullable=False),
    Column("site_id", ID, nullable=False),
    PrimaryKeyConstraint("seq", "site_id"),
    Index(None, "site_id", "seq"),
)

nonces = Table(
    "nonces",
    metadata,
    Column("site_id", ID, nullable=False),
    Column("nonce", String(64), nullable=False),
    Column("seen_at", String(32), nullable=False),
    PrimaryKeyConstraint("site_id", "nonce"),
    Index(None, "seen_at"),
)

# What people said: every site's closed responses, and paper cards ------------

responses = Table(
    "responses",
    metadata,
    Column("id", ID, primary_key=True),
    Column("site_id", ID, nullable=False),
    Column("participant_id", String(64)),  # a pseudonym, never a number
    Column("flow_id", String(100), nullable=False),
    Column("flow_version", String(64), nullable=False),
    Column("channel", String(20), nullable=False),  # sms, kiosk, paper, ...
    Column("language", String(20), nullable=False),
    Column("kiosk", String(100)),
    Column("helped", Boolean, nullable=False, default=False),
    Column("started_at", String(32), nullable=False),
    Column("closed_at", String(32), nullable=False),
    Column("status", String(20), nullable=False),  # complete or partial
    Column("close_reason", String(40)),
    Column("opening_text", Text),
    Column("received_at", String(32), nullable=False),
    Column("entered_by", Integer, ForeignKey("users.id")),  # a paper card's typist
    # Review on the board: new, in_review, actioned, closed.
    Column("review_status", String(20), nullable=False, default="new"),
    Column("flagged", Boolean, nullable=False, default=False),
    Column("assigned_to", Integer, ForeignKey("users.id")),
    Column("has_free_text", Boolean, nullable=False, default=False),
    Column("is_test", Boolean, nullable=False, default=False),  # demo samples
    Index(None, "closed_at", "id"),
    Index(None, "site_id", "closed_at"),
    Index(None, "review_status", "closed_at"),
    Index(None, "flagged", "closed_at"),
    # The inbox: its folder counts (covered), filters by flow, language and
    # person, and the lists of flows and languages to choose from.
    Index(None, "review_status", "flagged"),
    Index(None, "flow_id", "closed_at"),
    Index(None, "language", "closed_at"),
    Index(None, "assigned_to", "closed_at"),
)

answers = Table(
    "answers",
    metadata,
    Column("response_id", ID, ForeignKey("responses.id"), nullable=False),
    Column("step_id", String(100), nullable=False),
    Column("position", Integer, nullable=False),
    Column("value", Text),
    Column("raw", Text),
    Column("prompt", Text, nullable=False),
    Column("state", String(20), nullable=False),  # answered, skipped, declined
    Column("answered_at", String(32), nullable=False),
    PrimaryKeyConstraint("response_id", "step_id"),
    Index(None, "step_id", "value", "response_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("site_id", ID, nullable=False),
    Column("id", ID, nullable=False),
    Column("response_id", ID, nullable=False),  # may arrive before its response
    Column("step_id", String(100), nullable=False),
    Column("category", String(40), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("raised_at", String(32), nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("status", String(20), nullable=False, default="open"),
    Column("acknowledged_by", Integer, ForeignKey("users.id")),
    Column("acknowledged_at", String(32)),
    Column("what_was_done", Text),
    PrimaryKeyConstraint("site_id", "id"),
    Index(None, "response_id"),
    Index(None, "status", "raised_at"),
)

# People who use the board ----------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),  # lower case
    Column("name", String(100), nullable=False),
    Column("role", String(20), nullable=False),  # admin, staff, member
    Column("password_hash", String(255)),  # None until they set one
    Column("totp_secret", String(64)),  # None: no second step
    Column("totp_last_step", Integer),  # the last code's time step: no replay
    Column("created_at", String(32), nullable=False),
    Column("disabled_at", String(32)),
    Column("session_version", Integer, nullable=False, default=1),
    Column("last_signed_in_at", String(32)),
)

user_sites = Table(  # a user with no rows here sees every site
    "user_sites",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("site_name", String(100), ForeignKey("sites.name"), nullable=False),
    PrimaryKeyConstraint("user_id", "site_name"),
)

password_links = Table(
    "password_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the token
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("used_at", String(32)),
    Column("created_at", String(32), nullable=False),
)

sign_in_failures = Table(  # per account and per address: slows, never locks
    "sign_in_failures",
    metadata,
    Column("key", String(300), primary_key=True),  # "email:..." or "address:..."
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", String(32), nullable=False),
)

board_settings = Table(
    "board_settings",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Review -----------------------------------------------------------------------

tags = Table(
    "tags",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("description", Text, nullable=False, default=""),
    Column("staff_only", Boolean, nullable=False, default=False),
    Column("created_at", String(32), nullable=False),
)

response_tags = Table(
    "response_tags",
    metadata,
    Column("response_id", ID, ForeignKey("responses.id"), nullable=False),
    Column("tag", String(60), ForeignKey("tags.name"), nullable=False),
    PrimaryKeyConstraint("response_id", "tag"),
    Index(None, "tag", "response_id"),
)

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("response_id", ID, ForeignKey("responses.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("staff_only", Boolean, nullable=False, default=True),  # else a comment
    Column("created_at", String(32), nullable=False),
    Column("edited_at", String(32)),
    Index(None, "response_id", "id"),
)

redactions = Table(
    "redactions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("response_id", ID, ForeignKey("responses.id"), nullable=False),
    Column("step_id", String(100), nullable=False),  # or "_opening" (flows OPENING)
    Column("passage", Text, nullable=False),  # the words hidden from members
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", String(32), nullable=False),
    Index(None, "response_id"),
)

own_words = Table(  # what people wrote, for the word search (store/own_words.py)
    "own_words",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # WORD_INDEX's
    Column("response_id", ID, ForeignKey("responses.id"), nullable=False),
    Column("step_id", String(100), nullable=False),  # or "_opening"
    Column("words", Text, nullable=False),  # casefolded, as staff see them
    Column("words_for_members", Text, nullable=False),  # hidden passages taken out
    UniqueConstraint("response_id", "step_id"),
)

# On SQLite, own_words has a trigram index (FTS5) so a search reads only the
# texts that hold what it looks for. Migration 0002 makes it and the triggers
# that keep it in step with own_words; it is not a table of `metadata`, so
# Alembic's env.py leaves it (and FTS5's own tables) out of its comparisons.
# PostgreSQL reads own_words itself.
WORD_INDEX = "own_words_index"

viewings = Table(  # who has a response open: "someone else is on it"
    "viewings",
    metadata,
    Column("response_id", ID, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("seen_at", String(32), nullable=False),
    PrimaryKeyConstraint("response_id", "user_id"),
)

audit = Table(  # append-only: nothing updates or deletes a row
    "audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),  # None: the system
    Column("action", String(40), nullable=False),
    Column("response_id", ID),
    Column("detail", Text, nullable=False, default="{}"),  # JSON: what changed
    Column("note", Text),
    Index(None, "response_id", "seq"),
)


# "You said, we did": what the board tells people it changed --------------------

# A post is written as a draft (by staff or members) and published by staff
# to the sites in post_sites, on the channels it names. Its rung says how the
# decision was made, on the ladder of co-production; below co-production the
# reason says why, in one plain sentence.
posts = Table(
    "posts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("words", Text, nullable=False),  # as the kiosk and notice board show it
    Column("sms_words", Text, nullable=False),  # as a text says it
    Column("change", String(20), nullable=False),  # planned, made
    Column("rung", String(20), nullable=False),  # informing ... co-production
    Column("took_part", String(100), nullable=False),  # staff,members: a list
    Column("reason", Text, nullable=False, default=""),
    Column("tag", String(60), ForeignKey("tags.name")),  # what it answers, if a tag
    Column("channels", String(100), nullable=False),  # kiosk,sms: a list
    Column("state", String(20), nullable=False),  # draft, published
    Column("written_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("written_at", String(32), nullable=False),
    Column("changed_at", String(32), nullable=False),
    Column("published_by", Integer, ForeignKey("users.id")),
    Column("published_at", String(32)),
    Index(None, "state", "changed_at"),
)

post_sites = Table(
    "post_sites",
    metadata,
    Column("post_id", ID, ForeignKey("posts.id"), nullable=False),
    Column("site_id", ID, nullable=False),
    PrimaryKeyConstraint("post_id", "site_id"),
)
