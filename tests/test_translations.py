"""Translation plumbing: visible strings are msgids; catalogs change what is shown."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from flows.engine import Context, start_session
from flows.loader import BUNDLED_FLOWS, load_library
from flows.render import sms_text
from gateway.i18n import TRANSLATIONS, load_catalogs, translator_for
from tests.conftest import REPO


def msgids(pot_path) -> set[str]:
    with open(pot_path, "rb") as source:
        return {message.id for message in read_po(source) if message.id}


def test_the_message_template_is_up_to_date(tmp_path, monkeypatch):
    """Fails when a string was added or changed without re-running `pybabel extract`."""
    fresh = tmp_path / "messages.pot"
    monkeypatch.chdir(REPO)
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            ".",
        ]
    )
    assert msgids(fresh) == msgids(TRANSLATIONS / "messages.pot")


def test_flow_text_and_interface_text_are_both_in_the_template():
    ids = msgids(TRANSLATIONS / "messages.pot")
    assert "Overall, how was your experience of our service?" in ids  # flow file
    assert "Neither good nor poor" in ids  # named scale
    assert "Sorry, I did not understand. Please reply YES or NO." in ids  # interface


def test_english_catalog_loads_and_unknown_languages_fall_back_to_english():
    catalogs = load_catalogs()
    assert "en" in catalogs
    assert translator_for(catalogs, "en")("Reply YES or NO.") == "Reply YES or NO."
    assert translator_for(catalogs, "xx")("Reply YES or NO.") == "Reply YES or NO."


def test_a_catalog_translates_flow_and_interface_text(tmp_path):
    folder = tmp_path / "cy" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Overall, how was your experience of our service?"\n'
        'msgstr "At ei gilydd, sut oedd eich profiad o\'n gwasanaeth?"\n\n'
        'msgid "Very good"\nmsgstr "Da iawn"\n',
        encoding="utf-8",
    )
    translate = translator_for(load_catalogs(tmp_path), "cy")
    flow = load_library([BUNDLED_FLOWS])["friends-and-family"]
    now = datetime(2026, 11, 23, tzinfo=UTC)
    outcome = start_session(flow, "sms", "cy", now, Context(translate=translate))
    text = sms_text(flow, outcome.replies, "sms", translate)
    assert text.startswith("At ei gilydd, sut oedd eich profiad")
    assert "1 Da iawn" in text
    assert "2 Good" in text  # untranslated strings fall back to English
