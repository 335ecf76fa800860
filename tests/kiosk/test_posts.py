"""'You said, we did' on the kiosk: the newest post on the welcome screen,
the newest ten on "What we changed", each saying how it was decided; posts
meant only for texts stay off the kiosk."""

from __future__ import annotations

from html import unescape

import pytest

from gateway import store
from gateway.db import write_txn
from tests.kiosk.helpers import add_kiosk
from tests.posts import a_post

AT = "2026-11-20T09:00:00Z"


def post(number: int, **changes) -> dict:
    words = f"You said number {number}. We fixed it."
    return a_post(f"post-{number}", words=words, channels=["kiosk"]) | changes


@pytest.fixture
def kiosk_key(runner) -> str:
    return add_kiosk(runner, "Lounge")


def keep(db, *posts: dict, at: str = AT) -> None:
    with write_txn(db):
        for each in posts:
            store.posts.keep(db, each, at)


def page(client, path: str) -> str:
    reply = client.get(path)
    assert reply.status_code == 200, reply.status_code
    return unescape(reply.get_data(as_text=True))


def test_the_welcome_screen_shows_the_newest_post_and_how_it_was_decided(
    client, db, kiosk_key
):
    keep(db, post(1), at="2026-11-20T09:00:00Z")
    keep(
        db,
        post(2, change="planned", rung="consulting", reason="We had to."),
        at="2026-11-21T09:00:00Z",
    )

    shown = page(client, f"/kiosk/{kiosk_key}/")

    assert "You said, we did" in shown
    assert "You said number 2. We fixed it." in shown
    assert "You said number 1." not in shown  # one at a time
    assert "We plan to do this." in shown
    assert "We asked people first. Then we decided." in shown
    assert "We had to." in shown
    assert f'href="/kiosk/{kiosk_key}/changes"' in shown


def test_what_we_changed_shows_the_newest_ten(client, db, kiosk_key):
    for number in range(12):
        keep(db, post(number), at=f"2026-11-{number + 1:02}T09:00:00Z")

    shown = page(client, f"/kiosk/{kiosk_key}/changes")

    assert "What we changed" in shown
    assert "We decided this together with residents." in shown
    assert [n for n in range(12) if f"number {n}." in shown] == list(range(2, 12))
    assert f'href="/kiosk/{kiosk_key}/"' in shown  # back to the start
    assert 'data-return-after="120"' in shown


def test_a_post_only_for_texts_is_not_on_the_kiosk(client, db, kiosk_key):
    keep(db, post(1, channels=["sms"]))

    assert "You said, we did" not in page(client, f"/kiosk/{kiosk_key}/")
    shown = page(client, f"/kiosk/{kiosk_key}/changes")
    assert "There is nothing here yet. We will tell you what we change." in shown


def test_what_we_changed_for_an_unknown_kiosk_is_not_found(client):
    assert client.get("/kiosk/no-such-kiosk/changes").status_code == 404
