"""Machines posting to us (Twilio, sites syncing) get no session; people's
pages still do."""

from __future__ import annotations

import pytest
from flask import session
from flask.sessions import NullSession, SecureCookieSession

from gateway.cookies import MACHINE_PATHS


@pytest.mark.parametrize("path", [*MACHINE_PATHS, "/board/sync/push"])
def test_machine_paths_get_the_null_session(app, path):
    with app.test_request_context(path, method="POST"):
        app.preprocess_request()  # the request context has opened its session
        assert isinstance(session._get_current_object(), NullSession)


@pytest.mark.parametrize("path", ["/kiosk/", "/sms/outbox", "/healthz", "/board/"])
def test_pages_for_people_get_a_signed_session(app, path):
    with app.test_request_context(path):
        opened = session._get_current_object()
        assert isinstance(opened, SecureCookieSession)
        assert not isinstance(opened, NullSession)


def test_a_webhook_sets_no_cookie(sms_send):
    response = sms_send("Hello")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
