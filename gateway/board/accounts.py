"""Who is signed in to the board, what their role lets them do, and the rules
that keep accounts safe: passwords, one-time links and codes, slowing down
repeated wrong tries, and the optional second step (TOTP).

A `BoardUser` is what Flask-Login keeps for the request. Its id carries the
account's session version, so changing a password (or disabling the account)
ends every session signed in before. Passwords are hashed with werkzeug's
scrypt. The SQL is in `gateway.board.store.accounts`; this module decides.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
from flask_login import UserMixin
from sqlalchemy import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from flows.formats import iso, parse_iso

# What each role may do. Members read (without alerts or hidden passages), tag,
# comment and draft posts; staff also review, redact, see alerts, type paper
# cards and publish posts; admins also look after people and sites.
CAN = {
    "member": frozenset({"read", "tag", "comment", "draft_posts"}),
    "staff": frozenset(
        {
            "read",
            "tag",
            "comment",
            "review",
            "note",
            "redact",
            "alerts",
            "paper",
            "audit",
            "see_hidden",
            "draft_posts",
            "publish_posts",
        }
    ),
}
CAN["admin"] = CAN["staff"] | {"people"}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # scrypt reads all of it: a bound on the work
LINK_HOURS = 72  # a set-password link works once, for this long
ENROL_CODE_HOURS = 72
CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
FREE_TRIES = 5  # wrong tries before each further one must wait
LONGEST_WAIT = timedelta(minutes=15)  # slows, never locks out
FORGET_TRIES_AFTER = timedelta(days=1)  # a count this old starts again
ISSUER = "Feedback board"  # how an authenticator app names the account
REQUIRE_SECOND_STEP = "require_totp_for_staff"  # a board setting: "1" or "0"


@dataclass(frozen=True)
class BoardUser(UserMixin):
    user_id: int
    email: str
    name: str
    role: str
    sites: tuple[str, ...]  # empty: every site
    session_version: int
    uses_second_step: bool = False

    def get_id(self) -> str:
        return f"{self.user_id}:{self.session_version}"

    def can(self, action: str) -> bool:
        return action in CAN.get(self.role, frozenset())

    @property
    def is_staff(self) -> bool:  # staff or admin: sees alerts and hidden text
        return self.can("alerts")

    @classmethod
    def from_row(cls, row: dict) -> BoardUser:
        return cls(
            user_id=row["id"],
            email=row["email"],
            name=row["name"],
            role=row["role"],
            sites=tuple(row.get("sites", ())),
            session_version=row["session_version"],
            uses_second_step=bool(row.get("totp_secret")),
        )


# Passwords ---------------------------------------------------------------------


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_matches(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # As long as a real check, so the time taken tells no one whether
        # the account exists.
        check_password_hash(_stand_in_hash(), password)
        return False
    return check_password_hash(password_hash, password)


@cache
def _stand_in_hash() -> str:
    return hash_password(secrets.token_hex(16))


# One-time links and codes ------------------------------------------------------


def token_hash(token: str) -> str:
    """What the board keeps of a link's token: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(conn: Connection, user_id: int, now: datetime) -> str:
    """A new set-password token for the account (older ones stop working)."""
    from gateway.board.store import accounts

    token = secrets.token_urlsafe(32)
    accounts.add_password_link(
        conn,
        user_id=user_id,
        token_hash=token_hash(token),
        now=iso(now),
        expires_at=iso(now + timedelta(hours=LINK_HOURS)),
    )
    return token


def link_address(public_url: str | None, token: str, fallback: str) -> str:
    base = (public_url or fallback).rstrip("/")
    return f"{base}/board/set-password/{token}"


class EnrolmentRefused(ValueError):
    """The name belongs to a site that is enrolled already, or revoked."""


def offer_enrolment(conn: Connection, name: str, now: datetime) -> tuple[str, str]:
    """A one-time enrolment code for the site NAME (added if new): the code,
    and when it stops working. A site still waiting to enrol gets a new code."""
    from gateway.board.store import sites
    from gateway.board.sync_api import code_hash

    code = "-".join(
        "".join(secrets.choice(CODE_LETTERS) for _ in range(4)) for _ in range(3)
    )
    expires = iso(now + timedelta(hours=ENROL_CODE_HOURS))
    site = sites.site(conn, name=name)
    if site is None and sites.add_site_if_new(
        conn, name, code_hash(code), expires, iso(now)
    ):
        return code, expires
    site = site or sites.site(conn, name=name)  # added meanwhile, elsewhere
    if site["enrolled_at"] is None and site["revoked_at"] is None:
        sites.new_enrol_code(conn, name, code_hash(code), expires)
    else:
        raise EnrolmentRefused(name)
    return code, expires


# Slowing down wrong tries ------------------------------------------------------


def account_key(email: str) -> str:
    return f"email:{email.strip().lower()}"[:300]


def throttle_keys(email: str, address: str | None) -> tuple[str, str]:
    """The keys a try is counted under: its account's, and its address's."""
    return account_key(email), f"address:{address or '-'}"[:300]


def wait_until(failures: int, last_failed_at: str, now: datetime) -> datetime | None:
    """When the next try may be checked, if it must wait: 1 second after the
    fifth wrong try, doubling each time, never more than LONGEST_WAIT."""
    last = parse_iso(last_failed_at)
    if failures < FREE_TRIES:
        return None
    wait = min(timedelta(seconds=2 ** min(failures - FREE_TRIES, 20)), LONGEST_WAIT)
    return last + wait if now < last + wait else None


@dataclass(frozen=True)
class Attempt:
    """A try that was allowed, and counted as wrong until it proves right."""

    keys: tuple[str, ...]
    at: str
    before: dict  # key -> (failures, last_failed_at) before this try, or None


def start_attempt(conn: Connection, keys: tuple[str, ...], now: datetime):
    """Count this try as wrong now, in the database, unless a key must wait
    (then None, and nothing is counted). Counting first means tries sent at
    the same moment, by any thread or process, each see the others."""
    from gateway.board.store import accounts

    accounts.forget_failures(conn, iso(now - FORGET_TRIES_AFTER))
    found = accounts.sign_in_failures_for(conn, keys)
    for failures, last_failed_at in (found[key] for key in keys if found[key]):
        if wait_until(failures, last_failed_at, now) is not None:
            return None
    at = iso(now)
    for key in keys:
        accounts.count_failure(conn, key, at)
    return Attempt(keys=keys, at=at, before=found)


def attempt_was_right(conn: Connection, attempt: Attempt, clear: str | None) -> None:
    """The try was right: take back its count, and clear the key `clear`
    (the account's, once the person is signed in)."""
    from gateway.board.store import accounts

    for key in attempt.keys:
        if key == clear:
            accounts.clear_failures(conn, key)
        else:
            accounts.uncount_failure(conn, key, attempt.at, attempt.before[key])


# The second step: a code from an authenticator app (TOTP, RFC 6238) ------------


def setup_secret(server_key: str, user_id: int, nonce: str) -> str:
    """The secret offered while someone sets up a second step. Worked out
    from the server's key, so the session keeps only `nonce`."""
    mac = hmac.new(server_key.encode(), f"totp:{user_id}:{nonce}".encode(), "sha256")
    return base64.b32encode(mac.digest()[:20]).decode()


def secret_in_groups(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def otpauth_link(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def code_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (this one, or one either side for a
    slow phone clock), or None if it is not right."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now.timestamp())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
