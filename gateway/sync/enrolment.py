"""Joining a site to its board, and what the site keeps from it.

`gateway board add-site NAME` on the board prints a one-time code. The site
sends it with its own id and gets back its secret (kept in keys/sync.key)
and the organisation's pseudonym key, which replaces the site's own: every
participant here is to be re-keyed from their number, so a person has the
same pseudonym at every site of the organisation. The slow part is done in the
background (gateway.pseudonyms); until a person is done, nothing of theirs is
sent to the board.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from gateway import store
from gateway.config import pseudonym_key_file
from gateway.db import connect, write_txn
from gateway.privacy import key_fingerprint, read_key, write_key
from gateway.sync.client import TIMEOUT_SECONDS, BoardClient

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class EnrolError(Exception):
    """Enrolment did not happen; the message says why in plain words."""


def sync_secret_file(instance_path: str | Path) -> Path:
    return Path(instance_path) / "keys" / "sync.key"


def enrol(config: dict, board_url: str, code: str) -> str:
    """Enrol this site with the board at `board_url`; return the board's name for it."""
    board_url = board_url.rstrip("/")
    scheme, host = urlsplit(board_url).scheme, urlsplit(board_url).hostname or ""
    if scheme != "https" and not (scheme == "http" and host in LOOPBACK):
        raise EnrolError(
            "The board's address must start with https:// (plain http only to "
            "this machine): enrolling sends the organisation's key."
        )
    db = connect(config["DATABASE"])
    try:
        site_id = store.core.get_meta(db, "site_id")
        answer = _ask_board(
            board_url, {"code": code, "site_id": site_id, "site_name": config["SITE"]}
        )
        try:
            secret = bytes.fromhex(answer["secret"])
            key = bytes.fromhex(answer["pseudonym_key"])
        except (KeyError, TypeError, ValueError):
            raise EnrolError("The board's answer was not an enrolment.") from None
        instance = config["INSTANCE_PATH"]
        write_key(sync_secret_file(instance), secret)
        with write_txn(db):
            replace_pseudonym_key(db, pseudonym_key_file(instance), key)
            store.core.set_meta(db, "sync_board_url", board_url)
            store.core.set_meta(db, "sync_board_name", str(answer.get("name", "")))
    finally:
        db.close()
    return str(answer.get("name", ""))


def replace_pseudonym_key(db, key_file: Path, key: bytes) -> int:
    """Put `key` in `key_file`, inside the caller's write transaction, and mark
    everyone not keyed with it to be worked out again; how many."""
    write_key(key_file, key)
    return store.participants.unkey_all_but(db, key_fingerprint(key))


def board_client(db, config: dict, clock=None) -> BoardClient | None:
    """The client for this site's board, or None if the site is not enrolled."""
    board_url = store.core.get_meta(db, "sync_board_url")
    secret = read_key(sync_secret_file(config["INSTANCE_PATH"]))
    if not board_url or secret is None:
        return None
    extra = {"clock": clock} if clock else {}

    def keep_offset(offset: float) -> None:  # called between transactions
        with write_txn(db):
            store.core.set_meta(db, "sync_clock_offset", f"{offset:.0f}")

    return BoardClient(
        board_url,
        store.core.get_meta(db, "site_id"),
        secret,
        float(store.core.get_meta(db, "sync_clock_offset") or 0),
        on_board_time=keep_offset,
        **extra,
    )


def _ask_board(board_url: str, data: dict) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the address staff typed
        board_url + "/board/enrol",
        data=json.dumps(data).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310
            return json.loads(reply.read())
    except urllib.error.HTTPError as error:
        with error:
            try:
                reason = json.loads(error.read()).get("error")
            except (ValueError, AttributeError):
                reason = None
        raise EnrolError(
            f"The board said no: {reason}."
            if reason
            else f"The board answered {error.code}."
        ) from None
    except (OSError, ValueError) as error:
        raise EnrolError(f"Could not reach the board at {board_url}: {error}") from None
