"""The kiosk in the conversation's language: every word on every screen, and the
page's `lang`, from a catalog made here, with nothing in English left over.

The catalogs are made as staff would make one (`pybabel extract` and
`pybabel init`), with every message translated as "[cy] <the English>", so a
string that is not translated shows up as one without the marker.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from gateway import create_app
from tests.conftest import REPO, FakeClock
from tests.kiosk.helpers import add_kiosk, responses

# Attributes a person sees or hears, as well as the words between tags.
SEEN_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


class VisibleText(HTMLParser):
    """The words a page shows or reads out, and its <html lang>."""

    def __init__(self):
        super().__init__()
        self.words: list[str] = []
        self.lang: str | None = None
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag in ("script", "style"):
            self._skipping += 1
        self.words += [
            attributes[name].strip()
            for name in SEEN_ATTRIBUTES
            if (attributes.get(name) or "").strip()
        ]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.words.append(re.sub(r"\s+", " ", data.strip()))


def seen(reply) -> VisibleText:
    page = VisibleText()
    page.feed(reply.get_data(as_text=True))
    return page


def assert_all_in(language: str, reply) -> None:
    """Every word on the page is translated, and the page says which language."""
    page = seen(reply)
    assert page.lang == language
    assert page.words, "the page shows nothing"
    untranslated = [w for w in page.words if not w.startswith(f"[{language}]")]
    assert untranslated == []


def make_catalog(folder, language: str) -> None:
    """A catalog for `language` with every message of the source translated."""
    template = folder / "messages.pot"
    cli = CommandLineInterface()
    cli.run(
        ["pybabel", "-q", "extract", "-F", str(REPO / "babel.cfg")]
        + [
            "-o",
            str(template),
            str(REPO),
        ]
    )
    cli.run(
        ["pybabel", "-q", "init", "-i", str(template), "-d", str(folder)]
        + [
            "-l",
            language,
        ]
    )
    po_file = folder / language / "LC_MESSAGES" / "messages.po"
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    for message in catalog:
        if message.id:
            message.string = f"[{language}] {message.id}"
    with po_file.open("wb") as target:
        write_po(target, catalog)


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory):
    """A translations folder with only a Welsh and a German catalog, no .mo."""
    folder = tmp_path_factory.mktemp("translations")
    make_catalog(folder, "cy")
    make_catalog(folder, "de")
    assert not list(folder.rglob("*.mo"))
    return folder


@pytest.fixture
def welsh(monkeypatch, catalogs, runner, initialised, now):
    """An install whose catalogs are the test's, and its kiosk, Lounge."""
    monkeypatch.setattr("gateway.i18n.TRANSLATIONS", catalogs)
    app = create_app(initialised)
    app.extensions["gateway"].clock = FakeClock(now).now
    return app, add_kiosk(runner, "Lounge")


def start_key(reply) -> str:
    return re.search(r'name="start" value="([^"]+)"', reply.get_data(as_text=True))[1]


def start(client, key: str, welcome_query: str = "", **headers):
    """Open the welcome screen, then tap Start on it, as the tablet would."""
    welcome = client.get(f"/kiosk/{key}/{welcome_query}")
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', welcome.get_data(True)))
    return client.post(f"/kiosk/{key}/start", data=form, headers=headers)


def test_the_welcome_screen_is_in_the_language_asked_for(welsh):
    app, key = welsh
    reply = app.test_client().get(f"/kiosk/{key}/?lang=cy")
    assert_all_in("cy", reply)
    assert "[cy] Tell us what you think" in seen(reply).words


def test_a_conversation_started_in_welsh_is_welsh_on_every_screen(welsh):
    app, key = welsh
    client = app.test_client()
    started = start(client, key, "?lang=cy")
    assert started.status_code == 303
    screen = urlsplit(started.location).path
    assert responses(app)[-1]["language"] == "cy"

    step = client.get(screen)  # with "Are you still there?" and "Saving" inside
    assert_all_in("cy", step)
    assert "[cy] Overall, how was your experience of our service?" in seen(step).words
    assert "[cy] Are you still there?" in seen(step).words
    assert "[cy] Saving your answer\u2026" in seen(step).words

    number = re.search(r'name="screen" value="(\d+)"', step.get_data(True))[1]
    tap = {"screen": number, "step": "overall"}
    wrong = client.post(screen, data={**tap, "answer": "no such answer"})
    assert wrong.status_code == 422
    assert_all_in("cy", wrong)
    assert "[cy] Please tap one of the answers." in seen(wrong).words

    assert_all_in("cy", client.get(screen + "still-there"))

    client.post(screen, data={**tap, "answer": "very_good"})
    step = client.get(screen)
    assert_all_in("cy", step)  # the question asking for words, with Back
    number = re.search(r'name="screen" value="(\d+)"', step.get_data(True))[1]
    thanks = client.post(screen, data={"screen": number, "step": "why", "answer": "ok"})
    assert thanks.status_code == 303 and thanks.location.endswith("thanks")
    thanked = client.get(thanks.location)
    assert_all_in("cy", thanked)
    assert (
        "[cy] Thank you. We read every answer. We use them to make things better."
        in (seen(thanked).words)
    )


def test_a_tap_from_kiosk_js_gets_the_next_screen_in_the_conversations_language(
    welsh,
):
    app, key = welsh
    reply = start(app.test_client(), key, "?lang=cy", **{"X-Kiosk-Tap": "1"})
    assert reply.status_code == 200
    assert_all_in("cy", reply)


def test_the_welcome_screen_without_lang_is_in_the_kiosks_own_language(
    monkeypatch, catalogs, runner, initialised
):
    monkeypatch.setattr("gateway.i18n.TRANSLATIONS", catalogs)
    app = create_app({**initialised, "DEFAULT_LANGUAGE": "cy"})
    key = add_kiosk(runner, "Lounge")
    assert_all_in("cy", app.test_client().get(f"/kiosk/{key}/"))
    english = app.test_client().get(f"/kiosk/{key}/?lang=en")  # no English catalog
    assert_all_in("cy", english)


def test_a_refused_tap_and_a_closed_conversation_still_speak_welsh(welsh):
    app, key = welsh
    client = app.test_client()
    screen = urlsplit(start(client, key, "?lang=cy").location).path
    number = re.search(r'name="screen" value="(\d+)"', client.get(screen).text)[1]
    refused = client.post(screen, data={"step": "overall", "answer": "very_good"})
    assert refused.status_code == 400  # no screen number: not a form of ours
    assert_all_in("cy", refused)

    # The flow changes under the person: their answers are kept, and the
    # welcome screen they go back to is still in Welsh.
    runtime = app.extensions["gateway"]
    flow = runtime.flows["friends-and-family"]
    runtime.flows["friends-and-family"] = replace(flow, version=flow.version + 1)
    tap = {"screen": number, "step": "overall", "answer": "very_good"}
    closed = client.post(screen, data=tap)
    assert closed.status_code == 303
    assert closed.location.endswith("?lang=cy")
    assert responses(app)[-1]["status"] == "partial"
    assert_all_in("cy", client.get(closed.location))


def test_a_language_with_no_catalog_is_shown_in_english(welsh):
    app, key = welsh
    client = app.test_client()
    welcome = client.get(f"/kiosk/{key}/?lang=xx")
    assert welcome.status_code == 200
    assert seen(welcome).lang == "en"
    assert "Tell us what you think" in seen(welcome).words
    assert not [w for w in seen(welcome).words if w.startswith("[")]
    for odd in ("", "../cy", "cy/../de", "en_ZZ@x", "%00"):  # never an error
        assert client.get(f"/kiosk/{key}/?lang={odd}").status_code == 200
    started = start(client, key, "?lang=xx")
    assert responses(app)[-1]["language"] == "en"
    step = client.get(started.location)
    assert seen(step).lang == "en"
    assert "Overall, how was your experience of our service?" in seen(step).words


def test_an_english_conversation_stays_english_when_welsh_is_there(welsh):
    app, key = welsh
    client = app.test_client()
    started = start(client, key)
    assert responses(app)[-1]["language"] == "en"
    for address in (started.location, started.location + "?lang=cy"):
        step = client.get(address)  # the conversation's language, whatever is asked
        assert seen(step).lang == "en"
        assert not [w for w in seen(step).words if w.startswith("[")]


def test_pages_before_a_conversation_are_in_the_language_asked_for(welsh):
    app, key = welsh
    client = app.test_client()
    missing = client.get("/no-such-page?lang=cy")
    assert missing.status_code == 404
    assert seen(missing).lang == "cy"
    assert seen(missing).words[0] == "[cy] Sorry, we cannot find this page."
    not_set_up = client.get("/kiosk/no-such-kiosk/?lang=cy")
    assert not_set_up.status_code == 404
    assert_all_in("cy", not_set_up)
    assert_all_in("cy", client.get("/kiosk/?lang=cy"))


FAR = """\
id: far
version: 1
title: Far
language: en
steps:
  - id: steps
    kind: number
    min: 0
    max: 1500
    text: How many steps did you walk today?
thank_you: Thank you.
"""


def test_numbers_on_a_screen_are_written_the_conversations_way(
    monkeypatch, catalogs, tmp_path, runner, test_config
):
    """German writes a thousand and five hundred as 1.500."""
    monkeypatch.setattr("gateway.i18n.TRANSLATIONS", catalogs)
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "far.yaml").write_text(FAR, encoding="utf-8")
    test_config["FLOWS_PATH"] = str(folder)
    assert runner.invoke(["init"]).exit_code == 0
    app = create_app(test_config)
    key = add_kiosk(runner, "Garden", "--flow", "far")
    client = app.test_client()
    step = client.get(start(client, key, "?lang=de").location)
    assert "[de] Choose a number from 0 to 1.500." in seen(step).words
    step = client.get(start(client, key).location)
    assert "Choose a number from 0 to 1,500." in seen(step).words
