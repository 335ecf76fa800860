"""SMS's own words follow the conversation's language: HELP, the privacy line,
a stop in other words, and RESTART keeps the language it had."""

from __future__ import annotations

import pytest

from gateway import create_app, store
from gateway.conversations import start_conversation
from gateway.db import connect, write_txn
from gateway.privacy import pseudonym
from tests.kiosk.test_language import make_catalog
from tests.sms.helpers import PHONE, form, poster, said


@pytest.fixture(scope="module")
def welsh_catalog(tmp_path_factory):
    folder = tmp_path_factory.mktemp("translations")
    make_catalog(folder, "cy")
    return folder


@pytest.fixture
def welsh_texter(monkeypatch, welsh_catalog, initialised, sms_config, now):
    """Someone with an open conversation in Welsh; post() texts as them."""
    monkeypatch.setattr("gateway.i18n.TRANSLATIONS", welsh_catalog)
    app = create_app(sms_config)
    runtime = app.extensions["gateway"]
    runtime.clock = lambda: now
    db = connect(app.config["DATABASE"])
    participant = pseudonym(runtime.pseudonym_key, PHONE)
    with write_txn(db):
        store.core.ensure_participant(
            db, participant, "2026-11-23T09:00:00Z", phone=PHONE
        )
        start_conversation(
            db,
            runtime,
            channel="sms",
            now=now,
            participant_id=participant,
            language="cy",
        )
    yield app, db, poster(app)
    db.close()


def test_help_and_the_privacy_line_are_in_the_conversations_language(welsh_texter):
    _app, _db, post = welsh_texter
    [reply] = said(post(form("HELP")))
    assert reply.startswith("[cy] We keep your answers, not your name.")
    assert "[cy] This is" in reply


def test_a_stop_in_other_words_is_confirmed_in_welsh(welsh_texter):
    _app, _db, post = welsh_texter
    [reply] = said(post(form("Stop please 🙏")))
    assert "[cy] You will not get any more texts from us." in reply


def test_restart_keeps_the_language(welsh_texter):
    _app, db, post = welsh_texter
    said(post(form("RESTART")))
    rows = list(db.query("SELECT language, status FROM responses ORDER BY id"))
    assert [r["language"] for r in rows] == ["cy", "cy"]
    assert rows[-1]["status"] == "open"
