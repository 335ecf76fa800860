"""Every response carries nosniff, no framing and a policy fit for it; the
outbox page is never stored; /healthz tells outsiders only whether it is up."""

from __future__ import annotations

import pytest

from tests.sms.helpers import INBOUND, form

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def assert_guarded(response) -> str:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy or "'unsafe-inline'" not in policy
    return policy


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/healthz"),
        ("get", "/static/gateway.css"),
        ("get", "/kiosk/static/kiosk.css"),
        ("get", "/no-such-page"),
        ("post", "/sms/inbound"),  # unsigned: 403
        ("get", "/sms/inbound"),  # 405
        ("get", "/sms/outbox"),
    ],
)
def test_every_kind_of_response_is_guarded(client, method, path):
    response = getattr(client, method)(path)
    response.close()  # a static file is streamed
    policy = assert_guarded(response)
    if response.mimetype != "text/html":
        assert policy.startswith("default-src 'none'")


def test_twiml_is_guarded(sms_send):
    response = sms_send("Hello")
    assert response.mimetype == "text/xml"
    assert assert_guarded(response).startswith("default-src 'none'")


def test_the_kiosk_keeps_its_own_fuller_policy(lounge):
    response = lounge.client.get(f"/kiosk/{lounge.key}/")
    policy = assert_guarded(response)
    assert "script-src 'self'" in policy
    assert response.headers["Cache-Control"] == "no-store"


def test_the_outbox_page_is_never_stored(client):
    response = client.get("/sms/outbox")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_outbox_page_is_not_shown_through_a_proxy(client):
    """A proxy on this machine makes every visitor look local: they are not."""
    response = client.get("/sms/outbox", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 404


# /healthz -----------------------------------------------------------------------


def test_healthz_tells_an_outsider_only_that_it_is_up(client):
    response = client.get("/healthz", environ_overrides=OUTSIDE)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_through_a_proxy_on_this_machine_is_an_outsider(client):
    response = client.get("/healthz", headers={"Forwarded": "for=203.0.113.9"})
    assert response.get_json() == {"status": "ok"}


def test_healthz_gives_the_details_to_this_machine(client, app):
    body = client.get("/healthz").get_json()
    assert body["site"]["name"] == app.config["SITE"]
    assert body["database"]["pending_migrations"] == []
    assert "queued" in body and "flows" in body and "version" in body


@pytest.fixture
def token_app(initialised):
    from gateway import create_app

    return create_app({**initialised, "HEALTH_TOKEN": "monitor-token"})


@pytest.mark.parametrize(
    "authorization, detailed",
    [
        ("Bearer monitor-token", True),
        ("Bearer wrong", False),
        ("monitor-token", False),
        ("", False),
    ],
)
def test_healthz_gives_the_details_for_the_token(token_app, authorization, detailed):
    response = token_app.test_client().get(
        "/healthz",
        environ_overrides=OUTSIDE,
        headers={"Authorization": authorization} if authorization else {},
    )
    assert ("site" in response.get_json()) is detailed


def test_an_unreadable_database_tells_an_outsider_only_that(app, client):
    from pathlib import Path

    database = Path(app.config["DATABASE"])
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    database.write_bytes(b"not a database " * 400)
    response = client.get("/healthz", environ_overrides=OUTSIDE)
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


def test_a_signed_webhook_still_gets_twiml(sms_post):
    response = sms_post(INBOUND, form("Hello"))
    assert response.status_code == 200
    assert response.mimetype == "text/xml"


@pytest.mark.parametrize(
    "address, detailed",
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:10.1.2.3", False),
    ],
)
def test_a_loopback_address_in_any_form_is_local(client, address, detailed):
    body = client.get("/healthz", environ_overrides={"REMOTE_ADDR": address}).get_json()
    assert ("site" in body) is detailed
