"""The kiosk's pages themselves: headers, the service worker, pictures, number
steps without JavaScript, the thank-you's words, and the kiosk's settings."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from flows.loader import FlowError, load_flow
from flows.symbols import INTERFACE_SYMBOLS, OPTION_SYMBOLS
from gateway.db import connect
from tests.conftest import REPO, flow_text, line_of
from tests.kiosk.helpers import Kiosk, add_kiosk, answers, responses

SYMBOLS = REPO / "kiosk" / "static" / "symbols"


def test_plus_and_minus_work_without_javascript(counting):
    app, kiosk = counting
    page = kiosk.screen()["page"]
    assert 'min="0.0"' in page or 'min="0"' in page
    plus = kiosk.client.post(kiosk.response_url, data={"answer": "", "adjust": "1"})
    assert plus.status_code == 303
    assert "value=0" in plus.location  # the first tap on an empty box: the lowest
    shown = kiosk.client.get(plus.location).get_data(as_text=True)
    assert 'value="0"' in shown
    top = kiosk.client.post(kiosk.response_url, data={"answer": "7", "adjust": "1"})
    assert "value=7" in top.location  # never past the highest
    assert answers(app, kiosk.response_id) == {}  # adjusting is not answering


def test_a_number_out_of_range_asks_again(counting):
    app, kiosk = counting
    reply = kiosk.tap(answer="9")
    assert reply.status_code == 422
    assert "Please choose a number from the ones shown." in reply.get_data(as_text=True)
    kiosk.tap(answer="3")
    assert answers(app, kiosk.response_id)["visits"]["value"] == "3"
    assert kiosk.screen()["step"] == "happy"


def test_odd_numbers_are_asked_again_not_taken_as_no_answer(counting):
    app, kiosk = counting
    for odd in ("nan", "2e0", "1_0", "-1"):
        assert kiosk.tap(answer=odd).status_code == 422
    assert answers(app, kiosk.response_id) == {}


def test_plus_or_minus_counts_as_someone_still_there(counting, counting_clock):
    app, kiosk = counting
    for _ in range(6):  # a minute and a half of taps on plus
        counting_clock.advance(seconds=15)
        kiosk.client.post(kiosk.response_url, data={"answer": "1", "adjust": "1"})
    kiosk.client.get(kiosk.response_url + "time-up")
    assert kiosk.screen()["step"] == "visits"


# The pages themselves ----------------------------------------------------------------


def test_kiosk_pages_are_never_cached_or_framed(lounge):
    lounge.start()
    for page in (lounge.welcome(), lounge.client.get(lounge.response_url)):
        assert page.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "<script>" not in page.get_data(as_text=True)  # no inline script


def test_the_service_worker_keeps_only_assets_that_exist(client, app):
    reply = client.get("/kiosk/sw.js")
    assert reply.status_code == 200
    assert reply.mimetype == "text/javascript"
    script = reply.get_data(as_text=True)
    assets = re.search(r"const ASSETS = (\[.*?\]);", script)[1]
    for path in re.findall(r'"(/kiosk/static/[^"]+)"', assets):
        with client.get(path) as asset:  # a file response: closed after reading
            assert asset.status_code == 200, path
    assert '"/kiosk/offline"' in script


def test_every_symbol_has_a_picture_and_every_picture_a_name():
    files = {path.stem for path in SYMBOLS.glob("*.svg")}
    assert files == OPTION_SYMBOLS | INTERFACE_SYMBOLS
    for path in SYMBOLS.glob("*.svg"):
        text = path.read_text(encoding="utf-8")
        assert 'aria-hidden="true"' in text  # the words on the button say it
        assert "<script" not in text
        assert "http" not in text.replace("http://www.w3.org/2000/svg", "")


def button_pictures(page: str) -> dict[str, list[str]]:
    """Each button's words on a page, with the pictures buttons with them show."""
    found: dict[str, list[str]] = {}
    for picture, words in re.findall(
        r'<img src="[^"]*/symbols/([\w-]+)\.svg"[^>]*>\s*<span[^>]*>([^<]+)</span>',
        page,
    ):
        found.setdefault(unescape(words), []).append(picture)
    return found


def test_stop_and_save_has_a_picture_of_its_own_not_nexts_tick(lounge):
    lounge.start()
    lounge.tap(answer="good")  # a question for words: Next and Stop on one screen
    pictures = button_pictures(lounge.screen()["page"])
    assert pictures["Next"] == ["tick"]
    (stop,) = pictures["Stop and save my answers"]
    assert stop != "tick"
    others = [
        p
        for words, shown in pictures.items()
        for p in shown
        if words != "Stop and save my answers"
    ]
    assert stop not in others, f"'{stop}' also means something else here: {pictures}"
    assert (SYMBOLS / f"{stop}.svg").is_file()


def test_a_flow_naming_a_picture_the_kiosk_lacks_is_refused(write_flow):
    text = flow_text(
        """
        - id: pick
          kind: choice
          text: Pick one
          options:
            - words: Tea
              symbol: teapot
            - words: Coffee
        """
    )
    with pytest.raises(FlowError) as error:
        load_flow(write_flow(text))
    assert "there is no picture called 'teapot'" in str(error.value)
    assert f"demo.yaml:{line_of(text, 'symbol: teapot')}:" in str(error.value)


# The thank-you --------------------------------------------------------------------


@pytest.fixture
def garden(runner, client, kiosk_clock) -> Kiosk:
    """A kiosk on the care-home flow, as a tablet without JavaScript uses it."""
    return Kiosk(client, add_kiosk(runner, "Garden", "--flow", "care-home-life"))


def finish(kiosk: Kiosk, flow: str, last_words: str | None = None) -> str:
    """Answer to the end (the last answer in words, if given); the words shown."""
    kiosk.start()
    if flow == "care-home-life":
        taps = [{"answer": "good"}, {"answer": "music"}]
        taps += (
            [{"answer": "no"}, {"answer": last_words}]
            if last_words
            else [{"answer": "yes"}]
        )
    else:
        taps = [{"answer": "poor"}, {"answer": last_words or "Kind staff"}]
    for fields in taps:
        done = kiosk.tap(**fields)
    assert "/thanks" in done.location
    page = kiosk.client.get(done.location).get_data(as_text=True)
    main = re.search(r"<main>(.*)</main>", page, re.S)[1]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.mark.parametrize(
    ("kiosk", "flow", "says"),
    [
        ("lounge", "friends-and-family", "We read every answer."),
        ("garden", "care-home-life", "Staff and residents will read your answers"),
    ],
)
def test_the_thank_you_says_who_reads_the_answers_once(request, kiosk, flow, says):
    shown = finish(request.getfixturevalue(kiosk), flow)
    assert says in shown
    who_reads = ("read every answer", "read your answers", "together")
    said = {words: shown.count(words) for words in who_reads if words in shown}
    assert set(said.values()) == {1}, f"said more than once: {said} in {shown!r}"
    assert "What happens next" in shown
    assert "You said, we did" in shown


@pytest.mark.parametrize(
    ("kiosk", "flow"),
    [("lounge", "friends-and-family"), ("garden", "care-home-life")],
)
def test_after_a_disclosure_the_thank_you_reassures_and_says_who_can_help(
    request, kiosk, flow
):
    shown = finish(request.getfixturevalue(kiosk), flow, "Someone hits me")
    assert "Samaritans: call 116 123" in shown  # where to get help now
    for words in (
        "Thank you for telling us.",
        "You are not in trouble.",
        "Someone who keeps people safe will read what you told us.",
        "tell someone you trust",
    ):
        assert words in shown, f"{words!r} not in {shown!r}"
    for worrying in ("residents", "every answer", "together"):
        assert worrying not in shown, f"{worrying!r} in {shown!r}"


def test_kiosk_idle_settings_refuse_a_warning_shorter_than_20_seconds(tmp_path):
    from gateway.config import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(
            {"GATEWAY_KIOSK_STILL_THERE_SECONDS": "10"},
            {"INSTANCE_PATH": str(tmp_path)},
        )
    assert "20 or more" in str(error.value)


def test_idle_kiosk_conversations_close_after_the_abandoned_limit(
    lounge, app, kiosk_clock, runtime
):
    from gateway.conversations import close_idle_conversations

    lounge.start()
    db = connect(app.config["DATABASE"])
    try:
        later = kiosk_clock.now() + timedelta(minutes=29)
        assert close_idle_conversations(db, runtime, later) == 0
        assert close_idle_conversations(db, runtime, later + timedelta(minutes=2)) == 1
    finally:
        db.close()
    assert responses(app)[0]["close_reason"] == "expired"


def test_a_disclosure_before_the_last_question_still_gets_the_reassuring_thank_you(
    garden,
):
    garden.start()
    for fields in (
        {"answer": "bad"},
        {"answer": "Someone hits me"},  # what would make the meals better?
        {"answer": "music"},
    ):
        garden.tap(**fields)
    done = garden.tap(answer="yes")  # the last question: nothing disclosed here
    page = garden.client.get(done.location).get_data(as_text=True)
    assert "You are not in trouble." in page
    assert "Samaritans: call 116 123" in page
    assert "Staff and residents will read" not in page
