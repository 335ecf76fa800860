"""Limits on processing: one phone's day of messages, and one kiosk's starts
in a minute. Every message is still kept, and harm is still answered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway import create_app
from tests.sms.helpers import PHONE, poster, rows, said
from tests.sms.helpers import form as sms_form

HARM = "I want to end my life"


@pytest.fixture
def texting(initialised, sms_config, now):
    """An app that acts on three messages a day from one phone."""
    app = create_app({**sms_config, "SMS_DAILY_LIMIT": 3, "SMS_FLOOD_PER_MINUTE": 50})
    moment = [now]
    app.extensions["gateway"].clock = lambda: moment[0]
    post = poster(app)

    def send(body: str):
        moment[0] += timedelta(minutes=5)  # never a flood: a long day
        response = post(sms_form(body, PHONE))
        assert response.status_code == 200
        return said(response)

    send.moment = moment
    return send


def test_a_days_worth_from_one_phone_is_kept_but_not_answered(texting, sms_db):
    for body in ("Hello", "2", "Kind staff"):
        assert texting(body)  # answered
    assert texting("yes") == [
        "You have sent a lot of messages today. We have kept them. "
        "Please reply again tomorrow."
    ]
    assert texting("more") == []  # said once
    assert "Samaritans" in " ".join(texting(HARM))  # harm is always answered
    kept = rows(sms_db, "SELECT body, handling FROM inbound_messages")
    assert len(kept) == 6  # every message is kept
    assert [m["handling"] for m in kept[3:]] == ["over_daily_limit"] * 3
    assert rows(sms_db, "SELECT category FROM alerts") == [{"category": "self_harm"}]

    texting.moment[0] += timedelta(days=1)
    assert texting("Hello again")  # a new day


def test_a_kiosk_that_starts_too_often_asks_to_wait_and_starts_nothing(
    runner, client, kiosk_clock, db
):
    from tests.kiosk.helpers import Kiosk, add_kiosk

    lounge = Kiosk(client, add_kiosk(runner, "Lounge"))
    for _ in range(6):  # GATEWAY_KIOSK_STARTS_PER_MINUTE
        lounge.start()
    page = lounge.welcome().get_data(as_text=True)
    start_key = page.split('name="start" value="')[1].split('"')[0]

    reply = client.post(f"/kiosk/{lounge.key}/start", data={"start": start_key})

    assert reply.status_code == 303 and reply.location.endswith("?wait=1")
    waiting = client.get(reply.location).get_data(as_text=True)
    assert "Please wait a moment. Then tap Start again." in waiting
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == 6
    kiosk_clock.advance(minutes=1)
    lounge.start()  # a minute on, it starts again
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == 7


def test_a_stuck_start_key_is_counted_once(runner, client, kiosk_clock, db):
    from tests.kiosk.helpers import Kiosk, add_kiosk

    lounge = Kiosk(client, add_kiosk(runner, "Lounge"))
    first = lounge.start("stuck-key-stuck-key-1")
    for _ in range(20):
        assert lounge.start("stuck-key-stuck-key-1") == first
    assert rows(db, "SELECT count(*) AS n FROM responses")[0]["n"] == 1


def test_a_queued_start_the_limit_refused_is_kept_for_later(
    runner, client, kiosk_clock
):
    """kiosk.js keeps a tap that gets a 429, and sends it again later."""
    from tests.kiosk.helpers import Kiosk, add_kiosk

    lounge = Kiosk(client, add_kiosk(runner, "Lounge"))
    for _ in range(6):
        lounge.start()

    reply = client.post(
        f"/kiosk/{lounge.key}/start",
        data={"start": "queued-start-key-0001"},
        headers={"X-Kiosk-Tap": "1"},
    )

    assert reply.status_code == 429 and reply.headers["Retry-After"]


@pytest.mark.parametrize(
    "variable, value",
    [
        ("GATEWAY_SMS_DAILY_LIMIT", "0"),
        ("GATEWAY_SMS_DAILY_LIMIT", str(10**20)),
        ("GATEWAY_KIOSK_STARTS_PER_MINUTE", "601"),
    ],
)
def test_the_limits_have_a_range(variable, value):
    from gateway.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=variable):
        load_config({variable: value})
