"""The board's sync endpoints at /board/: enrolment, push, pull and verify.

Thin views. Every answer carries the board's time (JSON `board_time` and the
X-Gateway-Board-Time header) so a site can correct its clock. Every request
but enrolment is signed by the site (`gateway.sync.signing`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, request
from sqlalchemy import exc
from werkzeug.exceptions import RequestEntityTooLarge

from flows.formats import iso, parse_iso
from gateway.board.database import current_engine, reading, writing
from gateway.board.intake import accept_batch, own_words_by_flows
from gateway.board.store import records as board_records
from gateway.board.store import sites as board_sites
from gateway.board.store import stream as board_stream
from gateway.board.store import subject_access as subject_access_store
from gateway.privacy import is_pseudonym
from gateway.runtime import current_runtime
from gateway.sync import signing
from gateway.sync.protocol import MAX_BATCH_BYTES, summarise_days

bp = Blueprint("board_sync", __name__, url_prefix="/board")
# Enrolment, pull and verify carry a code, a signature or nothing at all.
MAX_SMALL_REQUEST_BYTES = 16 * 1024
PULL_LIMIT = 1000
STREAM_LIMIT = 200  # stream records in one answer: posts and flows are larger
ALERTS_ASKED_LIMIT = 200  # alert ids a site may ask about at once (16 KB fits)
MAX_CURSOR = 2**63 - 1  # SQLite's largest integer: the pull cursor is a seq
PLAIN_NUMBER = re.compile(r"[0-9]{1,19}")  # int() would also take " 5", "+5", "٣"


class RequestRefused(Exception):
    """The board will not take this request: answered with `status` and the
    reason, as JSON the site reads."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


@bp.errorhandler(RequestRefused)
def _refused(error: RequestRefused):
    return _answer({"error": error.reason}, error.status)


@bp.errorhandler(exc.DBAPIError)
def _board_unwell(_error: exc.DBAPIError):
    """The board could not write (disk full, locked): nothing was stored, and
    the site tries again later with the same records."""
    logging.getLogger("gateway.sync").exception("the board could not store a batch")
    answer = _answer({"error": "the board cannot store records now"}, 503)
    answer.headers["Retry-After"] = "60"
    return answer


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge):
    if request.endpoint == "board_sync.push":
        return _answer({"error": "batch too large: send fewer records"}, 413)
    return _answer({"error": "request too large"}, 413)


@bp.before_request
def _limit_body_size() -> None:
    """The push takes the largest bodies in the app; every other board
    request is small. A body over its limit is refused with 413 unread."""
    if request.endpoint == "board_sync.push":
        request.max_content_length = MAX_BATCH_BYTES
    else:
        request.max_content_length = MAX_SMALL_REQUEST_BYTES


@bp.post("/enrol")
def enrol():
    """A site trades its one-time code for its secret and the pseudonym key."""
    data = _json_body()
    if not isinstance(data, dict):
        raise RequestRefused(400, "send code and site_id")
    code, site_id = data.get("code"), data.get("site_id")
    if not _plain_text(code) or not _plain_text(site_id) or not site_id:
        raise RequestRefused(400, "send code and site_id")
    now = _now()
    with writing(current_engine()) as db:
        site = board_sites.site_by_code(db, code_hash(code))
        if site is None or site["revoked_at"]:
            raise RequestRefused(403, "this enrolment code is not known, or was used")
        if parse_iso(site["enrol_expires_at"]) < now:
            raise RequestRefused(
                403, "this enrolment code has expired; ask for a new one"
            )
        if site["enrolled_at"] is not None:
            # Asked again before its first signed request: the answer was lost
            # on the way. The same site gets the same answer; no one else does.
            if site["site_id"] != site_id:
                raise RequestRefused(
                    403, "this enrolment code is not known, or was used"
                )
            secret = site["secret"]
        else:
            taken = board_sites.site(db, site_id=site_id)
            if taken is not None:
                raise RequestRefused(
                    409, "this site is already enrolled under another name"
                )
            secret = secrets.token_hex(32)
            board_sites.enrol_site(db, site["name"], site_id, secret, iso(now))
    key = current_runtime().pseudonym_key
    return _answer({"name": site["name"], "secret": secret, "pseudonym_key": key.hex()})


@bp.post("/sync/push")
def push():
    """Store a batch of records; a status for each, so one bad record is
    rejected alone and the rest are stored."""
    site = _signed_site()
    data = _json_body()
    records = data.get("records") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise RequestRefused(400, "send JSON with a list of records")
    said_freely = own_words_by_flows(current_runtime().flows)
    with writing(current_engine()) as db:
        results = accept_batch(db, site, records, iso(_now()), said_freely)
    return _answer({"results": results})


@bp.get("/sync/pull")
def pull():
    """Opt-outs and opt-ins that came in at other sites, after the site's
    cursor: for sites older than the stream, which carries them now."""
    site = _signed_site()
    cursor = _cursor(request.args.get("cursor", "0"))
    with reading(current_engine()) as db:
        changes = board_records.opt_changes_since(
            db, cursor, site["site_id"], PULL_LIMIT
        )
    last = changes[-1]["seq"] if changes else cursor
    return _answer({"cursor": last, "opt_changes": changes})


@bp.get("/sync/stream")
def stream():
    """What the board publishes for this site (opt changes from other sites,
    and every kind after them), after the site's cursor, oldest first."""
    site = _signed_site()
    cursor = _cursor(request.args.get("cursor", "0"))
    with reading(current_engine()) as db:
        found, upto = board_stream.since(db, cursor, site["site_id"], STREAM_LIMIT)
    return _answer({"cursor": upto, "records": found})


@bp.post("/sync/alerts")
def alert_news():
    """Which of the site's alerts it names have been dealt with on the board,
    and when, so the site stops texting its duty contacts about them."""
    site = _signed_site()
    data = _json_body()
    asked = data.get("open") if isinstance(data, dict) else None
    if (
        not isinstance(asked, list)
        or len(asked) > ALERTS_ASKED_LIMIT
        or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in asked)
    ):
        raise RequestRefused(
            400, f"send JSON with a list 'open' of up to {ALERTS_ASKED_LIMIT} alert ids"
        )
    with reading(current_engine()) as db:
        dealt_with = board_records.alerts_dealt_with(db, site["site_id"], asked)
    return _answer({"dealt_with": dealt_with})


@bp.post("/sync/subject-access")
def subject_access():
    """What the board holds of one person's responses from this site, beyond
    the answers the site has: for their copy (`gateway subject-access`)."""
    site = _signed_site()
    data = _json_body()
    participant = data.get("participant") if isinstance(data, dict) else None
    response_ids = data.get("responses", []) if isinstance(data, dict) else None
    if (
        not is_pseudonym(participant)
        or not isinstance(response_ids, list)
        or len(response_ids) > SUBJECT_ACCESS_IDS_LIMIT
        or not all(isinstance(i, str) and 0 < len(i) <= 64 for i in response_ids)
    ):
        raise RequestRefused(
            400,
            "send JSON with one 'participant' pseudonym and a list 'responses' "
            f"of up to {SUBJECT_ACCESS_IDS_LIMIT} response ids",
        )
    with reading(current_engine()) as db:
        found = subject_access_store.held_for(
            db, site["site_id"], participant, response_ids
        )
    return _answer({"responses": found})


@bp.get("/sync/verify")
def verify():
    """What the board holds from this site: per day, a count and a hash of ids."""
    site = _signed_site()
    with reading(current_engine()) as db:
        days = board_records.records_by_day(db, site["site_id"])
    return _answer({"days": summarise_days(days)})


def _json_body():
    """The request's JSON, or a 400: also for JSON nested too deeply to read
    (Python's parser recurses, and gives up with RecursionError)."""
    try:
        return json.loads(request.get_data())
    except RecursionError:
        raise RequestRefused(400, "the JSON is nested too deeply") from None
    except ValueError:
        raise RequestRefused(400, "send JSON") from None


def _plain_text(value) -> bool:
    """Short printable text: not a lone surrogate, which cannot be stored."""
    return isinstance(value, str) and len(value) <= 64 and value.isprintable()


def _cursor(given: str) -> int:
    """A pull cursor is a seq the board gave out: a plain whole number."""
    if not PLAIN_NUMBER.fullmatch(given) or int(given) > MAX_CURSOR:
        raise RequestRefused(400, "cursor must be a whole number the board gave out")
    return int(given)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


SUBJECT_ACCESS_IDS_LIMIT = 10_000  # response ids one copy may name
NO_SUCH_SECRET = secrets.token_bytes(32)  # checked against, so all refusals cost alike


def _signed_site() -> dict:
    """The enrolled site that signed this request, or refuse it.

    An id that is unknown, still waiting to enrol, or sent with a bad
    signature all get the same answer, after the same work, so no one can
    learn which site ids exist. Only a site that proves it holds its secret
    is told it was revoked."""
    with reading(current_engine()) as db:
        site = board_sites.site(db, site_id=request.headers.get(signing.SITE, ""))
    known = site is not None and site["secret"] is not None
    secret = bytes.fromhex(site["secret"]) if known else NO_SUCH_SECRET
    now = _now()
    skew = current_app.config["SYNC_SKEW_SECONDS"]
    try:
        sent = datetime.fromtimestamp(
            int(request.headers.get(signing.TIME, "")), now.tzinfo
        )
    except (ValueError, OverflowError, OSError):
        raise RequestRefused(401, "no signing time") from None
    if abs((sent - now).total_seconds()) > skew:
        raise RequestRefused(401, "clock: the signing time is too far from the board's")
    body = request.get_data()
    signed_well = any(
        signing.is_valid(secret, request.headers, request.method, path, body)
        for path in _paths_as_signed()
    )
    if not (known and signed_well):
        raise RequestRefused(401, "unknown site or bad signature")
    if site["revoked_at"]:
        raise RequestRefused(403, "this site has been revoked")
    with writing(current_engine()) as db:
        fresh = board_sites.use_nonce(
            db,
            site["site_id"],
            request.headers[signing.NONCE],
            iso(now),
            iso(now - timedelta(seconds=2 * skew)),
        )
        if not fresh:
            raise RequestRefused(409, "this request was already received (a replay)")
        board_sites.touch_site(db, site["site_id"], iso(now), _site_clock_offset(now))
    return site


def _paths_as_signed() -> list[str]:
    """The request's path as the site may have signed it: as it reached us,
    and, behind a proxy that took a path prefix off (and says so, in
    X-Forwarded-Prefix through ProxyFix, or as the WSGI script root), with it."""
    path = request.full_path.rstrip("?")
    paths = [path]
    prefix = request.script_root.rstrip("/")
    if prefix:
        paths.append(prefix + path)
    return paths


def _site_clock_offset(now: datetime) -> float | None:
    try:
        offset = int(request.headers.get(signing.SITE_CLOCK, "")) - now.timestamp()
    except (ValueError, OverflowError):
        return None
    return offset if abs(offset) < 10 * 365 * 86400 else None


def _now() -> datetime:
    return current_runtime().clock()


def _answer(data: dict, status: int = 200) -> Response:
    board_time = iso(_now())
    response = Response(
        json.dumps({**data, "board_time": board_time}),
        status,
        mimetype="application/json",
    )
    response.headers[signing.BOARD_TIME] = board_time
    return response
