"""Sending one SMS through Twilio's REST API, and how to treat a failure.

The only module that calls Twilio's REST client. `GATEWAY_TWILIO_API_BASE`
points it at another base URL: a Twilio-compatible provider, or a test server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests  # Twilio's own HTTP client raises requests' network errors
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
TIMEOUT_SECONDS = 15


class SendError(Exception):
    """A message did not go. `retryable` says whether trying later may help."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        opted_out: bool = False,
        retry_after: float | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.opted_out = opted_out
        self.retry_after = retry_after


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class _HeaderKeepingHttpClient(TwilioHttpClient):
    """Twilio's HTTP client, remembering the last answer's headers: a 429 says in
    Retry-After how long to wait, and TwilioRestException does not carry it."""

    last_headers = None

    def request(self, *args, **kwargs):
        self.last_headers = None
        response = super().request(*args, **kwargs)
        self.last_headers = response.headers
        return response


class TwilioSender:
    def __init__(self, config: dict):
        # Twilio's client logs eight lines of headers for every message at INFO:
        # a text blast would bury the worker's own log. Its warnings still show.
        logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
        self._http = _HeaderKeepingHttpClient(timeout=TIMEOUT_SECONDS)
        self._client = Client(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            http_client=self._http,
        )
        if config["TWILIO_API_BASE"]:
            self._client.api.base_url = config["TWILIO_API_BASE"].rstrip("/")
        if config["TWILIO_MESSAGING_SERVICE_SID"]:
            self._from = {
                "messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"]
            }
        else:
            self._from = {"from_": config["TWILIO_FROM_NUMBER"]}
        public = config["PUBLIC_URL"]
        self._callback = (
            {"status_callback": public.rstrip("/") + "/sms/status"} if public else {}
        )

    def send(self, to: str, body: str) -> Sent:
        try:
            message = self._client.messages.create(
                to=to, body=body, **self._from, **self._callback
            )
        except TwilioRestException as error:
            raise _classify(error, self._retry_after()) from None
        except (requests.RequestException, TwilioException, OSError) as error:
            raise SendError(
                f"network: {type(error).__name__}", retryable=True
            ) from None
        return Sent(message.sid, message.status or "queued")

    def close(self) -> None:
        if self._http.session is not None:
            self._http.session.close()

    def _retry_after(self) -> float | None:
        headers = self._http.last_headers or {}
        value = headers.get("Retry-After")
        try:
            return float(value) if value else None
        except ValueError:  # an HTTP date: waiting our own backoff is safe enough
            return None


def can_send(config: dict) -> bool:
    return bool(
        config["TWILIO_ACCOUNT_SID"]
        and config["TWILIO_AUTH_TOKEN"]
        and (config["TWILIO_MESSAGING_SERVICE_SID"] or config["TWILIO_FROM_NUMBER"])
    )


def _classify(error: TwilioRestException, retry_after: float | None) -> SendError:
    reason = f"Twilio {error.status}" + (f" error {error.code}" if error.code else "")
    if error.code == OPTED_OUT:
        return SendError(reason, retryable=False, opted_out=True)
    # Busy, broken, or refusing our credentials for now: all may pass.
    retryable = error.status in (401, 429) or error.status >= 500
    return SendError(reason, retryable=retryable, retry_after=retry_after)
