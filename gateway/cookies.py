"""Which requests get Flask's signed session cookie: only those from people.

Twilio's webhooks and a site's sync calls are machines posting to us; they
never carry or need a session. Opening one anyway (building its signer and
reading a cookie that is never there) was a measurable share of each text's
time, so those paths get Flask's null session, which reads as empty and is
never saved.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface

MACHINE_PATHS = ("/sms/inbound", "/sms/status", "/board/sync/", "/board/enrol")


class SessionsForPeople(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(MACHINE_PATHS):
            return self.make_null_session(app)
        return super().open_session(app, request)


def install_sessions(app: Flask) -> None:
    app.session_interface = SessionsForPeople()
