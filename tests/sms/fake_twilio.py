"""A small stand-in for Twilio's Messages API on 127.0.0.1, for the real twilio client.

It speaks enough of the REST API for `client.messages.create`: basic auth, a
form post, a JSON answer. Tests script what it does next: succeed, answer 429
with Retry-After, fail with a 5xx, refuse with a Twilio error code such as
21610, or drop the connection.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC\w+)/Messages\.json$")


@dataclass
class Scripted:
    status: int = 201
    code: int | None = None
    retry_after: str | None = None
    drop: bool = False


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"  # noqa: S105 - a test value
    messages: list[dict] = field(default_factory=list)  # accepted, in order
    attempts: list[dict] = field(default_factory=list)  # every request, in order
    script: list[Scripted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def then(self, **outcome) -> FakeTwilio:
        """Script the next request's outcome, e.g. then(status=429, retry_after="2")."""
        self.script.append(Scripted(**outcome))
        return self

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - the http.server convention
                fake._answer(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        form = {
            k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()
        }
        matched = MESSAGES_PATH.match(handler.path)
        expected = (
            "Basic "
            + base64.b64encode(
                f"{self.account_sid}:{self.auth_token}".encode()
            ).decode()
        )
        with self._lock:
            self.attempts.append(form)
            outcome = self.script.pop(0) if self.script else Scripted()
        if not matched or handler.headers.get("Authorization") != expected:
            outcome = Scripted(status=401, code=20003)
        if outcome.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        if outcome.status >= 400:
            self._json(
                handler,
                outcome.status,
                {
                    "code": outcome.code,
                    "message": "scripted failure",
                    "more_info": "",
                    "status": outcome.status,
                },
                outcome.retry_after,
            )
            return
        message = {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": self.account_sid,
            "to": form.get("To"),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body"),
            "status": "queued",
            "status_callback": form.get("StatusCallback"),
        }
        with self._lock:
            self.messages.append(message)
        self._json(handler, 201, message, None)

    @staticmethod
    def _json(handler, status: int, body: dict, retry_after: str | None) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        if retry_after:
            handler.send_header("Retry-After", retry_after)
        handler.end_headers()
        handler.wfile.write(data)
