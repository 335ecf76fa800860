"""A site's HTTP client for its board: signed requests, strict answers.

Anything that is not the board's structured answer (a captive portal's page,
a proxy's error, a cut connection) raises SyncError and marks nothing.
Every board answer's time updates the site's clock offset.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from flows.formats import parse_iso
from gateway.backoff import retry_after_seconds
from gateway.sync import signing

TIMEOUT_SECONDS = 60


class SyncError(Exception):
    """The board did not take the request; try again later."""

    def __init__(self, message: str, status: int | None = None, retry_after=None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after  # seconds, from the board's Retry-After


class TooLarge(SyncError):
    """The board (or a proxy) refused the batch as too large: send fewer."""


class SiteRefused(SyncError):
    """The board refused this site (revoked, unknown, bad signature): stop."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not the board's answer, and must not carry a fresh
    signature to another address: it becomes an error instead."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class BoardClient:
    def __init__(
        self,
        base_url: str,
        site_id: str,
        secret: bytes,
        offset_seconds: float = 0.0,
        clock: Callable[[], float] = time.time,
        on_board_time: Callable[[float], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.site_id = site_id
        self.secret = secret
        self.offset = offset_seconds  # board's clock minus this site's
        self.clock = clock
        self.on_board_time = on_board_time

    def push(self, records: list[dict]) -> tuple[list[dict], str]:
        """Send records; return the board's result for each, and the board's time."""
        body = json.dumps({"records": records}, ensure_ascii=False).encode("utf-8")
        answer = self._request("POST", "/board/sync/push", body)
        results = answer.get("results")
        if not isinstance(results, list) or not all(
            isinstance(r, dict) for r in results
        ):
            raise SyncError("the answer was not an acknowledgement")
        return results, answer["board_time"]

    def stream(self, cursor: int) -> dict:
        """What the board publishes for this site after `cursor`:
        {"cursor": the next one, "records": [{"seq", "id", "kind", "body"}]}."""
        return self._request("GET", f"/board/sync/stream?cursor={int(cursor)}")

    def alerts_dealt_with(self, alert_ids: list[str]) -> list[dict]:
        """Which of these alerts the board's staff have dealt with, and when."""
        body = json.dumps({"open": alert_ids}).encode("utf-8")
        answer = self._request("POST", "/board/sync/alerts", body)
        found = answer.get("dealt_with")
        if not isinstance(found, list):
            raise SyncError("the board's answer had no list of alerts dealt with")
        return found

    def subject_access(self, participant: str, response_ids: list[str]) -> list[dict]:
        """What the board holds of this person's responses from this site."""
        asked = {"participant": participant, "responses": response_ids}
        body = json.dumps(asked).encode("utf-8")
        answer = self._request("POST", "/board/sync/subject-access", body)
        found = answer.get("responses")
        if not isinstance(found, list):
            raise SyncError("the board's answer had no list of responses")
        return found

    def verify(self) -> dict:
        return self._request("GET", "/board/sync/verify")

    def _request(self, method: str, path: str, body: bytes = b"") -> dict:
        try:
            return self._send(method, path, body)
        except SiteRefused as error:
            if "clock" not in str(error):
                raise
            return self._send(method, path, body)  # the offset was just corrected

    def _send(self, method: str, path: str, body: bytes) -> dict:
        full_path = urlsplit(self.base_url).path.rstrip("/") + path
        now = self.clock()
        headers = signing.signed_headers(
            self.site_id,
            self.secret,
            int(now + self.offset),
            method,
            full_path,
            body,
            int(now),
        )
        headers["Content-Type"] = "application/json"
        request = urllib.request.Request(  # noqa: S310 - the board's URL, set at enrolment
            self.base_url + path,
            data=body if method == "POST" else None,
            headers=headers,
            method=method,
        )
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as reply:
                return self._read(reply, reply.status, now)
        except urllib.error.HTTPError as error:
            with error:
                self._read_error(error, now)
        except (OSError, ValueError) as error:  # refused, reset, timed out, cut
            raise SyncError(f"could not reach the board: {error}") from None
        raise SyncError("no answer")  # not reached: _read_error always raises

    def _read(self, reply, status: int, sent_at: float) -> dict:
        try:
            answer = json.loads(reply.read())
        except ValueError:
            raise SyncError(
                "the answer was not the board's (not JSON)", status
            ) from None
        if not isinstance(answer, dict) or not isinstance(
            answer.get("board_time"), str
        ):
            raise SyncError("the answer was not the board's", status)
        self._note_board_time(answer["board_time"], sent_at)
        return answer

    def _read_error(self, error: urllib.error.HTTPError, sent_at: float) -> None:
        retry_after = retry_after_seconds(error.headers.get("Retry-After"))
        try:
            answer = json.loads(error.read())
            reason = answer.get("error", "")
            if isinstance(answer.get("board_time"), str):
                self._note_board_time(answer["board_time"], sent_at)
        except (ValueError, AttributeError):
            reason = ""
        message = f"the board answered {error.code}" + (f": {reason}" if reason else "")
        if error.code == 413:
            raise TooLarge(message, error.code)
        if error.code in (401, 403) and reason:
            raise SiteRefused(message, error.code)
        raise SyncError(message, error.code, retry_after)

    def _note_board_time(self, board_time: str, sent_at: float) -> None:
        try:
            board = parse_iso(board_time).timestamp()
        except ValueError:
            return
        midpoint = (sent_at + self.clock()) / 2
        offset = board - midpoint
        if abs(offset - self.offset) >= 2:  # the board's time is to the second
            self.offset = offset
            if self.on_board_time:
                self.on_board_time(offset)
